/**
 * Conv, integer reference. x [N, C, H, W] in Q(fx), weights [M, C/group, kH, kW]
 * (integers, per-layer or per-output-channel fl, optional range), y [N, M, OH, OW]
 * in Q(fo). Rounding and bias/range handling: linear-stage.ts.
 *
 * Accumulator: acc[m] = b[m] + sum of x*w over the K = C/group*kH*kW taps of the
 * window; taps in the padding read 0. Its magnitude never exceeds
 * B[m] = sum|w[m]| * maxAbs(fx) + |b[m]|, proven at prepare; with max B < 2^31 the
 * product runs in int32 (Math.imul, |0), else in exact doubles (gemm-int.ts).
 *
 * Evaluation: per image and group, tiles of whole output rows (about TILE_PIXELS
 * pixels) are unfolded into an im2col tile [pixels][K] (zeros for padding taps)
 * and multiplied with the weight rows [M/group][K], which are already contiguous.
 */
import { windowGeometry } from '../../../ir/padding.js';
import { validRange } from '../../geometry.js';
import { gemmInt } from './gemm-int.js';
import { formatAt, inputAt, nodeError, shapeAt, type RefKernel } from './kernel.js';
import { finishRun, prepareLinearStage, rowAbsSums } from './linear-stage.js';

const TILE_PIXELS = 256;

interface Unfold {
  readonly c: number;
  readonly h: number;
  readonly w: number;
  readonly cg: number;
  readonly kh: number;
  readonly kw: number;
  readonly ow: number;
  readonly sh: number;
  readonly sw: number;
  readonly dh: number;
  readonly dw: number;
  readonly pt: number;
  readonly pl: number;
  /** Valid output column range [lo, hi) per kx (input column inside the image). */
  readonly cols: Int32Array;
}

/** col[(oy - oy0)*OW + ox][(ic*kH + ky)*kW + kx] = x[img, g*cg + ic, iy, ix], 0 outside the input. */
function im2colRows(u: Unfold, x: Int32Array, img: number, g: number, oy0: number, oy1: number, col: Int32Array): void {
  const k = u.cg * u.kh * u.kw;
  for (let ic = 0; ic < u.cg; ic++) {
    const xPlane = (img * u.c + g * u.cg + ic) * u.h * u.w;
    for (let ky = 0; ky < u.kh; ky++) {
      for (let kx = 0; kx < u.kw; kx++) {
        const kk = (ic * u.kh + ky) * u.kw + kx;
        const lo = u.cols[2 * kx]!;
        const hi = u.cols[2 * kx + 1]!;
        const xCol = kx * u.dw - u.pl;
        for (let oy = oy0; oy < oy1; oy++) {
          const iy = oy * u.sh - u.pt + ky * u.dh;
          const p = (oy - oy0) * u.ow * k + kk;
          if (iy < 0 || iy >= u.h) {
            for (let ox = 0; ox < u.ow; ox++) col[p + ox * k] = 0;
            continue;
          }
          const xr = xPlane + iy * u.w + xCol;
          for (let ox = 0; ox < lo; ox++) col[p + ox * k] = 0;
          for (let ox = lo; ox < hi; ox++) col[p + ox * k] = x[xr + ox * u.sw]!;
          for (let ox = hi; ox < u.ow; ox++) col[p + ox * k] = 0;
        }
      }
    }
  }
}

export const convRef: RefKernel<'Conv'> = (node, io) => {
  const { weights, bias, activation, group, strides, dilations } = node.attrs;
  if (weights.shape.length !== 4) throw nodeError(node, `weights must be 4-D [M, C/group, kH, kW], got [${weights.shape.join(', ')}]`);
  const [m, cg, kh, kw] = weights.shape as [number, number, number, number];
  if (group < 1 || m % group !== 0) throw nodeError(node, `group ${group} does not divide ${m} output channels`);
  const k = cg * kh * kw;
  const stage = prepareLinearStage(node, weights, bias, activation, formatAt(node, io, 0), io.outFormat, rowAbsSums(weights.data, m, k));
  const wide = stage.accum.width === 'wide';
  const mg = m / group;
  return {
    acc: stage.acc,
    bind: (inShapes, outShape) => {
      const [n, c, h, w] = shapeAt(node, inShapes, 0) as [number, number, number, number];
      const [, , oh, ow] = outShape as [number, number, number, number];
      const [pt, pl] = windowGeometry(node.attrs, h, w).pads;
      const cols = new Int32Array(2 * kw);
      for (let kx = 0; kx < kw; kx++) {
        const [lo, hi] = validRange(ow, strides[1], kx * dilations[1] - pl, w);
        cols[2 * kx] = lo;
        cols[2 * kx + 1] = hi;
      }
      const u: Unfold = { c, h, w, cg, kh, kw, ow, sh: strides[0], sw: strides[1], dh: dilations[0], dw: dilations[1], pt, pl, cols };
      const tileRows = Math.max(1, Math.min(oh, Math.floor(TILE_PIXELS / ow)));
      const plane = oh * ow;
      return {
        acc: stage.acc,
        run: (inputs, out) => {
          const x = inputAt(node, inputs, 0);
          const col = new Int32Array(tileRows * ow * k);
          const acc = wide ? new Float64Array(mg * tileRows * ow) : new Int32Array(mg * tileRows * ow);
          for (let img = 0; img < n; img++) {
            for (let g = 0; g < group; g++) {
              const wg = weights.data.subarray(g * mg * k, (g + 1) * mg * k);
              const bg = stage.bias.subarray(g * mg, (g + 1) * mg);
              for (let oy0 = 0; oy0 < oh; oy0 += tileRows) {
                const oy1 = Math.min(oh, oy0 + tileRows);
                const tp = (oy1 - oy0) * ow;
                im2colRows(u, x, img, g, oy0, oy1, col);
                gemmInt(wg, k, mg, col, tp, bg, acc, tp);
                for (let j = 0; j < mg; j++) {
                  const oc = g * mg + j;
                  finishRun(stage, oc, acc, j * tp, tp, out, (img * m + oc) * plane + oy0 * ow);
                }
              }
            }
          }
        },
      };
    },
  };
};
