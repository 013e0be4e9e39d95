/**
 * Lowering: canonical float graph + format assignment -> fixed-point graph.
 *
 * All float work happens here, once: weights and biases are quantized with the
 * contract's rounding (floor(x * 2^fl + 0.5), saturated), activation bounds and
 * slopes become integers, nonlinearity tables are built and stored. The FxGraph
 * that comes out needs integers only.
 */
import { FxpError } from '../errors.js';
import { quantize } from '../fixed/convert.js';
import { qRange, type QFormat } from '../fixed/format.js';
import type { FxActivation, FxBias, FxExpTable, FxGraph, FxNode, FxTable, FxValue, FxWeights } from '../engine/fx-graph.js';
import { prepareSoftmax } from '../fixed/softmax.js';
import type { Graph } from '../ir/graph.js';
import type { FusedActivation, Node } from '../ir/ops.js';
import { FORMAT_PRESERVING_OPS, isParamOp, type Assignment, type LayerAssignment } from './assignment.js';

/** Bits of precision of the LeakyRelu slope multiplier. */
const SLOPE_BITS = 15;
/** Largest input word length a lookup table may index. */
const MAX_TABLE_WL = 16;

function fail(node: Node, msg: string): never {
  throw new FxpError(msg, { node: node.name, op: node.op });
}

function quantizeLinear(data: Float32Array, channels: number, wl: number, fl: readonly number[], scale?: readonly number[]): Int32Array {
  const out = new Int32Array(data.length);
  const per = data.length / channels;
  for (let c = 0; c < channels; c++) {
    const f: QFormat = { signed: true, wl, fl: fl.length === 1 ? fl[0]! : fl[c]! };
    const s = scale === undefined ? 1 : scale.length === 1 ? scale[0]! : scale[c]!;
    for (let i = c * per; i < (c + 1) * per; i++) out[i] = quantize(s === 1 ? data[i]! : data[i]! / s, f);
  }
  return out;
}

/** Range-adaptive weights as lowered: the integer kernel, the stored ranges and each entry's real weight unit. */
export interface RangeAdaptiveWeights {
  /** Kernel integers q in [-2^(wl-1), 2^(wl-1) - 1] (fl = wl - 1). */
  readonly data: Int32Array;
  /** Ranges as unsigned integers of rangeBits bits, real = range * 2^-rangeFl. */
  readonly range: Int32Array;
  readonly rangeFl: number;
  /** Real value of one kernel unit per entry: range * 2^-rangeFl * 2^-(wl-1). */
  readonly scale: number[];
}

/**
 * The range-adaptive quantization of a weight tensor (one entry per layer or per
 * output channel): ranges rounded to rangeBits-bit fixed point (the largest fills
 * the word), then each weight w -> q = round(w / range_real * 2^(wl-1)), saturated.
 * Lowering and the search's fake-quant network both use it, so they agree exactly.
 */
export function rangeAdaptiveWeights(data: Float32Array, channels: number, wl: number, range: readonly number[], rangeBits: number): RangeAdaptiveWeights {
  const { range: rq, rangeFl, real } = storedRanges(range, rangeBits);
  const q = quantizeLinear(data, channels, wl, new Array<number>(channels).fill(wl - 1), real);
  return { data: q, range: rq, rangeFl, scale: rangeUnits(real, wl) };
}

/** Ranges as stored: rangeBits-bit integers times 2^-rangeFl (the largest fills the word), and their real values. */
function storedRanges(range: readonly number[], rangeBits: number): { range: Int32Array; rangeFl: number; real: number[] } {
  const maxRange = Math.max(...range);
  const rangeFl = rangeBits - Math.ceil(Math.log2(maxRange + Number.EPSILON * maxRange));
  const rq = Int32Array.from(range, (r) => Math.max(1, Math.min(2 ** rangeBits - 1, Math.floor(r * 2 ** rangeFl + 0.5))));
  return { range: rq, rangeFl, real: Array.from(rq, (r) => r * 2 ** -rangeFl) };
}

function rangeUnits(real: readonly number[], wl: number): number[] {
  return real.map((r) => r * 2 ** -(wl - 1));
}

/** The kernel units rangeAdaptiveWeights gives these ranges (range_real * 2^-(wl-1)), without quantizing a tensor. */
export function rangeAdaptiveUnits(range: readonly number[], wl: number, rangeBits: number): number[] {
  return rangeUnits(storedRanges(range, rangeBits).real, wl);
}

/** Output channel count of a parameter layer's weight (Conv/Dense: dim 0; ConvTranspose: dim 1 * group). */
function outChannels(node: Node, wShape: readonly number[]): number {
  if (node.op === 'ConvTranspose') return wShape[1]! * node.attrs.group;
  return wShape[0]!;
}

interface LoweredParams {
  weights: FxWeights;
  bias?: FxBias | undefined;
}

function lowerParams(g: Graph, node: Node, la: LayerAssignment, inFormat: QFormat): LoweredParams {
  const wv = g.values[node.inputs[1]!]!;
  const wData = wv.data!;
  const wShape = wv.shape as number[];
  const m = node.op === 'ChannelAffine' ? wShape[0]! : outChannels(node, wShape);
  const w = la.weight;
  const nEntries = w.scheme === 'dynamic' ? w.fl.length : w.range.length;
  if (nEntries !== 1 && nEntries !== m) fail(node, `weight assignment has ${nEntries} entries for ${m} output channels`);
  if (node.op === 'ConvTranspose' && nEntries !== 1) fail(node, 'per-channel weight formats are not supported for ConvTranspose');
  const bv = node.inputs[2] === undefined ? undefined : g.values[node.inputs[2]]!;
  let weights: FxWeights;
  let realScale: number[];
  if (w.scheme === 'dynamic') {
    const data = quantizeLinear(wData, nEntries === 1 ? 1 : m, w.wl, w.fl);
    weights = { shape: wShape, data, wl: w.wl, fl: [...w.fl] };
    realScale = w.fl.map((f) => 2 ** -f);
  } else {
    if (w.range.some((r) => !(r > 0))) fail(node, 'range-adaptive ranges must be positive');
    const q = rangeAdaptiveWeights(wData, nEntries === 1 ? 1 : m, w.wl, w.range, w.rangeBits);
    weights = { shape: wShape, data: q.data, wl: w.wl, fl: new Array<number>(nEntries).fill(w.wl - 1), range: { data: q.range, fl: q.rangeFl, bits: w.rangeBits } };
    realScale = q.scale;
  }
  if (bv === undefined) return { weights };
  const b = bv.data!;
  if (w.scheme === 'dynamic') {
    if (la.bias === undefined) fail(node, 'bias format missing from the assignment');
    const f = la.bias;
    return { weights, bias: { kind: 'format', data: Int32Array.from(b, (x) => quantize(x, f)), format: f } };
  }
  return { weights, bias: { kind: 'accumulator', data: accumulatorBias(b, inFormat.fl, realScale), wl: 32 } };
}

/**
 * A range-adaptive layer's bias in accumulator units of its channel:
 * round(b / (2^-fx * scale[c])) as a 32-bit integer (scale: the weight unit, one or per channel).
 */
export function accumulatorBias(b: Float32Array, fx: number, scale: readonly number[]): Int32Array {
  const acc: QFormat = { signed: true, wl: 32, fl: 0 };
  return Int32Array.from(b, (x, c) => {
    const s = scale.length === 1 ? scale[0]! : scale[c]!;
    return quantize(x / (2 ** -fx * s), acc);
  });
}

function lowerActivation(node: Node, act: FusedActivation | undefined, out: QFormat): FxActivation | undefined {
  if (act === undefined) return undefined;
  switch (act.kind) {
    case 'Relu':
      return { kind: 'Relu' };
    case 'Clip': {
      const { qmin, qmax } = qRange(out);
      const lo = act.min === -Infinity ? qmin : quantize(act.min, out);
      const hi = act.max === Infinity ? qmax : quantize(act.max, out);
      return { kind: 'Clip', lo, hi };
    }
    case 'LeakyRelu':
      return { kind: 'LeakyRelu', ...slopeMultiplier(node, act.alpha) };
  }
}

/** alpha ~= m * 2^-shift with m < 2^SLOPE_BITS. */
function slopeMultiplier(node: Node, alpha: number): { m: number; shift: number } {
  if (!(alpha >= 0 && alpha < 2 ** 15)) fail(node, `LeakyRelu slope ${alpha} is outside [0, 32768)`);
  if (alpha === 0) return { m: 0, shift: 0 };
  const shift = SLOPE_BITS - Math.ceil(Math.log2(alpha + Number.EPSILON));
  return { m: Math.floor(alpha * 2 ** shift + 0.5), shift };
}

function buildTable(node: Node, inF: QFormat, outF: QFormat, fn: (x: number) => number): FxTable {
  if (inF.wl > MAX_TABLE_WL) fail(node, `input word length ${inF.wl} is too wide for a lookup table (max ${MAX_TABLE_WL})`);
  const { qmin, qmax } = qRange(inF);
  const data = new Int32Array(qmax - qmin + 1);
  for (let q = qmin; q <= qmax; q++) data[q - qmin] = quantize(fn(q * 2 ** -inF.fl), outF);
  return { qmin, data };
}

/** The exp tables softmaxQ uses for these formats, built once here and stored. */
function softmaxExp(node: Node, inF: QFormat, outF: QFormat): FxExpTable {
  const { exp } = prepareSoftmax(inF, outF, { node: node.name, op: node.op });
  return { inFl: exp.inFl, outFl: exp.outFl, jMax: exp.jMax, tables: exp.tables };
}

export interface LowerOptions {
  /** Recorded in the FxGraph's meta. */
  readonly meta?: Readonly<Record<string, string>>;
}

export function lower(g: Graph, a: Assignment, opts: LowerOptions = {}): FxGraph {
  const formats: (QFormat | undefined)[] = g.values.map((_, id) => a.activations.get(id));
  const formatOf = (node: Node | undefined, id: number): QFormat => {
    const f = formats[id];
    if (f === undefined) {
      throw new FxpError(`no format assigned to tensor '${g.values[id]?.name ?? id}'`, node === undefined ? {} : { node: node.name, op: node.op });
    }
    return f;
  };
  for (const id of g.inputs) formatOf(undefined, id);
  const nodes: FxNode[] = [];
  for (const node of g.nodes) {
    const out = node.outputs[0]!;
    const x = node.inputs[0]!;
    const inF = formatOf(node, x);
    if (FORMAT_PRESERVING_OPS.has(node.op)) formats[out] = inF;
    const outF = formatOf(node, out);
    const base = { name: node.name, inputs: [...node.inputs], outputs: [out] };
    const dataInputs = { ...base, inputs: [x] };
    if (isParamOp(node.op)) {
      const la = a.layers.get(node.name);
      if (la === undefined) fail(node, 'no weight/bias formats assigned to this layer');
      const { weights, bias } = lowerParams(g, node, la, inF);
      const p = { weights, bias, activation: lowerActivation(node, 'activation' in node.attrs ? node.attrs.activation : undefined, outF) };
      switch (node.op) {
        case 'Conv': {
          const { activation: _a, ...window } = node.attrs;
          nodes.push({ op: 'Conv', ...dataInputs, attrs: { ...window, ...p } });
          break;
        }
        case 'ConvTranspose': {
          const { activation: _a, ...window } = node.attrs;
          nodes.push({ op: 'ConvTranspose', ...dataInputs, attrs: { ...window, ...p } });
          break;
        }
        case 'Dense':
          nodes.push({ op: 'Dense', ...dataInputs, attrs: p });
          break;
        case 'ChannelAffine':
          nodes.push({ op: 'ChannelAffine', ...dataInputs, attrs: p });
          break;
      }
      continue;
    }
    switch (node.op) {
      case 'BatchNormalization':
        fail(node, 'BatchNormalization must be folded or turned into ChannelAffine before lowering (run the canonical passes)');
      // eslint-disable-next-line no-fallthrough
      case 'Add':
        nodes.push({ op: 'Add', ...base, attrs: { activation: lowerActivation(node, node.attrs.activation, outF) } });
        break;
      case 'Mul':
        nodes.push({ op: 'Mul', ...base, attrs: {} });
        break;
      case 'Concat':
        nodes.push({ op: 'Concat', ...base, attrs: { axis: node.attrs.axis } });
        break;
      case 'Relu':
        nodes.push({ op: 'Relu', ...base, attrs: {} });
        break;
      case 'Clip': {
        const act = lowerActivation(node, { kind: 'Clip', ...node.attrs }, outF);
        nodes.push({ op: 'Clip', ...base, attrs: act?.kind === 'Clip' ? { lo: act.lo, hi: act.hi } : { lo: 0, hi: 0 } });
        break;
      }
      case 'LeakyRelu':
        nodes.push({ op: 'LeakyRelu', ...base, attrs: slopeMultiplier(node, node.attrs.alpha) });
        break;
      case 'Sigmoid':
        nodes.push({ op: 'Sigmoid', ...base, attrs: { table: buildTable(node, inF, outF, (v) => 1 / (1 + Math.exp(-v))) } });
        break;
      case 'Tanh':
        nodes.push({ op: 'Tanh', ...base, attrs: { table: buildTable(node, inF, outF, Math.tanh) } });
        break;
      case 'Softmax':
        nodes.push({ op: 'Softmax', ...base, attrs: { axis: node.attrs.axis, exp: softmaxExp(node, inF, outF) } });
        break;
      case 'MaxPool':
        nodes.push({ op: 'MaxPool', ...base, attrs: node.attrs });
        break;
      case 'AveragePool':
        nodes.push({ op: 'AveragePool', ...base, attrs: node.attrs });
        break;
      case 'GlobalMaxPool':
        nodes.push({ op: 'GlobalMaxPool', ...base, attrs: {} });
        break;
      case 'GlobalAveragePool':
        nodes.push({ op: 'GlobalAveragePool', ...base, attrs: {} });
        break;
      case 'Flatten':
        nodes.push({ op: 'Flatten', ...base, attrs: node.attrs });
        break;
      case 'Reshape':
        nodes.push({ op: 'Reshape', ...base, attrs: node.attrs });
        break;
      case 'Transpose':
        nodes.push({ op: 'Transpose', ...base, attrs: node.attrs });
        break;
      case 'Pad': {
        // The constants are quantized (saturating) into the input format, like every element.
        const { channelValues, ...rest } = node.attrs;
        const attrs = { ...rest, value: quantize(node.attrs.value, inF) };
        nodes.push({ op: 'Pad', ...base, attrs: channelValues === undefined ? attrs : { ...attrs, channelValues: channelValues.map((v) => quantize(v, inF)) } });
        break;
      }
      case 'DepthToSpace':
        nodes.push({ op: 'DepthToSpace', ...base, attrs: node.attrs });
        break;
      case 'Resize':
        nodes.push({ op: 'Resize', ...base, attrs: node.attrs });
        break;
      case 'Identity':
        nodes.push({ op: 'Identity', ...base, attrs: {} });
        break;
      default:
        fail(node, `op has no fixed-point form`);
    }
  }
  const values: FxValue[] = g.values.map((v, id) => ({ name: v.name, shape: v.shape, format: formats[id] ?? { signed: true, wl: 32, fl: 0 } }));
  const fx: FxGraph = { name: g.name, values, nodes, inputs: g.inputs, outputs: g.outputs, inputLayout: g.inputLayout, meta: opts.meta };
  return compactFx(fx);
}

/** Drops values no node or output uses (the float graph's constants) and renumbers ids. */
function compactFx(fx: FxGraph): FxGraph {
  const used = new Set<number>([...fx.inputs, ...fx.outputs]);
  for (const n of fx.nodes) for (const v of [...n.inputs, ...n.outputs]) used.add(v);
  const remap = new Map<number, number>();
  const values: FxValue[] = [];
  fx.values.forEach((v, i) => {
    if (used.has(i)) {
      remap.set(i, values.length);
      values.push(v);
    }
  });
  const map = (i: number): number => remap.get(i)!;
  return {
    ...fx,
    values,
    nodes: fx.nodes.map((n) => ({ ...n, inputs: n.inputs.map(map), outputs: n.outputs.map(map) }) as FxNode),
    inputs: fx.inputs.map(map),
    outputs: fx.outputs.map(map),
  };
}
