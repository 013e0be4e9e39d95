/** The engine runtime: the float boundary, batching, value lifetime, accumulator reporting. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FxGraph, FxWeights } from '../../src/engine/fx-graph.js';
import { accumulatorTable } from '../../src/engine/plan.js';
import { createEngine, dequantize, quantizeInput } from '../../src/engine/runtime.js';
import { simulate } from '../../src/engine/simulate.js';
import { q } from './helpers.js';
import { Rng } from './random-graph.js';

test('quantizeInput rounds half up and saturates; dequantize inverts on the grid', () => {
  const t = quantizeInput({ shape: [1, 6], data: Float32Array.from([0.125, -0.125, 0.3, 100, -100, -0.375]) }, q(true, 8, 2));
  // x*4 = 0.5 -> 1, -0.5 -> 0, 1.2 -> 1, 400 -> 127, -400 -> -128, -1.5 -> -1.
  assert.deepEqual(Array.from(t.data), [1, 0, 1, 127, -128, -1]);
  assert.deepEqual(Array.from(dequantize(t).data), [0.25, 0, 0.25, 31.75, -32, -0.25]);
  assert.deepEqual(Array.from(quantizeInput({ shape: [2], data: Float32Array.from([-3, 70]) }, q(false, 4, -2)).data), [0, 15]);
});

function convChain(wl: number, channels: number): FxGraph {
  const rng = new Rng(wl * 100 + channels);
  const lim = 2 ** (wl - 1);
  const w = (shape: number[]): FxWeights => ({
    shape,
    data: Int32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, () => rng.int(-lim, lim - 1)),
    wl,
    fl: [wl - 1],
  });
  const conv = { kernel: [3, 3] as const, strides: [1, 1] as const, dilations: [1, 1] as const, pads: [1, 1, 1, 1] as const, autoPad: 'NOTSET' as const, group: 1 };
  const a = q(true, wl, wl - 3);
  return {
    name: 'chain',
    values: [
      { name: 'x', shape: ['N', channels, 'H', 'W'], format: a },
      { name: 'c1', shape: [], format: a },
      { name: 'p', shape: [], format: a },
      { name: 'c2', shape: [], format: a },
      { name: 'g', shape: [], format: a },
    ],
    nodes: [
      { op: 'Conv', name: 'conv1', attrs: { ...conv, weights: w([channels, channels, 3, 3]), activation: { kind: 'Relu' } }, inputs: [0], outputs: [1] },
      { op: 'MaxPool', name: 'pool', attrs: { kernel: [2, 2], strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0], autoPad: 'NOTSET', ceilMode: true }, inputs: [1], outputs: [2] },
      { op: 'Conv', name: 'conv2', attrs: { ...conv, weights: w([channels, channels, 3, 3]) }, inputs: [2], outputs: [3] },
      { op: 'GlobalAveragePool', name: 'gap', attrs: {}, inputs: [3], outputs: [4] },
    ],
    inputs: [0],
    outputs: [4],
  };
}

test('accumulator widths: int32 for 8-bit layers, wide for 16-bit ones with large K', () => {
  const narrow = createEngine(convChain(8, 8));
  assert.deepEqual(accumulatorTable(narrow.plan).map((r) => r.width), ['int32', 'int32', 'int32', 'shape-dependent']);
  assert.equal(accumulatorTable(narrow.plan, narrow.bind([[1, 8, 5, 5]]))[3]!.width, 'int32');
  const wide = createEngine(convChain(16, 8));
  const rows = accumulatorTable(wide.plan, wide.bind([[1, 8, 5, 5]]));
  assert.deepEqual(rows.map((r) => [r.node, r.width]), [['conv1', 'wide'], ['pool', 'int32'], ['conv2', 'wide'], ['gap', 'int32']]);
  // K = 72 taps of |w| <= 2^15 on |x| <= 2^15: bound <= 72 * 2^30.
  assert.ok(rows[0]!.bound! > 2 ** 31 && rows[0]!.bound! <= 72 * 2 ** 30);
});

test('a batch runs as its samples do, on both accumulator paths, equal to the simulation', () => {
  for (const wl of [8, 16]) {
    const fx = convChain(wl, 3);
    const engine = createEngine(fx);
    const rng = new Rng(wl);
    const x = { shape: [3, 3, 7, 6], data: Float32Array.from({ length: 3 * 3 * 7 * 6 }, () => rng.next() * 8 - 4) };
    const batched = engine.run([x]).outputs[0]!;
    assert.deepEqual(batched.shape, [3, 3, 1, 1]);
    for (let n = 0; n < 3; n++) {
      const one = { shape: [1, 3, 7, 6], data: x.data.slice(n * 126, (n + 1) * 126) };
      assert.deepEqual(Array.from(engine.run([one]).outputs[0]!.data), Array.from(batched.data.slice(n * 3, n * 3 + 3)));
    }
    assert.deepEqual(Array.from(simulate(fx, [x]).outputs[0]!.data), Array.from(batched.data));
    // Another image size reuses the plan with new geometry.
    const y = { shape: [2, 3, 4, 9], data: Float32Array.from({ length: 2 * 3 * 4 * 9 }, () => rng.next() * 8 - 4) };
    assert.deepEqual(Array.from(engine.run([y]).outputs[0]!.data), Array.from(simulate(fx, [y]).outputs[0]!.data));
  }
});

test('intermediates are freed unless keepAll; onValue sees every value', () => {
  const fx = convChain(8, 2);
  const engine = createEngine(fx);
  const x = { shape: [1, 2, 4, 4], data: new Float32Array(32).fill(1) };
  const seen: number[] = [];
  const r = engine.run([x], { onValue: (id, t) => seen.push(id, t.data.length) });
  assert.deepEqual(seen, [0, 32, 1, 32, 2, 8, 3, 8, 4, 2]);
  assert.deepEqual(r.values.map((v) => v !== undefined), [true, false, false, false, true]);
  const all = engine.run([x], { keepAll: true });
  assert.ok(all.values.every((v) => v !== undefined));
  assert.equal(all.outputs[0], all.values[4]);
  assert.deepEqual(Array.from(all.outputs[0]!.data), Array.from(r.outputs[0]!.data));
});

test('range-adaptive layers: int32 accumulation, wide scaling step, both reported', () => {
  const weights: FxWeights = { shape: [2, 16], data: new Int32Array(32).fill(-128), wl: 8, fl: [7], range: { data: Int32Array.from([60000]), fl: 16, bits: 16 } };
  const fx: FxGraph = {
    name: 'ra',
    values: [
      { name: 'x', shape: ['N', 16], format: q(true, 8, 4) },
      { name: 'y', shape: ['N', 2], format: q(true, 8, 4) },
    ],
    nodes: [{ op: 'Dense', name: 'fc', attrs: { weights }, inputs: [0], outputs: [1] }],
    inputs: [0],
    outputs: [1],
  };
  const [row] = accumulatorTable(createEngine(fx).plan);
  // sum: 16 * 128 * 128 = 2^18 (int32); times range 60000: ~1.6e10 (wide).
  assert.deepEqual(row, { node: 'fc', op: 'Dense', width: 'int32', bound: 2 ** 18, postWidth: 'wide', postBound: 2 ** 18 * 60000 });
});
