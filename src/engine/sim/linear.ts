/**
 * Simulation of the weighted ops in real values. Weights are dequantized,
 * w = q * 2^-fl[c] (* range[c] * 2^-rangeFl for range-adaptive weights); the
 * output is y = sum x * w + b, fake-quantized to the output format with the fused
 * activation (fake-quant.ts).
 *
 * Bias, mirrored in real terms: a 'format' bias b * 2^-fb is first quantized to the
 * accumulator grid 2^-(fx + fl[c]) (the engine's rounding alignment), then scaled
 * by the range; an 'accumulator' bias already is b * 2^-(fx + fl[c]) (times range).
 *
 * Loops are direct and naive (one output at a time, window bounds tested per tap):
 * an implementation independent of the engine's im2col/GEMM and scatter kernels.
 */
import type { QFormat } from '../../fixed/format.js';
import { pow2, roundHalfUp } from '../../fixed/pow2.js';
import { transposeGeometry, windowGeometry } from '../../ir/padding.js';
import { sizeOf } from '../../tensor.js';
import type { FxBias, FxWeights } from '../fx-graph.js';
import { fakeQuantAct, type SimOp, type SimTensor } from './fake-quant.js';

/** Real scale of output channel c's weights: 2^-fl[c] (* range[c] * 2^-rangeFl). */
function channelScale(w: FxWeights, c: number): number {
  const fl = w.fl.length === 1 ? w.fl[0]! : w.fl[c]!;
  if (w.range === undefined) return pow2(-fl);
  const r = w.range.data.length === 1 ? w.range.data[0]! : w.range.data[c]!;
  return pow2(-fl) * r * pow2(-w.range.fl);
}

/** Dequantized weights; `channelOf(i)` is the output channel of weight element i. */
function realWeights(w: FxWeights, channelOf: (i: number) => number): Float64Array {
  return Float64Array.from(w.data, (q, i) => q * channelScale(w, channelOf(i)));
}

/** Real bias of each output channel, as the engine adds it (see the file comment). */
function realBias(w: FxWeights, bias: FxBias | undefined, fx: QFormat, channels: number): Float64Array {
  const out = new Float64Array(channels);
  if (bias === undefined) return out;
  for (let c = 0; c < channels; c++) {
    const accFl = fx.fl + (w.fl.length === 1 ? w.fl[0]! : w.fl[c]!);
    const rangeScale = channelScale(w, c) * pow2(w.fl.length === 1 ? w.fl[0]! : w.fl[c]!);
    const b = bias.data[c]!;
    const onGrid = bias.kind === 'format' ? roundHalfUp(b * pow2(-bias.format.fl) * pow2(accFl)) : b;
    out[c] = onGrid * pow2(-accFl) * rangeScale;
  }
  return out;
}

function input(ins: readonly SimTensor[]): SimTensor {
  return ins[0]!;
}

export const simConv: SimOp<'Conv'> = (node, ins, outShape, fo) => {
  const x = input(ins);
  const { weights: wq, bias, activation, group } = node.attrs;
  const [m, cg, kh, kw] = wq.shape as [number, number, number, number];
  const per = cg * kh * kw;
  const w = realWeights(wq, (i) => Math.floor(i / per));
  const b = realBias(wq, bias, x.format, m);
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [, , oh, ow] = outShape as [number, number, number, number];
  const [pt, pl] = windowGeometry(node.attrs, h, wd).pads;
  const [sh, sw] = node.attrs.strides;
  const [dh, dw] = node.attrs.dilations;
  const mg = m / group;
  const out = new Float64Array(sizeOf(outShape));
  for (let img = 0; img < n; img++) {
    for (let oc = 0; oc < m; oc++) {
      const g = Math.floor(oc / mg);
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          let y = b[oc]!;
          for (let ic = 0; ic < cg; ic++) {
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * sh - pt + ky * dh;
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * sw - pl + kx * dw;
                if (ix < 0 || ix >= wd) continue;
                y += x.real[((img * c + g * cg + ic) * h + iy) * wd + ix]! * w[((oc * cg + ic) * kh + ky) * kw + kx]!;
              }
            }
          }
          out[((img * m + oc) * oh + oy) * ow + ox] = fakeQuantAct(y, fo, activation);
        }
      }
    }
  }
  return out;
};

export const simConvTranspose: SimOp<'ConvTranspose'> = (node, ins, outShape, fo) => {
  const x = input(ins);
  const { weights: wq, bias, activation, group } = node.attrs;
  const [c, mg, kh, kw] = wq.shape as [number, number, number, number];
  const cg = c / group;
  const m = mg * group;
  // Weight [ic, j, ky, kx] feeds output channel (group of ic) * mg + j.
  const w = realWeights(wq, (i) => Math.floor(Math.floor(i / (mg * kh * kw)) / cg) * mg + (Math.floor(i / (kh * kw)) % mg));
  const b = realBias(wq, bias, x.format, m);
  const [n, , h, wd] = x.shape as [number, number, number, number];
  const [, , oh, ow] = outShape as [number, number, number, number];
  const [pt, pl] = transposeGeometry(node.attrs, h, wd).pads;
  const [sh, sw] = node.attrs.strides;
  const [dh, dw] = node.attrs.dilations;
  const out = new Float64Array(sizeOf(outShape));
  for (let img = 0; img < n; img++) {
    for (let oc = 0; oc < m; oc++) {
      const g = Math.floor(oc / mg);
      const j = oc % mg;
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          // Gather form: output (oy, ox) receives input (iy, ix) when oy = iy*sh - pt + ky*dh.
          let y = b[oc]!;
          for (let k = 0; k < cg; k++) {
            const ic = g * cg + k;
            for (let ky = 0; ky < kh; ky++) {
              const ty = oy + pt - ky * dh;
              if (ty < 0 || ty % sh !== 0 || ty / sh >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const tx = ox + pl - kx * dw;
                if (tx < 0 || tx % sw !== 0 || tx / sw >= wd) continue;
                y += x.real[((img * c + ic) * h + ty / sh) * wd + tx / sw]! * w[((ic * mg + j) * kh + ky) * kw + kx]!;
              }
            }
          }
          out[((img * m + oc) * oh + oy) * ow + ox] = fakeQuantAct(y, fo, activation);
        }
      }
    }
  }
  return out;
};

export const simDense: SimOp<'Dense'> = (node, ins, outShape, fo) => {
  const x = input(ins);
  const { weights: wq, bias, activation } = node.attrs;
  const [m, k] = wq.shape as [number, number];
  const w = realWeights(wq, (i) => Math.floor(i / k));
  const b = realBias(wq, bias, x.format, m);
  const rows = sizeOf(x.shape) / k;
  const out = new Float64Array(sizeOf(outShape));
  for (let r = 0; r < rows; r++) {
    for (let oc = 0; oc < m; oc++) {
      let y = b[oc]!;
      for (let i = 0; i < k; i++) y += x.real[r * k + i]! * w[oc * k + i]!;
      out[r * m + oc] = fakeQuantAct(y, fo, activation);
    }
  }
  return out;
};

export const simChannelAffine: SimOp<'ChannelAffine'> = (node, ins, outShape, fo) => {
  const x = input(ins);
  const { weights: wq, bias, activation } = node.attrs;
  const c = wq.data.length;
  const w = realWeights(wq, (i) => i);
  const b = realBias(wq, bias, x.format, c);
  const inner = sizeOf(x.shape.slice(2));
  const out = new Float64Array(sizeOf(outShape));
  for (let i = 0; i < out.length; i++) {
    const ch = Math.floor(i / inner) % c;
    out[i] = fakeQuantAct(x.real[i]! * w[ch]! + b[ch]!, fo, activation);
  }
  return out;
};
