/**
 * The search space: every data structure whose format a strategy chooses — the
 * weights and the biases of each Conv, ConvTranspose and Dense layer, and every
 * activation that owns a format (the output of each node not in
 * FORMAT_PRESERVING_OPS) — in graph order.
 *
 * A structure's format is (wl, fl) as in Goyal's (BW, F). Signedness is fixed
 * by the data: weights and biases are signed; an activation is unsigned when
 * calibration saw no negative value (ReLU outputs), which gives it one more
 * magnitude bit at the same word length.
 *
 * Not searched, fixed formats (with `activationBits`, every activation too):
 *   - graph inputs: `inputBits` (default 8) from their calibrated maximum; with
 *     pixel I/O (`scales` not 1, src/passes/pixel-io.ts) inputs and outputs are
 *     the pixel formats UQ(8,0), as `fxp quantize --pixel-io` gives them;
 *   - Softmax outputs: `probBits` (default 16) unsigned; coarser probabilities
 *     tie, and a tie's argmax is the first class, not the right one;
 *   - ChannelAffine (a BatchNormalization kept after a ReLU): scale at
 *     `affineBits` with one fl per channel, shift at `affineBiasBits`.
 *
 * With granularity 'channel', a weight structure's fl is the layer-level value
 * and each output channel c gets fl + (F0_c - F0), F0 being the no-clipping
 * fractional length of the channel and of the whole tensor at the same wl: the
 * search moves one clipping offset per layer, as Goyal's moves one F.
 *
 * Weight scheme 'range-adaptive' (Hong): a weight structure's format (wl, fl) is
 * stored as an integer kernel of wl bits times a positive range per output
 * channel (or per layer), range_c = max|w_c| * 2^(F0 - fl) with F0 the layer's
 * no-clipping F at wl (weightRanges): fl = F0 spans each channel's own maximum
 * exactly, every fl above it halves the ranges (clipping), as a step of F does
 * for dynamic weights, so the strategies' moves mean the same. The biases of such
 * layers live in accumulator units (32-bit, lower.ts) and are not searched.
 */
import { isScaledIo, UNIT_SCALES, type IoScales } from '../../engine/io.js';
import { FxpError } from '../../errors.js';
import type { QFormat } from '../../fixed/format.js';
import { producers, type Graph } from '../../ir/graph.js';
import { layerStats } from '../../ir/stats.js';
import { concreteInputShapes, inferShapes } from '../../ir/shape.js';
import { sizeOf } from '../../tensor.js';
import { FORMAT_PRESERVING_OPS, isParamOp, type Assignment, type LayerAssignment, type WeightAssignment, type WeightScheme } from '../assignment.js';
import { isNonNegative, type TensorStats } from '../calibrate.js';
import { rangeAdaptiveUnits, rangeAdaptiveWeights } from '../lower.js';
import { pixelFormat } from '../pipeline.js';
import { chooseFormat, fracLength, weightRanges as clipRangesAt } from '../range.js';
import { maxAbs, weightChannels } from '../uniform.js';

export type StructureKind = 'weight' | 'bias' | 'activation';

export interface StructFormat {
  readonly wl: number;
  readonly fl: number;
}

export interface Structure {
  /** Index in SearchSpace.structures. */
  readonly id: number;
  readonly kind: StructureKind;
  /** Node the parameters belong to (weights, biases) or that produces the activation. */
  readonly node: string;
  readonly nodeIndex: number;
  /** Float-graph value id: the weight or bias constant, or the activation. */
  readonly valueId: number;
  /** Elements (per sample for activations). */
  readonly count: number;
  readonly signed: boolean;
  /** Largest magnitude: of the tensor (parameters) or seen in calibration (activations). */
  readonly maxAbs: number;
  /** Weights: per-output-channel max|w| (length 1 with granularity 'layer'). */
  readonly channelMaxAbs?: readonly number[] | undefined;
  /** Output channels of a weight tensor (its leading slices). */
  readonly channels?: number | undefined;
  /**
   * Range-adaptive weights with range method 'mse': per word length (index wl,
   * 2..MAX_CLIP_WL), the per-channel (or [layer]) range with the least exact
   * squared error (range.ts weightRanges 'mse'), used instead of channelMaxAbs.
   */
  readonly clipRanges?: readonly (readonly number[] | undefined)[] | undefined;
}

/** Widest weight word length whose MSE ranges are precomputed (wider words use the maxima). */
const MAX_CLIP_WL = 16;

export interface SpaceOptions {
  /** Input shapes with batch 1 that activation counts are taken at (default: the graph's declared shapes). */
  readonly inputShapes?: readonly (readonly number[])[];
  readonly granularity?: 'layer' | 'channel';
  /** Weights of Conv, ConvTranspose and Dense: dynamic fixed point (default) or range-adaptive. */
  readonly weightScheme?: WeightScheme;
  /** Bits of the stored range-adaptive ranges (default 16). */
  readonly rangeBits?: number;
  /**
   * Range-adaptive ranges at the no-clipping point: each channel's max|w| ('max',
   * default), or the clip value with the least squared weight error at that word
   * length ('mse'); the FL steps then halve those. On LRS 'mse' lost 0.02 dB at
   * the same budget (docs/search.md): the largest weights matter more than their share of the error.
   */
  readonly rangeMethod?: 'max' | 'mse';
  /** Fix every activation that would be searched at this word length (no-clipping format) instead: only parameters are searched. */
  readonly activationBits?: number;
  readonly inputBits?: number;
  readonly probBits?: number;
  readonly affineBits?: number;
  readonly affineBiasBits?: number;
  /** The graph's I/O scales (pixel I/O folded in: 255 and 255); default 1 and 1. */
  readonly scales?: IoScales;
}

export interface SearchSpace {
  readonly graph: Graph;
  readonly structures: readonly Structure[];
  readonly granularity: 'layer' | 'channel';
  readonly weightScheme: WeightScheme;
  readonly rangeBits: number;
  readonly rangeMethod: 'max' | 'mse';
  /** Structure id of each activation value, by value id. */
  readonly activationOf: ReadonlyMap<number, number>;
  /** Weight and bias structure ids of each searched layer, by node name. */
  readonly paramsOf: ReadonlyMap<string, { readonly weight: number; readonly bias?: number | undefined }>;
  /** Formats of everything that is not searched: graph inputs, Softmax outputs, ChannelAffine parameters. */
  readonly fixedActivations: ReadonlyMap<number, QFormat>;
  readonly fixedLayers: ReadonlyMap<string, LayerAssignment>;
  /** Calibration statistics of each activation structure, by value id. */
  readonly stats: ReadonlyMap<number, TensorStats>;
  /** I/O scales: the scorer feeds inputs times inputScale and reads outputs divided by outputScale. */
  readonly scales: IoScales;
  /** Multiply-accumulates per sample of each node (at the space's input shapes). */
  readonly macs: readonly number[];
  /** Per node: the activation structure its first input's format comes from (through format-preserving ops), if any. */
  readonly inputStructure: readonly (number | undefined)[];
}

/** The least-error range-adaptive ranges of a weight tensor at every word length 2..MAX_CLIP_WL (index wl). */
function mseRanges(data: Float32Array, channels: number): (number[] | undefined)[] {
  const out: (number[] | undefined)[] = [];
  for (let wl = 2; wl <= MAX_CLIP_WL; wl++) out[wl] = clipRangesAt(data, wl, 'mse', channels);
  return out;
}

function channelMax(data: Float32Array, channels: number): number[] {
  const per = data.length / channels;
  return Array.from({ length: channels }, (_, c) => maxAbs(data.subarray(c * per, (c + 1) * per)));
}

/** The search space of canonical graph `g`, with calibration statistics of every activation. */
export function searchSpace(g: Graph, stats: ReadonlyMap<number, TensorStats>, opts: SpaceOptions = {}): SearchSpace {
  const granularity = opts.granularity ?? 'layer';
  const weightScheme = opts.weightScheme ?? 'dynamic';
  const rangeBits = opts.rangeBits ?? 16;
  const rangeMethod = opts.rangeMethod ?? 'max';
  if (!(Number.isInteger(rangeBits) && rangeBits >= 2 && rangeBits <= 30)) throw new FxpError(`range bits must be an integer in 2..30, got ${rangeBits}`);
  const shapes = inferShapes(g, (opts.inputShapes ?? concreteInputShapes(g, 1)).map((s) => [...s]));
  const structures: Structure[] = [];
  const activationOf = new Map<number, number>();
  const paramsOf = new Map<string, { weight: number; bias?: number }>();
  const fixedActivations = new Map<number, QFormat>();
  const fixedLayers = new Map<string, LayerAssignment>();
  const actStats = new Map<number, TensorStats>();
  const statsOf = (id: number): TensorStats => {
    const s = stats.get(id);
    if (s === undefined) throw new FxpError(`no calibration statistics for tensor '${g.values[id]?.name ?? id}'`);
    return s;
  };
  const scales = opts.scales ?? UNIT_SCALES;
  const pixel = isScaledIo(scales);
  for (const id of g.inputs) fixedActivations.set(id, pixel ? pixelFormat(8) : chooseFormat(statsOf(id), opts.inputBits ?? 8, 'max'));
  g.nodes.forEach((node, nodeIndex) => {
    if (isParamOp(node.op)) {
      const wId = node.inputs[1]!;
      const w = g.values[wId]!.data;
      if (w === undefined) throw new FxpError('weights must be constant', { node: node.name, op: node.op });
      const bId = node.inputs[2];
      const b = bId === undefined ? undefined : g.values[bId]!.data;
      if (node.op === 'ChannelAffine') {
        const wl = opts.affineBits ?? 8;
        const fl = channelMax(w, w.length).map((m) => fracLength(m, wl, true));
        const bl = opts.affineBiasBits ?? 12;
        const weight: WeightAssignment = { scheme: 'dynamic', wl, fl };
        fixedLayers.set(node.name, b === undefined ? { weight } : { weight, bias: { signed: true, wl: bl, fl: fracLength(maxAbs(b), bl, true) } });
      } else {
        const channels = granularity === 'channel' ? weightChannels(g, node) : 1;
        const weight: Structure = {
          id: structures.length,
          kind: 'weight',
          node: node.name,
          nodeIndex,
          valueId: wId,
          count: w.length,
          signed: true,
          maxAbs: maxAbs(w),
          channelMaxAbs: channelMax(w, channels),
          channels,
          clipRanges: weightScheme === 'range-adaptive' && rangeMethod === 'mse' ? mseRanges(w, channels) : undefined,
        };
        structures.push(weight);
        let bias: number | undefined;
        if (b !== undefined && bId !== undefined && weightScheme === 'dynamic') {
          bias = structures.length;
          structures.push({ id: bias, kind: 'bias', node: node.name, nodeIndex, valueId: bId, count: b.length, signed: true, maxAbs: maxAbs(b) });
        }
        paramsOf.set(node.name, bias === undefined ? { weight: weight.id } : { weight: weight.id, bias });
      }
    }
    if (FORMAT_PRESERVING_OPS.has(node.op)) return;
    const out = node.outputs[0]!;
    const s = statsOf(out);
    if (node.op === 'Softmax') {
      fixedActivations.set(out, chooseFormat(s, opts.probBits ?? 16, 'max'));
      return;
    }
    if (pixel && g.outputs.includes(out)) {
      fixedActivations.set(out, pixelFormat(8));
      return;
    }
    if (opts.activationBits !== undefined) {
      fixedActivations.set(out, chooseFormat(s, opts.activationBits, 'max'));
      return;
    }
    const count = sizeOf(shapes[out]!);
    activationOf.set(out, structures.length);
    actStats.set(out, s);
    structures.push({ id: structures.length, kind: 'activation', node: node.name, nodeIndex, valueId: out, count, signed: !isNonNegative(s), maxAbs: s.hist.maxAbs });
  });
  const prod = producers(g);
  const inputStructure = g.nodes.map((n) => {
    let v = n.inputs[0]!;
    for (;;) {
      const sid = activationOf.get(v);
      if (sid !== undefined) return sid;
      const p = prod[v] ?? -1;
      const src = p >= 0 ? g.nodes[p] : undefined;
      if (src === undefined || !FORMAT_PRESERVING_OPS.has(src.op)) return undefined;
      v = src.inputs[0]!;
    }
  });
  const macs = layerStats(g, shapes).map((l) => l.macs);
  return { graph: g, structures, granularity, weightScheme, rangeBits, rangeMethod, activationOf, paramsOf, fixedActivations, fixedLayers, stats: actStats, scales, macs, inputStructure };
}

/** Goyal's no-clipping starting point: F = wl - 1 - ceil(log2 max|x|) (signed), wl - ceil(...) unsigned. */
export function startFl(s: Structure, wl: number): number {
  return fracLength(s.maxAbs, wl, s.signed);
}

/** A configuration: one format per structure; undefined leaves a structure in float (not yet quantized). */
export type Config = readonly (StructFormat | undefined)[];

/** Per-output-channel fractional lengths of a weight structure at (wl, fl). */
export function weightFls(s: Structure, f: StructFormat): number[] {
  const ch = s.channelMaxAbs;
  if (ch === undefined || ch.length <= 1) return [f.fl];
  const base = fracLength(s.maxAbs, f.wl, true);
  return ch.map((m) => f.fl + (fracLength(m, f.wl, true) - base));
}

/**
 * Range-adaptive ranges of a weight structure at (wl, fl): r_c * 2^(F0 - fl) per
 * output channel (or per layer), F0 the layer's no-clipping F at wl, r_c the
 * channel's max|w_c| or (range method 'mse') its least-error clip at wl.
 */
export function weightRanges(s: Structure, f: StructFormat): number[] {
  const ch = s.clipRanges?.[f.wl] ?? (s.channelMaxAbs !== undefined && s.channelMaxAbs.length > 1 ? s.channelMaxAbs : [s.maxAbs]);
  const scale = 2 ** (fracLength(s.maxAbs, f.wl, true) - f.fl);
  return ch.map((m) => (m > 0 ? m : 1e-8) * scale);
}

/**
 * Weight structure s's range-adaptive kernel at f as lowering stores it
 * (lower.ts rangeAdaptiveWeights), dequantized: each integer times its entry's
 * weight unit, in doubles; and those units (one per layer or per channel).
 */
export function rangeAdaptiveKernel(space: SearchSpace, s: Structure, f: StructFormat): { readonly values: Float64Array; readonly scale: readonly number[] } {
  const data = space.graph.values[s.valueId]!.data!;
  const ranges = weightRanges(s, f);
  const q = rangeAdaptiveWeights(data, ranges.length, f.wl, ranges, space.rangeBits);
  const per = data.length / ranges.length;
  return { values: Float64Array.from(q.data, (v, k) => v * q.scale[Math.floor(k / per)]!), scale: q.scale };
}

/**
 * The real value of one integer step of weight structure s at f, one per layer or
 * per output channel: 2^-FL (dynamic) or the range-adaptive unit range / 2^(WL-1),
 * as lowering stores it (the grid error-compensating rounding rounds onto).
 */
export function weightUnits(space: SearchSpace, s: Structure, f: StructFormat): number[] {
  if (space.weightScheme === 'range-adaptive') return rangeAdaptiveUnits(weightRanges(s, f), f.wl, space.rangeBits);
  return weightFls(s, f).map((fl) => 2 ** -fl);
}

/** The weight assignment of structure s at format f under the space's weight scheme. */
export function weightAssignment(space: SearchSpace, s: Structure, f: StructFormat): WeightAssignment {
  if (space.weightScheme === 'range-adaptive') return { scheme: 'range-adaptive', wl: f.wl, range: weightRanges(s, f), rangeBits: space.rangeBits };
  return { scheme: 'dynamic', wl: f.wl, fl: weightFls(s, f) };
}

export function qformatOf(s: Structure, f: StructFormat): QFormat {
  return { signed: s.signed, wl: f.wl, fl: f.fl };
}

/** The Assignment of a complete configuration (every structure has a format). */
export function toAssignment(space: SearchSpace, config: Config): Assignment {
  const at = (id: number): StructFormat => {
    const f = config[id];
    if (f === undefined) throw new FxpError(`internal: structure ${id} (${space.structures[id]!.node}) has no format`);
    return f;
  };
  const activations = new Map<number, QFormat>(space.fixedActivations);
  for (const [vid, sid] of space.activationOf) activations.set(vid, qformatOf(space.structures[sid]!, at(sid)));
  const layers = new Map<string, LayerAssignment>(space.fixedLayers);
  for (const [name, p] of space.paramsOf) {
    const ws = space.structures[p.weight]!;
    const wf = at(p.weight);
    const weight = weightAssignment(space, ws, wf);
    if (p.bias === undefined) layers.set(name, { weight });
    else {
      const bf = at(p.bias);
      layers.set(name, { weight, bias: { signed: true, wl: bf.wl, fl: bf.fl } });
    }
  }
  return { activations, layers };
}

/** Every searched structure at word length wl with its no-clipping F (uniform start). */
export function uniformConfig(space: SearchSpace, wl: { weight: number; bias: number; activation: number }): StructFormat[] {
  return space.structures.map((s) => {
    const w = wl[s.kind];
    return { wl: w, fl: startFl(s, w) };
  });
}
