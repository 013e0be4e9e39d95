import assert from 'node:assert/strict';
import { test } from 'node:test';
import { erfc, normalCdf, normalQuantile } from '../../src/codec/erfc.js';
import { TAIL_MASS, gaussianTables, scaleTable, tailMultiplier } from '../../src/codec/gaussian.js';
import { validateTables } from '../../src/codec/tables.js';
import { FxpError } from '../../src/errors.js';

// mpmath.erfc at 30 digits, rounded to doubles.
const ERFC_REFERENCE: [number, number][] = [
  [0, 1],
  [0.1, 0.8875370839817152],
  [0.5, 0.4795001221869535],
  [1, 0.15729920705028513],
  [2, 0.004677734981047266],
  [2.4999, 0.00040716990033345094],
  [2.5, 0.0004069520174449589],
  [2.5001, 0.0004067342434706802],
  [3, 2.209049699858544e-5],
  [5, 1.537459794428035e-12],
  [10, 2.088487583762545e-45],
  [26, 5.663192408856143e-296],
  [-1, 1.8427007929497148],
  [-3, 1.9999779095030015],
];

test('erfc matches mpmath to 1e-12 relative, across the series/continued-fraction switch', () => {
  for (const [x, want] of ERFC_REFERENCE) {
    const got = erfc(x);
    assert.ok(Math.abs(got - want) <= 1e-12 * want, `erfc(${x}) = ${got}, want ${want}`);
  }
  assert.equal(erfc(40), 0);
  assert.ok(Number.isNaN(erfc(NaN)));
});

test('normal quantile of the tail mass: Q = 6.1094102048693975 (scipy norm.ppf(5e-10))', () => {
  assert.ok(Math.abs(tailMultiplier() - 6.1094102048693975) < 1e-12, `${tailMultiplier()}`);
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959963984540054) < 1e-12);
  assert.ok(Math.abs(normalCdf(normalQuantile(1e-6)) - 1e-6) < 1e-18);
  assert.ok(Number.isNaN(normalQuantile(0)));
  assert.throws(() => tailMultiplier(0), FxpError);
});

test('scale table: 64 log-spaced levels from 0.11 to 256', () => {
  const s = scaleTable();
  assert.equal(s.length, 64);
  assert.equal(s[0], 0.11);
  assert.equal(s[63], 256);
  const ratio = Math.exp(Math.log(256 / 0.11) / 63);
  for (let i = 1; i < 64; i++) assert.ok(Math.abs(s[i]! / s[i - 1]! - ratio) < 1e-12);
  assert.throws(() => scaleTable(0, 1, 4), FxpError);
  assert.throws(() => scaleTable(1, 2, 1), FxpError);
});

test('gaussian tables: shapes, and each probability within a unit of its float share', () => {
  const scales = [0.11, 0.3, 1, 3.7, 20, 256];
  const t = gaussianTables(scales);
  validateTables(t);
  const q = tailMultiplier(TAIL_MASS);
  scales.forEach((s, i) => {
    const half = Math.ceil(s * q);
    assert.equal(t.offsets[i], -half);
    assert.equal(t.lengths[i], 2 * half + 1);
    const cdf = t.cdfs[i]!;
    const share = (k: number): number => (normalCdf((0.5 - Math.abs(k)) / s) - normalCdf((-0.5 - Math.abs(k)) / s)) * 65536;
    const tail = 65536 - Array.from({ length: 2 * half + 1 }, (_, j) => share(j - half)).reduce((a, b) => a + b, 0);
    // Symbols (and the escape) whose share is below one unit are raised to 1; the
    // others pay for that in proportion to their share.
    let pinned = tail < 1 ? 1 : 0;
    for (let k = -half; k <= half; k++) if (share(k) < 1) pinned++;
    let crossEntropy = 0;
    let entropy = 0;
    for (let k = -half; k <= half; k++) {
      const f = cdf[k + half + 1]! - cdf[k + half]!;
      const x = share(k);
      assert.ok(Math.abs(f - x) <= 1 + (x / 65536) * pinned, `scale ${s}, k ${k}: frequency ${f}, share ${x}, ${pinned} pinned`);
      const mirror = cdf[half - k + 1]! - cdf[half - k]!;
      assert.ok(Math.abs(f - mirror) <= 1, `scale ${s}: k ${k} and ${-k} differ by more than a unit`);
      crossEntropy -= (x / 65536) * Math.log2(f / 65536);
      if (x > 0) entropy -= (x / 65536) * Math.log2(x / 65536);
    }
    assert.equal(cdf[cdf.length - 1]! - cdf[cdf.length - 2]!, Math.max(1, Math.round(tail)), `scale ${s}: escape frequency`);
    // The cost of quantization: under 0.3% of the entropy (the widest table pins
    // ~1600 symbols to 1/2^16 each, the price of coding every value).
    assert.ok(crossEntropy - entropy <= 0.003 * entropy + 1e-4, `scale ${s}: ${crossEntropy - entropy} bits over ${entropy}`);
  });
});

test('gaussian tables reject scales they cannot tabulate', () => {
  assert.throws(() => gaussianTables([]), FxpError);
  assert.throws(() => gaussianTables([1, 0]), /scale 1 must be positive/);
  assert.throws(() => gaussianTables([NaN]), FxpError);
  assert.throws(() => gaussianTables([6000]), /more than a 16-bit table holds/);
});
