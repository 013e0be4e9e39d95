import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scaleTable } from '../../src/codec/gaussian.js';
import { scaleIndex, scaleThresholds, validateScaleThresholds } from '../../src/codec/scale-index.js';
import { FxpError } from '../../src/errors.js';
import { randInt, rng } from './helpers.js';

const SCALES = scaleTable();

/** The float reference: the scale nearest to q * 2^-fl in the log domain (ties up). */
function nearestInLog(q: number, fl: number): number {
  if (q <= 0) return 0;
  const v = Math.log(q / 2 ** fl);
  let best = 0;
  for (let i = 1; i < SCALES.length; i++) {
    if (Math.abs(v - Math.log(SCALES[i]!)) <= Math.abs(v - Math.log(SCALES[best]!))) best = i;
  }
  return best;
}

test('scaleIndex equals the nearest-in-log float choice for 10k random fixed-point scales', () => {
  const rand = rng(21);
  for (const fl of [4, 8, 12, 16, 20]) {
    const thresholds = scaleThresholds(SCALES, fl);
    assert.equal(thresholds.length, 63);
    for (let n = 0; n < 2000; n++) {
      // Log-uniform over [2^-6, 2^10] (beyond both ends of the table), some <= 0.
      const q = rand() < 0.02 ? -randInt(rand, 0, 1000) : Math.round(2 ** (fl - 6 + 16 * rand()));
      assert.equal(scaleIndex(q, thresholds), nearestInLog(q, fl), `q ${q}, fl ${fl}`);
    }
  }
});

test('scaleIndex switches tables exactly at the thresholds, and is monotone', () => {
  const fl = 8;
  const thresholds = scaleThresholds(SCALES, fl);
  validateScaleThresholds(thresholds);
  thresholds.forEach((t, i) => {
    assert.equal(scaleIndex(t - 1, thresholds), i, `below threshold ${i}`);
    assert.equal(scaleIndex(t, thresholds), i + 1, `at threshold ${i}`);
    // ceil: t is the first integer at or above the float midpoint.
    const mid = Math.sqrt(SCALES[i]! * SCALES[i + 1]!) * 2 ** fl;
    assert.ok(t >= mid && t - 1 < mid);
  });
  let prev = 0;
  for (let q = -10; q <= 256 * 2 ** fl * 2; q++) {
    const i = scaleIndex(q, thresholds);
    assert.ok(i === prev || i === prev + 1 || (q === -10 && i === 0), `q ${q}: ${prev} -> ${i}`);
    prev = i;
  }
  assert.equal(prev, 63);
  assert.equal(scaleIndex(-(2 ** 31), thresholds), 0);
  assert.equal(scaleIndex(2 ** 31 - 1, thresholds), 63);
});

test('with few fraction bits, thresholds coincide and scaleIndex skips the tables in between', () => {
  const thresholds = scaleThresholds(SCALES, 0);
  validateScaleThresholds(thresholds);
  assert.equal(thresholds[0], 1);
  assert.equal(scaleIndex(0, thresholds), 0);
  for (let q = 1; q < 300; q++) assert.equal(scaleIndex(q, thresholds), nearestInLog(q, 0), `q ${q}`);
});

test('scaleThresholds and validateScaleThresholds reject bad input with FxpError', () => {
  assert.throws(() => scaleThresholds(SCALES, 31), /0\.\.30/);
  assert.throws(() => scaleThresholds(SCALES, 1.5), FxpError);
  assert.throws(() => scaleThresholds([], 8), /empty/);
  assert.throws(() => scaleThresholds([1, 1], 8), /strictly increasing/);
  assert.throws(() => scaleThresholds([2, 1], 8), /strictly increasing/);
  assert.throws(() => scaleThresholds(SCALES, 24), /does not fit int32/);
  assert.equal(scaleThresholds([3], 8).length, 0);
  assert.equal(scaleIndex(5, new Int32Array(0)), 0);
  assert.throws(() => validateScaleThresholds(Int32Array.from([1, 5, 4]), { file: 'm.fxp' }), /decrease at entry 2.*m\.fxp/);
});
