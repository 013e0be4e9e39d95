/**
 * AveragePool, integer reference. x [N, C, H, W] in Q(fi), y in Q(fo).
 *
 *   sum   = window sum over input cells (padding cells are 0)
 *   count = taps inside the input (countIncludePad false) or inside the padded input
 *           [-padBegin, size + padEnd) (true); ceil-mode overhang never counts
 *   y     = sat(floor(sum * 2^(fo-fi) / count + 1/2))          (round half up, exact)
 *
 * computed as floorDiv(2*sum*2^a + count*2^b, 2*count*2^b) with a = max(0, fo-fi),
 * b = max(0, fi-fo): a single exact rounding of the true mean, whatever count is.
 * Bound: 2*kH*kW*maxAbs(fi)*2^a + 3*kH*kW*2^b < 2^53 (checked at prepare), which
 * also makes floorDiv exact. An empty window (count 0) gives 0.
 */
import type { QFormat } from '../../../fixed/format.js';
import { qRange } from '../../../fixed/format.js';
import { pow2 } from '../../../fixed/pow2.js';
import { windowGeometry } from '../../../ir/padding.js';
import { accInfo, floorDiv, formatAt, inputAt, maxAbsOf, shapeAt, type AccInfo, type RefKernel, type NodeRef } from './kernel.js';

import { tapRanges } from './max-pool.js';

export interface MeanRounding {
  readonly pa: number;
  readonly pb: number;
  readonly qmin: number;
  readonly qmax: number;
  readonly acc: AccInfo;
}

/** Rounding division parameters for means of at most `cells` values of fi into fo. */
export function prepareMean(node: NodeRef, fi: QFormat, fo: QFormat, cells: number): MeanRounding {
  const pa = pow2(Math.max(0, fo.fl - fi.fl));
  const pb = pow2(Math.max(0, fi.fl - fo.fl));
  const acc = accInfo(node, 2 * cells * maxAbsOf(fi) * pa + 3 * cells * pb, 'window sum (scaled for rounding division)');
  const { qmin, qmax } = qRange(fo);
  return { pa, pb, qmin, qmax, acc };
}

/** sat(round-half-up(sum * 2^(fo-fi) / count)), exact (see prepareMean's bound). */
export function roundMean(r: MeanRounding, sum: number, count: number): number {
  if (count === 0) return 0;
  const den = count * r.pb;
  const y = floorDiv(2 * sum * r.pa + den, 2 * den);
  return y < r.qmin ? r.qmin : y > r.qmax ? r.qmax : y;
}

export const averagePoolRef: RefKernel<'AveragePool'> = (node, io) => {
  const [kh, kw] = node.attrs.kernel;
  const [sh, sw] = node.attrs.strides;
  const [dh, dw] = node.attrs.dilations;
  const mean = prepareMean(node, formatAt(node, io, 0), io.outFormat, kh * kw);
  return {
    acc: mean.acc,
    bind: (inShapes, outShape) => {
      const [n, c, h, w] = shapeAt(node, inShapes, 0) as [number, number, number, number];
      const [, , oh, ow] = outShape as [number, number, number, number];
      const [pt, pl, pb, pr] = windowGeometry(node.attrs, h, w).pads;
      const ry = tapRanges(oh, sh, pt, kh, dh, h);
      const rx = tapRanges(ow, sw, pl, kw, dw, w);
      // Divisors: with countIncludePad the taps inside [-pad, size + padEnd).
      const cy = node.attrs.countIncludePad ? tapRanges(oh, sh, 0, kh, dh, h + pt + pb) : ry;
      const cx = node.attrs.countIncludePad ? tapRanges(ow, sw, 0, kw, dw, w + pl + pr) : rx;
      const count = new Int32Array(oh * ow);
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) count[oy * ow + ox] = (cy[2 * oy + 1]! - cy[2 * oy]!) * (cx[2 * ox + 1]! - cx[2 * ox]!);
      }
      return {
        acc: mean.acc,
        run: (inputs, out) => {
          const x = inputAt(node, inputs, 0);
          let o = 0;
          for (let p = 0; p < n * c; p++) {
            const base = p * h * w;
            for (let oy = 0; oy < oh; oy++) {
              const y0 = oy * sh - pt;
              for (let ox = 0; ox < ow; ox++, o++) {
                const x0 = ox * sw - pl;
                let sum = 0;
                for (let ky = ry[2 * oy]!; ky < ry[2 * oy + 1]!; ky++) {
                  const row = base + (y0 + ky * dh) * w + x0;
                  for (let kx = rx[2 * ox]!; kx < rx[2 * ox + 1]!; kx++) sum += x[row + kx * dw]!;
                }
                out[o] = roundMean(mean, sum, count[oy * ow + ox]!);
              }
            }
          }
        },
      };
    },
  };
};
