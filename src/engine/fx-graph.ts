/**
 * The fixed-point graph: what lowering produces, what `.fxp` files store, what the
 * integer engine, the float64 simulation and the C generator all execute.
 *
 * Every activation value has one per-tensor format Q(signed, wl, fl): real = q * 2^-fl.
 * Every parameter is integer data plus formats; nothing here needs a float at run
 * time. Tables for nonlinearities are built once (at lowering) and stored, so every
 * execution uses the very same integers.
 *
 * Weights (Conv, ConvTranspose, Dense, ChannelAffine scale), per output channel c
 * (or one entry for the whole layer):
 *   dynamic fixed point (Goyal):   real = q * 2^-fl[c]
 *   range-adaptive (Hong):         real = q * 2^-fl[c] * range[c] * 2^-rangeFl
 *                                  (fl[c] = wl - 1: q is the kernel normalized to
 *                                  [-1, 1), range[c] a positive fixed-point scalar)
 * Accumulator of output channel c: acc = sum(x_q * w_q), real = acc * 2^-(fx + fl[c]).
 * Bias:
 *   'format':      its own Q format (Goyal), aligned to the accumulator by shifts;
 *   'accumulator': already in accumulator units of channel c (range-adaptive).
 * Output (linear scaling layer):
 *   dynamic:        y = sat(act(roundShift(acc + b, fx + fl[c] - fo)))
 *   range-adaptive: y = sat(act(roundShift((acc + b) * range[c], fx + fl[c] + rangeFl - fo)))
 * roundShift(v, s) = floor((v + 2^(s-1)) / 2^s) for s > 0, v * 2^-s for s <= 0.
 */
import type { QFormat } from '../fixed/format.js';
import type { Dim } from '../ir/graph.js';
import type { AveragePoolAttrs, ConvAttrs, ConvTransposeAttrs, PoolAttrs, ResizeAttrs } from '../ir/ops.js';

export interface FxWeights {
  readonly shape: readonly number[];
  /** Signed integers in [-2^(wl-1), 2^(wl-1) - 1]. Row-major in the float graph's weight layout. */
  readonly data: Int32Array;
  /** Word length including the sign bit, 2..16. */
  readonly wl: number;
  /** One entry (per layer) or one per output channel. */
  readonly fl: readonly number[];
  /** Present for range-adaptive weights: one unsigned integer per entry of fl. */
  readonly range?: { readonly data: Int32Array; readonly fl: number; readonly bits: number } | undefined;
}

export type FxBias =
  | { readonly kind: 'format'; readonly data: Int32Array; readonly format: QFormat }
  | { readonly kind: 'accumulator'; readonly data: Int32Array; readonly wl: number };

/**
 * Fused activation on an op's output, in output-format integers:
 * Relu: max(q, 0); Clip: clamp(q, lo, hi);
 * LeakyRelu: q < 0 ? roundShift(q * m, shift) : q (applied before saturation).
 */
export type FxActivation =
  | { readonly kind: 'Relu' }
  | { readonly kind: 'Clip'; readonly lo: number; readonly hi: number }
  | { readonly kind: 'LeakyRelu'; readonly m: number; readonly shift: number };

type Window = Omit<ConvAttrs, 'activation' | 'group'>;

/** Lookup table for an elementwise function: out = table[clamp(q, qmin, qmax) - qmin]. */
export interface FxTable {
  readonly qmin: number;
  readonly data: Int32Array;
}

/** The integer exp of src/fixed/exp.ts: base-256 digit tables of Q30 values. */
export interface FxExpTable {
  readonly inFl: number;
  readonly outFl: number;
  readonly jMax: number;
  readonly tables: readonly Int32Array[];
}

export interface FxOpAttrMap {
  Conv: Window & { readonly group: number; readonly weights: FxWeights; readonly bias?: FxBias | undefined; readonly activation?: FxActivation | undefined };
  ConvTranspose: Omit<ConvTransposeAttrs, 'activation'> & { readonly weights: FxWeights; readonly bias?: FxBias | undefined; readonly activation?: FxActivation | undefined };
  Dense: { readonly weights: FxWeights; readonly bias?: FxBias | undefined; readonly activation?: FxActivation | undefined };
  /** y = x * scale[c] + bias[c]: scale is an FxWeights of shape [C], one fl per channel or one. */
  ChannelAffine: { readonly weights: FxWeights; readonly bias?: FxBias | undefined; readonly activation?: FxActivation | undefined };
  /** Operands aligned to F = max(fa, fb) by left shifts, added, then roundShift(·, F - fo). */
  Add: { readonly activation?: FxActivation | undefined };
  /** Product at fa + fb, then roundShift(·, fa + fb - fo). */
  Mul: Record<never, never>;
  /** Each input shifted to the output format. */
  Concat: { readonly axis: number };
  /** Normally the same format in and out; otherwise the result is converted like Requantize. */
  MaxPool: PoolAttrs;
  /** Window sum, then exact rounding division by the cell count, shifted to fo. */
  AveragePool: AveragePoolAttrs;
  GlobalMaxPool: Record<never, never>;
  GlobalAveragePool: Record<never, never>;
  /** Standalone activations: converted to the output format first (like Requantize), then the activation, then saturation. */
  Relu: Record<never, never>;
  /** lo/hi in output-format integers. */
  Clip: { readonly lo: number; readonly hi: number };
  LeakyRelu: { readonly m: number; readonly shift: number };
  /** Table from input integers to output integers. */
  Sigmoid: { readonly table: FxTable };
  Tanh: { readonly table: FxTable };
  /**
   * Integer softmax (src/fixed/softmax.ts softmaxQ): e_i = expQ(q_i - max) with the
   * stored digit tables (src/fixed/exp.ts ExpTable, built once at lowering), integer
   * sum, rounding division to the output format. exp.inFl is the input format's fl.
   */
  Softmax: { readonly axis: number; readonly exp: FxExpTable };
  Flatten: { readonly axis: number };
  Reshape: { readonly shape: readonly number[] };
  Transpose: { readonly perm: readonly number[] };
  /**
   * value (and each of channelValues, the per-channel constants of dim 1 that
   * replace it where present) is already quantized to the input format.
   */
  Pad: {
    readonly pads: readonly number[];
    readonly mode: 'constant' | 'reflect' | 'edge';
    readonly value: number;
    readonly channelValues?: readonly number[] | undefined;
  };
  DepthToSpace: { readonly blocksize: number; readonly mode: 'DCR' | 'CRD' };
  Resize: ResizeAttrs;
  /** Format conversion: roundShift to the output format, saturate. */
  Requantize: Record<never, never>;
  Identity: Record<never, never>;
}

export type FxOpType = keyof FxOpAttrMap;

/** Number of activation inputs each op takes: [min, max]. Parameters live in attrs. */
export const FX_OP_ARITY = {
  Conv: [1, 1],
  ConvTranspose: [1, 1],
  Dense: [1, 1],
  ChannelAffine: [1, 1],
  Add: [2, 2],
  Mul: [2, 2],
  Concat: [1, Infinity],
  MaxPool: [1, 1],
  AveragePool: [1, 1],
  GlobalMaxPool: [1, 1],
  GlobalAveragePool: [1, 1],
  Relu: [1, 1],
  Clip: [1, 1],
  LeakyRelu: [1, 1],
  Sigmoid: [1, 1],
  Tanh: [1, 1],
  Softmax: [1, 1],
  Flatten: [1, 1],
  Reshape: [1, 1],
  Transpose: [1, 1],
  Pad: [1, 1],
  DepthToSpace: [1, 1],
  Resize: [1, 1],
  Requantize: [1, 1],
  Identity: [1, 1],
} as const satisfies { [K in FxOpType]: readonly [number, number] };

export function isFxOpType(s: string): s is FxOpType {
  return Object.prototype.hasOwnProperty.call(FX_OP_ARITY, s);
}

export interface FxNodeOf<K extends FxOpType> {
  readonly op: K;
  readonly name: string;
  readonly attrs: FxOpAttrMap[K];
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
}

export type FxNode = { [K in FxOpType]: FxNodeOf<K> }[FxOpType];

export interface FxValue {
  readonly name: string;
  readonly shape: readonly Dim[];
  readonly format: QFormat;
}

export interface FxGraph {
  readonly name: string;
  readonly values: readonly FxValue[];
  readonly nodes: readonly FxNode[];
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  readonly inputLayout?: 'NCHW' | 'NHWC' | undefined;
  /** Free-form provenance: source model, strategy, calibration set. */
  readonly meta?: Readonly<Record<string, string>> | undefined;
}

/** A batched integer tensor with its format. */
export interface FxTensor {
  readonly shape: readonly number[];
  readonly data: Int32Array;
  readonly format: QFormat;
}
