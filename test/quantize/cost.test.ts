import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FxpError } from '../../src/errors.js';
import type { QFormat } from '../../src/fixed/format.js';
import { GraphBuilder, type Graph } from '../../src/ir/graph.js';
import { canonicalize } from '../../src/passes/index.js';
import type { Assignment, LayerAssignment } from '../../src/quantize/assignment.js';
import { costOf, effectiveFormat } from '../../src/quantize/cost.js';
import { randomArray, rng } from '../util/random.js';

const CONV = { kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], autoPad: 'NOTSET', group: 1 } as const;
const POOL = { kernel: [2, 2], strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0], autoPad: 'NOTSET', ceilMode: false } as const;

/** x[N,1,6,6] -> Conv 1->3 + ReLU -> BN (kept: ChannelAffine) -> MaxPool -> Flatten -> Dense 27->4 -> Softmax. */
function tinyNet(): Graph {
  const r = rng(3);
  const b = new GraphBuilder('tiny');
  const x = b.addInput('x', ['N', 1, 6, 6]);
  let y = b.addNode('Conv', 'conv', CONV, [x, b.addConstant('w', [3, 1, 3, 3], randomArray(27, r)), b.addConstant('b', [3], randomArray(3, r))]);
  y = b.addNode('Relu', 'relu', {}, [y]);
  const bn = ['g', 'beta', 'm', 'v'].map((n, i) => b.addConstant(`bn_${n}`, [3], randomArray(3, r, i === 3 ? 0.5 : -1, i === 3 ? 2 : 1)));
  y = b.addNode('BatchNormalization', 'bn', { epsilon: 1e-3 }, [y, ...bn]);
  y = b.addNode('MaxPool', 'pool', POOL, [y]);
  y = b.addNode('Flatten', 'flat', { axis: 1 }, [y]);
  y = b.addNode('Dense', 'fc', {}, [y, b.addConstant('fw', [4, 27], randomArray(108, r)), b.addConstant('fb', [4], randomArray(4, r))]);
  y = b.addNode('Softmax', 'softmax', { axis: 1 }, [y]);
  b.outputs.push(y);
  return canonicalize(b.finish());
}

const q = (signed: boolean, wl: number, fl: number): QFormat => ({ signed, wl, fl });
const dyn = (wl: number, bias?: QFormat): LayerAssignment => ({ weight: { scheme: 'dynamic', wl, fl: [wl - 2] }, bias });

function assignment(g: Graph): Assignment {
  const out = (op: string): number => g.nodes.find((n) => n.op === op)!.outputs[0]!;
  const activations = new Map<number, QFormat>([
    [g.inputs[0]!, q(false, 8, 8)],
    [out('Conv'), q(false, 6, 3)],
    [out('ChannelAffine'), q(true, 7, 3)],
    [out('Dense'), q(true, 10, 5)],
    [out('Softmax'), q(false, 16, 16)],
  ]);
  const name = (op: string): string => g.nodes.find((n) => n.op === op)!.name;
  const layers = new Map<string, LayerAssignment>([
    [name('Conv'), dyn(5, q(true, 7, 4))],
    [name('ChannelAffine'), dyn(8, q(true, 12, 6))],
    [name('Dense'), dyn(4, q(true, 9, 5))],
  ]);
  return { activations, layers };
}

test('canonical tiny net keeps BN after ReLU as ChannelAffine', () => {
  assert.deepEqual(
    tinyNet().nodes.map((n) => n.op),
    ['Conv', 'ChannelAffine', 'MaxPool', 'Flatten', 'Dense', 'Softmax'],
  );
});

test('rows: counts, MACs, and memory / mult cost / BOPs by the formulas', () => {
  const g = tinyNet();
  const c = costOf(g, assignment(g));
  const byOp = new Map(c.rows.map((r) => [r.op, r]));
  assert.deepEqual(
    c.rows.map((r) => [r.op, r.kind]),
    [
      ['Conv', 'layer'],
      ['ChannelAffine', 'affine'],
      ['Dense', 'layer'],
      ['Softmax', 'activation'],
    ],
  );
  const conv = byOp.get('Conv')!;
  assert.deepEqual([conv.weights, conv.biases, conv.activations, conv.macs], [27, 3, 108, 972]);
  assert.equal(conv.memoryBits, 5 * 27 + 7 * 3 + 6 * 108);
  assert.equal(conv.multCost, 5 * 6 * 972);
  assert.equal(conv.bops, 5 * 8 * 972);
  const aff = byOp.get('ChannelAffine')!;
  assert.deepEqual([aff.weights, aff.biases, aff.activations, aff.macs], [3, 3, 108, 108]);
  assert.equal(aff.memoryBits, 8 * 3 + 12 * 3 + 7 * 108);
  assert.equal(aff.bops, 8 * 6 * 108);
  const fc = byOp.get('Dense')!;
  assert.deepEqual([fc.weights, fc.biases, fc.activations, fc.macs], [108, 4, 4, 108]);
  // Dense reads the ChannelAffine output through MaxPool and Flatten: its input is 7 bits.
  assert.equal(fc.wlIn, 7);
  assert.equal(fc.bops, 4 * 7 * 108);
  assert.equal(fc.multCost, 4 * 10 * 108);
  assert.equal(byOp.get('Softmax')!.memoryBits, 16 * 4);
});

test('scopes and baselines: Goyal scope counts Conv/Dense only; savings against fp32 and 8-bit', () => {
  const g = tinyNet();
  const c = costOf(g, assignment(g));
  const layers = c.scopes.layers;
  assert.equal(layers.total.memoryBits, 804 + 508);
  assert.equal(layers.uniform8.memoryBits, 8 * (27 + 3 + 108 + 108 + 4 + 4));
  assert.equal(layers.fp32.memoryBits, 32 * (27 + 3 + 108 + 108 + 4 + 4));
  assert.equal(layers.uniform8.multCost, 64 * (972 + 108));
  assert.equal(layers.total.multCost, 5 * 6 * 972 + 4 * 10 * 108);
  assert.ok(Math.abs(layers.savings.multVs8bit - (1 - (5 * 6 * 972 + 4 * 10 * 108) / (64 * 1080))) < 1e-12);
  assert.ok(Math.abs(layers.savings.memoryVs8bit - (1 - 1312 / 2032)) < 1e-12);
  const all = c.scopes.all;
  assert.equal(all.total.memoryBits, 804 + 816 + 508 + 64);
  assert.equal(all.uniform8.memoryBits, 8 * (254 + 3 + 3 + 108 + 4));
  assert.equal(all.total.weightBits + all.total.biasBits + all.total.activationBits, all.total.memoryBits);
  assert.equal(c.avgWeightBits, (5 * 27 + 4 * 108) / (27 + 108));
  assert.equal(c.avgActBits, (6 * 108 + 10 * 4) / 112);
});

test('effectiveFormat follows format-preserving ops back to the producer', () => {
  const g = tinyNet();
  const a = assignment(g);
  const flat = g.nodes.find((n) => n.op === 'Flatten')!.outputs[0]!;
  assert.deepEqual(effectiveFormat(g, a, flat), q(true, 7, 3));
});

test('a missing format is an FxpError naming the node', () => {
  const g = tinyNet();
  const a = assignment(g);
  const dense = g.nodes.find((n) => n.op === 'Dense')!;
  const acts = new Map(a.activations);
  acts.delete(dense.outputs[0]!);
  assert.throws(
    () => costOf(g, { ...a, activations: acts }),
    (e: unknown) => e instanceof FxpError && e.node === dense.name && /no format/.test(e.message),
  );
  const layers = new Map(a.layers);
  layers.delete(dense.name);
  assert.throws(() => costOf(g, { ...a, layers }), (e: unknown) => e instanceof FxpError && e.node === dense.name);
});
