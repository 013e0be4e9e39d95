/**
 * Integer matrix product for Conv (over im2col tiles) and Dense:
 *
 *   acc[m * accStride + p] = bias[m] + sum_k w[m * k + kk] * col[p * k + kk]
 *
 * for m < mCount, p < pCount. Weights rows and col rows are both contiguous in k,
 * so each output is one dot product; 4 channels x 2 pixels are computed together
 * (8 independent sums) to reuse every loaded operand.
 *
 * Two versions with identical results:
 * - gemmI32: int32 arithmetic (Math.imul, |0), the path a 32-bit engine takes;
 *   valid when every partial sum is below 2^31, which the plan proves per node.
 * - gemmF64: exact doubles (every product and partial sum an integer < 2^53).
 */

function blockI32(w: Int32Array, k: number, col: Int32Array, bias: Float64Array, acc: Int32Array, accStride: number, m: number, p: number): void {
  const w0 = m * k;
  const w1 = w0 + k;
  const w2 = w1 + k;
  const w3 = w2 + k;
  const c0 = p * k;
  const c1 = c0 + k;
  let a0 = bias[m]! | 0;
  let a1 = bias[m + 1]! | 0;
  let a2 = bias[m + 2]! | 0;
  let a3 = bias[m + 3]! | 0;
  let b0 = a0;
  let b1 = a1;
  let b2 = a2;
  let b3 = a3;
  for (let i = 0; i < k; i++) {
    const x = col[c0 + i]!;
    const y = col[c1 + i]!;
    const u0 = w[w0 + i]!;
    const u1 = w[w1 + i]!;
    const u2 = w[w2 + i]!;
    const u3 = w[w3 + i]!;
    a0 = (a0 + Math.imul(u0, x)) | 0;
    a1 = (a1 + Math.imul(u1, x)) | 0;
    a2 = (a2 + Math.imul(u2, x)) | 0;
    a3 = (a3 + Math.imul(u3, x)) | 0;
    b0 = (b0 + Math.imul(u0, y)) | 0;
    b1 = (b1 + Math.imul(u1, y)) | 0;
    b2 = (b2 + Math.imul(u2, y)) | 0;
    b3 = (b3 + Math.imul(u3, y)) | 0;
  }
  const o = m * accStride + p;
  acc[o] = a0;
  acc[o + 1] = b0;
  acc[o + accStride] = a1;
  acc[o + accStride + 1] = b1;
  acc[o + 2 * accStride] = a2;
  acc[o + 2 * accStride + 1] = b2;
  acc[o + 3 * accStride] = a3;
  acc[o + 3 * accStride + 1] = b3;
}

function blockF64(w: Int32Array, k: number, col: Int32Array, bias: Float64Array, acc: Float64Array, accStride: number, m: number, p: number): void {
  const w0 = m * k;
  const w1 = w0 + k;
  const w2 = w1 + k;
  const w3 = w2 + k;
  const c0 = p * k;
  const c1 = c0 + k;
  let a0 = bias[m]!;
  let a1 = bias[m + 1]!;
  let a2 = bias[m + 2]!;
  let a3 = bias[m + 3]!;
  let b0 = a0;
  let b1 = a1;
  let b2 = a2;
  let b3 = a3;
  for (let i = 0; i < k; i++) {
    const x = col[c0 + i]!;
    const y = col[c1 + i]!;
    const u0 = w[w0 + i]!;
    const u1 = w[w1 + i]!;
    const u2 = w[w2 + i]!;
    const u3 = w[w3 + i]!;
    a0 += u0 * x;
    a1 += u1 * x;
    a2 += u2 * x;
    a3 += u3 * x;
    b0 += u0 * y;
    b1 += u1 * y;
    b2 += u2 * y;
    b3 += u3 * y;
  }
  const o = m * accStride + p;
  acc[o] = a0;
  acc[o + 1] = b0;
  acc[o + accStride] = a1;
  acc[o + accStride + 1] = b1;
  acc[o + 2 * accStride] = a2;
  acc[o + 2 * accStride + 1] = b2;
  acc[o + 3 * accStride] = a3;
  acc[o + 3 * accStride + 1] = b3;
}

function dotI32(w: Int32Array, wOff: number, col: Int32Array, cOff: number, k: number, b: number): number {
  let a = b | 0;
  for (let i = 0; i < k; i++) a = (a + Math.imul(w[wOff + i]!, col[cOff + i]!)) | 0;
  return a;
}

function dotF64(w: Int32Array, wOff: number, col: Int32Array, cOff: number, k: number, b: number): number {
  let a = b;
  for (let i = 0; i < k; i++) a += w[wOff + i]! * col[cOff + i]!;
  return a;
}

/**
 * The product for `mCount` weight rows (w, bias already offset to the first row)
 * and `pCount` col rows. `acc` must be Int32Array for the int32 path and
 * Float64Array for the wide one.
 */
export function gemmInt(
  w: Int32Array, k: number, mCount: number, col: Int32Array, pCount: number, bias: Float64Array, acc: Int32Array | Float64Array, accStride: number,
): void {
  const m4 = mCount - (mCount % 4);
  const p2 = pCount - (pCount % 2);
  if (acc instanceof Int32Array) {
    for (let m = 0; m < m4; m += 4) for (let p = 0; p < p2; p += 2) blockI32(w, k, col, bias, acc, accStride, m, p);
    for (let m = 0; m < mCount; m++) {
      const first = m < m4 ? p2 : 0;
      for (let p = first; p < pCount; p++) acc[m * accStride + p] = dotI32(w, m * k, col, p * k, k, bias[m]!);
    }
  } else {
    for (let m = 0; m < m4; m += 4) for (let p = 0; p < p2; p += 2) blockF64(w, k, col, bias, acc, accStride, m, p);
    for (let m = 0; m < mCount; m++) {
      const first = m < m4 ? p2 : 0;
      for (let p = first; p < pCount; p++) acc[m * accStride + p] = dotF64(w, m * k, col, p * k, k, bias[m]!);
    }
  }
}
