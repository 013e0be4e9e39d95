/**
 * Layouts of the implicit-GEMM conv (kernels.c pack_rows / conv_rows).
 *
 * The input is packed per (image, group) as int16 NHWC over the padded window:
 * xs[yp][xp][ic], yp < hp, xp < wp, ic < cg. Output pixel (oy, ox) reads its
 * window from base = (oy*sh*wp + ox*sw)*cg as `nrun` runs at offsets off[r]:
 *   horizontal dilation 1: one run per kernel row ky, the kw*cg contiguous values
 *     (kx, ic) at off = ky*dh*wp*cg;
 *   otherwise: one run per tap (ky, kx), the cg values ic at off = (ky*dh*wp + kx*dw)*cg.
 * Runs are padded to lp (a multiple of 8) with zero weights, so the values read past
 * a run's end (the next pixels', or the slack after the buffer) add nothing.
 */
import { paddedK, roundUp } from './params.js';

export interface RunLayout {
  /** One run per kernel row (horizontal dilation 1), else one per tap. */
  readonly merged: boolean;
  /** Values per run before padding, and padded. */
  readonly len: number;
  readonly lp: number;
  readonly nrun: number;
  /** Weight rows per group, padded to a multiple of 4 (the GEMM's channel block). */
  readonly mgp: number;
}

/** Reads past the packed input's end: up to lp - len values (< 8 int16) plus alignment. */
export const PACK_SLACK_BYTES = 32;

export function runLayout(cg: number, kh: number, kw: number, dw: number, mg: number): RunLayout {
  const merged = dw === 1;
  const len = merged ? kw * cg : cg;
  return { merged, len, lp: paddedK(len), nrun: merged ? kh : kh * kw, mgp: roundUp(mg, 4) };
}

/** ONNX weights [M][cg][kh][kw] -> int16 [group][mgp][nrun][lp] in run order (zeros elsewhere). */
export function packConvWeights(w: Int32Array, m: number, cg: number, kh: number, kw: number, group: number, l: RunLayout): Int16Array {
  const mg = m / group;
  const kp = l.nrun * l.lp;
  const { merged } = l;
  const out = new Int16Array(group * l.mgp * kp);
  for (let g = 0; g < group; g++) {
    for (let j = 0; j < mg; j++) {
      const src = (g * mg + j) * cg * kh * kw;
      const dst = (g * l.mgp + j) * kp;
      for (let r = 0; r < l.nrun; r++) {
        for (let q = 0; q < l.len; q++) {
          const ky = merged ? r : Math.floor(r / kw);
          const kx = merged ? Math.floor(q / cg) : r % kw;
          const ic = merged ? q % cg : q;
          out[dst + r * l.lp + q] = w[src + (ic * kh + ky) * kw + kx]!;
        }
      }
    }
  }
  return out;
}

/** Run offsets in int16 units from a pixel's base, for a window `wp` columns wide. */
export function runOffsets(l: RunLayout, cg: number, kw: number, dh: number, dw: number, wp: number): Int32Array {
  const off = new Int32Array(l.nrun);
  for (let r = 0; r < l.nrun; r++) {
    off[r] = l.merged ? r * dh * wp * cg : (Math.floor(r / kw) * dh * wp + (r % kw) * dw) * cg;
  }
  return off;
}
