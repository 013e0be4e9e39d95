/**
 * Pad with per-channel constants (channelValues) through every level: lowering
 * quantizes them into the input format like `value` (rounding half up,
 * saturating); the integer reference, the real-valued simulation and the float
 * executor on the dequantized input then agree exactly.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FxTensor } from '../../src/engine/fx-graph.js';
import { createEngine } from '../../src/engine/runtime.js';
import { simulate } from '../../src/engine/simulate.js';
import { qRange, type QFormat } from '../../src/fixed/format.js';
import { runFloat } from '../../src/float/index.js';
import { GraphBuilder, type Graph } from '../../src/ir/graph.js';
import type { OpAttrMap } from '../../src/ir/ops.js';
import { lower } from '../../src/quantize/lower.js';
import { sizeOf, type Tensor } from '../../src/tensor.js';
import { q, singleNode } from './helpers.js';
import { Rng } from './random-graph.js';

function padGraph(shape: readonly number[], attrs: OpAttrMap['Pad']): Graph {
  const b = new GraphBuilder('pad');
  const x = b.addInput('x', ['N', ...shape.slice(1)]);
  b.outputs = [b.addNode('Pad', 'pad', attrs, [x])];
  return b.finish();
}

const lowerPad = (g: Graph, f: QFormat) => lower(g, { activations: new Map([[0, f]]), layers: new Map() });

function randomInput(rng: Rng, shape: readonly number[], f: QFormat): FxTensor {
  const { qmin, qmax } = qRange(f);
  return { shape, format: f, data: Int32Array.from({ length: sizeOf(shape) }, () => rng.int(qmin, qmax)) };
}

const real = (t: FxTensor): Tensor => ({ shape: t.shape, data: Float32Array.from(t.data, (v) => v * 2 ** -t.format.fl) });

test('lowering quantizes channelValues into the input format like value: half up, saturating', () => {
  const f = q(true, 8, 3);
  const g = padGraph([1, 5, 2, 2], { pads: [0, 0, 1, 1, 0, 0, 1, 1], mode: 'constant', value: 0.3, channelValues: [-1.25, 0.3, 0.0625, 100, -100] });
  const node = lowerPad(g, f).nodes[0]!;
  assert.equal(node.op, 'Pad');
  if (node.op !== 'Pad') return;
  // x * 8 rounded half up: -10, 2.4 -> 2, 0.5 -> 1; 800 and -800 saturate to 127 and -128.
  assert.equal(node.attrs.value, 2);
  assert.deepEqual(node.attrs.channelValues, [-10, 2, 1, 127, -128]);
  // Without channelValues the lowered attrs gain no key.
  const plain = lowerPad(padGraph([1, 5, 2, 2], { pads: [0, 0, 1, 1, 0, 0, 1, 1], mode: 'constant', value: 0.3 }), f).nodes[0]!;
  assert.equal('channelValues' in plain.attrs, false);
});

test('integer reference = simulation = float executor on the dequantized input, ranks 2 to 5', () => {
  const rng = new Rng(77);
  const f = q(true, 8, 3);
  const { qmin, qmax } = qRange(f);
  for (const shape of [[2, 3], [1, 4, 5], [2, 3, 4, 3], [1, 2, 3, 2, 2]]) {
    for (let trial = 0; trial < 4; trial++) {
      const rank = shape.length;
      // Asymmetric pads (crops too) on every dim but the channels.
      const pads = Array.from({ length: 2 * rank }, (_, i) => (i % rank === 1 ? 0 : rng.int(-1, 2)));
      if (shape.some((d, i) => d + pads[i]! + pads[i + rank]! <= 0)) continue;
      // On the grid of the input format, so the float result is exactly representable.
      const channelValues = Array.from({ length: shape[1]! }, () => rng.int(qmin, qmax) * 2 ** -f.fl);
      const g = padGraph(shape, { pads, mode: 'constant', value: 0.5, channelValues });
      const fx = lowerPad(g, f);
      const x = randomInput(rng, shape, f);
      const what = `shape [${shape.join(', ')}], pads [${pads.join(', ')}]`;
      const got = createEngine(fx).run([x]).outputs[0]!;
      const sim = simulate(fx, [x]).outputs[0]!;
      const want = runFloat(g, [real(x)]).outputs[0]!;
      assert.deepEqual(got.shape, want.shape, what);
      assert.deepEqual(Array.from(sim.data), Array.from(got.data), `${what}: simulation`);
      assert.deepEqual(Array.from(got.data, (v) => v * 2 ** -f.fl), Array.from(want.data), `${what}: float executor`);
      // Every channel value shows up (each channel has padded cells when some pad is positive).
      if (pads.some((p) => p > 0)) for (const v of channelValues) assert.ok(want.data.includes(v), `${what}: ${v} missing`);
    }
  }
});

test('integer reference = simulation with a format change: each channel fill is requantized like an element', () => {
  const rng = new Rng(5);
  const fi = q(true, 10, 4);
  for (const fo of [q(true, 6, 2), q(false, 8, 5), q(true, 12, 6), q(true, 4, -1)]) {
    const shape = [1, 4, 3, 3];
    const { qmin, qmax } = qRange(fi);
    const channelValues = [qmin, qmax, rng.int(qmin, qmax), -3];
    const attrs = { pads: [0, 0, 2, 1, 0, 0, -1, 2], mode: 'constant' as const, value: 7, channelValues };
    const fx = singleNode('Pad', attrs, [{ shape, data: [], format: fi }], fo);
    const x = randomInput(rng, shape, fi);
    const got = createEngine(fx).run([x]).outputs[0]!;
    const sim = simulate(fx, [x]).outputs[0]!;
    assert.deepEqual(Array.from(sim.data), Array.from(got.data), `Q(${fo.signed ? 's' : 'u'},${fo.wl},${fo.fl})`);
  }
});
