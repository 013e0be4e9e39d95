/**
 * Emitters of the weighted ops (Conv, ConvTranspose, Dense, ChannelAffine). The
 * output stage comes from the engine's prepareLinearStage with the same weight
 * abs-sums as each reference kernel, so the aligned biases, shifts, range
 * multipliers, activation and the accumulator width are the reference's own.
 *
 * Storage: weights int8_t (wl <= 8) or int16_t (wl <= 16); aligned biases int32_t
 * when the accumulation runs in int32 (|b| <= bound < 2^31), else int64_t; ranges
 * int32_t (< 2^31); shifts int16_t (|shift| <= 4 * 64).
 */
import { transposeGeometry, windowGeometry } from '../../ir/padding.js';
import type { FxNode, FxWeights } from '../../engine/fx-graph.js';
import { nodeError } from '../../engine/kernels/ref/kernel.js';
import { prepareLinearStage, rowAbsSums, type LinearStage } from '../../engine/kernels/ref/linear-stage.js';
import { sizeOf } from '../../tensor.js';
import { affineKernel, convKernel, convTransposeKernel, denseKernel, type AccCType, type WeightCType } from './kernels-linear.js';
import { cAct, cInit, type DeclSink, type NodeEmitter } from './emit-context.js';

interface StageCode {
  readonly wt: WeightCType;
  readonly at: AccCType;
  /** Initializer of the fx_stage_t. */
  readonly init: string;
  readonly weights: string;
}

/** Declares the weight, bias, range and shift arrays of a weighted node. */
function emitStage(out: DeclSink, id: string, node: FxNode, w: FxWeights, stage: LinearStage): StageCode {
  const wt: WeightCType = w.wl <= 8 ? 'int8_t' : 'int16_t';
  const at: AccCType = stage.accum.width === 'int32' ? 'int32_t' : 'int64_t';
  const what = `'${node.name}' (${node.op})`;
  const weights = out.array(`fx_w_${id}`, wt, w.data, `${what} weights [${w.shape.join(', ')}], ${w.wl}-bit`);
  const hasBias = stage.bias.some((b) => b !== 0);
  const bias = hasBias ? out.array(`fx_b_${id}`, at, stage.bias, `${what} bias aligned to accumulator units`) : 'NULL';
  const range = stage.range === undefined ? 'NULL' : out.array(`fx_r_${id}`, 'int32_t', stage.range, `${what} range-adaptive multipliers`);
  for (const s of stage.shift) if (Math.abs(s) > 32767) throw nodeError(node, `output shift ${s} does not fit int16`);
  const shift = out.array(`fx_s_${id}`, 'int16_t', stage.shift, `${what} output shifts (negative: left)`);
  const init = cInit({ bias, range, shift, act: cAct(stage.st) });
  return { wt, at, init, weights };
}

function accOf(at: AccCType): 'int32' | 'int64' {
  return at === 'int32_t' ? 'int32' : 'int64';
}

export const emitConv: NodeEmitter<'Conv'> = ({ node, io, inShapes, outShape, inTypes, outType, id, out }) => {
  const { weights, bias, activation, group, strides, dilations } = node.attrs;
  const [m, cg, kh, kw] = weights.shape as [number, number, number, number];
  const stage = prepareLinearStage(node, weights, bias, activation, io.inFormats[0]!, io.outFormat, rowAbsSums(weights.data, m, cg * kh * kw));
  const s = emitStage(out, id, node, weights, stage);
  const [n, c, h, w] = inShapes[0] as [number, number, number, number];
  const [pt, pl] = windowGeometry(node.attrs, h, w).pads;
  const p = out.struct(
    `fx_p_${id}`,
    'fx_conv_t',
    cInit({
      n, c, h, w, m, oh: outShape[2]!, ow: outShape[3]!, kh, kw,
      sh: strides[0], sw: strides[1], dh: dilations[0], dw: dilations[1], pt, pl, group,
      weights: s.weights, st: s.init,
    }),
  );
  const k = convKernel(s.wt, s.at, inTypes[0]!, outType);
  return { kernels: [k], call: (ins, o) => `${k.name}(${p}, ${ins[0]}, ${o});`, acc: accOf(s.at) };
};

/** sum |w| feeding each output channel of a ConvTranspose (conv-transpose.ts absSums). */
function transposeAbsSums(w: FxWeights, group: number): Float64Array {
  const [c, mg, kh, kw] = w.shape as [number, number, number, number];
  const out = new Float64Array(group * mg);
  const cg = c / group;
  const taps = kh * kw;
  for (let ic = 0; ic < c; ic++) {
    const g = Math.floor(ic / cg);
    for (let j = 0; j < mg; j++) {
      let s = 0;
      for (let t = (ic * mg + j) * taps; t < (ic * mg + j + 1) * taps; t++) s += Math.abs(w.data[t]!);
      out[g * mg + j]! += s;
    }
  }
  return out;
}

export const emitConvTranspose: NodeEmitter<'ConvTranspose'> = ({ node, io, inShapes, outShape, inTypes, outType, id, out }) => {
  const { weights, bias, activation, group, strides, dilations } = node.attrs;
  const [, mg, kh, kw] = weights.shape as [number, number, number, number];
  const stage = prepareLinearStage(node, weights, bias, activation, io.inFormats[0]!, io.outFormat, transposeAbsSums(weights, group));
  const s = emitStage(out, id, node, weights, stage);
  const [n, c, h, w] = inShapes[0] as [number, number, number, number];
  const [pt, pl] = transposeGeometry(node.attrs, h, w).pads;
  const p = out.struct(
    `fx_p_${id}`,
    'fx_conv_t',
    cInit({
      n, c, h, w, m: mg * group, oh: outShape[2]!, ow: outShape[3]!, kh, kw,
      sh: strides[0], sw: strides[1], dh: dilations[0], dw: dilations[1], pt, pl, group,
      weights: s.weights, st: s.init,
    }),
  );
  const k = convTransposeKernel(s.wt, s.at, inTypes[0]!, outType);
  return { kernels: [k], call: (ins, o) => `${k.name}(${p}, ${ins[0]}, ${o});`, acc: accOf(s.at) };
};

export const emitDense: NodeEmitter<'Dense'> = ({ node, io, inShapes, inTypes, outType, id, out }) => {
  const { weights, bias, activation } = node.attrs;
  const [m, k] = weights.shape as [number, number];
  const stage = prepareLinearStage(node, weights, bias, activation, io.inFormats[0]!, io.outFormat, rowAbsSums(weights.data, m, k));
  const s = emitStage(out, id, node, weights, stage);
  const rows = sizeOf(inShapes[0]!.slice(0, -1));
  const p = out.struct(`fx_p_${id}`, 'fx_dense_t', cInit({ rows, k, m, weights: s.weights, st: s.init }));
  const fn = denseKernel(s.wt, s.at, inTypes[0]!, outType);
  return { kernels: [fn], call: (ins, o) => `${fn.name}(${p}, ${ins[0]}, ${o});`, acc: accOf(s.at) };
};

export const emitChannelAffine: NodeEmitter<'ChannelAffine'> = ({ node, io, inShapes, inTypes, outType, id, out }) => {
  const { weights, bias, activation } = node.attrs;
  const absSum = Float64Array.from(weights.data, (v) => Math.abs(v));
  const stage = prepareLinearStage(node, weights, bias, activation, io.inFormats[0]!, io.outFormat, absSum);
  const s = emitStage(out, id, node, weights, stage);
  const xs = inShapes[0]!;
  const p = out.struct(
    `fx_p_${id}`,
    'fx_affine_t',
    cInit({ n: xs[0] ?? 1, c: weights.data.length, inner: sizeOf(xs.slice(2)), weights: s.weights, st: s.init }),
  );
  const fn = affineKernel(s.wt, s.at, inTypes[0]!, outType);
  return { kernels: [fn], call: (ins, o) => `${fn.name}(${p}, ${ins[0]}, ${o});`, acc: accOf(s.at) };
};
