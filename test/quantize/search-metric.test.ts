import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunkSlack, chunkSums, normalizer, type ChunkRef } from '../../src/quantize/search/metric.js';
import type { Tensor } from '../../src/tensor.js';

const t = (rows: number[][]): Tensor => ({ shape: [rows.length, rows[0]!.length], data: Float32Array.from(rows.flat()) });

// Float network: row 0 sure of class 0, row 1 unsure between 1 and 2, row 2 wrong (label 0, says 2).
const ref: ChunkRef = { ref: t([[0.9, 0.05, 0.05], [0.1, 0.5, 0.4], [0.3, 0.1, 0.6]]), labels: Int32Array.from([0, 1, 0]) };
// Quantized: row 0 less sure, row 1 flips to class 2, row 2 turns right.
const out = t([[0.7, 0.2, 0.1], [0.1, 0.4, 0.5], [0.5, 0.1, 0.4]]);

const close = (a: number, b: number): void => assert.ok(Math.abs(a - b) < 1e-6, `${a} != ${b}`);

test('top1 counts flips of right answers minus wrong ones turned right', () => {
  const s = chunkSums('top1', out, ref, true);
  assert.equal(s.drop, 1 - 1);
  assert.equal(normalizer('top1', ref, true), 2);
  close(s.rank, -Math.log(0.7) - Math.log(0.4) - Math.log(0.5));
});

test('kl weights each flip by the float probability gap', () => {
  const s = chunkSums('kl', out, ref, true);
  close(s.drop, 0.5 - 0.4 + (0.6 - 0.3));
  close(normalizer('kl', ref, true), 0.9 + 0.5 + 0.6);
  assert.equal(chunkSlack('kl'), 0);
});

test('agree and soft: probability taken from the float answer or the label, gains count 0', () => {
  const a = chunkSums('agree', out, ref, true);
  close(a.drop, 0.9 - 0.7 + (0.5 - 0.4) + (0.6 - 0.4));
  close(normalizer('agree', ref, true), 2);
  const s = chunkSums('soft', out, ref, true);
  // Row 2 gains probability on its label: 0, not -0.2.
  close(s.drop, 0.9 - 0.7 + (0.5 - 0.4));
  close(normalizer('soft', ref, true), 0.9 + 0.5 + 0.3);
  assert.equal(chunkSums('soft', t([[1, 0, 0], [0, 1, 0], [1, 0, 0]]), ref, true).drop, 0);
  assert.equal(chunkSlack('soft'), 0);
  assert.equal(chunkSlack('psnr'), Infinity);
});

test('weights scale every image term', () => {
  const w = { ...ref, weights: Float64Array.from([2, 1, 3]) };
  close(chunkSums('agree', out, w, true).drop, 2 * 0.2 + 0.1 + 3 * 0.2);
});

test('logit outputs go through softmax first', () => {
  const logits = { ref: t([[2, 0, 0]]) };
  const s = chunkSums('agree', t([[2, 0, 0]]), logits, false);
  close(s.drop, 0);
  close(normalizer('agree', logits, false), Math.exp(2) / (Math.exp(2) + 2));
});
