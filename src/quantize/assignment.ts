/**
 * A format assignment: the word and fractional lengths chosen for every weight,
 * bias and activation tensor of a canonical float graph. Strategies (uniform,
 * goyal, fxpqnet) produce one; `lower` turns graph + assignment into an FxGraph.
 */
import type { QFormat } from '../fixed/format.js';

export type WeightScheme = 'dynamic' | 'range-adaptive';

export type WeightAssignment =
  /** Dynamic fixed point: real = q * 2^-fl[c]; fl has one entry per layer or per output channel. */
  | { readonly scheme: 'dynamic'; readonly wl: number; readonly fl: readonly number[] }
  /** Range-adaptive: q normalized to [-1, 1) times a positive real range per layer or channel. */
  | { readonly scheme: 'range-adaptive'; readonly wl: number; readonly range: readonly number[]; readonly rangeBits: number };

export interface LayerAssignment {
  readonly weight: WeightAssignment;
  /** Bias format for dynamic weights; range-adaptive biases live in accumulator units (32-bit). */
  readonly bias?: QFormat | undefined;
}

export interface Assignment {
  /** Format of each activation: graph inputs and node outputs, by float-graph value id. */
  readonly activations: ReadonlyMap<number, QFormat>;
  /** Parameter formats of Conv, ConvTranspose, Dense and ChannelAffine nodes, by node name. */
  readonly layers: ReadonlyMap<string, LayerAssignment>;
}

/** Ops whose parameters get a LayerAssignment. */
export const PARAM_OPS = ['Conv', 'ConvTranspose', 'Dense', 'ChannelAffine'] as const;
export type ParamOp = (typeof PARAM_OPS)[number];

export function isParamOp(op: string): op is ParamOp {
  return (PARAM_OPS as readonly string[]).includes(op);
}

/** Ops that move data without arithmetic: their output keeps the input's format. */
export const FORMAT_PRESERVING_OPS = new Set([
  'Flatten',
  'Reshape',
  'Transpose',
  'Pad',
  'DepthToSpace',
  'Resize',
  'Identity',
  'MaxPool',
  'GlobalMaxPool',
  'Relu',
  'Clip',
  'LeakyRelu',
]);
