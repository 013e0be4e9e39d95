import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFloat } from '../../src/float/executor.js';
import { GraphBuilder } from '../../src/ir/graph.js';
import { verifyGraph } from '../../src/ir/verify.js';
import { calibrate } from '../../src/quantize/calibrate.js';
import { normalizeActivationRanges } from '../../src/quantize/normalize-ranges.js';
import { tensor } from '../../src/tensor.js';
import { randomArray, rng } from '../util/random.js';

const CONV = { kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], autoPad: 'NOTSET', group: 1 } as const;

test('range normalization keeps the graph function and fills the chosen power-of-two range', async () => {
  const rand = rng(11);
  const b = new GraphBuilder('t');
  const x = b.addInput('x', ['N', 2, 6, 6]);
  const w1 = b.addConstant('w1', [4, 2, 3, 3], randomArray(72, rand));
  const b1 = b.addConstant('b1', [4], randomArray(4, rand));
  const h = b.addNode('Conv', 'c1', { ...CONV, activation: { kind: 'Relu' } }, [x, w1, b1], 'hidden');
  const d = b.addNode('MaxPool', 'pool', { kernel: [2, 2], strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0], autoPad: 'NOTSET', ceilMode: false }, [h]);
  const w2 = b.addConstant('w2', [3, 4, 3, 3], randomArray(108, rand));
  b.outputs.push(b.addNode('Conv', 'c2', CONV, [d, w2]));
  const g = b.finish();
  const input = tensor([4, 2, 6, 6], randomArray(288, rand));
  const stats = await calibrate(g, [[input]]);
  const { graph, formats, scales } = normalizeActivationRanges(g, stats, 8, 'max');
  verifyGraph(graph, [[4, 2, 6, 6]]);
  const s = scales.get('hidden');
  assert.ok(s !== undefined && s > 0.5 && s <= 1, `scale of 'hidden' is ${s}`);
  const f = formats.get('hidden')!;
  assert.equal(f.signed, false);
  const ref = runFloat(g, [input], { keepAll: true });
  const out = runFloat(graph, [input], { keepAll: true });
  const a = ref.outputs[0]!.data;
  const o = out.outputs[0]!.data;
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - o[i]!) < 1e-4, `output ${i}: ${a[i]} vs ${o[i]}`);
  // The rescaled hidden tensor's maximum sits at the top of its format's range, 2^(wl - fl).
  const hid = out.values[graph.values.findIndex((v) => v.name === 'hidden')]!.data;
  const max = hid.reduce((m, v) => Math.max(m, v), 0);
  assert.ok(Math.abs(max - 2 ** (f.wl - f.fl)) < 1e-4, `max ${max} vs range top ${2 ** (f.wl - f.fl)}`);
  assert.equal(formats.has(g.values[g.outputs[0]!]!.name), false, 'graph outputs are never rescaled');
});

test('a Pad with channelValues is not pure data movement: the tensor before it is not rescaled', async () => {
  const rand = rng(12);
  const build = (channelValues: readonly number[] | undefined) => {
    const b = new GraphBuilder('t');
    const x = b.addInput('x', ['N', 2, 6, 6]);
    const w1 = b.addConstant('w1', [4, 2, 3, 3], randomArray(72, rand));
    const h = b.addNode('Conv', 'c1', { ...CONV, activation: { kind: 'Relu' } }, [x, w1], 'hidden');
    const p = b.addNode('Pad', 'pad', { pads: [0, 0, 1, 1, 0, 0, 1, 1], mode: 'constant', value: 0, channelValues }, [h]);
    const w2 = b.addConstant('w2', [3, 4, 3, 3], randomArray(108, rand));
    b.outputs.push(b.addNode('Conv', 'c2', { ...CONV, pads: [0, 0, 0, 0] }, [p, w2]));
    return b.finish();
  };
  const input = tensor([2, 2, 6, 6], randomArray(144, rand));
  const plain = build(undefined);
  assert.ok(normalizeActivationRanges(plain, await calibrate(plain, [[input]]), 8, 'max').scales.has('hidden'), 'a zero Pad passes');
  const perChannel = build([0, 0, 0, 0]);
  assert.equal(normalizeActivationRanges(perChannel, await calibrate(perChannel, [[input]]), 8, 'max').scales.has('hidden'), false);
});
