/**
 * Direct depthwise convolution (group = C, one input channel per group, any
 * channel multiplier). A GEMM would have depth kh*kw only, so the packing would
 * cost as much as the arithmetic; instead each tap is swept over the output plane
 * with the padding resolved per row, accumulating in a double-precision plane.
 */
import type { ConvGeometry } from './im2col.js';

/**
 * out[img, oc] = bias[oc] + sum over taps of w[oc, 0, ky, kx] * x[img, oc / mult]
 * at the tap's position, for `n` images of `c` channels; `g.c` must be 1.
 * `acc` is scratch of at least outH*outW doubles.
 */
export function depthwiseConv(
  x: Float32Array, w: Float32Array, bias: Float32Array | undefined,
  n: number, c: number, mult: number, g: ConvGeometry, out: Float32Array, acc: Float64Array,
): void {
  // `| 0`: geometry may hold doubles; int32 keeps the loops on integer indices.
  const h = g.h | 0, wd = g.w | 0, kh = g.kh | 0, kw = g.kw | 0, sh = g.sh | 0, sw = g.sw | 0;
  const dh = g.dh | 0, dw = g.dw | 0, padT = g.padT | 0, padL = g.padL | 0, outH = g.outH | 0, outW = g.outW | 0;
  n |= 0; c |= 0; mult |= 0;
  const plane = outH * outW;
  const m = c * mult;
  for (let img = 0; img < n; img++) {
    for (let oc = 0; oc < m; oc++) {
      const ci = Math.floor(oc / mult);
      const xPlane = (img * c + ci) * h * wd;
      acc.fill(bias === undefined ? 0 : bias[oc]!, 0, plane);
      for (let ky = 0; ky < kh; ky++) {
        for (let kx = 0; kx < kw; kx++) {
          const wv = w[(oc * kh + ky) * kw + kx]!;
          const ix0 = kx * dw - padL;
          const oxLo = Math.min(outW, Math.max(0, Math.ceil(-ix0 / sw)));
          const oxHi = Math.max(oxLo, Math.min(outW, Math.floor((wd - 1 - ix0) / sw) + 1));
          for (let oy = 0; oy < outH; oy++) {
            const iy = oy * sh + ky * dh - padT;
            if (iy < 0 || iy >= h) continue;
            const row = xPlane + iy * wd + ix0;
            const o = oy * outW;
            for (let ox = oxLo; ox < oxHi; ox++) acc[o + ox] = acc[o + ox]! + wv * x[row + ox * sw]!;
          }
        }
      }
      const base = (img * m + oc) * plane;
      for (let i = 0; i < plane; i++) out[base + i] = acc[i]!;
    }
  }
}
