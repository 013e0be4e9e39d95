import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { QFormat } from '../../src/fixed/format.js';
import {
  requantize,
  roundShift,
  roundShiftWide,
  saturate,
  shiftSaturate,
  shiftSaturateArray,
} from '../../src/fixed/shift.js';
import { randInt, rng, roundShiftRef } from './ref.js';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function check(x: number, s: number): void {
  const want = Number(roundShiftRef(BigInt(x), s));
  const got = roundShift(x, s);
  assert.ok(Object.is(got, want), `roundShift(${x}, ${s}) = ${got}, want ${want}`);
  if (s >= 1) assert.ok(Object.is(roundShiftWide(x, s), want), `roundShiftWide(${x}, ${s})`);
}

test('roundShift: exhaustive small inputs, all shifts -3..12', () => {
  for (let s = -3; s <= 12; s++) for (let x = -4100; x <= 4100; x++) check(x, s);
  assert.equal(roundShift(3, 1), 2);
  assert.equal(roundShift(-3, 1), -1, 'ties go up');
  assert.equal(roundShift(-5, 1), -2);
  assert.equal(roundShift(-6, 2), -1);
  assert.equal(roundShift(-7, 2), -2);
});

test('roundShift: int32 edges and the fast/wide boundary', () => {
  const edges = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31 - 2, -(2 ** 31) + 1, 2 ** 30, -(2 ** 30), 2 ** 30 - 1, -(2 ** 30) - 1];
  for (const x of edges) for (let s = -2; s <= 40; s++) check(x, s);
  // 2^31 - 1 + 2^(s-1) overflows int32 for s = 1; the fast path must not
  assert.equal(roundShift(2 ** 31 - 1, 1), 2 ** 30);
  assert.equal(roundShift(-(2 ** 31), 31), -1);
  assert.equal(roundShift(-(2 ** 30), 31), 0, 'negative tie at s = 31');
  assert.equal(roundShift(2 ** 31 - 1, 32), 0);
  assert.equal(roundShift(2 ** 31, 32), 1, 'tie at the wide boundary');
});

test('roundShift: random int32 and wide (up to 2^53) values against BigInt', () => {
  const r = rng(10);
  for (let i = 0; i < 20000; i++) check(randInt(r, -(2 ** 31), 2 ** 31 - 1), randInt(r, 0, 40));
  for (let i = 0; i < 20000; i++) check(randInt(r, -MAX_SAFE, MAX_SAFE), randInt(r, 0, 60));
  for (let i = 0; i < 5000; i++) {
    // exact ties (2k+1) * 2^(s-1), both signs, wide
    const s = randInt(r, 1, 52);
    const k = randInt(r, -(2 ** (52 - s)), 2 ** (52 - s) - 1);
    check((2 * k + 1) * 2 ** (s - 1), s);
  }
  for (const x of [MAX_SAFE, -MAX_SAFE, 2 ** 52, -(2 ** 52), 2 ** 52 + 1, -(2 ** 52) - 1]) {
    for (let s = 0; s <= 70; s++) check(x, s);
  }
  assert.equal(roundShift(2 ** 52, 53), 1);
  assert.equal(roundShift(-(2 ** 52), 53), 0);
  assert.equal(roundShift(-(2 ** 52) - 1, 53), -1);
});

test('saturate, shiftSaturate and requantize', () => {
  const s8: QFormat = { signed: true, wl: 8, fl: 0 };
  const u4: QFormat = { signed: false, wl: 4, fl: 0 };
  assert.equal(saturate(200, s8), 127);
  assert.equal(saturate(-200, s8), -128);
  assert.equal(saturate(-1, u4), 0);
  assert.equal(saturate(16, u4), 15);
  assert.equal(saturate(15, u4), 15);
  assert.equal(shiftSaturate(100, -10, s8), 127, 'left shift saturates');
  assert.equal(shiftSaturate(-(2 ** 52), -2000, s8), -128, 'left shift past Infinity');
  assert.equal(shiftSaturate(2 ** 40, 30, s8), 127);
  assert.equal(shiftSaturate(-(2 ** 10), 4, s8), -64);
  const from: QFormat = { signed: true, wl: 16, fl: 12 };
  const to: QFormat = { signed: true, wl: 8, fl: 4 };
  assert.equal(requantize(0x180, from, to), 2, '1.5 * 2^8 / 2^8 ties up');
  assert.equal(requantize(-0x180, from, to), -1);
  assert.equal(requantize(32767, from, to), 127);
  assert.equal(requantize(5, to, from), 1280, 'left shift to a finer format');
  assert.equal(requantize(100, to, from), 25600);
  assert.equal(requantize(200, to, from), 32767, 'left shift saturates');
  const src = new Float64Array([2 ** 40 + 2 ** 29, -(2 ** 40) - 2 ** 29, 2 ** 50, -(2 ** 50), 7]);
  const out = shiftSaturateArray(src, 30, { signed: true, wl: 16, fl: 0 });
  assert.deepEqual([...out], [1025, -1024, 32767, -32768, 0]);
  assert.throws(() => shiftSaturateArray(src, 1, { signed: true, wl: 40, fl: 0 }), /does not fit Int32Array/);
});
