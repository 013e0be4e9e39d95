/**
 * Single-precision GEMM on packed panels: C += A·B.
 *
 * A (m x k) is packed into panels of MR rows, each stored k-major (the MR values
 * of one column of A are adjacent); B (k x n) into panels of NR columns, each
 * stored k-major. The micro-kernel keeps an MR x NR tile of C in locals and
 * streams one A panel and one B panel, so both stay in L1 while the tile is
 * accumulated over the whole of k. Padding rows/columns of the last panels are
 * zero (or ignored: a padding column of B only feeds a padding column of C, which
 * is never stored).
 *
 * Accumulation is in JS doubles; results are rounded to float32 once, on store.
 * 4x4 measured fastest among 2x4..8x8 tiles in V8 (more accumulators spill).
 */

import { gemmWasm } from './gemm-wasm.js';

export const MR = 4;
export const NR = 4;

export function packedASize(m: number, k: number): number {
  return Math.ceil(m / MR) * MR * k;
}

export function packedBSize(k: number, n: number): number {
  return Math.ceil(n / NR) * NR * k;
}

/**
 * Packs A, element (i, p) at `a[off + i*rs + p*cs]`, rows [0, m) and columns
 * [0, k), into `out` from `outOff`: out[outOff + (q*k + p)*MR + r] = A(q*MR + r, p).
 */
export function packA(
  a: Float32Array, off: number, rs: number, cs: number, m: number, k: number,
  out: Float32Array, outOff = 0,
): void {
  off |= 0; rs |= 0; cs |= 0; m |= 0; k |= 0; outOff |= 0;
  const panels = Math.ceil(m / MR);
  for (let q = 0; q < panels; q++) {
    const base = outOff + q * k * MR;
    for (let r = 0; r < MR; r++) {
      const i = q * MR + r;
      if (i >= m) {
        for (let p = 0; p < k; p++) out[base + p * MR + r] = 0;
        continue;
      }
      const src = off + i * rs;
      for (let p = 0; p < k; p++) out[base + p * MR + r] = a[src + p * cs]!;
    }
  }
}

/**
 * Packs B, element (p, j) at `b[off + p*rs + j*cs]`, rows [0, k) and columns
 * [0, n), into `out` from `outOff`: out[outOff + (q*k + p)*NR + c] = B(p, q*NR + c).
 */
export function packB(
  b: Float32Array, off: number, rs: number, cs: number, k: number, n: number,
  out: Float32Array, outOff = 0,
): void {
  off |= 0; rs |= 0; cs |= 0; k |= 0; n |= 0; outOff |= 0;
  const panels = Math.ceil(n / NR);
  for (let q = 0; q < panels; q++) {
    const base = outOff + q * k * NR;
    for (let c = 0; c < NR; c++) {
      const j = q * NR + c;
      if (j >= n) {
        for (let p = 0; p < k; p++) out[base + p * NR + c] = 0;
        continue;
      }
      const src = off + j * cs;
      for (let p = 0; p < k; p++) out[base + p * NR + c] = b[src + p * rs]!;
    }
  }
}

const edgeTile = new Float64Array(MR * NR);

/** 'auto': the WASM kernel (gemm-wasm.ts, bit for bit the same) where it pays and is available; 'js': the TS loop only. */
export type GemmMode = 'auto' | 'js';
let mode: GemmMode = 'auto';

/** Chooses the GEMM implementation (tests compare the two; results are identical). */
export function setGemmMode(m: GemmMode): void {
  mode = m;
}

/** Below this depth (or 64 outputs) copying the operands into WASM memory costs about what the WASM kernel saves (scratch measurements: 2.4x at k = 9, 1x at 10x1x64). */
const WASM_MIN_K = 4;

/**
 * C[cOff + i*ldc + j] += sum_p A(i, p) B(p, j) for i < m, j < n, with A packed by
 * packA at `ap[apOff]` and B packed by packB at `bp[bpOff]`, both with depth k.
 * Per element the products are summed in p order in doubles and the sum is
 * added to C and rounded to float once.
 */
export function gemmPacked(
  m: number, n: number, k: number,
  ap: Float32Array, apOff: number,
  bp: Float32Array, bpOff: number,
  c: Float32Array, cOff: number, ldc: number,
): void {
  if (mode === 'auto' && k >= WASM_MIN_K && m * n >= 64 && gemmWasm(m, n, k, ap, apOff, packedASize(m, k), bp, bpOff, packedBSize(k, n), c, cOff, ldc)) return;
  gemmPackedJs(m, n, k, ap, apOff, bp, bpOff, c, cOff, ldc);
}

/** gemmPacked's TS loop (the reference the WASM kernel is tested against). */
export function gemmPackedJs(
  m: number, n: number, k: number,
  ap: Float32Array, apOff: number,
  bp: Float32Array, bpOff: number,
  c: Float32Array, cOff: number, ldc: number,
): void {
  // Sizes and offsets may arrive as doubles (shape arithmetic such as Math.floor
  // yields them); `| 0` pins them to int32 so the hot loops keep integer indices.
  m |= 0; n |= 0; k |= 0; apOff |= 0; bpOff |= 0; cOff |= 0; ldc |= 0;
  const mPanels = Math.ceil(m / MR);
  const nPanels = Math.ceil(n / NR);
  const aStride = k * MR;
  const bStride = k * NR;
  for (let jq = 0; jq < nPanels; jq++) {
    const bBase = bpOff + jq * bStride;
    const col = jq * NR;
    const cn = n - col < NR ? n - col : NR;
    for (let iq = 0; iq < mPanels; iq++) {
      let ai = apOff + iq * aStride;
      let bi = bBase;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let p = 0; p < k; p++, ai += MR, bi += NR) {
        const a0 = ap[ai]!, a1 = ap[ai + 1]!, a2 = ap[ai + 2]!, a3 = ap[ai + 3]!;
        const b0 = bp[bi]!, b1 = bp[bi + 1]!, b2 = bp[bi + 2]!, b3 = bp[bi + 3]!;
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
        c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
        c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
      }
      const row = iq * MR;
      const rm = m - row < MR ? m - row : MR;
      let o = cOff + row * ldc + col;
      if (rm === MR && cn === NR) {
        c[o] = c[o]! + c00; c[o + 1] = c[o + 1]! + c01; c[o + 2] = c[o + 2]! + c02; c[o + 3] = c[o + 3]! + c03; o += ldc;
        c[o] = c[o]! + c10; c[o + 1] = c[o + 1]! + c11; c[o + 2] = c[o + 2]! + c12; c[o + 3] = c[o + 3]! + c13; o += ldc;
        c[o] = c[o]! + c20; c[o + 1] = c[o + 1]! + c21; c[o + 2] = c[o + 2]! + c22; c[o + 3] = c[o + 3]! + c23; o += ldc;
        c[o] = c[o]! + c30; c[o + 1] = c[o + 1]! + c31; c[o + 2] = c[o + 2]! + c32; c[o + 3] = c[o + 3]! + c33;
        continue;
      }
      const t = edgeTile;
      t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03;
      t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
      t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23;
      t[12] = c30; t[13] = c31; t[14] = c32; t[15] = c33;
      for (let r = 0; r < rm; r++, o += ldc) {
        for (let j = 0; j < cn; j++) c[o + j] = c[o + j]! + t[r * NR + j]!;
      }
    }
  }
}

/**
 * Column block width for a packed B of depth k: about 64K floats (256 KiB), so
 * the block stays in L2 while every A panel passes over it. A multiple of NR.
 */
export function columnBlock(k: number): number {
  const cols = Math.floor(65536 / Math.max(1, k) / NR) * NR;
  return Math.max(NR * 4, cols);
}
