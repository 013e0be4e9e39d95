/** Executor behaviour: keepAll, onValue, given, transform, batching, errors. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FxpError } from '../../src/errors.js';
import { FLOAT_KERNELS, createFloatExecutor, runFloat } from '../../src/float/index.js';
import { OP_TYPES } from '../../src/ir/ops.js';
import { GraphBuilder, type Graph } from '../../src/ir/graph.js';
import type { ConvAttrs } from '../../src/ir/ops.js';
import type { Tensor } from '../../src/tensor.js';
import { assertClose, randomTensor, rng } from './util.js';

interface Net {
  g: Graph;
  ids: { x: number; c1: number; c2: number; s: number; p: number; f: number; d: number; sm: number; dw: number };
}

/**
 * x -> c1 = Conv3x3+Relu -> c2 = Conv1x1; s = c1 + c2 (c1 read twice);
 * GlobalAveragePool -> Flatten -> Dense -> Softmax. Outputs: softmax and c2
 * (c2 is both an output and read by a later node).
 */
function net(): Net {
  const rand = rng(30);
  const b = new GraphBuilder('net');
  const x = b.addInput('x', ['N', 2, 5, 5]);
  const conv = (k: number, pads: number): ConvAttrs => ({
    kernel: [k, k], strides: [1, 1], dilations: [1, 1], pads: [pads, pads, pads, pads], autoPad: 'NOTSET', group: 1,
  });
  const w1 = randomTensor([4, 2, 3, 3], rand);
  const w2 = randomTensor([4, 4, 1, 1], rand);
  const wd = randomTensor([3, 4], rand);
  const c1 = b.addNode('Conv', 'c1', { ...conv(3, 1), activation: { kind: 'Relu' } }, [x, b.addConstant('w1', w1.shape, w1.data), b.addConstant('b1', [4], randomTensor([4], rand).data)]);
  const c2 = b.addNode('Conv', 'c2', conv(1, 0), [c1, b.addConstant('w2', w2.shape, w2.data)]);
  const s = b.addNode('Add', 's', {}, [c1, c2]);
  const p = b.addNode('GlobalAveragePool', 'p', {}, [s]);
  const f = b.addNode('Flatten', 'f', { axis: 1 }, [p]);
  const dw = b.addConstant('wd', wd.shape, wd.data);
  const d = b.addNode('Dense', 'd', {}, [f, dw]);
  const sm = b.addNode('Softmax', 'sm', { axis: 1 }, [d]);
  b.outputs = [sm, c2];
  return { g: b.finish(), ids: { x, c1, c2, s, p, f, d, sm, dw } };
}

const slice = (x: Tensor, i: number): Tensor => {
  const per = x.data.length / x.shape[0]!;
  return { shape: [1, ...x.shape.slice(1)], data: x.data.slice(i * per, (i + 1) * per) };
};

test('a batch of 3 equals three runs of 1, bit for bit', () => {
  const { g } = net();
  const ex = createFloatExecutor(g);
  const x = randomTensor([3, 2, 5, 5], rng(31));
  const batched = ex.run([x]).outputs;
  for (let i = 0; i < 3; i++) {
    const single = ex.run([slice(x, i)]).outputs;
    batched.forEach((t, o) => assertClose(single[o]!, slice(t, i), 0, `image ${i} output ${o}`));
  }
  const sums = [0, 1, 2].map((i) => slice(batched[0]!, i).data.reduce((a, v) => a + v, 0));
  for (const s of sums) assert.ok(Math.abs(s - 1) < 1e-6, 'softmax rows sum to 1');
});

test('default run keeps only the outputs; keepAll keeps every value; onValue sees each node output once, in order', () => {
  const { g, ids } = net();
  const x = randomTensor([2, 2, 5, 5], rng(32));
  const seen: number[] = [];
  const plain = runFloat(g, [x], { onValue: (id) => seen.push(id) });
  assert.deepEqual(seen, [ids.c1, ids.c2, ids.s, ids.p, ids.f, ids.d, ids.sm]);
  plain.values.forEach((v, id) => assert.equal(v !== undefined, id === ids.sm || id === ids.c2, `value ${id}`));
  assert.equal(plain.outputs[0], plain.values[ids.sm]);

  const got = new Map<number, Tensor>();
  const all = runFloat(g, [x], { keepAll: true, onValue: (id, t) => got.set(id, t) });
  assert.equal(all.values.length, g.values.length);
  all.values.forEach((v, id) => assert.ok(v !== undefined, `value ${id} kept`));
  assert.equal(all.values[ids.x], x);
  for (const [id, t] of got) assert.equal(all.values[id], t);
  assertClose(all.outputs[0]!, plain.outputs[0]!, 0);
  assert.deepEqual([...all.values[ids.p]!.shape], [2, 4, 1, 1]);
});

test('given: a partial re-run from an intermediate value computes only what lies downstream', () => {
  const { g, ids } = net();
  const ex = createFloatExecutor(g);
  const x = randomTensor([2, 2, 5, 5], rng(33));
  const full = ex.run([x], { keepAll: true });
  const seen: number[] = [];
  const given = new Map([[ids.s, full.values[ids.s]!], [ids.c2, full.values[ids.c2]!]]);
  const part = ex.run([], { given, onValue: (id) => seen.push(id) });
  assert.deepEqual(seen, [ids.p, ids.f, ids.d, ids.sm]);
  assertClose(part.outputs[0]!, full.outputs[0]!, 0);
  assert.equal(part.outputs[1], full.values[ids.c2]);

  // A changed intermediate changes the result; upstream nodes still run for the other output.
  const doubled = full.values[ids.s]!.data.map((v) => 2 * v);
  const seen2: number[] = [];
  const changed = ex.run([x], { given: new Map([[ids.s, { shape: full.values[ids.s]!.shape, data: doubled }]]), onValue: (id) => seen2.push(id) });
  assert.deepEqual(seen2, [ids.c1, ids.c2, ids.p, ids.f, ids.d, ids.sm]);
  assertClose(changed.outputs[1]!, full.outputs[1]!, 0);
  assert.ok(changed.outputs[0]!.data.some((v, i) => Math.abs(v - full.outputs[0]!.data[i]!) > 1e-4));

  // Without the inputs, an output that needs them is an error naming the input.
  assert.throws(() => ex.run([], { given: new Map([[ids.s, full.values[ids.s]!]]) }), (e: unknown) => e instanceof FxpError && /'x'/.test(e.message));
});

test('given can replace a constant (e.g. fake-quantized weights); the packed weights are re-derived', () => {
  const { g, ids } = net();
  const ex = createFloatExecutor(g);
  const x = randomTensor([1, 2, 5, 5], rng(34));
  const base = ex.run([x], { keepAll: true });
  const wd = g.values[ids.dw]!.data!;
  const zero = { shape: [3, 4], data: new Float32Array(wd.length) };
  const out = ex.run([x], { given: new Map([[ids.dw, zero]]) }).outputs[0]!;
  assertClose(out, { shape: [1, 3], data: Float32Array.from([1 / 3, 1 / 3, 1 / 3]) }, 1e-6);
  // and the original weights are still used when nothing is given
  assertClose(ex.run([x]).outputs[0]!, base.outputs[0]!, 0);
});

test('transform replaces node outputs for everything downstream; a wrong shape is an FxpError naming the node', () => {
  const { g, ids } = net();
  const x = randomTensor([1, 2, 5, 5], rng(35));
  const visited: string[] = [];
  const zeroConv = (node: { op: string; name: string }, t: Tensor): Tensor => {
    visited.push(node.name);
    return node.op === 'Conv' ? { shape: t.shape, data: new Float32Array(t.data.length) } : t;
  };
  const seen = new Map<number, Tensor>();
  const r = runFloat(g, [x], { transform: zeroConv, keepAll: true, onValue: (id, t) => seen.set(id, t) });
  assert.deepEqual(visited, ['c1', 'c2', 's', 'p', 'f', 'd', 'sm']);
  assert.ok(r.values[ids.c1]!.data.every((v) => v === 0));
  assert.ok(seen.get(ids.c2)!.data.every((v) => v === 0), 'onValue sees the transformed tensor');
  assertClose(r.outputs[0]!, { shape: [1, 3], data: Float32Array.from([1 / 3, 1 / 3, 1 / 3]) }, 1e-6);
  assert.throws(
    () => runFloat(g, [x], { transform: (_n, t) => ({ shape: [1], data: t.data.subarray(0, 1) }) }),
    (e: unknown) => e instanceof FxpError && e.node === 'c1' && e.op === 'Conv',
  );
});

test('bad inputs are FxpErrors: count, declared shape, data length, given id', () => {
  const { g } = net();
  const ex = createFloatExecutor(g);
  const x = randomTensor([1, 2, 5, 5], rng(36));
  const isFxp = (e: unknown): boolean => e instanceof FxpError;
  assert.throws(() => ex.run([x, x]), isFxp);
  assert.throws(() => ex.run([randomTensor([1, 3, 5, 5], rng(1))]), isFxp);
  assert.throws(() => ex.run([{ shape: [1, 2, 5, 5], data: new Float32Array(3) }]), isFxp);
  assert.throws(() => ex.run([x], { given: new Map([[999, x]]) }), isFxp);
  // A spatial size the kernel does not fit is reported by shape inference, naming the node.
  assert.throws(() => ex.run([randomTensor([1, 2, 1, 1], rng(2))]), isFxp);
  assert.doesNotThrow(() => ex.run([x]));
});

test('inputs and constants are never modified', () => {
  const { g, ids } = net();
  const x = randomTensor([2, 2, 5, 5], rng(37));
  const before = Float32Array.from(x.data);
  const w = Float32Array.from(g.values[ids.dw]!.data!);
  runFloat(g, [x], { keepAll: true });
  assert.deepEqual([...x.data], [...before]);
  assert.deepEqual([...g.values[ids.dw]!.data!], [...w]);
});

test('every op of the IR has a float kernel', () => {
  assert.deepEqual(Object.keys(FLOAT_KERNELS).sort(), [...OP_TYPES].sort());
});

test('a given parameter of the wrong shape is an FxpError naming the node', () => {
  const { g, ids } = net();
  const x = randomTensor([1, 2, 5, 5], rng(38));
  const bad = { shape: [3, 5], data: new Float32Array(15) };
  assert.throws(
    () => runFloat(g, [x], { given: new Map([[ids.dw, bad]]) }),
    (e: unknown) => e instanceof FxpError && e.node === 'd' && e.op === 'Dense',
  );
});
