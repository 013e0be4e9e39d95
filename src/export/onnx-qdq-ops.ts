/**
 * The ONNX (opset 21) form of every fixed-point op, for the QDQ exporter
 * (onnx-qdq.ts). An emitter reads its operands as float tensors (each the
 * DequantizeLinear of a value), adds the float op with its fused activation, and
 * returns the float result; the exporter then quantizes it to the output value's
 * format. Quantities stored as output-format integers (Clip bounds, Pad's value)
 * become reals here: q * 2^-fl.
 */
import { pow2 } from '../fixed/pow2.js';
import type { FxActivation, FxBias, FxGraph, FxNodeOf, FxOpType, FxWeights } from '../engine/fx-graph.js';
import type { QFormat } from '../fixed/format.js';
import type { Dim } from '../ir/graph.js';
import type { AutoPad, Pads4, Pair } from '../ir/ops.js';
import { windowGeometry } from '../ir/padding.js';
import { padChannelsProblem } from '../ir/shape.js';
import type { FxpError } from '../errors.js';
import { OnnxType, type OnnxAttr, type OnnxWriter } from './onnx-qdq-writer.js';

/** What an emitter may use (implemented by the exporter). */
export interface QdqContext {
  readonly w: OnnxWriter;
  readonly fx: FxGraph;
  /** The float tensor of a value id. */
  value(id: number): string;
  shape(id: number): readonly Dim[];
  format(id: number): QFormat;
  rank(id: number): number;
  /** A tensor name hint under the current node's name. */
  hint(suffix: string): string;
  floats(suffix: string, dims: readonly number[], data: readonly number[]): string;
  int64s(suffix: string, data: readonly number[]): string;
  /** DequantizeLinear of the integer weights (per-channel along `axis` where the formats are). */
  weights(w: FxWeights, axis: number, dims?: readonly number[]): string;
  bias(w: FxWeights, bias: FxBias | undefined, x: QFormat, channels: number, dims?: readonly number[]): string | undefined;
  activation(act: FxActivation | undefined, x: string, fo: QFormat): string;
  clip(x: string, lo: number, hi: number, f: QFormat): string;
  /** x through QuantizeLinear/DequantizeLinear in format f; `grid` as in ONNX_QDQ_GRIDS. */
  qdq(x: string, f: QFormat, hint: string, grid?: number): string;
  error(message: string): FxpError;
}

type Emit<K extends FxOpType> = (node: FxNodeOf<K>, ctx: QdqContext) => string;

interface Window {
  readonly kernel: Pair;
  readonly strides: Pair;
  readonly dilations: Pair;
  readonly pads: Pads4;
  readonly autoPad: AutoPad;
}

/**
 * ONNX window attributes of Conv and the pools; the IR's pads [top, left, bottom,
 * right] are ONNX's [x1_begin, x2_begin, x1_end, x2_end]. Automatic padding is
 * resolved to explicit pads by ir/padding.ts where the input's H and W are static
 * (onnxruntime rejects SAME with dilations, and pools with it differently), else
 * passed on as auto_pad.
 */
function windowAttrs(a: Window, input: readonly Dim[]): Record<string, OnnxAttr> {
  const common = { kernel_shape: [...a.kernel], strides: [...a.strides], dilations: [...a.dilations] };
  if (a.autoPad === 'NOTSET') return { ...common, pads: [...a.pads] };
  const [h, w] = [input[2], input[3]];
  if (typeof h !== 'number' || typeof w !== 'number') return { ...common, auto_pad: a.autoPad };
  return { ...common, pads: [...windowGeometry(a, h, w).pads] };
}

/**
 * ConvTranspose keeps ONNX's own auto_pad: its SAME output size (input * stride) can
 * exceed what any explicit non-negative pads give, and the IR follows ONNX there.
 */
function transposeAttrs(a: Window & { readonly outputPadding: Pair }): Record<string, OnnxAttr> {
  const common = { kernel_shape: [...a.kernel], strides: [...a.strides], dilations: [...a.dilations], output_padding: [...a.outputPadding] };
  return a.autoPad === 'NOTSET' ? { ...common, pads: [...a.pads] } : { ...common, auto_pad: a.autoPad };
}

/** Operands without the missing optional ones at the end. */
function operands(...names: (string | undefined)[]): string[] {
  const out = names.map((n) => n ?? '');
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

const x0 = (n: { inputs: readonly number[] }, ctx: QdqContext): string => ctx.value(n.inputs[0]!);
const outFormat = (n: { outputs: readonly number[] }, ctx: QdqContext): QFormat => ctx.format(n.outputs[0]!);

const conv: Emit<'Conv'> = (n, ctx) => {
  const a = n.attrs;
  const fx = ctx.format(n.inputs[0]!);
  const m = a.weights.shape[0]!;
  const y = ctx.w.node('Conv', operands(x0(n, ctx), ctx.weights(a.weights, 0), ctx.bias(a.weights, a.bias, fx, m)), ctx.hint('conv'), { ...windowAttrs(a, ctx.shape(n.inputs[0]!)), group: a.group });
  return ctx.activation(a.activation, y, outFormat(n, ctx));
};

/** Weights [C, M/group, kH, kW]: output channels lie along axis 1 only when group = 1. */
const convTranspose: Emit<'ConvTranspose'> = (n, ctx) => {
  const a = n.attrs;
  const fx = ctx.format(n.inputs[0]!);
  const m = a.weights.shape[1]! * a.group;
  if (a.weights.fl.length > 1 && a.group > 1) throw ctx.error(`per-channel weight formats with group ${a.group} have no ONNX DequantizeLinear axis`);
  const attrs = { ...transposeAttrs(a), group: a.group };
  const y = ctx.w.node('ConvTranspose', operands(x0(n, ctx), ctx.weights(a.weights, 1), ctx.bias(a.weights, a.bias, fx, m)), ctx.hint('conv_transpose'), attrs);
  return ctx.activation(a.activation, y, outFormat(n, ctx));
};

/**
 * Weights [M, K]: Gemm (transB). An input [N, d1, ..., K] with static d1.. is reshaped
 * to [N * d1 * ..., K] around the Gemm, each reshaped tensor with its own Q/DQ in the
 * format of the values it holds (exact: a reshape moves integers); with dynamic inner
 * dims the integer weights are stored transposed, [K, M] (per-channel scales then along
 * axis 1), for MatMul and Add. (onnxruntime 1.30's optimizer breaks on MatMul + Add over
 * rank-3 int8 QDQ inputs, and on QDQ it must propagate itself through a Reshape.)
 */
const dense: Emit<'Dense'> = (n, ctx) => {
  const a = n.attrs;
  const fx = ctx.format(n.inputs[0]!);
  const [m = 0, k = 0] = a.weights.shape;
  const b = ctx.bias(a.weights, a.bias, fx, m);
  const shape = ctx.shape(n.inputs[0]!);
  const inner = shape.slice(1, -1);
  let y: string;
  if (shape.length === 2) {
    y = ctx.w.node('Gemm', operands(x0(n, ctx), ctx.weights(a.weights, 0), b), ctx.hint('gemm'), { transB: 1 });
  } else if (inner.every((d): d is number => typeof d === 'number')) {
    const rows = ctx.qdq(ctx.w.node('Reshape', [x0(n, ctx), ctx.int64s('rows', [-1, k])], ctx.hint('rows')), fx, ctx.hint('rows'));
    const gemm = ctx.w.node('Gemm', operands(rows, ctx.weights(a.weights, 0), b), ctx.hint('gemm'), { transB: 1 });
    const fo = outFormat(n, ctx);
    const out = ctx.qdq(ctx.activation(a.activation, gemm, fo), fo, ctx.hint('gemm_out'), weightedGrid(n.inputs[0]!, a.weights, ctx));
    return ctx.w.node('Reshape', [out, ctx.int64s('unrows', [-1, ...inner, m])], ctx.hint('unrows'));
  } else {
    const data = new Int32Array(m * k);
    for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) data[j * m + i] = a.weights.data[i * k + j]!;
    const mm = ctx.w.node('MatMul', [x0(n, ctx), ctx.weights({ ...a.weights, shape: [k, m], data }, 1)], ctx.hint('matmul'));
    y = b === undefined ? mm : ctx.w.node('Add', [mm, b], ctx.hint('add_bias'));
  }
  return ctx.activation(a.activation, y, outFormat(n, ctx));
};

/** y = x * scale[c] + bias[c] over dim 1: the [C] parameters are shaped [C, 1, ...] to broadcast against NC... */
const channelAffine: Emit<'ChannelAffine'> = (n, ctx) => {
  const a = n.attrs;
  const fx = ctx.format(n.inputs[0]!);
  const c = a.weights.shape[0]!;
  const rank = ctx.rank(n.inputs[0]!);
  if (rank < 2) throw ctx.error(`input rank ${rank}: ChannelAffine needs [N, C, ...]`);
  const dims = [c, ...new Array<number>(rank - 2).fill(1)];
  const scaled = ctx.w.node('Mul', [x0(n, ctx), ctx.weights(a.weights, 0, dims)], ctx.hint('scale'));
  const b = ctx.bias(a.weights, a.bias, fx, c, dims);
  const y = b === undefined ? scaled : ctx.w.node('Add', [scaled, b], ctx.hint('add_bias'));
  return ctx.activation(a.activation, y, outFormat(n, ctx));
};

/**
 * ONNX Pad has one scalar constant_value. Per-channel constants p_c (channelValues,
 * reals v_c * 2^-fi): Sub the [1, C, 1, ...] constant p from the input, Pad with 0,
 * Add p back. Exact in float32: x and p are integers below 2^16 times 2^-fi, so
 * x - p (below 2^17 of them) and (x - p) + p are too, and 0 + p = p.
 */
const pad: Emit<'Pad'> = (n, ctx) => {
  const a = n.attrs;
  const fi = ctx.format(n.inputs[0]!);
  const pads = ctx.int64s('pads', a.pads);
  if (a.channelValues === undefined) {
    const value = ctx.w.scalar(ctx.hint('pad_value'), OnnxType.FLOAT, a.value * pow2(-fi.fl));
    return ctx.w.node('Pad', [x0(n, ctx), pads, value], ctx.hint('pad'), { mode: a.mode });
  }
  const shape = ctx.shape(n.inputs[0]!);
  const c = a.channelValues.length;
  // A channel dim that is not static ('?') was checked by the engine's shape rules.
  const problem = padChannelsProblem(a, shape);
  if (problem !== undefined) throw ctx.error(problem);
  const p = ctx.floats('pad_channel_values', [1, c, ...new Array<number>(shape.length - 2).fill(1)], a.channelValues.map((v) => v * pow2(-fi.fl)));
  const shifted = ctx.w.node('Sub', [x0(n, ctx), p], ctx.hint('pad_sub'));
  const padded = ctx.w.node('Pad', [shifted, pads], ctx.hint('pad'), { mode: 'constant' });
  return ctx.w.node('Add', [padded, p], ctx.hint('pad_add'));
};

/** An ONNX op of the same name and no attributes on the single operand. */
const unary =
  (op: string) =>
  <K extends FxOpType>(n: FxNodeOf<K>, ctx: QdqContext): string =>
    ctx.w.node(op, [x0(n, ctx)], ctx.hint(op.toLowerCase()));

/** Requantize and Identity: the output value's Q/DQ does the whole work. */
const passThrough = <K extends FxOpType>(n: FxNodeOf<K>, ctx: QdqContext): string => x0(n, ctx);

export const ONNX_QDQ_EMITTERS = {
  Conv: conv,
  ConvTranspose: convTranspose,
  Dense: dense,
  ChannelAffine: channelAffine,
  Add: (n, ctx) => ctx.activation(n.attrs.activation, ctx.w.node('Add', n.inputs.map((id) => ctx.value(id)), ctx.hint('add')), outFormat(n, ctx)),
  Mul: (n, ctx) => ctx.w.node('Mul', n.inputs.map((id) => ctx.value(id)), ctx.hint('mul')),
  Concat: (n, ctx) => ctx.w.node('Concat', n.inputs.map((id) => ctx.value(id)), ctx.hint('concat'), { axis: n.attrs.axis }),
  MaxPool: (n, ctx) => ctx.w.node('MaxPool', [x0(n, ctx)], ctx.hint('max_pool'), { ...windowAttrs(n.attrs, ctx.shape(n.inputs[0]!)), ceil_mode: n.attrs.ceilMode ? 1 : 0 }),
  AveragePool: (n, ctx) =>
    ctx.w.node('AveragePool', [x0(n, ctx)], ctx.hint('average_pool'), {
      ...windowAttrs(n.attrs, ctx.shape(n.inputs[0]!)),
      ceil_mode: n.attrs.ceilMode ? 1 : 0,
      count_include_pad: n.attrs.countIncludePad ? 1 : 0,
    }),
  GlobalMaxPool: unary('GlobalMaxPool'),
  GlobalAveragePool: unary('GlobalAveragePool'),
  Relu: unary('Relu'),
  Clip: (n, ctx) => ctx.clip(x0(n, ctx), n.attrs.lo, n.attrs.hi, outFormat(n, ctx)),
  LeakyRelu: (n, ctx) => ctx.w.node('LeakyRelu', [x0(n, ctx)], ctx.hint('leaky_relu'), { alpha: { float: n.attrs.m * pow2(-n.attrs.shift) } }),
  Sigmoid: unary('Sigmoid'),
  Tanh: unary('Tanh'),
  Softmax: (n, ctx) => ctx.w.node('Softmax', [x0(n, ctx)], ctx.hint('softmax'), { axis: n.attrs.axis }),
  Flatten: (n, ctx) => ctx.w.node('Flatten', [x0(n, ctx)], ctx.hint('flatten'), { axis: n.attrs.axis }),
  Reshape: (n, ctx) => ctx.w.node('Reshape', [x0(n, ctx), ctx.int64s('shape', n.attrs.shape)], ctx.hint('reshape')),
  Transpose: (n, ctx) => ctx.w.node('Transpose', [x0(n, ctx)], ctx.hint('transpose'), { perm: [...n.attrs.perm] }),
  Pad: pad,
  DepthToSpace: (n, ctx) => ctx.w.node('DepthToSpace', [x0(n, ctx)], ctx.hint('depth_to_space'), { blocksize: n.attrs.blocksize, mode: n.attrs.mode }),
  Resize: (n, ctx) => {
    const a = n.attrs;
    const sizing = a.sizes !== undefined ? ['', '', ctx.int64s('sizes', a.sizes)] : ['', ctx.floats('scales', [a.scales.length], a.scales)];
    return ctx.w.node('Resize', [x0(n, ctx), ...sizing], ctx.hint('resize'), {
      mode: 'nearest',
      coordinate_transformation_mode: a.coordinateMode,
      nearest_mode: a.nearestMode,
    });
  },
  Requantize: passThrough,
  Identity: passThrough,
} satisfies { [K in FxOpType]: Emit<K> };

type Grid<K extends FxOpType> = (node: FxNodeOf<K>, ctx: QdqContext) => number | undefined;

/** fl of the finest input: what data movement, max and add results are multiples of. */
const finestInput = <K extends FxOpType>(n: FxNodeOf<K>, ctx: QdqContext): number => Math.max(...n.inputs.map((id) => ctx.format(id).fl));

/** Accumulator grid of a weighted op: fx + max fl[c] (+ rangeFl); the bias is aligned to it. */
function weightedGrid(input: number, w: FxWeights, ctx: QdqContext): number {
  return ctx.format(input).fl + Math.max(...w.fl) + (w.range?.fl ?? 0);
}

/**
 * For the half-up rounding mode: G such that the op's exact float result is a
 * multiple of 2^-G, or undefined where it is not on a grid (averages, tables, float
 * nonlinearities, LeakyRelu's product), which keep ONNX's rounding.
 */
export const ONNX_QDQ_GRIDS = {
  Conv: (n, ctx) => weightedGrid(n.inputs[0]!, n.attrs.weights, ctx),
  ConvTranspose: (n, ctx) => weightedGrid(n.inputs[0]!, n.attrs.weights, ctx),
  Dense: (n, ctx) => weightedGrid(n.inputs[0]!, n.attrs.weights, ctx),
  ChannelAffine: (n, ctx) => weightedGrid(n.inputs[0]!, n.attrs.weights, ctx),
  Add: (n, ctx) => (n.attrs.activation?.kind === 'LeakyRelu' ? undefined : finestInput(n, ctx)),
  Mul: (n, ctx) => ctx.format(n.inputs[0]!).fl + ctx.format(n.inputs[1]!).fl,
  Concat: finestInput,
  MaxPool: finestInput,
  AveragePool: () => undefined,
  GlobalMaxPool: finestInput,
  GlobalAveragePool: () => undefined,
  Relu: finestInput,
  Clip: finestInput,
  LeakyRelu: () => undefined,
  Sigmoid: () => undefined,
  Tanh: () => undefined,
  Softmax: () => undefined,
  Flatten: finestInput,
  Reshape: finestInput,
  Transpose: finestInput,
  Pad: finestInput,
  DepthToSpace: finestInput,
  Resize: finestInput,
  Requantize: finestInput,
  Identity: finestInput,
} satisfies { [K in FxOpType]: Grid<K> };
