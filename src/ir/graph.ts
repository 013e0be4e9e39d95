/**
 * The float graph: plain immutable data, linked by index.
 *
 * - `values[i]` is value id i: a graph input, a constant (has `data`) or a node output.
 * - `nodes` are in topological order; each node has exactly one output value.
 * - Shapes may hold symbolic dims (strings) for the batch and dynamic image sizes;
 *   concrete shapes come from `inferShapes` once input shapes are known.
 */
import { FxpError } from '../errors.js';
import type { Node, NodeOf, OpAttrMap, OpType } from './ops.js';

export type Dim = number | string;

export interface Value {
  readonly name: string;
  readonly shape: readonly Dim[];
  /** Present for constants (weights, biases, BN statistics). Row-major. */
  readonly data?: Float32Array | undefined;
}

export interface Graph {
  readonly name: string;
  readonly values: readonly Value[];
  readonly nodes: readonly Node[];
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  /** How the graph's inputs are laid out for users (channels-last models say NHWC). */
  readonly inputLayout?: 'NCHW' | 'NHWC' | undefined;
}

export function isConstant(g: Graph, id: number): boolean {
  return g.values[id]?.data !== undefined;
}

export function valueOf(g: Graph, id: number): Value {
  const v = g.values[id];
  if (v === undefined) throw new FxpError(`value id ${id} out of range (graph has ${g.values.length} values)`);
  return v;
}

export function constantData(g: Graph, id: number, node?: Node): Float32Array {
  const v = valueOf(g, id);
  if (v.data === undefined) {
    throw new FxpError(`input '${v.name}' must be a constant`, { node: node?.name, op: node?.op });
  }
  return v.data;
}

/** For each value id, the indices of the nodes that read it. */
export function consumers(g: Graph): number[][] {
  const out: number[][] = g.values.map(() => []);
  g.nodes.forEach((n, i) => {
    for (const v of n.inputs) out[v]?.push(i);
  });
  return out;
}

/** For each value id, the index of the node that writes it, or -1. */
export function producers(g: Graph): number[] {
  const out = new Array<number>(g.values.length).fill(-1);
  g.nodes.forEach((n, i) => {
    for (const v of n.outputs) out[v] = i;
  });
  return out;
}

/**
 * Mutable builder used by importers and passes; `finish()` returns the immutable
 * graph. Values are addressed by id; names are kept unique.
 */
export class GraphBuilder {
  private readonly values: Value[] = [];
  private readonly nodes: Node[] = [];
  private readonly names = new Set<string>();
  inputs: number[] = [];
  outputs: number[] = [];

  constructor(readonly name: string) {}

  uniqueName(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    return name;
  }

  addValue(name: string, shape: readonly Dim[], data?: Float32Array): number {
    const unique = this.uniqueName(name);
    this.names.add(unique);
    this.values.push(data === undefined ? { name: unique, shape: [...shape] } : { name: unique, shape: [...shape], data });
    return this.values.length - 1;
  }

  addConstant(name: string, shape: readonly number[], data: Float32Array): number {
    return this.addValue(name, shape, data);
  }

  addInput(name: string, shape: readonly Dim[]): number {
    const id = this.addValue(name, shape);
    this.inputs.push(id);
    return id;
  }

  /** Adds a node and its output value (shape filled in later by shape inference). */
  addNode<K extends OpType>(op: K, name: string, attrs: OpAttrMap[K], inputs: readonly number[], outputName?: string): number {
    const out = this.addValue(outputName ?? name, []);
    const nodeName = this.uniqueNodeName(name);
    const node: NodeOf<K> = { op, name: nodeName, attrs, inputs: [...inputs], outputs: [out] };
    this.nodes.push(node as Node);
    return out;
  }

  value(id: number): Value {
    const v = this.values[id];
    if (v === undefined) throw new FxpError(`value id ${id} out of range`);
    return v;
  }

  setShape(id: number, shape: readonly Dim[]): void {
    const v = this.value(id);
    this.values[id] = { ...v, shape: [...shape] };
  }

  finish(extra: Partial<Pick<Graph, 'inputLayout'>> = {}): Graph {
    return {
      name: this.name,
      values: this.values,
      nodes: this.nodes,
      inputs: this.inputs,
      outputs: this.outputs,
      ...extra,
    };
  }

  private readonly nodeNames = new Set<string>();
  private uniqueNodeName(base: string): string {
    let name = base;
    for (let i = 1; this.nodeNames.has(name); i++) name = `${base}_${i}`;
    this.nodeNames.add(name);
    return name;
  }
}

/**
 * Rebuilds a graph keeping only what the outputs need, with value ids renumbered
 * densely. Passes use it after dropping or rewiring nodes.
 */
export function compact(g: Graph): Graph {
  const prod = producers(g);
  const needed = new Set<number>();
  const liveNodes = new Set<number>();
  const stack = [...g.outputs];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (needed.has(v)) continue;
    needed.add(v);
    const p = prod[v] ?? -1;
    if (p >= 0 && !liveNodes.has(p)) {
      liveNodes.add(p);
      for (const i of g.nodes[p]!.inputs) stack.push(i);
    }
  }
  for (const i of g.inputs) needed.add(i);
  const remap = new Map<number, number>();
  const values: Value[] = [];
  g.values.forEach((v, i) => {
    if (needed.has(i)) {
      remap.set(i, values.length);
      values.push(v);
    }
  });
  const map = (id: number): number => {
    const r = remap.get(id);
    if (r === undefined) throw new FxpError(`internal: value ${id} dropped while still referenced`);
    return r;
  };
  const nodes = g.nodes
    .filter((_, i) => liveNodes.has(i))
    .map((n) => ({ ...n, inputs: n.inputs.map(map), outputs: n.outputs.map(map) }) as Node);
  return { ...g, values, nodes, inputs: g.inputs.map(map), outputs: g.outputs.map(map) };
}
