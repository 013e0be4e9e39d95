/**
 * The integer GEMM of Conv and Dense (src/engine/kernels/ref/gemm-int.ts) against
 * a plain dot product, for every block/remainder combination and both paths.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gemmInt } from '../../src/engine/kernels/ref/gemm-int.js';
import { Rng } from './random-graph.js';

function naive(w: Int32Array, k: number, m: number, col: Int32Array, p: number, bias: Float64Array): Float64Array {
  const out = new Float64Array(m * p);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < p; j++) {
      let s = bias[i]!;
      for (let t = 0; t < k; t++) s += w[i * k + t]! * col[j * k + t]!;
      out[i * p + j] = s;
    }
  }
  return out;
}

test('gemmInt equals the plain dot products on both paths, all block remainders', () => {
  const rng = new Rng(12345);
  let cases = 0;
  for (let m = 1; m <= 9; m++) {
    for (let p = 1; p <= 5; p++) {
      for (const k of [1, 3, 8, 17]) {
        // int32 path: |w|, |x| < 2^7, k <= 17: every partial sum < 2^31.
        const w = Int32Array.from({ length: m * k }, () => rng.int(-128, 127));
        const col = Int32Array.from({ length: p * k }, () => rng.int(-128, 127));
        const bias = Float64Array.from({ length: m }, () => rng.int(-1000, 1000));
        const want = naive(w, k, m, col, p, bias);
        const acc32 = new Int32Array(m * p);
        gemmInt(w, k, m, col, p, bias, acc32, p);
        assert.deepEqual(Array.from(acc32), Array.from(want), `int32 m=${m} p=${p} k=${k}`);
        // wide path: 16-bit operands and a bias near 2^40, far beyond int32.
        const wW = Int32Array.from({ length: m * k }, () => rng.int(-32768, 32767));
        const colW = Int32Array.from({ length: p * k }, () => rng.int(-32768, 32767));
        const biasW = Float64Array.from({ length: m }, () => rng.int(-(2 ** 30), 2 ** 30) * 1024);
        const wantW = naive(wW, k, m, colW, p, biasW);
        const acc64 = new Float64Array(m * p);
        gemmInt(wW, k, m, colW, p, biasW, acc64, p);
        assert.deepEqual(Array.from(acc64), Array.from(wantW), `wide m=${m} p=${p} k=${k}`);
        cases++;
      }
    }
  }
  assert.equal(cases, 180);
});

test('gemmInt writes with a row stride wider than the pixel count', () => {
  const w = Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]); // 5 rows, k = 2
  const col = Int32Array.from([1, -1, 2, 0, 0, 3]); // 3 pixels
  const acc = new Int32Array(5 * 4).fill(-7);
  gemmInt(w, 2, 5, col, 3, new Float64Array(5), acc, 4);
  // Row i: [w0 - w1, 2*w0, 3*w1], then the untouched stride padding.
  assert.deepEqual(Array.from(acc), [-1, 2, 6, -7, -1, 6, 12, -7, -1, 10, 18, -7, -1, 14, 24, -7, -1, 18, 30, -7]);
});
