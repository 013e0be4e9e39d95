/**
 * im2col straight into packed GEMM panels (the B operand of gemmPacked), so the
 * column matrix is never materialized unpacked.
 *
 * Row k of the column matrix is (c, ky, kx) with k = (c*kH + ky)*kW + kx, the
 * order of an ONNX Conv weight [M, C/group, kH, kW] flattened per output channel;
 * column n is the output position oy*outW + ox. Taps that fall in the padding
 * read as 0.
 */
import { NR } from './gemm.js';

export interface ConvGeometry {
  /** Input channels of one group, and input height/width. */
  readonly c: number;
  readonly h: number;
  readonly w: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly dh: number;
  readonly dw: number;
  /** Resolved top and left padding (from windowGeometry). */
  readonly padT: number;
  readonly padL: number;
  readonly outH: number;
  readonly outW: number;
}

/**
 * Packs columns [n0, n1) of the column matrix of one image's channel group, whose
 * channel 0 starts at `x[xOff]`, into `out` in packB layout with depth
 * k = c*kh*kw. Padding columns of the last panel are zeroed.
 */
export function im2colPacked(x: Float32Array, xOff: number, g: ConvGeometry, n0: number, n1: number, out: Float32Array): void {
  // `| 0`: geometry may hold doubles; int32 keeps the loops on integer indices.
  const c = g.c | 0, h = g.h | 0, w = g.w | 0, kh = g.kh | 0, kw = g.kw | 0, sh = g.sh | 0, sw = g.sw | 0;
  const dh = g.dh | 0, dw = g.dw | 0, padT = g.padT | 0, padL = g.padL | 0, outW = g.outW | 0;
  xOff |= 0; n0 |= 0; n1 |= 0;
  // A local copy: an imported binding may compile to a getter call in the hot loops.
  const nr = NR;
  const depth = c * kh * kw;
  const hop = depth * nr - nr;
  const plane = h * w;
  const contiguous = kh === 1 && kw === 1 && sh === 1 && sw === 1 && padT === 0 && padL === 0 && outW === w;
  let k = 0;
  for (let ci = 0; ci < c; ci++) {
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++, k++) {
        let dst = k * nr;
        let j = 0;
        if (contiguous) {
          const src = xOff + ci * plane;
          for (let n = n0; n < n1; n++) {
            out[dst++] = x[src + n]!;
            if (++j === nr) { j = 0; dst += hop; }
          }
        } else {
          // Output columns ox in [oxLo, oxHi) read inside the row; the rest is padding.
          const ix0 = kx * dw - padL;
          const oxLo = Math.min(outW, Math.max(0, Math.ceil(-ix0 / sw)));
          const oxHi = Math.max(oxLo, Math.min(outW, Math.floor((w - 1 - ix0) / sw) + 1));
          let oy = Math.floor(n0 / outW);
          let ox = n0 - oy * outW;
          let n = n0;
          while (n < n1) {
            const end = Math.min(outW, ox + (n1 - n));
            n += end - ox;
            const iy = oy * sh + ky * dh - padT;
            if (iy < 0 || iy >= h) {
              for (; ox < end; ox++) {
                out[dst++] = 0;
                if (++j === nr) { j = 0; dst += hop; }
              }
            } else {
              const row = xOff + ci * plane + iy * w + ix0;
              const lo = Math.min(end, oxLo);
              const hi = Math.min(end, oxHi);
              for (; ox < lo; ox++) {
                out[dst++] = 0;
                if (++j === nr) { j = 0; dst += hop; }
              }
              for (; ox < hi; ox++) {
                out[dst++] = x[row + ox * sw]!;
                if (++j === nr) { j = 0; dst += hop; }
              }
              for (; ox < end; ox++) {
                out[dst++] = 0;
                if (++j === nr) { j = 0; dst += hop; }
              }
            }
            oy++;
            ox = 0;
          }
        }
        for (; j !== 0 && j < nr; j++) out[dst++] = 0;
      }
    }
  }
}
