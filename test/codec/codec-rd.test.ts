import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bdRate, msSsimDb, polyfit, type RdPoint } from '../../src/codec/rd.js';
import { FxpError } from '../../src/errors.js';

const anchor: RdPoint[] = [
  { rate: 0.25, quality: 28.1 },
  { rate: 0.5, quality: 31.0 },
  { rate: 1.0, quality: 34.2 },
  { rate: 2.0, quality: 37.9 },
];

test('polyfit recovers a cubic exactly and fits a line by least squares', () => {
  const xs = [1, 2, 3, 4, 5];
  const c = polyfit(
    xs,
    xs.map((x) => 2 - x + 0.5 * x * x - 0.25 * x ** 3),
    3,
  );
  [2, -1, 0.5, -0.25].forEach((v, i) => assert.ok(Math.abs(c[i]! - v) < 1e-9, `c${i} = ${c[i]}`));
  const line = polyfit([0, 1, 2], [0, 1, 3], 1);
  assert.ok(Math.abs(line[0]! + 1 / 6) < 1e-12 && Math.abs(line[1]! - 1.5) < 1e-12);
});

test('the same curve with every rate scaled by 0.9 is BD-rate -10%', () => {
  const test90 = anchor.map((p) => ({ rate: p.rate * 0.9, quality: p.quality }));
  assert.ok(Math.abs(bdRate(anchor, test90)! + 0.1) < 1e-12);
  assert.ok(Math.abs(bdRate(test90, anchor)! - 1 / 0.9 + 1) < 1e-12);
  assert.equal(bdRate(anchor, anchor), 0);
});

test('log-linear curves shifted by 1 dB: BD-rate = exp(-slope) - 1', () => {
  // ln R = a + b D; the test reaches D + 1 at the anchor's rate, so at equal D it
  // needs exp(-b) times the rate.
  const b = 0.23;
  const a: RdPoint[] = [30, 32, 34, 36, 38].map((d) => ({ rate: Math.exp(-7 + b * d), quality: d }));
  const t: RdPoint[] = a.map((p) => ({ rate: p.rate, quality: p.quality + 1 }));
  assert.ok(Math.abs(bdRate(a, t)! - (Math.exp(-b) - 1)) < 1e-9);
});

test('disjoint quality ranges give undefined; too few points are an FxpError', () => {
  const far = anchor.map((p) => ({ rate: p.rate, quality: p.quality + 20 }));
  assert.equal(bdRate(anchor, far), undefined);
  assert.throws(() => bdRate(anchor.slice(0, 3), anchor), FxpError);
});

test('MS-SSIM in dB', () => {
  assert.ok(Math.abs(msSsimDb(0.99) - 20) < 1e-9);
});
