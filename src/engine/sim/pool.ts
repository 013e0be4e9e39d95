/**
 * Simulation of the pools in real values.
 *   MaxPool / GlobalMaxPool: fq(max over the window's input cells); a window with
 *     no input cell is the lowest value of the output format.
 *   AveragePool / GlobalAveragePool: the real mean sum / count, rounded half up to
 *     the output grid by the exact rational rounding roundRatioHalfUp(sum * 2^fo,
 *     count), saturated. count: taps inside the input, or with countIncludePad the
 *     taps inside the padded input [-padBegin, size + padEnd); 0 taps give 0.
 * Windows are walked tap by tap with explicit bounds tests (no precomputed ranges).
 */
import type { QFormat } from '../../fixed/format.js';
import { qRange } from '../../fixed/format.js';
import { pow2 } from '../../fixed/pow2.js';
import { windowGeometry } from '../../ir/padding.js';
import type { PoolAttrs } from '../../ir/ops.js';
import { sizeOf } from '../../tensor.js';
import { fakeQuantAct, roundRatioHalfUp, saturateReal, type SimOp, type SimTensor } from './fake-quant.js';

function roundedMean(sum: number, count: number, fo: QFormat): number {
  if (count === 0) return 0;
  return saturateReal(roundRatioHalfUp(sum * pow2(fo.fl), count) * pow2(-fo.fl), fo);
}

function pool(attrs: PoolAttrs, x: SimTensor, outShape: readonly number[], fo: QFormat, mode: 'max' | 'avg', includePad: boolean): Float64Array {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [, , oh, ow] = outShape as [number, number, number, number];
  const [pt, pl, pb, pr] = windowGeometry(attrs, h, w).pads;
  const [kh, kw] = attrs.kernel;
  const [sh, sw] = attrs.strides;
  const [dh, dw] = attrs.dilations;
  const out = new Float64Array(sizeOf(outShape));
  const lowest = qRange(fo).qmin * pow2(-fo.fl);
  for (let p = 0; p < n * c; p++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        let max = -Infinity;
        let sum = 0;
        let inside = 0;
        let padded = 0;
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            const iy = oy * sh - pt + ky * dh;
            const ix = ox * sw - pl + kx * dw;
            if (iy >= -pt && iy < h + pb && ix >= -pl && ix < w + pr) padded++;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            const v = x.real[(p * h + iy) * w + ix]!;
            inside++;
            sum += v;
            if (v > max) max = v;
          }
        }
        const o = (p * oh + oy) * ow + ox;
        if (mode === 'max') out[o] = inside === 0 ? lowest : fakeQuantAct(max, fo);
        else out[o] = roundedMean(sum, includePad ? padded : inside, fo);
      }
    }
  }
  return out;
}

export const simMaxPool: SimOp<'MaxPool'> = (node, ins, outShape, fo) => pool(node.attrs, ins[0]!, outShape, fo, 'max', false);

export const simAveragePool: SimOp<'AveragePool'> = (node, ins, outShape, fo) =>
  pool(node.attrs, ins[0]!, outShape, fo, 'avg', node.attrs.countIncludePad);

function globalPool(x: SimTensor, fo: QFormat, mode: 'max' | 'avg'): Float64Array {
  const planes = (x.shape[0] ?? 1) * (x.shape[1] ?? 1);
  const size = sizeOf(x.shape.slice(2));
  const out = new Float64Array(planes);
  for (let p = 0; p < planes; p++) {
    const cells = x.real.subarray(p * size, (p + 1) * size);
    if (mode === 'max') out[p] = fakeQuantAct(cells.reduce((a, v) => Math.max(a, v), -Infinity), fo);
    else out[p] = roundedMean(cells.reduce((a, v) => a + v, 0), size, fo);
  }
  return out;
}

export const simGlobalMaxPool: SimOp<'GlobalMaxPool'> = (_node, ins, _outShape, fo) => globalPool(ins[0]!, fo, 'max');
export const simGlobalAveragePool: SimOp<'GlobalAveragePool'> = (_node, ins, _outShape, fo) => globalPool(ins[0]!, fo, 'avg');
