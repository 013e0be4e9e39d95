/**
 * A small copy-on-write editor that passes use to produce a new graph: nodes can be
 * dropped or replaced, values aliased to other values, constants added. `finish()`
 * applies the aliases and drops everything the outputs no longer need.
 */
import { compact, type Dim, type Graph, type Value } from '../ir/graph.js';
import type { Node } from '../ir/ops.js';

export class GraphRewriter {
  readonly values: Value[];
  private readonly nodes: (Node | undefined)[];
  private readonly alias = new Map<number, number>();
  private readonly before = new Map<number, Node[]>();

  constructor(readonly graph: Graph) {
    this.values = [...graph.values];
    this.nodes = [...graph.nodes];
  }

  node(i: number): Node | undefined {
    return this.nodes[i];
  }

  replaceNode(i: number, node: Node): void {
    this.nodes[i] = node;
  }

  /** Removes node i; readers of its output read `replacement` instead. */
  dropNode(i: number, replacement: number): void {
    const n = this.nodes[i];
    if (n === undefined) return;
    this.alias.set(n.outputs[0]!, replacement);
    this.nodes[i] = undefined;
  }

  /** Removes node i whose output is now written by another node. */
  removeNode(i: number): void {
    this.nodes[i] = undefined;
  }

  /** Adds `node` just before node i (its inputs must be written earlier). */
  insertBefore(i: number, node: Node): void {
    const list = this.before.get(i) ?? [];
    list.push(node);
    this.before.set(i, list);
  }

  /** A new non-constant value (the output of an inserted node). */
  addValue(name: string, shape: readonly Dim[]): number {
    this.values.push({ name, shape: [...shape] });
    return this.values.length - 1;
  }

  addConstant(name: string, shape: readonly number[], data: Float32Array): number {
    this.values.push({ name, shape: [...shape], data });
    return this.values.length - 1;
  }

  private resolve(id: number): number {
    let v = id;
    for (let hops = 0; this.alias.has(v); hops++) {
      v = this.alias.get(v)!;
      if (hops > this.values.length) throw new Error('internal: alias cycle');
    }
    return v;
  }

  finish(): Graph {
    const nodes = this.nodes
      .flatMap((n, i) => [...(this.before.get(i) ?? []), ...(n === undefined ? [] : [n])])
      .map((n) => ({ ...n, inputs: n.inputs.map((v) => this.resolve(v)) }) as Node);
    const outputs = this.graph.outputs.map((v) => this.resolve(v));
    // A graph output that became an alias keeps its name by renaming the new producer's value.
    const values = [...this.values];
    this.graph.outputs.forEach((orig, i) => {
      const now = outputs[i]!;
      if (now !== orig && values[now]!.data === undefined && !this.graph.inputs.includes(now)) {
        values[now] = { ...values[now]!, name: values[orig]!.name };
      }
    });
    return compact({ ...this.graph, values, nodes, outputs });
  }
}
