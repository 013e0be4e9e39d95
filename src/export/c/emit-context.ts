/**
 * What a node emitter gets and gives back. An emitter turns one fixed-point node,
 * bound to concrete shapes, into const parameter declarations (arrays and one
 * descriptor struct) and the C statement that runs its kernel. All parameters
 * come from the engine's own prepare functions (linear-stage.ts, output-stage.ts,
 * ...), so the C constants are the integers the TS reference kernels use.
 */
import type { FxNodeOf, FxOpType } from '../../engine/fx-graph.js';
import type { NodeIO } from '../../engine/kernels/ref/kernel.js';
import type { ActSat, Requant } from '../../engine/kernels/ref/output-stage.js';
import type { MeanRounding } from '../../engine/kernels/ref/average-pool.js';
import { FxpError } from '../../errors.js';
import { C_TYPE_BYTES, cConstArray, cInt, type CIntType } from './c-text.js';
import { C_MAX_RANK } from './runtime.js';
import type { CKernel, CStorage } from './runtime-core.js';

/** Width of a node's accumulation loop in C ('none': no accumulation). */
export type CAccWidth = 'int32' | 'int64' | 'none';

export interface NodeCode {
  /** Kernel variants the node calls. */
  readonly kernels: readonly CKernel[];
  /** C statement(s) running the node, given its input and output pointer expressions. */
  readonly call: (ins: readonly string[], out: string) => string;
  readonly acc: CAccWidth;
}

export interface EmitInput<K extends FxOpType> {
  readonly node: FxNodeOf<K>;
  readonly io: NodeIO;
  readonly inShapes: readonly (readonly number[])[];
  readonly outShape: readonly number[];
  /** Storage types of the input arrays and of the output array. */
  readonly inTypes: readonly CStorage[];
  readonly outType: CStorage;
  /** Unique C suffix of this node's symbols. */
  readonly id: string;
  readonly out: DeclSink;
}

export type NodeEmitter<K extends FxOpType> = (e: EmitInput<K>) => NodeCode;

/** Collects the parameter section of the .c file and counts its array bytes. */
export class DeclSink {
  readonly decls: string[] = [];
  arrayBytes = 0;

  /** Declares `static const type name[] = {data}` and returns name. */
  array(name: string, type: CIntType, data: ArrayLike<number>, comment: string): string {
    this.decls.push(cConstArray(name, type, data, comment));
    this.arrayBytes += Math.max(1, data.length) * C_TYPE_BYTES[type];
    return name;
  }

  /** Declares `static const type name = init;` and returns `&name`. */
  struct(name: string, type: string, init: string): string {
    this.decls.push(`static const ${type} ${name} = ${init};\n`);
    return `&${name}`;
  }
}

/** A designated initializer `{ .a = 1, .b = 2 }`. */
export function cInit(fields: Readonly<Record<string, string | number>>): string {
  const parts = Object.entries(fields).map(([k, v]) => `.${k} = ${typeof v === 'number' ? cInt(v) : v}`);
  return `{ ${parts.join(', ')} }`;
}

/**
 * fx_act_t. A LeakyRelu shift beyond +-63 is clamped: the shifted value is below
 * 2^53, so any right shift >= 54 gives 0 either way, and a left shift that large is
 * only reachable with a zero product (the plan's bound).
 */
export function cAct(st: ActSat): string {
  const shift = Math.max(-63, Math.min(63, st.shift));
  return cInit({ lo: st.lo, hi: st.hi, leaky: st.leaky ? 1 : 0, shift, m: cInt(st.m, 'int64_t') });
}

export function cRq(rq: Requant): string {
  return cInit({ shift: rq.s, act: cAct(rq.st) });
}

export function cMean(m: MeanRounding): string {
  return cInit({ pa: cInt(m.pa, 'int64_t'), pb: cInt(m.pb, 'int64_t'), qmin: m.qmin, qmax: m.qmax });
}

/** fx_dims_t of a shape; rank 0 is walked as [1]. */
export function cDims(shape: readonly number[], ctx: { node: string; op: string }): string {
  const dims = shape.length === 0 ? [1] : shape;
  if (dims.length > C_MAX_RANK) throw new FxpError(`rank ${dims.length} exceeds the C runtime's ${C_MAX_RANK}`, ctx);
  return cInit({ rank: dims.length, dims: `{ ${dims.map((d) => cInt(d)).join(', ')} }` });
}
