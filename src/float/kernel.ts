/**
 * The contract between the float executor and its kernels.
 *
 * A kernel is prepared once per node (weight re-layout, parameter folding) and the
 * result is run once per batch. Tensors are immutable once created: a kernel never
 * writes into its inputs, and may return an input's buffer unchanged (Identity,
 * Reshape) because no one writes into it later either.
 */
import { FxpError } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import type { Node, NodeOf, OpType } from '../ir/ops.js';
import type { Tensor } from '../tensor.js';

/**
 * Runs a prepared node. `inputs` are all of the node's inputs, parameters
 * included, in node order; `outShape` is the output shape from `inferNodeShape`,
 * already validated against the inputs.
 */
export type NodeRun = (inputs: readonly Tensor[], outShape: readonly number[]) => Tensor;

export type FloatKernel<K extends OpType> = (node: NodeOf<K>, g: Graph) => NodeRun;

export type FloatKernelTable = { readonly [K in OpType]: FloatKernel<K> };

export function kernelError(node: Node, msg: string): FxpError {
  return new FxpError(msg, { node: node.name, op: node.op });
}

/** Input `i`; the executor guarantees arity, so a missing one is an internal error. */
export function input(node: Node, inputs: readonly Tensor[], i: number): Tensor {
  const t = inputs[i];
  if (t === undefined) throw kernelError(node, `internal: missing input ${i}`);
  return t;
}

/**
 * Caches a value derived from a parameter tensor (a packed weight matrix, folded
 * scales), keyed by the identity of its data. Parameters are constants, so the
 * cache is normally filled at prepare time and hit on every run; a caller that
 * substitutes a parameter through `RunOptions.given` gets it re-derived once.
 */
export function derivedCache<T>(derive: (t: Tensor) => T): (t: Tensor) => T {
  const cache = new WeakMap<Float32Array, T>();
  return (t) => {
    let v = cache.get(t.data);
    if (v === undefined) {
      v = derive(t);
      cache.set(t.data, v);
    }
    return v;
  };
}

/** The graph's constant tensor for input `i` of `node`, if that input is a constant. */
export function constantInput(node: Node, g: Graph, i: number): Tensor | undefined {
  const id = node.inputs[i];
  const v = id === undefined ? undefined : g.values[id];
  if (v?.data === undefined) return undefined;
  return { shape: v.shape.map(Number), data: v.data };
}
