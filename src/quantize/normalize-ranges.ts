/**
 * Range-adaptive activations by graph rewriting.
 *
 * A power-of-two activation format wastes up to one bit when the tensor's clip
 * value c is just above a power of two (c = 1.1 needs the range [0, 2)). Hong et
 * al.'s linear scaling layer removes that restriction: the producing layer may
 * scale its output by any factor. Here that factor is folded into the float graph
 * before quantization, exactly in real arithmetic:
 *
 *   t' = t / s  with  s = c / 2^ceil(log2 c)  in (1/2, 1],
 *
 * by dividing the producer's weights and bias by s and multiplying the weights of
 * every consumer by s. The scaled tensor fills the format whose top is
 * 2^ceil(log2 c) exactly. Eligible tensors:
 * - produced by Conv, ConvTranspose or Dense whose fused activation commutes with
 *   a positive scale (none, Relu, LeakyRelu; Clip bounds are scaled);
 * - read only by Conv, ConvTranspose, Dense (zero padding keeps zeros zero), possibly
 *   through data-movement ops (DepthToSpace, MaxPool, GlobalMaxPool, Reshape,
 *   Flatten, Transpose, Resize, Identity, constant-0 Pad without channelValues), and
 *   not a graph output.
 * With per-channel or range-adaptive weight formats the consumer's weight scale is
 * absorbed by its own format, so weight precision is unaffected.
 */
import { consumers, producers, type Graph } from '../ir/graph.js';
import type { FusedActivation, Node } from '../ir/ops.js';
import { GraphRewriter } from '../passes/rewrite.js';
import type { QFormat } from '../fixed/format.js';
import { isNonNegative, type TensorStats } from './calibrate.js';
import { histMse, type RangeMethod } from './range.js';

const MOVEMENT = new Set(['DepthToSpace', 'MaxPool', 'GlobalMaxPool', 'Reshape', 'Flatten', 'Transpose', 'Resize', 'Identity', 'Pad']);
const LINEAR = new Set(['Conv', 'ConvTranspose', 'Dense']);

/** The real clip value of a tensor for a method; 'mse' searches 128 values in (0, max|x|]. */
export function clipValue(stats: TensorStats, wl: number, method: RangeMethod, percentile = 0.9999): number {
  const h = stats.hist;
  const max = h.maxAbs;
  if (method === 'max' || max === 0) return max;
  if (method === 'percentile') return Math.max(h.percentile(percentile), max * 2 ** -8);
  const levels = 2 ** (isNonNegative(stats) ? wl : wl - 1);
  let best = max;
  let bestErr = Infinity;
  for (let k = 128; k >= 16; k--) {
    const c = (max * k) / 128;
    const err = histMse(h, c, c / levels);
    if (err < bestErr) {
      bestErr = err;
      best = c;
    }
  }
  return best;
}

/** act(x * s) = act(x) * s for s > 0, with Clip bounds scaled. */
function scaleActivation(act: FusedActivation | undefined, s: number): FusedActivation | undefined {
  if (act === undefined || act.kind === 'Relu' || act.kind === 'LeakyRelu') return act;
  return { kind: 'Clip', min: act.min * s, max: act.max * s };
}

type LinearNode = Extract<Node, { op: 'Conv' | 'ConvTranspose' | 'Dense' }>;

function isLinear(n: Node): n is LinearNode {
  return LINEAR.has(n.op);
}

/** Linear readers of value v, following data-movement ops; undefined if any reader is not eligible. */
function linearReaders(g: Graph, readers: number[][], v: number, seen = new Set<number>()): number[] | undefined {
  const out: number[] = [];
  for (const ni of readers[v]!) {
    const n = g.nodes[ni]!;
    if (LINEAR.has(n.op) && n.inputs[0] === v && !n.inputs.slice(1).includes(v)) {
      out.push(ni);
    } else if (MOVEMENT.has(n.op) && !(n.op === 'Pad' && (n.attrs.mode !== 'constant' || n.attrs.value !== 0 || n.attrs.channelValues !== undefined))) {
      const o = n.outputs[0]!;
      if (g.outputs.includes(o) || seen.has(o)) return undefined;
      seen.add(o);
      const sub = linearReaders(g, readers, o, seen);
      if (sub === undefined) return undefined;
      out.push(...sub);
    } else {
      return undefined;
    }
  }
  return out;
}

export interface NormalizedRanges {
  readonly graph: Graph;
  /** Formats of the rescaled tensors, by value name (ids change in the rewrite). */
  readonly formats: ReadonlyMap<string, QFormat>;
  /** The scale s of each rescaled tensor, by value name. */
  readonly scales: ReadonlyMap<string, number>;
}

export function normalizeActivationRanges(g: Graph, stats: ReadonlyMap<number, TensorStats>, wl: number, method: RangeMethod): NormalizedRanges {
  const readers = consumers(g);
  const prod = producers(g);
  const rw = new GraphRewriter(g);
  const formats = new Map<string, QFormat>();
  const scales = new Map<string, number>();
  // Weight multipliers: consumers multiply by the scale of the tensor they read, producers divide by theirs.
  const inScale = new Map<number, number>();
  const outScale = new Map<number, number>();
  for (const [pi, p] of g.nodes.entries()) {
    if (!isLinear(p)) continue;
    const v = p.outputs[0]!;
    const st = stats.get(v);
    if (st === undefined || g.outputs.includes(v) || prod[v] !== pi) continue;
    const lin = linearReaders(g, readers, v);
    if (lin === undefined || lin.length === 0) continue;
    const c = clipValue(st, wl, method);
    if (!(c > 0)) continue;
    const top = 2 ** Math.ceil(Math.log2(c));
    const s = c / top;
    if (s > 0.97) continue;
    outScale.set(pi, s);
    for (const ci of lin) inScale.set(ci, (inScale.get(ci) ?? 1) * s);
    const signed = !isNonNegative(st);
    formats.set(g.values[v]!.name, { signed, wl, fl: wl - (signed ? 1 : 0) - Math.log2(top) });
    scales.set(g.values[v]!.name, s);
  }
  const nodeIds = new Set([...outScale.keys(), ...inScale.keys()]);
  for (const ni of nodeIds) {
    const n = g.nodes[ni]!;
    if (!isLinear(n)) continue;
    const wIn = inScale.get(ni) ?? 1;
    const sOut = outScale.get(ni) ?? 1;
    const wv = g.values[n.inputs[1]!]!;
    const k = wIn / sOut;
    const wId = rw.addConstant(`${wv.name}_ranged`, wv.shape as number[], Float32Array.from(wv.data!, (x) => x * k));
    const bv = n.inputs[2] === undefined ? undefined : g.values[n.inputs[2]]!;
    const bIds = bv === undefined ? [] : [rw.addConstant(`${bv.name}_ranged`, bv.shape as number[], Float32Array.from(bv.data!, (x) => x / sOut))];
    const attrs = { ...n.attrs, activation: scaleActivation(n.attrs.activation, 1 / sOut) };
    rw.replaceNode(ni, { ...n, attrs, inputs: [n.inputs[0]!, wId, ...bIds] } as Node);
  }
  return { graph: nodeIds.size === 0 ? g : rw.finish(), formats, scales };
}
