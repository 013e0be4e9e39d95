/**
 * What a converter sees of the import in progress: one ONNX node, its inputs as
 * IR value ids or decoded constants, and a way to emit the IR node for it.
 */
import type { ErrorContext } from '../../errors.js';
import type { OpAttrMap, OpType } from '../../ir/ops.js';
import type { Attributes } from './attributes.js';
import type { OnnxConstant } from './tensor.js';

export interface NodeContext {
  /** The node's name (ONNX name, or `<OpType>_<index>` when it has none). */
  readonly name: string;
  readonly opType: string;
  /** Default-domain opset the model imports. */
  readonly opset: number;
  readonly attrs: Attributes;
  /** Number of input slots, including empty (omitted optional) ones. */
  readonly inputCount: number;
  /** File, node and op, for errors raised by shared helpers. */
  readonly errorContext: ErrorContext;
  /** Throws an FxpError naming the file, this node and its op. */
  fail(msg: string): never;
  /** IR value id of input `i`; constants become IR constants. Fails when absent or unknown. */
  input(i: number, what: string): number;
  /** Like `input`, but undefined when the slot is absent or its name is empty. */
  optionalInput(i: number, what: string): number | undefined;
  /** The constant at input `i`; undefined when absent; fails when the input is computed. */
  constant(i: number, what: string): OnnxConstant | undefined;
  /** Rank of an IR value; fails (naming `what`) when the model does not let us know it. */
  rank(id: number, what: string): number;
  /**
   * Dims of an IR value that do not depend on the graph's symbolic input dims,
   * undefined for the others (and for every dim when the rank is unknown).
   */
  knownDims(id: number): readonly (number | undefined)[] | undefined;
  /** Adds an IR constant named after this node (folded weights). */
  addConstant(suffix: string, dims: readonly number[], data: Float32Array): number;
  /** Emits the IR node producing this node's first output, whose rank is `rank` when known. */
  emit<K extends OpType>(op: K, attrs: OpAttrMap[K], inputs: readonly number[], rank: number | undefined): void;
  /** Binds this node's first output to a constant (Constant nodes emit no IR node). */
  bindConstant(c: OnnxConstant): void;
}

export type Converter = (n: NodeContext) => void;

/** A converter valid from opset `since` until the next entry's `since`. */
export interface OnnxOpVersion {
  readonly since: number;
  readonly convert: Converter;
}

/** Maps a possibly negative axis into [0, rank + extra). `extra` is 1 for Flatten-style axes. */
export function canonicalAxis(n: NodeContext, axis: number, rank: number, what = 'axis', extra = 0): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank + extra) n.fail(`${what} ${axis} is out of range for rank ${rank}`);
  return a;
}

/** A constant's values as integers, checked (shape-like inputs: pads, sizes, shapes). */
export function integerValues(n: NodeContext, c: OnnxConstant, what: string): number[] {
  const out = Array.from(c.data);
  if (out.some((v) => !Number.isSafeInteger(v))) n.fail(`${what} must hold integers, got [${out.join(', ')}]`);
  return out;
}

/** A constant that must hold exactly one value (Clip bounds, Pad's constant_value). */
export function scalarValue(n: NodeContext, c: OnnxConstant, what: string): number {
  if (c.data.length !== 1) n.fail(`${what} must be a scalar, got dims [${c.dims.join(', ')}]`);
  return c.data[0]!;
}
