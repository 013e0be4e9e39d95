import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFloat } from '../../src/float/executor.js';
import { GraphBuilder, type Graph } from '../../src/ir/graph.js';
import { verifyGraph } from '../../src/ir/verify.js';
import { canonicalize, foldAffineForward } from '../../src/passes/index.js';
import { tensor, type Tensor } from '../../src/tensor.js';
import { randomArray, rng } from '../util/random.js';

type Conv = { kernel: [number, number]; strides: [number, number]; dilations: [number, number]; pads: [number, number, number, number]; autoPad: 'NOTSET' | 'SAME_UPPER' | 'VALID'; group: number };
const SAME: Conv = { kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], autoPad: 'SAME_UPPER', group: 1 };
const POOL = { kernel: [2, 2], strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0], autoPad: 'SAME_UPPER', ceilMode: false } as const;

function maxDiff(a: Tensor, b: Tensor): number {
  assert.deepEqual(a.shape, b.shape);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
  return m;
}

function sameOutputs(before: Graph, after: Graph, input: Tensor, tol = 1e-4): void {
  verifyGraph(after, [input.shape]);
  const a = runFloat(before, [input]).outputs[0]!;
  const b = runFloat(after, [input]).outputs[0]!;
  assert.ok(maxDiff(a, b) <= tol, `outputs differ by ${maxDiff(a, b)}`);
}

/** BN with scale gamma/sqrt(var+eps) of the given sign and a shift that moves the zero point. */
function bn(b: GraphBuilder, x: number, c: number, rand: () => number, name: string, sign = 1): number {
  const gamma = b.addConstant(`${name}_g`, [c], randomArray(c, rand, 0.5 * sign, 2 * sign));
  const beta = b.addConstant(`${name}_b`, [c], randomArray(c, rand, -1, 1));
  const mean = b.addConstant(`${name}_m`, [c], randomArray(c, rand, 0, 1));
  const variance = b.addConstant(`${name}_v`, [c], randomArray(c, rand, 0.1, 3));
  return b.addNode('BatchNormalization', name, { epsilon: 1e-3 }, [x, gamma, beta, mean, variance]);
}

function convRelu(b: GraphBuilder, x: number, cin: number, cout: number, rand: () => number, name: string, attrs: Conv = SAME): number {
  const w = b.addConstant(`${name}_w`, [cout, cin / attrs.group, ...attrs.kernel], randomArray((cout * cin * attrs.kernel[0] * attrs.kernel[1]) / attrs.group, rand));
  const bias = b.addConstant(`${name}_bias`, [cout], randomArray(cout, rand));
  return b.addNode('Relu', `${name}_relu`, {}, [b.addNode('Conv', name, attrs, [x, w, bias])]);
}

/** Goyal-style: (Conv -> ReLU -> BN) x 3 with a MaxPool, then GlobalMaxPool -> Flatten -> Dense. */
function goyalLike(second: Conv = SAME): Graph {
  const rand = rng(11);
  const b = new GraphBuilder('goyal-like');
  const x = b.addInput('x', ['N', 3, 9, 8]);
  let y = bn(b, convRelu(b, x, 3, 4, rand, 'c1'), 4, rand, 'bn1');
  y = b.addNode('MaxPool', 'pool', POOL, [y]);
  y = bn(b, convRelu(b, y, 4, 6, rand, 'c2', second), 6, rand, 'bn2');
  y = bn(b, convRelu(b, y, 6, 6, rand, 'c3'), 6, rand, 'bn3');
  y = b.addNode('Flatten', 'flat', { axis: 1 }, [b.addNode('GlobalMaxPool', 'gmp', {}, [y])]);
  const w = b.addConstant('d_w', [5, 6], randomArray(30, rand));
  b.outputs.push(b.addNode('Dense', 'dense', {}, [y, w]));
  return b.finish();
}

test('BN after ReLU folds forward through MaxPool, padded Convs and GlobalMaxPool -> Flatten -> Dense', () => {
  const g = goyalLike();
  const out = canonicalize(g);
  assert.deepEqual(
    out.nodes.map((n) => n.op),
    ['Conv', 'MaxPool', 'Pad', 'Conv', 'Pad', 'Conv', 'GlobalMaxPool', 'Flatten', 'Dense'],
  );
  for (const n of out.nodes) {
    if (n.op === 'Conv') assert.deepEqual([n.attrs.autoPad === 'NOTSET' || n.name === 'c1', n.attrs.activation?.kind], [true, 'Relu']);
    if (n.op === 'Pad') {
      assert.deepEqual(n.attrs.pads, [0, 0, 1, 1, 0, 0, 1, 1]);
      assert.equal(n.attrs.channelValues?.length, n.name.startsWith('c2') ? 4 : 6);
    }
  }
  sameOutputs(g, out, tensor([2, 3, 9, 8], randomArray(2 * 3 * 72, rng(3), -1, 1)));
});

test('the pad value of channel c is -b_c / s_c, so that s * pad + b = 0', () => {
  const rand = rng(5);
  const b = new GraphBuilder('one');
  const x = b.addInput('x', ['N', 2, 5, 5]);
  const scale = b.addConstant('s', [2], Float32Array.from([2, 0.5]));
  const shift = b.addConstant('b', [2], Float32Array.from([-1, 3]));
  const y = b.addNode('ChannelAffine', 'aff', {}, [x, scale, shift]);
  const w = b.addConstant('w', [3, 2, 3, 3], randomArray(54, rand));
  b.outputs.push(b.addNode('Conv', 'conv', SAME, [y, w]));
  const g = b.finish();
  const out = foldAffineForward(g);
  const pad = out.nodes.find((n) => n.op === 'Pad');
  assert.ok(pad?.op === 'Pad');
  assert.deepEqual(pad.attrs.channelValues, [0.5, -6]);
  sameOutputs(g, out, tensor([1, 2, 5, 5], randomArray(50, rng(6), -2, 2)));
});

test('strided SAME, explicit pads and grouped Convs fold exactly', () => {
  const strided: Conv = { ...SAME, strides: [2, 2] };
  const g1 = goyalLike(strided);
  sameOutputs(g1, canonicalize(g1), tensor([1, 3, 9, 8], randomArray(216, rng(7), -1, 1)));
  const grouped: Conv = { kernel: [3, 2], strides: [1, 2], dilations: [2, 1], pads: [2, 0, 1, 1], autoPad: 'NOTSET', group: 2 };
  const g2 = goyalLike(grouped);
  const out = canonicalize(g2);
  assert.equal(out.nodes.filter((n) => n.op === 'ChannelAffine').length, 0);
  sameOutputs(g2, out, tensor([2, 3, 9, 8], randomArray(432, rng(8), -1, 1)));
});

test('Flatten of a spatial tensor into a Dense scales each channel block', () => {
  const rand = rng(9);
  const b = new GraphBuilder('flat');
  const x = b.addInput('x', ['N', 3, 4, 4]);
  const y = bn(b, convRelu(b, x, 3, 4, rand, 'c1'), 4, rand, 'bn1');
  const f = b.addNode('Flatten', 'flat', { axis: 1 }, [y]);
  const w = b.addConstant('d_w', [2, 64], randomArray(128, rand));
  const db = b.addConstant('d_b', [2], randomArray(2, rand));
  b.outputs.push(b.addNode('Dense', 'dense', {}, [f, w, db]));
  const g = b.finish();
  const out = canonicalize(g);
  assert.deepEqual(
    out.nodes.map((n) => n.op),
    ['Conv', 'Flatten', 'Dense'],
  );
  sameOutputs(g, out, tensor([2, 3, 4, 4], randomArray(96, rng(10), -1, 1)));
});

test('not folded: a negative scale before a max, a non-linear reader, or a reader that is a graph output', () => {
  const rand = rng(12);
  const neg = new GraphBuilder('neg');
  const x = neg.addInput('x', ['N', 3, 6, 6]);
  const y = bn(neg, convRelu(neg, x, 3, 4, rand, 'c1'), 4, rand, 'bn1', -1);
  neg.outputs.push(neg.addNode('GlobalMaxPool', 'gmp', {}, [y]));
  assert.ok(canonicalize(neg.finish()).nodes.some((n) => n.op === 'ChannelAffine'));

  const act = new GraphBuilder('act');
  const x2 = act.addInput('x', ['N', 3, 6, 6]);
  const y2 = bn(act, convRelu(act, x2, 3, 4, rand, 'c1'), 4, rand, 'bn1');
  act.outputs.push(act.addNode('Sigmoid', 'sig', {}, [y2]));
  assert.ok(canonicalize(act.finish()).nodes.some((n) => n.op === 'ChannelAffine'));

  const out = new GraphBuilder('out');
  const x3 = out.addInput('x', ['N', 3, 6, 6]);
  const y3 = out.addNode('MaxPool', 'pool', POOL, [bn(out, convRelu(out, x3, 3, 4, rand, 'c1'), 4, rand, 'bn1')]);
  const w = out.addConstant('w', [2, 4, 3, 3], randomArray(72, rand));
  out.outputs.push(y3, out.addNode('Conv', 'c2', SAME, [y3, w]));
  assert.ok(canonicalize(out.finish()).nodes.some((n) => n.op === 'ChannelAffine'));
});
