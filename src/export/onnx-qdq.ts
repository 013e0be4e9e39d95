/**
 * Export of a fixed-point graph to ONNX in the QDQ form (opset 21), runnable by
 * onnxruntime and other ONNX tools:
 *
 *   every value v of format Q(s, wl, fl) is  DequantizeLinear(QuantizeLinear(x, 2^-fl, 0), 2^-fl, 0)
 *   stored as int8/uint8 (wl <= 8) or int16/uint16 (wl <= 16); a word length below the
 *   container's gets a Clip to [qmin, qmax] * 2^-fl first, so Q gives exactly the
 *   format's saturation. Every activation scale is a power of two, zero points are 0.
 *   weights  int8/int16 initializers through DequantizeLinear, scale 2^-fl per layer or
 *            per output channel (axis); range-adaptive weights fold range[c] * 2^-rangeFl
 *            into the channel scale (exact in float32 for ranges below 2^24; not a power
 *            of two: that is the method).
 *   biases   the engine's aligned bias (integers in accumulator units, linear-stage.ts)
 *            as int32 through DequantizeLinear with scale 2^-fx * weight scale[c], the
 *            QDQ convention that lets runtimes fuse Conv/Gemm into integer kernels; a bias
 *            beyond int32 stays a float initializer.
 *   ops      the float ONNX op on dequantized operands, its fused activation, then the
 *            output value's Q/DQ (table in onnx-qdq-ops.ts). Requantize and Identity are
 *            a Q/DQ pair on their input.
 *
 * What differs from the integer engine (why agreement is measured, not promised):
 * QuantizeLinear rounds half to even, the contract rounds half up; float ops round
 * where the engine is exact (large accumulators, AveragePool division), and Sigmoid,
 * Tanh, Softmax and LeakyRelu are computed in float instead of from the stored tables
 * and integer steps. The graph input is float; its QuantizeLinear is the engine's
 * quantizeInput up to ties.
 */
import { FxpError } from '../errors.js';
import { qRange, type QFormat } from '../fixed/format.js';
import { pow2 } from '../fixed/pow2.js';
import { roundShift } from '../fixed/shift.js';
import type { FxActivation, FxBias, FxGraph, FxNodeOf, FxOpType, FxWeights } from '../engine/fx-graph.js';
import type { Dim } from '../ir/graph.js';
import { inferFxShapes } from '../engine/shapes.js';
import { verifyFxGraph } from './fxp-verify.js';
import { ONNX_QDQ_EMITTERS, ONNX_QDQ_GRIDS, type QdqContext } from './onnx-qdq-ops.js';
import { OnnxType, OnnxWriter, type OnnxElemType } from './onnx-qdq-writer.js';

export const ONNX_QDQ_OPSET = 21;
/** The IR version that goes with opset 21. */
const IR_VERSION = 10;
const INT32_MAX = 2 ** 31 - 1;

/**
 * 'even': plain QDQ; QuantizeLinear rounds ties to even (ONNX).
 * 'half-up': before a QuantizeLinear whose input is an exact multiple of 2^-G with
 * G > fl (ONNX_QDQ_GRIDS), add 2^-(G+1): no tie is left, ties of the contract go up,
 * nothing else moves, so the rounding is the contract's floor(x * 2^fl + 1/2). Exact
 * wherever the float result is exact; not standard QDQ node units (a runtime then
 * runs the float ops instead of fusing them into integer kernels).
 */
export type OnnxQdqRounding = 'even' | 'half-up';

export interface OnnxQdqOptions {
  /** Named in errors. */
  readonly file?: string;
  /** Default 'even'. */
  readonly rounding?: OnnxQdqRounding;
}

export interface OnnxQdqResult {
  readonly bytes: Uint8Array;
  readonly opset: number;
  /** ONNX node count per op type (QuantizeLinear, DequantizeLinear, Conv, ...). */
  readonly opCount: ReadonlyMap<string, number>;
  readonly nodes: number;
  readonly initializers: number;
}

/** Integer container of a format: int8/uint8 up to 8 bits, int16/uint16 up to 16. */
export function qdqContainer(f: QFormat): { type: OnnxElemType; bits: number } | undefined {
  if (f.wl <= 8) return { type: f.signed ? OnnxType.INT8 : OnnxType.UINT8, bits: 8 };
  if (f.wl <= 16) return { type: f.signed ? OnnxType.INT16 : OnnxType.UINT16, bits: 16 };
  return undefined;
}

function flOf(w: FxWeights, c: number): number {
  return w.fl.length === 1 ? w.fl[0]! : w.fl[c]!;
}

/** Real value of one weight unit of channel c: 2^-fl[c], times range[c] * 2^-rangeFl for range-adaptive weights. */
function weightScale(w: FxWeights, c: number): number {
  if (w.range === undefined) return pow2(-flOf(w, c));
  const r = w.range.data.length === 1 ? w.range.data[0]! : w.range.data[c]!;
  return r * pow2(-(flOf(w, c) + w.range.fl));
}

/** Stand-ins for symbolic input dims: two probes, so dims that follow them show up as dynamic. */
const PROBES = [
  { batch: 1, free: 64 },
  { batch: 2, free: 96 },
] as const;

/**
 * Every value's shape for the export: inferred by the engine's shape rules from the
 * graph inputs (stored value shapes may be incomplete), a dim static where both
 * probes agree and unknown ('?') where it follows a symbolic input dim. Falls back to
 * the stored shapes when the inputs' ranks are unknown or a probe does not fit.
 */
function valueShapes(fx: FxGraph): (readonly Dim[])[] {
  const stored = fx.values.map((v) => v.shape);
  if (fx.inputs.some((id) => fx.values[id]!.shape.length === 0)) return stored;
  try {
    const [a, b] = PROBES.map(({ batch, free }) =>
      inferFxShapes(
        fx,
        fx.inputs.map((id) => fx.values[id]!.shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? batch : free))),
      ),
    ) as [number[][], number[][]];
    return a.map((s, id) => (s.length === 0 ? stored[id]! : s.map((d, i) => (d === b[id]![i] ? d : '?'))));
  } catch {
    return stored;
  }
}

class Exporter implements QdqContext {
  readonly w = new OnnxWriter();
  /** Float (dequantized) tensor name of each value id, once defined. */
  private readonly floatName: (string | undefined)[];
  private readonly outputIds: ReadonlySet<number>;
  /** Shared initializers: zero points by container type, scales by fl. */
  private readonly qParams = new Map<string, string>();
  private current: { readonly name: string; readonly op: string } | undefined;
  private readonly shapes: (readonly Dim[])[];

  constructor(
    readonly fx: FxGraph,
    private readonly file: string | undefined,
    private readonly rounding: OnnxQdqRounding,
  ) {
    this.floatName = new Array<string | undefined>(fx.values.length);
    this.outputIds = new Set(fx.outputs);
    this.shapes = valueShapes(fx);
  }

  error(message: string): FxpError {
    return new FxpError(`cannot export to ONNX: ${message}`, { file: this.file, node: this.current?.name, op: this.current?.op });
  }

  value(id: number): string {
    const name = this.floatName[id];
    if (name === undefined) throw this.error(`value '${this.fx.values[id]?.name ?? id}' is used before it is computed`);
    return name;
  }

  format(id: number): QFormat {
    return this.fx.values[id]!.format;
  }

  shape(id: number): readonly Dim[] {
    return this.shapes[id]!;
  }

  rank(id: number): number {
    return this.shapes[id]!.length;
  }

  hint(suffix: string): string {
    return `${this.current?.name ?? 'graph'}/${suffix}`;
  }

  floats(suffix: string, dims: readonly number[], data: readonly number[]): string {
    return this.w.tensor(this.hint(suffix), OnnxType.FLOAT, dims, data);
  }

  int64s(suffix: string, data: readonly number[]): string {
    return this.w.tensor(this.hint(suffix), OnnxType.INT64, [data.length], data);
  }

  /** Shared scale 2^-fl and zero point 0 of a format. */
  private qParamsOf(f: QFormat, box: { type: OnnxElemType; bits: number }): { scale: string; zero: string } {
    const typeName = `${f.signed ? 'int' : 'uint'}${box.bits}`;
    let zero = this.qParams.get(typeName);
    if (zero === undefined) {
      zero = this.w.scalar(`zero_${typeName}`, box.type, 0);
      this.qParams.set(typeName, zero);
    }
    let scale = this.qParams.get(`fl${f.fl}`);
    if (scale === undefined) {
      scale = this.w.scalar(`scale_2^${-f.fl}`, OnnxType.FLOAT, pow2(-f.fl));
      this.qParams.set(`fl${f.fl}`, scale);
    }
    return { scale, zero };
  }

  /**
   * x (float) through QuantizeLinear/DequantizeLinear in format f (a Clip to the
   * format's range first when its word length is below the container's); returns
   * the DequantizeLinear output, named `outName` when given.
   */
  qdq(x: string, f: QFormat, hint: string, grid?: number, outName?: string): string {
    const box = qdqContainer(f);
    if (box === undefined) throw this.error(`'${hint}' has ${f.wl} bits; ONNX QuantizeLinear stores at most 16`);
    const { scale, zero } = this.qParamsOf(f, box);
    let src = x;
    if (this.rounding === 'half-up' && grid !== undefined && f.fl < grid) {
      src = this.w.node('Add', [src, this.w.scalar(`${hint}/half_up`, OnnxType.FLOAT, pow2(-(grid + 1)))], `${hint}/half_up`);
    }
    if (f.wl < box.bits) {
      const { qmin, qmax } = qRange(f);
      const lo = this.w.scalar(`${hint}/min`, OnnxType.FLOAT, qmin * pow2(-f.fl));
      const hi = this.w.scalar(`${hint}/max`, OnnxType.FLOAT, qmax * pow2(-f.fl));
      src = this.w.node('Clip', [src, lo, hi], `${hint}/saturate`);
    }
    const q = this.w.node('QuantizeLinear', [src, scale, zero], `${hint}/q`);
    return this.w.node('DequantizeLinear', [q, scale, zero], `${hint}/dq`, {}, outName);
  }

  /** x (float) through the value's Q/DQ; the DQ output becomes the value's float tensor. */
  quantizeValue(id: number, x: string, grid?: number, outName?: string): void {
    const v = this.fx.values[id]!;
    this.floatName[id] = this.qdq(x, v.format, v.name, grid, outName);
  }

  /** DQ(integer weights), per output channel along `axis` when the weights have per-channel formats. */
  weights(w: FxWeights, axis: number, dims: readonly number[] = w.shape): string {
    const type = w.wl <= 8 ? OnnxType.INT8 : OnnxType.INT16;
    const n = w.fl.length;
    const perChannel = n > 1 || (w.range !== undefined && w.range.data.length > 1);
    const channels = Math.max(n, w.range?.data.length ?? 1);
    const q = this.w.tensor(this.hint('W_quantized'), type, dims, w.data);
    if (!perChannel) {
      const scale = this.w.scalar(this.hint('W_scale'), OnnxType.FLOAT, weightScale(w, 0));
      const zero = this.w.scalar(this.hint('W_zero'), type, 0);
      return this.w.node('DequantizeLinear', [q, scale, zero], this.hint('W'));
    }
    if (dims[axis] !== channels) throw this.error(`weights have ${channels} channel formats but dim ${axis} of [${dims.join(', ')}] is ${dims[axis]}`);
    const scale = this.floats('W_scale', [channels], Array.from({ length: channels }, (_, c) => weightScale(w, c)));
    const zero = this.w.tensor(this.hint('W_zero'), type, [channels], new Array<number>(channels).fill(0));
    return this.w.node('DequantizeLinear', [q, scale, zero], this.hint('W'), { axis });
  }

  /**
   * The bias the engine adds, in accumulator units of channel c (fx.fl + fl[c]):
   * a 'format' bias b becomes roundShift(b, fb - (fx.fl + fl[c])), as linear-stage.ts
   * aligns it; an 'accumulator' bias is used as is.
   */
  bias(w: FxWeights, bias: FxBias | undefined, x: QFormat, channels: number, dims: readonly number[] = [channels]): string | undefined {
    if (bias === undefined) return undefined;
    const aligned = Array.from(bias.data, (b, c) => (bias.kind === 'format' ? roundShift(b, bias.format.fl - (x.fl + flOf(w, c))) : b));
    const scales = Array.from({ length: channels }, (_, c) => pow2(-x.fl) * weightScale(w, c));
    if (aligned.some((b) => Math.abs(b) > INT32_MAX)) return this.floats('B', dims, aligned.map((b, c) => b * scales[c]!));
    const q = this.w.tensor(this.hint('B_quantized'), OnnxType.INT32, dims, aligned);
    const uniform = scales.every((s) => s === scales[0]);
    if (uniform) {
      const scale = this.w.scalar(this.hint('B_scale'), OnnxType.FLOAT, scales[0] ?? 1);
      return this.w.node('DequantizeLinear', [q, scale, this.w.scalar(this.hint('B_zero'), OnnxType.INT32, 0)], this.hint('B'));
    }
    const scale = this.floats('B_scale', [channels], scales);
    const zero = this.w.tensor(this.hint('B_zero'), OnnxType.INT32, [channels], new Array<number>(channels).fill(0));
    return this.w.node('DequantizeLinear', [q, scale, zero], this.hint('B'), { axis: 0 });
  }

  /** The fused activation in float, with Clip bounds and LeakyRelu slope from the output integers. */
  activation(act: FxActivation | undefined, x: string, fo: QFormat): string {
    if (act === undefined) return x;
    switch (act.kind) {
      case 'Relu':
        return this.w.node('Relu', [x], this.hint('relu'));
      case 'Clip':
        return this.clip(x, act.lo, act.hi, fo);
      case 'LeakyRelu':
        return this.w.node('LeakyRelu', [x], this.hint('leaky_relu'), { alpha: { float: act.m * pow2(-act.shift) } });
    }
  }

  /** Clip to [lo, hi] integers of format f. */
  clip(x: string, lo: number, hi: number, f: QFormat): string {
    const min = this.w.scalar(this.hint('clip_min'), OnnxType.FLOAT, lo * pow2(-f.fl));
    const max = this.w.scalar(this.hint('clip_max'), OnnxType.FLOAT, hi * pow2(-f.fl));
    return this.w.node('Clip', [x, min, max], this.hint('clip'));
  }

  emit<K extends FxOpType>(node: FxNodeOf<K>): void {
    this.current = node;
    const emitter = ONNX_QDQ_EMITTERS[node.op] as (n: FxNodeOf<K>, ctx: QdqContext) => string;
    const grid = ONNX_QDQ_GRIDS[node.op] as (n: FxNodeOf<K>, ctx: QdqContext) => number | undefined;
    const out = node.outputs[0]!;
    const y = emitter(node, this);
    this.quantizeValue(out, y, grid(node, this), this.outputIds.has(out) ? this.fx.values[out]!.name : undefined);
    this.current = undefined;
  }
}

/** Exports `fx` as an ONNX QDQ model (opset 21). Throws FxpError naming the node for what ONNX QDQ cannot hold. */
export function exportOnnxQdq(fx: FxGraph, opts: OnnxQdqOptions = {}): OnnxQdqResult {
  verifyFxGraph(fx, opts.file);
  const ex = new Exporter(fx, opts.file, opts.rounding ?? 'even');
  const ioNames = [...fx.inputs, ...fx.outputs].map((id) => fx.values[id]!.name);
  if (new Set(ioNames).size !== ioNames.length) throw ex.error(`graph inputs and outputs need distinct names, got ${ioNames.join(', ')}`);
  for (const name of ioNames) ex.w.unique(name);
  for (const id of fx.inputs) {
    if (ex.fx.outputs.includes(id)) throw ex.error(`graph input '${fx.values[id]!.name}' is also a graph output`);
    const v = fx.values[id]!;
    ex.w.graphInput(v.name, OnnxType.FLOAT, v.shape);
    ex.quantizeValue(id, v.name);
  }
  for (const node of fx.nodes) ex.emit(node);
  for (const id of fx.outputs) ex.w.graphOutput(fx.values[id]!.name, OnnxType.FLOAT, ex.shape(id));
  const doc = 'Exported by fxpnet from a fixed-point graph: QuantizeLinear/DequantizeLinear with power-of-two activation scales.';
  const bytes = ex.w.encode(fx.name, ONNX_QDQ_OPSET, IR_VERSION, fx.meta ?? {}, doc);
  return { bytes, opset: ONNX_QDQ_OPSET, opCount: ex.w.opCount, nodes: ex.w.nodes.length, initializers: ex.w.initializers.length };
}
