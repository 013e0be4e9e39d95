/**
 * The uniform strategy: one word length for all weights, one for all biases, one
 * for all activations; fractional lengths per tensor from calibration statistics.
 */
import { FxpError } from '../errors.js';
import type { QFormat } from '../fixed/format.js';
import type { Graph } from '../ir/graph.js';
import type { Node } from '../ir/ops.js';
import { isParamOp, type Assignment, type LayerAssignment, type WeightScheme } from './assignment.js';
import type { TensorStats } from './calibrate.js';
import { chooseFormat, fracLength, weightFracLengths, weightRanges, type RangeMethod } from './range.js';

export interface UniformOptions {
  readonly weightBits: number;
  readonly biasBits: number;
  readonly activationBits: number;
  readonly scheme: WeightScheme;
  readonly granularity: 'layer' | 'channel';
  readonly activationMethod: RangeMethod;
  readonly weightMethod: 'max' | 'mse';
  /** Bits of the range-adaptive range integers (default 16). */
  readonly rangeBits?: number;
  /**
   * Word length of the logits of a fused layer+Softmax (default LOGIT_BITS): the
   * input of a Softmax whose producer is a Conv/Dense feeding nothing else is not
   * a stored activation but the fused kernel's intermediate, as in Keras'
   * Dense(activation='softmax'), whose output, the quantized activation of that
   * layer, is the probabilities. Narrow logits tie (two classes on one step), and
   * argmax sends a tie to the first class. Values <= activationBits: no widening.
   */
  readonly logitBits?: number;
}

/** Default word length of fused-Softmax logits (see UniformOptions.logitBits). */
export const LOGIT_BITS = 16;

export const DEFAULT_UNIFORM: UniformOptions = {
  weightBits: 8,
  biasBits: 16,
  activationBits: 8,
  scheme: 'dynamic',
  granularity: 'layer',
  activationMethod: 'max',
  weightMethod: 'max',
};

/** Output channels of a parameter node's weight. */
export function weightChannels(g: Graph, node: Node): number {
  const w = g.values[node.inputs[1]!]!.shape as number[];
  return node.op === 'ConvTranspose' ? 1 : w[0]!;
}

export function maxAbs(data: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) m = Math.max(m, Math.abs(data[i]!));
  return m;
}

/** Weight and bias formats of one parameter layer at the given word lengths. */
export function layerAssignment(g: Graph, node: Node, wl: number, bl: number, opts: Omit<UniformOptions, 'weightBits' | 'biasBits' | 'activationBits' | 'activationMethod'>): LayerAssignment {
  const w = g.values[node.inputs[1]!]!.data!;
  const channels = opts.granularity === 'channel' ? weightChannels(g, node) : 1;
  const weight =
    opts.scheme === 'dynamic'
      ? { scheme: 'dynamic' as const, wl, fl: weightFracLengths(w, wl, opts.weightMethod, channels) }
      : { scheme: 'range-adaptive' as const, wl, range: weightRanges(w, wl, opts.weightMethod, channels), rangeBits: opts.rangeBits ?? 16 };
  const bId = node.inputs[2];
  if (bId === undefined) return { weight };
  const b = g.values[bId]!.data!;
  const bias: QFormat = { signed: true, wl: bl, fl: fracLength(maxAbs(b), bl, true) };
  return { weight, bias };
}

export function activationFormats(g: Graph, stats: ReadonlyMap<number, TensorStats>, wl: number, method: RangeMethod): Map<number, QFormat> {
  const out = new Map<number, QFormat>();
  const ids = [...g.inputs, ...g.nodes.map((n) => n.outputs[0]!)];
  for (const id of ids) {
    const s = stats.get(id);
    if (s === undefined) throw new FxpError(`no calibration statistics for tensor '${g.values[id]!.name}'`);
    out.set(id, chooseFormat(s, wl, method));
  }
  return out;
}

/**
 * Tensors that are the logits of a fused layer+Softmax: the input of a Softmax,
 * produced by a parameter layer (Conv, Dense, ...) with no other consumer, and
 * not a graph output.
 */
export function fusedSoftmaxLogits(g: Graph): number[] {
  const consumers = new Map<number, number>();
  for (const n of g.nodes) for (const i of n.inputs) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  const out: number[] = [];
  for (const n of g.nodes) {
    if (n.op !== 'Softmax') continue;
    const id = n.inputs[0]!;
    const producer = g.nodes.find((p) => p.outputs[0] === id);
    if (producer === undefined || !isParamOp(producer.op)) continue;
    if (consumers.get(id) !== 1 || g.outputs.includes(id)) continue;
    out.push(id);
  }
  return out;
}

export function uniformAssignment(g: Graph, stats: ReadonlyMap<number, TensorStats>, opts: UniformOptions): Assignment {
  const layers = new Map<string, LayerAssignment>();
  for (const node of g.nodes) {
    if (isParamOp(node.op)) layers.set(node.name, layerAssignment(g, node, opts.weightBits, opts.biasBits, opts));
  }
  const activations = activationFormats(g, stats, opts.activationBits, opts.activationMethod);
  const logitBits = opts.logitBits ?? LOGIT_BITS;
  if (logitBits > opts.activationBits) {
    for (const id of fusedSoftmaxLogits(g)) activations.set(id, chooseFormat(stats.get(id)!, logitBits, opts.activationMethod));
  }
  return { activations, layers };
}
