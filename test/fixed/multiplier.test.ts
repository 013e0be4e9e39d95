import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FxpError } from '../../src/errors.js';
import type { QFormat } from '../../src/fixed/format.js';
import {
  applyMultiplier,
  applyMultiplierRef,
  applyMultiplierWide,
  quantizeMultiplier,
  requantizeMultiplier,
  requantizePerChannel,
} from '../../src/fixed/multiplier.js';
import { randInt, rng } from './ref.js';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function check(acc: number, m: number, shift: number): void {
  const want = Number(applyMultiplierRef(BigInt(acc), BigInt(m), shift));
  const got = applyMultiplier(acc, m, shift);
  assert.ok(Object.is(got, want), `applyMultiplier(${acc}, ${m}, ${shift}) = ${got}, want ${want}`);
  const wide = applyMultiplierWide(acc, m, shift);
  assert.ok(Object.is(wide, want), `applyMultiplierWide(${acc}, ${m}, ${shift}) = ${wide}, want ${want}`);
}

test('quantizeMultiplier: normalized, relative error <= 2^-bits', () => {
  const r = rng(20);
  for (const bits of [31, 16, 8]) {
    const scales = [1, 0.5, 0.75, 2 ** -20, 2 ** -55, 1 - 2 ** -53, 0.1, 1 / 3, 2 ** (bits - 1) - 1];
    for (let i = 0; i < 3000; i++) scales.push(2 ** (r() * 80 - 55 + 0.0) * (bits === 31 ? 1 : 1));
    for (const s of scales) {
      if (s >= 2 ** bits - 0.5) continue;
      const { m, shift } = quantizeMultiplier(s, bits);
      assert.ok(Number.isInteger(m) && m >= 2 ** (bits - 1) && m < 2 ** bits, `m ${m} for ${s}`);
      assert.ok(Number.isInteger(shift) && shift >= 0);
      const approx = m * 2 ** -shift;
      assert.ok(Math.abs(approx - s) <= 2 ** -bits * s, `scale ${s}: ${approx} (bits ${bits})`);
    }
  }
  assert.deepEqual(quantizeMultiplier(1 - 2 ** -53), { m: 2 ** 30, shift: 30 }, 'carry renormalizes');
  assert.deepEqual(quantizeMultiplier(0.5), { m: 2 ** 30, shift: 31 });
  assert.deepEqual(quantizeMultiplier(0), { m: 0, shift: 0 });
  assert.deepEqual(quantizeMultiplier(2 ** -56), { m: 0, shift: 0 });
  assert.equal(quantizeMultiplier(2 ** -55).m, 2 ** 30);
  assert.throws(() => quantizeMultiplier(2 ** 31), /too large/);
  assert.throws(() => quantizeMultiplier(-1), FxpError);
  assert.throws(() => quantizeMultiplier(NaN), FxpError);
  assert.throws(() => quantizeMultiplier(Infinity), FxpError);
  assert.throws(() => quantizeMultiplier(0.5, 32), FxpError);
});

test('applyMultiplier: int32 accumulators, every path, against BigInt', () => {
  const r = rng(21);
  const accs = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), -(2 ** 31) + 1, 2 ** 30, -(2 ** 30), 12345, -12345];
  const ms = [0, 1, 2 ** 31 - 1, 2 ** 30, 2 ** 30 + 1, 3 * 2 ** 29, 65535, 65536, 0x5555_5555];
  for (const a of accs) for (const m of ms) for (let s = 0; s <= 70; s++) check(a, m, s);
  for (let i = 0; i < 30000; i++) check(randInt(r, -(2 ** 31), 2 ** 31 - 1), randInt(r, 0, 2 ** 31 - 1), randInt(r, 0, 66));
  for (let i = 0; i < 10000; i++) check(randInt(r, -4096, 4096), randInt(r, 0, 2 ** 31 - 1), randInt(r, 0, 45));
});

test('applyMultiplier: exact ties, negative ties, wide products', () => {
  const r = rng(22);
  for (let i = 0; i < 20000; i++) {
    // acc * m = odd * 2^t, shifted by t + 1: an exact tie of either sign
    const t = randInt(r, 0, 29);
    const odd = 2 * randInt(r, 0, 2 ** (29 - t) - 1) + 1;
    const m = odd * 2 ** t;
    const acc = 2 * randInt(r, -(2 ** 30), 2 ** 30 - 1) + 1;
    check(acc, m, t + 1);
    // (acc * odd) / 2 is k + 1/2; half up gives k + 1 = (acc * odd + 1) / 2
    const want = (BigInt(acc) * BigInt(odd) + 1n) / 2n;
    assert.equal(applyMultiplier(acc, m, t + 1), Number(want), 'a tie rounds up');
  }
  for (let i = 0; i < 20000; i++) {
    // wide ties: acc = odd * 2^a, m = odd' * 2^b, shift = a + b + 1 (up to 2^53 * 2^31)
    const a = randInt(r, 0, 40);
    const b = randInt(r, 0, 29);
    const acc = (2 * randInt(r, -(2 ** (51 - a)), 2 ** (51 - a) - 1) + 1) * 2 ** a;
    const m = (2 * randInt(r, 0, 2 ** (29 - b) - 1) + 1) * 2 ** b;
    check(acc, m, a + b + 1);
  }
  for (let s = 32; s <= 60; s++) {
    // a tie exactly at every wide shift, e.g. Cl = 2^36 at shift 37
    check(-(2 ** (s - 31)) * 3, 2 ** 30, s);
    check(2 ** (s - 31) * 3, 2 ** 30, s);
  }
  assert.equal(applyMultiplier(-3, 2 ** 30, 31), -1);
  assert.equal(applyMultiplier(-1, 2 ** 30, 31), 0);
  assert.equal(applyMultiplier(1, 2 ** 30, 31), 1);
});

test('applyMultiplier: wide accumulators up to 2^53', () => {
  const r = rng(23);
  for (let i = 0; i < 20000; i++) check(randInt(r, -MAX_SAFE, MAX_SAFE), randInt(r, 0, 2 ** 31 - 1), randInt(r, 32, 90));
  for (let i = 0; i < 5000; i++) {
    // shifts below 32 where the result still fits 53 bits
    const s = randInt(r, 0, 31);
    const m = randInt(r, 0, 2 ** 31 - 1);
    const limit = Math.floor((2 ** 52 * 2 ** s) / Math.max(1, m));
    const acc = randInt(r, -Math.min(MAX_SAFE, limit), Math.min(MAX_SAFE, limit));
    check(acc, m, s);
  }
  for (const a of [MAX_SAFE, -MAX_SAFE, 2 ** 52, -(2 ** 52), 2 ** 32, -(2 ** 32) - 1]) {
    for (const m of [2 ** 31 - 1, 2 ** 30, 1, 0]) for (let s = 31; s <= 90; s++) check(a, m, s);
  }
});

test('applyMultiplier approximates acc * scale within the documented bound', () => {
  const r = rng(24);
  for (let i = 0; i < 5000; i++) {
    const scale = 2 ** (-30 * r());
    const { m, shift } = quantizeMultiplier(scale);
    const acc = randInt(r, -(2 ** 31), 2 ** 31 - 1);
    const err = Math.abs(applyMultiplier(acc, m, shift) - acc * scale);
    assert.ok(err <= 0.5 + Math.abs(acc) * scale * 2 ** -31 + 1e-9, `scale ${scale} acc ${acc}: err ${err}`);
  }
});

test('requantizeMultiplier and requantizePerChannel saturate to the output format', () => {
  const out: QFormat = { signed: true, wl: 8, fl: 0 };
  assert.equal(requantizeMultiplier(1000, 2 ** 30, 31, out), 127);
  assert.equal(requantizeMultiplier(-1000, 2 ** 30, 31, out), -128);
  assert.equal(requantizeMultiplier(-255, 2 ** 30, 31, out), -127);
  const r = rng(25);
  const C = 3;
  const inner = 5;
  const acc = new Int32Array(2 * C * inner);
  for (let i = 0; i < acc.length; i++) acc[i] = randInt(r, -(2 ** 31), 2 ** 31 - 1);
  const m = Int32Array.from([2 ** 30, 1234567890, 2 ** 31 - 1]);
  const shift = Int32Array.from([40, 38, 50]);
  const u: QFormat = { signed: false, wl: 8, fl: 0 };
  const y = requantizePerChannel(acc, m, shift, inner, u);
  let saturated = 0;
  for (let i = 0; i < acc.length; i++) {
    const c = Math.floor(i / inner) % C;
    const want = requantizeMultiplier(acc[i]!, m[c]!, shift[c]!, u);
    assert.equal(y[i], want, `element ${i}`);
    if (want === 0 || want === 255) saturated++;
  }
  assert.ok(saturated > 0 && saturated < acc.length);
  assert.throws(() => requantizePerChannel(acc, m, Int32Array.from([1, 2]), inner, u), /3 multipliers but 2 shifts/);
  assert.throws(() => requantizePerChannel(acc, m, shift, 7, u), /do not split/);
  assert.throws(() => requantizePerChannel(acc, Int32Array.from([1, 2, -3]), shift, inner, u), /channel 2/);
  assert.throws(() => requantizePerChannel(acc, m, Int32Array.from([1, 2, -1]), inner, u), /channel 2/);
});
