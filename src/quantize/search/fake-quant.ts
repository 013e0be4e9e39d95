/**
 * The float fake-quant network the search scores candidates with: the float
 * executor with quantized-then-dequantized parameters (passed as `given`
 * constants) and every activation with a format rounded to it (the `transform`
 * hook), using the numeric contract's rounding q = clamp(floor(x * 2^fl + 1/2)).
 *
 * It follows the integer engine (src/engine/fx-graph.ts) wherever that changes a
 * value: the output of a weighted op is its exact sum rounded once to the output
 * format after the activation (ReLU commutes with that rounding), and a bias finer
 * than the accumulator is first rounded to the accumulator grid 2^-(fx + fl_w), as
 * the engine's bias alignment does. Range-adaptive weights (space.weightScheme)
 * are the lowered kernel times its range (lower.ts rangeAdaptiveWeights, the same
 * integers), and their bias is rounded to accumulator units of its channel as
 * lowering stores it; the engine's (acc + b) * range, rounded once, is then the
 * fake-quant sum rounded once (exact while kernel and range bits fit a float32
 * mantissa: wl - 1 + rangeBits <= 24). What remains different is float32 rounding of
 * the sums (a rounding tie may land on the other side) and Softmax (the engine's
 * integer exp differs from Math.exp by at most its documented error). Every figure
 * the tool reports comes from the integer engine; this path only ranks candidates.
 *
 * A structure whose format is undefined stays in float: Goyal's search quantizes
 * weights, then biases, then activations, each with only the earlier ones applied.
 */
import { isScaledIo } from '../../engine/io.js';
import { qRange, type QFormat } from '../../fixed/format.js';
import type { Node } from '../../ir/ops.js';
import { producers } from '../../ir/graph.js';
import type { Tensor } from '../../tensor.js';
import { FORMAT_PRESERVING_OPS, isParamOp } from '../assignment.js';
import { accumulatorBias } from '../lower.js';
import { channelGrid, gptqRound } from './gptq.js';
import { qformatOf, rangeAdaptiveKernel, weightFls, weightUnits, type Config, type SearchSpace, type StructFormat, type Structure } from './space.js';

/** x -> clamp(floor(x * 2^fl + 1/2), qmin, qmax) * 2^-fl, elementwise. */
export function fakeQuant(data: Float32Array, f: QFormat, out: Float32Array = new Float32Array(data.length)): Float32Array {
  const { qmin, qmax } = qRange(f);
  const scale = 2 ** f.fl;
  const step = 2 ** -f.fl;
  for (let i = 0; i < data.length; i++) {
    const q = Math.floor(data[i]! * scale + 0.5);
    out[i] = (q < qmin ? qmin : q > qmax ? qmax : q) * step;
  }
  return out;
}

/**
 * Error feedback in the search (--error-feedback): searched weight structure id ->
 * H = X^T X / R of its layer's input (gptq.ts). A structure with an H has its
 * weights rounded with error feedback at every format it is scored at.
 */
export type WeightHessians = ReadonlyMap<number, Float64Array>;

/**
 * Weights `w` [M, K] (K = the width of H) rounded with error feedback over H onto
 * wl-bit integers times `units` (one, or one per output channel: 2^-fl for dynamic
 * weights, range / 2^(wl-1) for range-adaptive ones, space.ts weightUnits), so
 * that fake quantization and lowering give them back unchanged.
 */
export function errorFedOnUnits(w: Float32Array, wl: number, units: readonly number[], h: Float64Array): Float32Array {
  const k = Math.round(Math.sqrt(h.length));
  const m = w.length / k;
  return gptqRound(w, m, k, h, channelGrid(wl, units, m));
}

/**
 * Weight structure s at f as the scorer scores it and lowering stores it, with
 * error feedback over h: on its dynamic grid (2^-FL per channel) or its
 * range-adaptive one (the units of rangeAdaptiveKernel; both weightUnits).
 */
export function errorFedStructure(space: SearchSpace, s: Structure, f: StructFormat, h: Float64Array): Float32Array {
  return errorFedOnUnits(space.graph.values[s.valueId]!.data!, f.wl, weightUnits(space, s, f), h);
}

/** One override on top of a configuration: structure `sid` at format `f`. */
export interface Override {
  readonly sid: number;
  readonly f: StructFormat;
}

export function formatAt(config: Config, override: Override | undefined, sid: number): StructFormat | undefined {
  return override !== undefined && override.sid === sid ? override.f : config[sid];
}

/** Where the format of a layer's input comes from: an activation structure or a fixed (graph input) format. */
type InputSource = { readonly sid: number } | { readonly fixed: QFormat } | undefined;

/**
 * Fake-quantized parameters and the activation transform of a search space.
 * Parameter tensors are memoized by their format, so a candidate scored again
 * gets the very same Float32Array (the float executor packs weights once per array).
 */
export class FakeQuantNet {
  private readonly memo = new Map<string, Tensor>();
  /** Range-adaptive kernels (dequantized) and their weight units, by structure and format. */
  private readonly raKernels = new Map<string, { readonly w: Tensor; readonly scale: readonly number[] }>();
  private readonly inputSource: InputSource[];
  /** Pads with per-channel values (fold-affine-forward): output value id -> where their input's format comes from. */
  private readonly padSource = new Map<number, InputSource>();
  /** Pixel I/O: the graph outputs' fixed pixel formats, which the engine rounds the last layer to (half up, saturated). */
  private readonly pixelOutputs = new Map<number, QFormat>();

  constructor(
    readonly space: SearchSpace,
    private readonly hessians: WeightHessians = new Map(),
  ) {
    const g = space.graph;
    if (isScaledIo(space.scales)) for (const id of g.outputs) if (space.fixedActivations.has(id)) this.pixelOutputs.set(id, space.fixedActivations.get(id)!);
    const prod = producers(g);
    const sourceOf = (id: number): InputSource => {
      let v = id;
      for (;;) {
        const sid = space.activationOf.get(v);
        if (sid !== undefined) return { sid };
        const fixed = space.fixedActivations.get(v);
        if (fixed !== undefined) return { fixed };
        const p = prod[v] ?? -1;
        const node = p >= 0 ? g.nodes[p] : undefined;
        if (node === undefined || !FORMAT_PRESERVING_OPS.has(node.op)) return undefined;
        v = node.inputs[0]!;
      }
    };
    this.inputSource = g.nodes.map((n) => (isParamOp(n.op) ? sourceOf(n.inputs[0]!) : undefined));
    for (const n of g.nodes) if (n.op === 'Pad' && n.attrs.channelValues !== undefined) this.padSource.set(n.outputs[0]!, sourceOf(n.inputs[0]!));
  }

  /** The format an input source gives under the configuration (undefined: none, or still float). */
  private sourceFormat(src: InputSource, config: Config, override: Override | undefined): QFormat | undefined {
    if (src === undefined) return undefined;
    if ('fixed' in src) return src.fixed;
    const f = formatAt(config, override, src.sid);
    return f === undefined ? undefined : qformatOf(this.space.structures[src.sid]!, f);
  }

  private inputFl(nodeIndex: number, config: Config, override: Override | undefined): number | undefined {
    return this.sourceFormat(this.inputSource[nodeIndex], config, override)?.fl;
  }

  /**
   * `given` constants for the quantized parameters of every layer at node index
   * >= from: searched structures per the configuration, ChannelAffine at its fixed formats.
   */
  params(config: Config, override: Override | undefined, from = 0): Map<number, Tensor> {
    const g = this.space.graph;
    const out = new Map<number, Tensor>();
    g.nodes.forEach((node, i) => {
      if (i < from || !isParamOp(node.op)) return;
      const wId = node.inputs[1]!;
      const bId = node.inputs[2];
      const fixed = this.space.fixedLayers.get(node.name);
      let wFls: readonly number[] | undefined;
      let wKey: string;
      let wl = 0;
      let h: Float64Array | undefined;
      if (fixed !== undefined) {
        if (fixed.weight.scheme !== 'dynamic') return;
        wFls = fixed.weight.fl;
        wl = fixed.weight.wl;
        wKey = `f:${node.name}`;
      } else {
        const p = this.space.paramsOf.get(node.name)!;
        const wf = formatAt(config, override, p.weight);
        if (this.space.weightScheme === 'range-adaptive') {
          this.rangeAdaptive(out, node, i, p.weight, wf, config, override);
          return;
        }
        if (wf !== undefined) {
          wFls = weightFls(this.space.structures[p.weight]!, wf);
          wl = wf.wl;
        }
        wKey = `w:${p.weight}:${wf?.wl}:${wf?.fl}`;
        h = this.hessians.get(p.weight);
      }
      if (wFls !== undefined) out.set(wId, this.weights(wKey, node, wl, wFls, h));
      if (bId === undefined) return;
      const bf = fixed !== undefined ? fixed.bias : this.biasFormat(node, config, override);
      if (bf === undefined) return;
      const fx = this.inputFl(i, config, override);
      const accFl = fx === undefined || wFls === undefined ? undefined : wFls.map((f) => fx + f);
      out.set(bId, this.bias(`b:${node.name}:${bf.wl}:${bf.fl}:${accFl?.join(',')}`, node, bf, accFl));
    });
    return out;
  }

  /**
   * Range-adaptive layer `node` (index i) with weight structure sid at wf: its
   * dequantized kernel and, once its input has a format, its bias in accumulator
   * units, both as lowering stores them.
   */
  private rangeAdaptive(out: Map<number, Tensor>, node: Node, i: number, sid: number, wf: StructFormat | undefined, config: Config, override: Override | undefined): void {
    if (wf === undefined) return;
    const h = this.hessians.get(sid);
    const key = `ra:${sid}:${wf.wl}:${wf.fl}`;
    let kernel = this.raKernels.get(key);
    if (kernel === undefined) {
      const s = this.space.structures[sid]!;
      const k = rangeAdaptiveKernel(this.space, s, wf);
      const wv = this.space.graph.values[node.inputs[1]!]!;
      // Error feedback: the same units, the integers chosen over H instead of to nearest.
      const data = h === undefined ? Float32Array.from(k.values) : errorFedOnUnits(wv.data!, wf.wl, k.scale, h);
      kernel = { w: { shape: wv.shape.map(Number), data }, scale: k.scale };
      this.raKernels.set(key, kernel);
    }
    const { w, scale } = kernel;
    out.set(node.inputs[1]!, w);
    const bId = node.inputs[2];
    const fx = this.inputFl(i, config, override);
    if (bId === undefined || fx === undefined) return;
    const bKey = `ra-b:${key}:${fx}`;
    let b = this.memo.get(bKey);
    if (b === undefined) {
      const bv = this.space.graph.values[bId]!;
      const acc = accumulatorBias(bv.data!, fx, scale);
      const s = scale;
      b = { shape: bv.shape.map(Number), data: Float32Array.from(acc, (v, c) => v * 2 ** -fx * (s.length === 1 ? s[0]! : s[c]!)) };
      this.memo.set(bKey, b);
    }
    out.set(bId, b);
  }

  private biasFormat(node: Node, config: Config, override: Override | undefined): QFormat | undefined {
    const b = this.space.paramsOf.get(node.name)?.bias;
    if (b === undefined) return undefined;
    const f = formatAt(config, override, b);
    return f === undefined ? undefined : { signed: true, wl: f.wl, fl: f.fl };
  }

  private weights(key: string, node: Node, wl: number, fls: readonly number[], h?: Float64Array): Tensor {
    let t = this.memo.get(key);
    if (t !== undefined) return t;
    const v = this.space.graph.values[node.inputs[1]!]!;
    const w = v.data!;
    let data: Float32Array;
    if (h !== undefined) {
      data = errorFedOnUnits(w, wl, fls.map((fl) => 2 ** -fl), h);
    } else {
      data = new Float32Array(w.length);
      const per = w.length / fls.length;
      fls.forEach((fl, c) => fakeQuant(w.subarray(c * per, (c + 1) * per), { signed: true, wl, fl }, data.subarray(c * per, (c + 1) * per)));
    }
    t = { shape: v.shape.map(Number), data };
    this.memo.set(key, t);
    return t;
  }

  /** Bias in its format, then (engine alignment) rounded half up to the accumulator grid where that is coarser. */
  private bias(key: string, node: Node, f: QFormat, accFl: readonly number[] | undefined): Tensor {
    let t = this.memo.get(key);
    if (t !== undefined) return t;
    const v = this.space.graph.values[node.inputs[2]!]!;
    const data = fakeQuant(v.data!, f);
    if (accFl !== undefined) {
      for (let c = 0; c < data.length; c++) {
        const a = accFl.length === 1 ? accFl[0]! : accFl[c]!;
        if (f.fl > a) data[c] = Math.floor(data[c]! * 2 ** a + 0.5) * 2 ** -a;
      }
    }
    t = { shape: v.shape.map(Number), data };
    this.memo.set(key, t);
    return t;
  }

  /** Format of activation value `id` under the configuration, if it owns one and is quantized. */
  activationFormat(id: number, config: Config, override: Override | undefined): QFormat | undefined {
    const sid = this.space.activationOf.get(id);
    if (sid === undefined) return undefined;
    const f = formatAt(config, override, sid);
    return f === undefined ? undefined : qformatOf(this.space.structures[sid]!, f);
  }

  /**
   * A per-channel Pad keeps its input's format, and the engine stores its pad values
   * in it (rounded, saturated): rounding the whole output to that format does the
   * same to them and leaves the (already quantized) copied elements unchanged.
   */
  private padFormat(id: number, config: Config, override: Override | undefined): QFormat | undefined {
    return this.sourceFormat(this.padSource.get(id), config, override);
  }

  /** The executor transform: round each quantized node output to its format; `raw` stays unrounded. */
  transform(config: Config, override: Override | undefined, raw?: number): (node: Node, t: Tensor) => Tensor {
    return (node, t) => {
      const out = node.outputs[0]!;
      if (out === raw) return t;
      const f = this.activationFormat(out, config, override) ?? this.pixelOutputs.get(out) ?? this.padFormat(out, config, override);
      return f === undefined ? t : { shape: t.shape, data: fakeQuant(t.data, f) };
    };
  }

  /** Drops memoized tensors (call when a strategy moves on, to bound memory). */
  clear(): void {
    this.memo.clear();
    this.raKernels.clear();
  }
}
