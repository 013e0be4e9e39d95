/**
 * Prepare time of the integer engine: everything that is not integer arithmetic
 * happens here, once. `prepareEngine` validates the fixed-point graph and prepares
 * every node's reference kernel (bias alignment, shifts, activation parameters and
 * the accumulator-bound proof, which rejects a node whose bound reaches 2^53).
 * `bindPlan` specializes the plan to concrete input shapes (window geometry, pool
 * divisors, gather maps, shape-dependent bounds); the runtime caches it per shape.
 */
import { FxpError, wrapError } from '../errors.js';
import { formatToString, MAX_FL, MIN_FL, type QFormat } from '../fixed/format.js';
import { FX_OP_ARITY, isFxOpType, type FxGraph, type FxNode, type FxNodeOf, type FxOpType } from './fx-graph.js';
import { REF_KERNELS } from './kernels/ref/index.js';
import type { AccWidth, BoundKernel, NodeIO, PreparedKernel, RefKernel, Shape } from './kernels/ref/kernel.js';
import { inferFxShapes } from './shapes.js';

export interface NodePlan {
  readonly node: FxNode;
  readonly inFormats: readonly QFormat[];
  readonly outFormat: QFormat;
  readonly kernel: PreparedKernel;
}

export interface EnginePlan {
  readonly graph: FxGraph;
  readonly nodes: readonly NodePlan[];
  /** Per value id: index of the last node that reads it, -1 if none. */
  readonly lastUse: Int32Array;
  /** Per value id: 1 for graph outputs (never freed). */
  readonly isOutput: Uint8Array;
}

export interface ShapedPlan {
  /** Concrete shape of every value id ([] for values never computed). */
  readonly shapes: readonly number[][];
  readonly nodes: readonly BoundKernel[];
}


/**
 * Value formats must be valid and fit an Int32Array: wl in 2..32 (signed) or 2..31
 * (unsigned), fl an integer in MIN_FL..MAX_FL.
 */
export function validateValueFormat(f: QFormat, name: string): void {
  const maxWl = f.signed ? 32 : 31;
  if (typeof f.signed !== 'boolean' || !Number.isInteger(f.wl) || f.wl < 2 || f.wl > maxWl) {
    throw new FxpError(`value '${name}' has format ${formatToString(f)}: word length must be in 2..${maxWl} to fit Int32Array`);
  }
  if (!Number.isInteger(f.fl) || f.fl < MIN_FL || f.fl > MAX_FL) {
    throw new FxpError(`value '${name}' has format ${formatToString(f)}: fractional length must be an integer in ${MIN_FL}..${MAX_FL}`);
  }
}

function prepareNode<K extends FxOpType>(node: FxNodeOf<K>, io: NodeIO): PreparedKernel {
  const kernel = REF_KERNELS[node.op] as RefKernel<K>;
  try {
    return kernel(node, io);
  } catch (err) {
    throw wrapError(err, 'cannot prepare node', { node: node.name, op: node.op });
  }
}

/** Validates the graph structure and prepares every node. Throws FxpError naming the node. */
export function prepareEngine(fx: FxGraph): EnginePlan {
  const nv = fx.values.length;
  const defined = new Uint8Array(nv);
  const valueName = (id: number): string => fx.values[id]?.name ?? `#${id}`;
  for (const v of fx.values) validateValueFormat(v.format, v.name);
  for (const id of fx.inputs) {
    if (!(id >= 0 && id < nv)) throw new FxpError(`graph input id ${id} out of range (${nv} values)`);
    if (defined[id] === 1) throw new FxpError(`graph input '${valueName(id)}' is listed twice`);
    defined[id] = 1;
  }
  const lastUse = new Int32Array(nv).fill(-1);
  const nodes = fx.nodes.map((node, index): NodePlan => {
    const ctx = { node: node.name, op: node.op };
    if (!isFxOpType(node.op)) throw new FxpError(`unknown fixed-point op '${String(node.op)}'`, ctx);
    const [lo, hi] = FX_OP_ARITY[node.op];
    if (node.inputs.length < lo || node.inputs.length > hi) {
      throw new FxpError(`takes ${lo === hi ? lo : `${lo}..${hi}`} inputs, got ${node.inputs.length}`, ctx);
    }
    for (const id of node.inputs) {
      if (!(id >= 0 && id < nv)) throw new FxpError(`input id ${id} out of range (${nv} values)`, ctx);
      if (defined[id] !== 1) throw new FxpError(`input '${valueName(id)}' is used before it is computed`, ctx);
      lastUse[id] = index;
    }
    const out = node.outputs[0];
    if (node.outputs.length !== 1 || out === undefined) throw new FxpError(`must have exactly one output, has ${node.outputs.length}`, ctx);
    if (!(out >= 0 && out < nv)) throw new FxpError(`output id ${out} out of range (${nv} values)`, ctx);
    if (defined[out] === 1) throw new FxpError(`output '${valueName(out)}' is already defined`, ctx);
    defined[out] = 1;
    const inFormats = node.inputs.map((id) => fx.values[id]!.format);
    const outFormat = fx.values[out]!.format;
    return { node, inFormats, outFormat, kernel: prepareNode(node, { inFormats, outFormat }) };
  });
  const isOutput = new Uint8Array(nv);
  for (const id of fx.outputs) {
    if (!(id >= 0 && id < nv) || defined[id] !== 1) throw new FxpError(`graph output '${valueName(id)}' is never computed`);
    isOutput[id] = 1;
  }
  return { graph: fx, nodes, lastUse, isOutput };
}

/** Specializes a plan to concrete input shapes (dim 0 = batch). Throws FxpError on mismatch or bound. */
export function bindPlan(plan: EnginePlan, inputShapes: readonly Shape[]): ShapedPlan {
  const shapes = inferFxShapes(plan.graph, inputShapes);
  const nodes = plan.nodes.map(({ node, kernel }) => {
    try {
      return kernel.bind(
        node.inputs.map((id) => shapes[id]!),
        shapes[node.outputs[0]!]!,
      );
    } catch (err) {
      throw wrapError(err, 'cannot bind node to its input shapes', { node: node.name, op: node.op });
    }
  });
  return { shapes, nodes };
}

export interface AccumulatorRow {
  readonly node: string;
  readonly op: FxOpType;
  /** 'shape-dependent' when the bound needs input shapes and none were given. */
  readonly width: AccWidth | 'shape-dependent';
  readonly bound: number | undefined;
  /** Weighted ops: width and bound of the requantization step (range product, shifts). */
  readonly postWidth?: AccWidth | undefined;
  readonly postBound?: number | undefined;
}

/** Per node: the accumulator width and bound (from the shaped plan where given). */
export function accumulatorTable(plan: EnginePlan, shaped?: ShapedPlan): AccumulatorRow[] {
  return plan.nodes.map(({ node, kernel }, i) => {
    const acc = shaped?.nodes[i]?.acc ?? kernel.acc;
    return { node: node.name, op: node.op, width: acc?.width ?? 'shape-dependent', bound: acc?.bound, postWidth: acc?.post?.width, postBound: acc?.post?.bound };
  });
}
