import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MR, NR, gemmPacked, packA, packB, packedASize, packedBSize } from '../../src/float/gemm.js';
import { im2colPacked, type ConvGeometry } from '../../src/float/im2col.js';
import { rng } from './util.js';

function naive(m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array): Float32Array {
  const out = Float32Array.from(c);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!;
      out[i * n + j] = out[i * n + j]! + s;
    }
  }
  return out;
}

test('gemmPacked equals a naive triple loop on odd sizes and accumulates into C', () => {
  const rand = rng(1);
  const sizes = [1, 2, 3, 4, 5, 7, 8, 9, 13];
  for (const m of sizes) {
    for (const n of [1, 3, 4, 6, 11, 17]) {
      for (const k of [1, 2, 5, 16, 31]) {
        const a = Float32Array.from({ length: m * k }, rand);
        const b = Float32Array.from({ length: k * n }, rand);
        const c0 = Float32Array.from({ length: m * n }, rand);
        const ap = new Float32Array(packedASize(m, k));
        const bp = new Float32Array(packedBSize(k, n));
        packA(a, 0, k, 1, m, k, ap);
        packB(b, 0, n, 1, k, n, bp);
        const c = Float32Array.from(c0);
        gemmPacked(m, n, k, ap, 0, bp, 0, c, 0, n);
        const want = naive(m, n, k, a, b, c0);
        for (let i = 0; i < want.length; i++) assert.ok(Math.abs(c[i]! - want[i]!) < 1e-5, `m=${m} n=${n} k=${k} at ${i}: ${c[i]} vs ${want[i]}`);
      }
    }
  }
});

test('packed sizes round up to whole panels', () => {
  assert.equal(packedASize(5, 3), Math.ceil(5 / MR) * MR * 3);
  assert.equal(packedBSize(3, 5), Math.ceil(5 / NR) * NR * 3);
});

test('packA/packB read strided (transposed) sources, gemmPacked honours offsets and ldc', () => {
  const rand = rng(2);
  const m = 6, n = 9, k = 7, ldc = 12, cOff = 5;
  // A given transposed (k x m storage), B given transposed (n x k storage).
  const at = Float32Array.from({ length: k * m }, rand);
  const bt = Float32Array.from({ length: n * k }, rand);
  const a = new Float32Array(m * k);
  const b = new Float32Array(k * n);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) a[i * k + p] = at[p * m + i]!;
  for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) b[p * n + j] = bt[j * k + p]!;
  const ap = new Float32Array(3 + packedASize(m, k));
  const bp = new Float32Array(2 + packedBSize(k, n));
  packA(at, 0, 1, m, m, k, ap, 3);
  packB(bt, 0, 1, k, k, n, bp, 2);
  const c = new Float32Array(cOff + m * ldc).fill(7);
  gemmPacked(m, n, k, ap, 3, bp, 2, c, cOff, ldc);
  const want = naive(m, n, k, a, b, new Float32Array(m * n));
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < ldc; j++) {
      const got = c[cOff + i * ldc + j]!;
      if (j < n) assert.ok(Math.abs(got - 7 - want[i * n + j]!) < 1e-5);
      else assert.equal(got, 7, 'columns past n are untouched');
    }
  }
  for (let i = 0; i < cOff; i++) assert.equal(c[i], 7, 'before cOff untouched');
});

test('im2colPacked equals an explicit column matrix, for any column range', () => {
  const rand = rng(3);
  const geo: ConvGeometry = { c: 2, h: 5, w: 6, kh: 3, kw: 2, sh: 2, sw: 1, dh: 1, dw: 2, padT: 1, padL: 2, outH: 3, outW: 6 };
  const x = Float32Array.from({ length: 7 + geo.c * geo.h * geo.w }, rand);
  const xOff = 7;
  const depth = geo.c * geo.kh * geo.kw;
  const cols = geo.outH * geo.outW;
  const full = new Float32Array(depth * cols);
  for (let ci = 0; ci < geo.c; ci++) for (let ky = 0; ky < geo.kh; ky++) for (let kx = 0; kx < geo.kw; kx++) {
    const k = (ci * geo.kh + ky) * geo.kw + kx;
    for (let oy = 0; oy < geo.outH; oy++) for (let ox = 0; ox < geo.outW; ox++) {
      const iy = oy * geo.sh - geo.padT + ky * geo.dh;
      const ix = ox * geo.sw - geo.padL + kx * geo.dw;
      const inside = iy >= 0 && iy < geo.h && ix >= 0 && ix < geo.w;
      full[k * cols + oy * geo.outW + ox] = inside ? x[xOff + (ci * geo.h + iy) * geo.w + ix]! : 0;
    }
  }
  for (const [n0, n1] of [[0, cols], [4, 13], [5, 6], [8, cols]] as const) {
    const out = new Float32Array(packedBSize(depth, n1 - n0)).fill(NaN);
    im2colPacked(x, xOff, geo, n0, n1, out);
    const want = new Float32Array(packedBSize(depth, n1 - n0));
    const sub = new Float32Array(depth * (n1 - n0));
    for (let k = 0; k < depth; k++) for (let j = n0; j < n1; j++) sub[k * (n1 - n0) + j - n0] = full[k * cols + j]!;
    packB(sub, 0, n1 - n0, 1, depth, n1 - n0, want);
    assert.deepEqual([...out], [...want], `columns ${n0}..${n1}`);
  }
});
