import assert from 'node:assert/strict';
import { test } from 'node:test';
import { quantizedCdf, validateCdf } from '../../src/codec/cdf.js';
import { FxpError } from '../../src/errors.js';
import { randInt, rng } from './helpers.js';

test('quantizedCdf: hand-computed small examples', () => {
  // Exact shares 8, 4, 2 and the escape 2.
  assert.deepEqual([...quantizedCdf([0.5, 0.25, 0.125], 0.125, 4)], [0, 8, 12, 14, 16]);
  // Total 16. Round 1: shares 11.2, 3.2, 1.5984, 0.0016 and the escape 0; the last
  // two are pinned at 1. Round 2 spreads 14 units over mass 0.9999: 9.80098,
  // 2.80028, 1.39874 -> floors 9, 2, 1 (12 units), the 2 missing units go to the
  // largest remainders (symbols 0 and 1): 10, 3, 1, 1, 1.
  assert.deepEqual([...quantizedCdf([0.7, 0.2, 0.0999, 0.0001], 0, 4)], [0, 10, 13, 14, 15, 16]);
  // Only the escape has mass: the symbols keep one unit each.
  assert.deepEqual([...quantizedCdf([0, 0, 0], 1, 3)], [0, 1, 2, 3, 8]);
  // As many symbols as units: all get 1.
  assert.deepEqual([...quantizedCdf([0.97, 0.01, 0.01], 0.01, 2)], [0, 1, 2, 3, 4]);
});

test('quantizedCdf: random pmfs give valid cdfs, close to the float probabilities', () => {
  const rand = rng(11);
  for (let trial = 0; trial < 300; trial++) {
    const n = randInt(rand, 1, trial % 20 === 0 ? 5000 : 60);
    // Mixtures of smooth and spiky masses, with exact zeros.
    const pmf = Float64Array.from({ length: n }, () => (rand() < 0.1 ? 0 : rand() ** randInt(rand, 1, 8)));
    pmf[randInt(rand, 0, n - 1)] = 1e-3 + rand();
    const tail = rand() < 0.5 ? 0 : rand() * 1e-6;
    const cdf = quantizedCdf(pmf, tail);
    assert.equal(cdf.length, n + 2);
    validateCdf(cdf, 16);
    let total = tail;
    for (const p of pmf) total += p;
    // Each frequency is its share rounded, or pushed up to 1, or lowered in
    // proportion to fund the symbols pushed up to 1.
    let pinned = 0;
    for (let i = 0; i <= n; i++) if (((i < n ? pmf[i]! : tail) / total) * 65536 < 1) pinned++;
    for (let i = 0; i <= n; i++) {
      const share = ((i < n ? pmf[i]! : tail) / total) * 65536;
      const f = cdf[i + 1]! - cdf[i]!;
      assert.ok(f >= 1);
      assert.ok(f <= Math.max(1, share) + 1, `symbol ${i}: frequency ${f} for share ${share}`);
      assert.ok(f >= share * (1 - pinned / 65536) - 1, `symbol ${i}: frequency ${f} for share ${share} (${pinned} pinned)`);
    }
  }
});

test('quantizedCdf: scaling the pmf by a power of two changes nothing', () => {
  const rand = rng(12);
  const pmf = Array.from({ length: 100 }, () => rand());
  assert.deepEqual(quantizedCdf(pmf.map((p) => p * 8), 0.01 * 8), quantizedCdf(pmf, 0.01));
});

test('quantizedCdf: bad input is one FxpError', () => {
  assert.throws(() => quantizedCdf([0.5, -0.1], 0.1), /symbol 1 must be finite and >= 0/);
  assert.throws(() => quantizedCdf([0.5, NaN], 0.1), FxpError);
  assert.throws(() => quantizedCdf([0.5], Infinity), /escape symbol/);
  assert.throws(() => quantizedCdf([0, 0], 0), /sum to zero/);
  assert.throws(() => quantizedCdf(new Float64Array(16), 1, 4), /17 symbols/);
  assert.throws(() => quantizedCdf([1], 0, 17), /precision/);
  assert.throws(() => quantizedCdf([1], 0, 0), /precision/);
});

test('validateCdf accepts valid tables and names what is wrong with the others', () => {
  validateCdf(Uint32Array.from([0, 65536]));
  validateCdf([0, 1, 2, 16], 4);
  validateCdf(Int32Array.from([0, 5, 65536]));
  const ctx = { file: 'model.fxp' };
  assert.throws(() => validateCdf([0], 16, ctx), /needs at least 2.*file 'model\.fxp'/);
  assert.throws(() => validateCdf([1, 2, 65536]), /start at 0/);
  assert.throws(() => validateCdf([0, 7, 7, 65536]), /not strictly increasing at entry 2/);
  assert.throws(() => validateCdf([0, 9, 7, 65536]), /not strictly increasing/);
  assert.throws(() => validateCdf([0, 1.5, 65536]), /not strictly increasing at entry 1/);
  assert.throws(() => validateCdf([0, 1, 65535]), /must end at 2\^16 = 65536/);
  assert.throws(() => validateCdf([0, 1, 65536], 15), /ends at 65536/);
  assert.throws(() => validateCdf([0, 1, 65536], 99), FxpError);
});
