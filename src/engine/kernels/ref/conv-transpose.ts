/**
 * ConvTranspose, integer reference (ONNX semantics). x [N, C, H, W] in Q(fx),
 * weights [C, M/group, kH, kW], y [N, M, OH, OW] in Q(fo); output channel
 * m = g*(M/group) + j reads weights [c, j] for the C/group inputs c of group g.
 * Rounding and bias/range handling: linear-stage.ts.
 *
 * Each input pixel (iy, ix) scatters x*w to output (iy*sh - pt + ky*dh, ...). An
 * output receives at most one product per (c, ky, kx), so its accumulator is
 * bounded by B[m] = sum over (c, ky, kx) of |w[c, j, ky, kx]| * maxAbs(fx) + |b[m]|,
 * proven at prepare (int32 loop when max B < 2^31, else exact doubles).
 */
import { transposeGeometry } from '../../../ir/padding.js';
import { validRange } from '../../geometry.js';
import { formatAt, inputAt, nodeError, shapeAt, type RefKernel } from './kernel.js';
import { finishRun, prepareLinearStage } from './linear-stage.js';

interface Tap {
  readonly ky: number;
  readonly kx: number;
  readonly iy0: number;
  readonly iy1: number;
  readonly ix0: number;
  readonly ix1: number;
}

function absSums(data: Int32Array, c: number, group: number, mg: number, taps: number): Float64Array {
  const out = new Float64Array(group * mg);
  const cg = c / group;
  for (let ic = 0; ic < c; ic++) {
    const g = Math.floor(ic / cg);
    for (let j = 0; j < mg; j++) {
      let s = 0;
      const base = (ic * mg + j) * taps;
      for (let t = 0; t < taps; t++) s += Math.abs(data[base + t]!);
      out[g * mg + j]! += s;
    }
  }
  return out;
}

/** acc[oy*OW + ox] += w * x[iy, ix] over the tap's valid inputs, int32 (bound < 2^31). */
function scatterI32(acc: Int32Array, x: Int32Array, w: number, t: Tap, xPlane: number, inW: number, outBase: number, outRow: number, sw: number): void {
  for (let iy = t.iy0; iy < t.iy1; iy++) {
    const ar = outBase + iy * outRow;
    const xr = xPlane + iy * inW;
    for (let ix = t.ix0; ix < t.ix1; ix++) acc[ar + ix * sw] = (acc[ar + ix * sw]! + Math.imul(w, x[xr + ix]!)) | 0;
  }
}

/** The same in exact doubles (bound < 2^53). */
function scatterF64(acc: Float64Array, x: Int32Array, w: number, t: Tap, xPlane: number, inW: number, outBase: number, outRow: number, sw: number): void {
  for (let iy = t.iy0; iy < t.iy1; iy++) {
    const ar = outBase + iy * outRow;
    const xr = xPlane + iy * inW;
    for (let ix = t.ix0; ix < t.ix1; ix++) acc[ar + ix * sw]! += w * x[xr + ix]!;
  }
}

export const convTransposeRef: RefKernel<'ConvTranspose'> = (node, io) => {
  const { weights, bias, activation, group, strides, dilations } = node.attrs;
  if (weights.shape.length !== 4) throw nodeError(node, `weights must be 4-D [C, M/group, kH, kW], got [${weights.shape.join(', ')}]`);
  const [c, mg, kh, kw] = weights.shape as [number, number, number, number];
  if (group < 1 || c % group !== 0) throw nodeError(node, `group ${group} does not divide ${c} input channels`);
  const m = mg * group;
  const stage = prepareLinearStage(node, weights, bias, activation, formatAt(node, io, 0), io.outFormat, absSums(weights.data, c, group, mg, kh * kw));
  const wide = stage.accum.width === 'wide';
  const [sh, sw] = strides;
  const [dh, dw] = dilations;
  return {
    acc: stage.acc,
    bind: (inShapes, outShape) => {
      const [n, , h, w] = shapeAt(node, inShapes, 0) as [number, number, number, number];
      const [, , oh, ow] = outShape as [number, number, number, number];
      const [pt, pl] = transposeGeometry(node.attrs, h, w).pads;
      const taps: Tap[] = [];
      for (let ky = 0; ky < kh; ky++) {
        const [iy0, iy1] = validRange(h, sh, ky * dh - pt, oh);
        for (let kx = 0; kx < kw; kx++) {
          const [ix0, ix1] = validRange(w, sw, kx * dw - pl, ow);
          taps.push({ ky, kx, iy0, iy1, ix0, ix1 });
        }
      }
      const cg = c / group;
      const plane = oh * ow;
      return {
        acc: stage.acc,
        run: (inputs, out) => {
          const x = inputAt(node, inputs, 0);
          const wd = weights.data;
          const acc = wide ? new Float64Array(plane) : new Int32Array(plane);
          for (let img = 0; img < n; img++) {
            for (let oc = 0; oc < m; oc++) {
              acc.fill(stage.bias[oc]!);
              const g = Math.floor(oc / mg);
              const j = oc - g * mg;
              for (let k = 0; k < cg; k++) {
                const ic = g * cg + k;
                const xPlane = (img * c + ic) * h * w;
                const wBase = (ic * mg + j) * kh * kw;
                for (const t of taps) {
                  const wv = wd[wBase + t.ky * kw + t.kx]!;
                  if (wv === 0) continue;
                  // Output (iy*sh + ky*dh - pt, ix*sw + kx*dw - pl).
                  const outBase = (t.ky * dh - pt) * ow + (t.kx * dw - pl);
                  if (acc instanceof Int32Array) scatterI32(acc, x, wv, t, xPlane, w, outBase, sh * ow, sw);
                  else scatterF64(acc, x, wv, t, xPlane, w, outBase, sh * ow, sw);
                }
              }
              finishRun(stage, oc, acc, 0, plane, out, (img * m + oc) * plane);
            }
          }
        },
      };
    },
  };
};
