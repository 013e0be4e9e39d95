import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFloat } from '../../src/float/executor.js';
import { GraphBuilder, type Graph } from '../../src/ir/graph.js';
import { verifyGraph } from '../../src/ir/verify.js';
import { canonicalize, canonicalLayout, foldBatchNorm, fuseActivation, removeIdentity } from '../../src/passes/index.js';
import { foldPixelScales } from '../../src/passes/pixel-io.js';
import { FxpError } from '../../src/errors.js';
import { tensor, type Tensor } from '../../src/tensor.js';
import { randomArray, rng } from '../util/random.js';

const CONV = { kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], autoPad: 'NOTSET', group: 1 } as const;

function maxDiff(a: Tensor, b: Tensor): number {
  assert.deepEqual(a.shape, b.shape);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
  return m;
}

function sameOutputs(before: Graph, after: Graph, input: Tensor, tol = 1e-5): void {
  verifyGraph(after, [input.shape]);
  const a = runFloat(before, [input]).outputs[0]!;
  const b = runFloat(after, [input]).outputs[0]!;
  assert.ok(maxDiff(a, b) <= tol, `outputs differ by ${maxDiff(a, b)}`);
}

function addBn(b: GraphBuilder, x: number, c: number, rand: () => number, name: string): number {
  const gamma = b.addConstant(`${name}_g`, [c], randomArray(c, rand, 0.5, 2));
  const beta = b.addConstant(`${name}_b`, [c], randomArray(c, rand));
  const mean = b.addConstant(`${name}_m`, [c], randomArray(c, rand));
  const variance = b.addConstant(`${name}_v`, [c], randomArray(c, rand, 0.1, 3));
  return b.addNode('BatchNormalization', name, { epsilon: 1e-3 }, [x, gamma, beta, mean, variance]);
}

function convBnGraph(bnAfterRelu: boolean): Graph {
  const rand = rng(7);
  const b = new GraphBuilder('t');
  const x = b.addInput('x', ['N', 3, 6, 6]);
  const w = b.addConstant('w', [4, 3, 3, 3], randomArray(108, rand));
  const bias = b.addConstant('bias', [4], randomArray(4, rand));
  let y = b.addNode('Conv', 'conv', CONV, [x, w, bias]);
  if (bnAfterRelu) y = b.addNode('Relu', 'relu', {}, [y]);
  y = addBn(b, y, 4, rand, 'bn');
  if (!bnAfterRelu) y = b.addNode('Relu', 'relu', {}, [y]);
  b.outputs.push(y);
  return b.finish();
}

test('BatchNormalization after Conv folds into its weights', () => {
  const g = convBnGraph(false);
  const out = fuseActivation(foldBatchNorm(g));
  assert.deepEqual(
    out.nodes.map((n) => n.op),
    ['Conv'],
  );
  const conv = out.nodes[0]!;
  assert.equal(conv.op === 'Conv' && conv.attrs.activation?.kind, 'Relu');
  sameOutputs(g, out, tensor([2, 3, 6, 6], randomArray(216, rng(1))));
});

test('BatchNormalization after ReLU becomes a ChannelAffine (not foldable)', () => {
  const g = convBnGraph(true);
  const out = canonicalize(g);
  assert.deepEqual(
    out.nodes.map((n) => n.op),
    ['Conv', 'ChannelAffine'],
  );
  sameOutputs(g, out, tensor([2, 3, 6, 6], randomArray(216, rng(2))));
});

test('activation is not fused when the producer output has another reader', () => {
  const rand = rng(3);
  const b = new GraphBuilder('t');
  const x = b.addInput('x', [1, 2, 4, 4]);
  const w = b.addConstant('w', [2, 2, 3, 3], randomArray(36, rand));
  const c = b.addNode('Conv', 'conv', CONV, [x, w]);
  const r = b.addNode('Relu', 'relu', {}, [c]);
  const s = b.addNode('Add', 'add', {}, [r, c]);
  b.outputs.push(s);
  const g = b.finish();
  const out = fuseActivation(g);
  assert.deepEqual(
    out.nodes.map((n) => n.op),
    ['Conv', 'Relu', 'Add'],
  );
});

test('Identity nodes are removed and graph output names kept', () => {
  const b = new GraphBuilder('t');
  const x = b.addInput('x', [1, 4]);
  const r = b.addNode('Relu', 'relu', {}, [x]);
  const i = b.addNode('Identity', 'dropout', {}, [r], 'out');
  b.outputs.push(i);
  const g = b.finish();
  const out = removeIdentity(g);
  assert.deepEqual(
    out.nodes.map((n) => n.op),
    ['Relu'],
  );
  assert.equal(out.values[out.outputs[0]!]!.name, 'out');
  sameOutputs(g, out, tensor([1, 4], Float32Array.from([-1, 2, -3, 4])), 0);
});

test('NHWC input transpose of a 1-channel image becomes a Reshape', () => {
  const rand = rng(4);
  const b = new GraphBuilder('t');
  const x = b.addInput('x', ['N', 5, 5, 1]);
  const t = b.addNode('Transpose', 'to_nchw', { perm: [0, 3, 1, 2] }, [x]);
  const w = b.addConstant('w', [2, 1, 3, 3], randomArray(18, rand));
  const c = b.addNode('Conv', 'conv', CONV, [t, w]);
  b.outputs.push(c);
  const g = b.finish({ inputLayout: 'NHWC' });
  const out = canonicalLayout(g);
  assert.deepEqual(
    out.nodes.map((n) => n.op),
    ['Reshape', 'Conv'],
  );
  sameOutputs(g, out, tensor([3, 5, 5, 1], randomArray(75, rand)), 0);
});

test('Keras Flatten of NHWC (Transpose + Flatten + Dense) folds into permuted Dense weights', () => {
  const rand = rng(5);
  const b = new GraphBuilder('t');
  const x = b.addInput('x', ['N', 3, 2, 4]);
  const t = b.addNode('Transpose', 'to_nhwc', { perm: [0, 2, 3, 1] }, [x]);
  const f = b.addNode('Flatten', 'flatten', { axis: 1 }, [t]);
  const w = b.addConstant('w', [5, 24], randomArray(120, rand));
  const d = b.addNode('Dense', 'dense', {}, [f, w]);
  b.outputs.push(d);
  const g = b.finish();
  const out = canonicalLayout(g);
  assert.deepEqual(
    out.nodes.map((n) => n.op),
    ['Flatten', 'Dense'],
  );
  sameOutputs(g, out, tensor([2, 3, 2, 4], randomArray(48, rand)), 1e-6);
});

test('consecutive transposes compose; an identity composition disappears', () => {
  const b = new GraphBuilder('t');
  const x = b.addInput('x', [1, 2, 3, 4]);
  const t1 = b.addNode('Transpose', 't1', { perm: [0, 2, 3, 1] }, [x]);
  const t2 = b.addNode('Transpose', 't2', { perm: [0, 3, 1, 2] }, [t1]);
  const r = b.addNode('Relu', 'relu', {}, [t2]);
  b.outputs.push(r);
  const g = b.finish();
  const out = canonicalLayout(g);
  assert.deepEqual(
    out.nodes.map((n) => n.op),
    ['Relu'],
  );
  sameOutputs(g, out, tensor([1, 2, 3, 4], randomArray(24, rng(6))), 0);
});

test('pixel I/O folding reads pixels and writes 255x the output, exactly in real arithmetic', () => {
  const rand = rng(8);
  const b = new GraphBuilder('t');
  const x = b.addInput('x', [1, 3, 5, 5]);
  const w1 = b.addConstant('w1', [4, 3, 3, 3], randomArray(108, rand));
  const c1 = b.addNode('Conv', 'c1', { ...CONV, activation: { kind: 'Relu' } }, [x, w1]);
  const w2 = b.addConstant('w2', [3, 4, 3, 3], randomArray(108, rand));
  const b2 = b.addConstant('b2', [3], randomArray(3, rand));
  const c2 = b.addNode('Conv', 'c2', { ...CONV, activation: { kind: 'Clip', min: 0, max: 1 } }, [c1, w2, b2]);
  b.outputs.push(c2);
  const g = b.finish();
  const folded = foldPixelScales(g);
  verifyGraph(folded, [[1, 3, 5, 5]]);
  const pixels = Float32Array.from({ length: 75 }, () => Math.floor(rand() * 256));
  const ref = runFloat(g, [tensor([1, 3, 5, 5], Float32Array.from(pixels, (p) => p / 255))]).outputs[0]!;
  const out = runFloat(folded, [tensor([1, 3, 5, 5], pixels)]).outputs[0]!;
  for (let i = 0; i < ref.data.length; i++) assert.ok(Math.abs(out.data[i]! - 255 * ref.data[i]!) < 1e-3, `element ${i}`);
  assert.ok(out.data.some((v) => v === 255), 'the scaled Clip bound applies');
});

test('pixel I/O refuses a graph whose input feeds a non-linear op', () => {
  const b = new GraphBuilder('t');
  const x = b.addInput('x', [1, 4]);
  const r = b.addNode('Sigmoid', 'sig', {}, [x]);
  b.outputs.push(r);
  assert.throws(() => foldPixelScales(b.finish()), (e: unknown) => e instanceof FxpError && e.node === 'sig' && /Conv or Dense/.test(e.message));
});

test('pixel I/O on a single-layer model scales the one weight both ways', () => {
  const rand = rng(9);
  const b = new GraphBuilder('t');
  const x = b.addInput('x', [1, 2, 4, 4]);
  const w = b.addConstant('w', [2, 2, 3, 3], randomArray(36, rand));
  b.outputs.push(b.addNode('Conv', 'c', CONV, [x, w]));
  const g = b.finish();
  const folded = foldPixelScales(g);
  const pixels = Float32Array.from({ length: 32 }, () => Math.floor(rand() * 256));
  const ref = runFloat(g, [tensor([1, 2, 4, 4], Float32Array.from(pixels, (p) => p / 255))]).outputs[0]!;
  const out = runFloat(folded, [tensor([1, 2, 4, 4], pixels)]).outputs[0]!;
  for (let i = 0; i < ref.data.length; i++) assert.ok(Math.abs(out.data[i]! - 255 * ref.data[i]!) < 1e-3);
});
