import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FxpError } from '../../src/errors.js';
import {
  dequantize,
  dequantizeArray,
  fakeQuantize,
  fakeQuantizeArray,
  fracLengthFromRange,
  quantize,
  quantizeArray,
} from '../../src/fixed/convert.js';
import type { QFormat } from '../../src/fixed/format.js';
import { quantizeRef, rng } from './ref.js';

/** All formats with wl <= 8 and fl in -4..12, both signednesses. */
function smallFormats(): QFormat[] {
  const out: QFormat[] = [];
  for (const signed of [true, false]) for (let wl = 2; wl <= 8; wl++) for (let fl = -4; fl <= 12; fl++) out.push({ signed, wl, fl });
  return out;
}

test('quantize equals the exact rational reference on every small format', () => {
  const r = rng(1);
  let checked = 0;
  for (const f of smallFormats()) {
    const step = 2 ** -f.fl;
    const qmin = f.signed ? -(2 ** (f.wl - 1)) : 0;
    const qmax = f.signed ? 2 ** (f.wl - 1) - 1 : 2 ** f.wl - 1;
    const xs: number[] = [];
    for (let k = qmin - 4; k <= qmax + 4; k++) {
      const grid = k * step;
      const tie = (k + 0.5) * step;
      // ties, grid points, and their nearest neighbours on both sides
      xs.push(grid, tie, tie * (1 + 2 ** -52), tie * (1 - 2 ** -52), tie + step * 2 ** -40, tie - step * 2 ** -40);
      xs.push(Math.fround(tie), Math.fround(tie * (1 + 2 ** -23)), Math.fround(tie * (1 - 2 ** -23)));
    }
    for (let i = 0; i < 200; i++) xs.push((r() * 2 - 1) * (qmax - qmin + 8) * step, Math.fround((r() * 2 - 1) * 4 * qmax * step));
    xs.push(0, -0, 1e-300, -1e-300, 5e-324, 1e300, -1e300, Infinity, -Infinity);
    const f32 = new Float32Array(xs);
    const arr = quantizeArray(f32, f);
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i]!;
      const want = Number.isFinite(x) ? quantizeRef(x, f) : x > 0 ? qmax : qmin;
      assert.equal(quantize(x, f), want, `quantize(${x}, ${JSON.stringify(f)})`);
      const x32 = f32[i]!;
      const want32 = Number.isFinite(x32) ? quantizeRef(x32, f) : x32 > 0 ? qmax : qmin;
      assert.equal(arr[i], want32, `quantizeArray(${x32}, ${JSON.stringify(f)})`);
      checked++;
    }
  }
  assert.ok(checked > 100000);
});

test('quantize: round half up, negative ties, saturation, extreme fl', () => {
  const s8: QFormat = { signed: true, wl: 8, fl: 0 };
  assert.equal(quantize(2.5, s8), 3);
  assert.equal(quantize(-2.5, s8), -2);
  assert.equal(quantize(-0.5, s8), 0);
  assert.ok(Object.is(quantize(-0.4, s8), 0), 'no negative zero');
  assert.equal(quantize(0.49999999999999994, s8), 0); // Math.floor(x + 0.5) gives 1
  assert.equal(quantize(-1.4999999999999998, s8), -1);
  assert.equal(quantize(127.49, s8), 127);
  assert.equal(quantize(127.5, s8), 127);
  assert.equal(quantize(-128.5, s8), -128);
  assert.equal(quantize(-1000, s8), -128);
  assert.equal(quantize(-1, { signed: false, wl: 8, fl: 0 }), 0);
  assert.equal(quantize(Infinity, s8), 127);
  assert.equal(quantize(-Infinity, s8), -128);
  assert.throws(() => quantize(NaN, s8, { node: 'n' }), FxpError);
  assert.throws(() => quantizeArray(new Float32Array([1, NaN]), s8), /element 1/);
  // fl far beyond wl and far below 0
  assert.equal(quantize(3.5 * 2 ** -64, { signed: true, wl: 8, fl: 64 }), 4);
  assert.equal(quantize(-3.5 * 2 ** -64, { signed: true, wl: 8, fl: 64 }), -3);
  assert.equal(quantize(5.5 * 2 ** 64, { signed: true, wl: 8, fl: -64 }), 6);
  assert.equal(quantize(2 ** 70, { signed: true, wl: 8, fl: -64 }), 64);
  assert.equal(quantize(1e-30, { signed: true, wl: 8, fl: -64 }), 0);
  // a 32-bit bias format
  assert.equal(quantize(1e12, { signed: true, wl: 32, fl: 0 }), 2147483647);
  assert.equal(quantize(-2147483648.5, { signed: true, wl: 32, fl: 0 }), -2147483648);
  assert.equal(quantize(-2147483647.5, { signed: true, wl: 32, fl: 0 }), -2147483647);
  assert.throws(() => quantizeArray(new Float32Array(1), { signed: true, wl: 40, fl: 0 }), FxpError);
});

test('dequantize and fake quantization are exact', () => {
  const r = rng(2);
  for (const f of [
    { signed: true, wl: 8, fl: 5 },
    { signed: true, wl: 16, fl: 12 },
    { signed: false, wl: 16, fl: 20 },
    { signed: true, wl: 12, fl: -6 },
    { signed: true, wl: 16, fl: 64 },
    { signed: true, wl: 16, fl: -64 },
  ] satisfies QFormat[]) {
    const src = new Float32Array(2000);
    for (let i = 0; i < src.length; i++) src[i] = (r() * 2 - 1) * 2 ** (f.wl - 1 - f.fl) * 1.2;
    const q = quantizeArray(src, f);
    const fq = fakeQuantizeArray(src, f);
    const dq = dequantizeArray(q, f);
    for (let i = 0; i < src.length; i++) {
      const exact = q[i]! * 2 ** -f.fl;
      assert.equal(dequantize(q[i]!, f), exact);
      assert.equal(fakeQuantize(src[i]!, f), exact);
      assert.equal(fq[i], exact, 'float32 fake-quant is exact for wl <= 24');
      assert.equal(dq[i], exact);
    }
  }
});

test('fracLengthFromRange: Goyal rule with exact log2', () => {
  assert.equal(fracLengthFromRange(4, 8, true), 5);
  assert.equal(fracLengthFromRange(3.9, 8, true), 5);
  assert.equal(fracLengthFromRange(4 * (1 + 2 ** -52), 8, true), 4);
  assert.equal(fracLengthFromRange(1, 8, true), 7);
  assert.equal(fracLengthFromRange(1, 8, false), 8);
  assert.equal(fracLengthFromRange(0.3, 8, false), 9);
  assert.equal(fracLengthFromRange(200, 8, false), 0);
  assert.equal(fracLengthFromRange(0, 8, true), 7, 'maxAbs 0 behaves like 1');
  assert.equal(fracLengthFromRange(1e-30, 8, true), 64, 'clamped to MAX_FL');
  assert.equal(fracLengthFromRange(1e30, 8, true), -64, 'clamped to MIN_FL');
  for (let k = -48; k <= 60; k++) {
    const p = 2 ** k;
    assert.equal(fracLengthFromRange(p, 16, true), 15 - k, `2^${k}`);
    assert.equal(fracLengthFromRange(p * (1 + 2 ** -52), 16, true), 14 - k, `just above 2^${k}`);
    assert.equal(fracLengthFromRange(p * (1 - 2 ** -53), 16, true), 15 - k, `just below 2^${k}`);
  }
  // the chosen format holds maxAbs without saturating by more than one step
  const r = rng(3);
  for (let i = 0; i < 1000; i++) {
    const m = 2 ** (r() * 40 - 20);
    const fl = fracLengthFromRange(m, 8, true);
    const q = quantize(m, { signed: true, wl: 8, fl });
    assert.ok(Math.abs(q * 2 ** -fl - m) <= 2 ** -fl, `maxAbs ${m}`);
    assert.ok(m * 2 ** fl > 63.5 || q === 127, 'uses the top bit');
  }
  assert.throws(() => fracLengthFromRange(-1, 8, true), FxpError);
  assert.throws(() => fracLengthFromRange(NaN, 8, true), FxpError);
  assert.throws(() => fracLengthFromRange(Infinity, 8, true), FxpError);
});
