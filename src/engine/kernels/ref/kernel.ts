/**
 * The contract between the integer engine's plan and its reference kernels.
 *
 * A kernel is prepared once per node (`RefKernel`): it validates the node's integer
 * parameters, does every non-integer computation (bias alignment, shifts, bounds)
 * and proves its accumulator bound. `bind` then specializes it to concrete input
 * shapes (window geometry, index maps, divisors), and `run` does integer work only:
 * Int32Array in, Int32Array out, no floats but exact integer-valued doubles.
 *
 * Accumulator widths: 'int32' when every intermediate integer of the node is below
 * 2^31 in magnitude (a C or WASM engine may use int32 throughout), 'wide' when it is
 * below 2^53 (exact in a JS double, int64 in C). Anything at or above 2^53 is an
 * FxpError at prepare/bind time: overflow is never silent.
 */
import type { QFormat } from '../../../fixed/format.js';
import { qRange } from '../../../fixed/format.js';
import { FxpError } from '../../../errors.js';
import type { FxNodeOf, FxOpType } from '../../fx-graph.js';

export type Shape = readonly number[];

export type AccWidth = 'int32' | 'wide';

export interface AccInfo {
  readonly width: AccWidth;
  /** Largest magnitude the node's accumulation (or, for ops without one, any intermediate) can take. */
  readonly bound: number;
  /**
   * Weighted ops: the requantization intermediates after the accumulation (range
   * product, left-shifted value, LeakyRelu product), often wider than the sum
   * itself (an int32 MAC loop with a 64-bit scaling step, as in TFLite).
   */
  readonly post?: { readonly width: AccWidth; readonly bound: number } | undefined;
}

export interface NodeIO {
  readonly inFormats: readonly QFormat[];
  readonly outFormat: QFormat;
}

export interface BoundKernel {
  readonly acc: AccInfo;
  /** Computes the node output into `out` (sized for the bound output shape). Never writes its inputs. */
  readonly run: (inputs: readonly Int32Array[], out: Int32Array) => void;
}

export interface PreparedKernel {
  /** Accumulator analysis when it does not depend on the input shape, else undefined (see BoundKernel.acc). */
  readonly acc: AccInfo | undefined;
  /** Specializes the kernel to concrete input shapes; `outShape` comes from inferFxNodeShape. */
  readonly bind: (inShapes: readonly Shape[], outShape: Shape) => BoundKernel;
}

export type RefKernel<K extends FxOpType> = (node: FxNodeOf<K>, io: NodeIO) => PreparedKernel;

/** What error messages need of a node: any FxNode (or FxNodeOf a union of ops) is one. */
export interface NodeRef {
  readonly name: string;
  readonly op: FxOpType;
}

export const INT32_LIMIT = 2 ** 31;
export const EXACT_LIMIT = 2 ** 53;

export function nodeError(node: NodeRef, msg: string): FxpError {
  return new FxpError(msg, { node: node.name, op: node.op });
}

/** Largest |q| a value of format f can hold. */
export function maxAbsOf(f: QFormat): number {
  const { qmin, qmax } = qRange(f);
  return Math.max(-qmin, qmax);
}

/**
 * The accumulator width for a proven bound; throws an FxpError naming the node when
 * the bound reaches 2^53 (no exact path exists). `what` says which quantity.
 */
export function accInfo(node: NodeRef, bound: number, what = 'accumulator'): AccInfo {
  if (!(bound < EXACT_LIMIT)) {
    throw nodeError(
      node,
      `${what} bound ${bound} reaches 2^53: no exact integer path; use narrower weights/activations or a smaller shift`,
    );
  }
  return { width: bound < INT32_LIMIT ? 'int32' : 'wide', bound };
}

/** The wider of two accumulator analyses (both already checked). */
export function widerAcc(a: AccInfo, b: AccInfo): AccInfo {
  const bound = Math.max(a.bound, b.bound);
  return { width: bound < INT32_LIMIT ? 'int32' : 'wide', bound };
}

/** The input the plan guarantees; a missing one is an internal error. */
export function inputAt(node: NodeRef, inputs: readonly Int32Array[], i: number): Int32Array {
  const t = inputs[i];
  if (t === undefined) throw nodeError(node, `internal: missing input ${i}`);
  return t;
}

export function formatAt(node: NodeRef, io: NodeIO, i: number): QFormat {
  const f = io.inFormats[i];
  if (f === undefined) throw nodeError(node, `internal: missing format of input ${i}`);
  return f;
}

export function shapeAt(node: NodeRef, shapes: readonly Shape[], i: number): Shape {
  const s = shapes[i];
  if (s === undefined) throw nodeError(node, `internal: missing shape of input ${i}`);
  return s;
}

/**
 * Floor division of integers, exact whenever |a| + b < 2^53 (b > 0): the double
 * quotient is then off by at most one, and the remainder a - q*b, an exact integer,
 * corrects it.
 */
export function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  const r = a - q * b;
  if (r < 0) q -= 1;
  else if (r >= b) q += 1;
  return q;
}
