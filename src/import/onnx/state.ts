/**
 * The import in progress: ONNX names to IR value ids, decoded constants, ranks,
 * and two "probe" shape assignments used to learn which dims are static.
 *
 * Probes exist when every symbolic dim of the graph inputs is a leading (batch)
 * dim: probe `a` sets the batch to 1, probe `b` to 2. Shapes are inferred node by
 * node as nodes are emitted, so a mismatch fails at the node that causes it. A dim
 * equal in both probes does not depend on the batch. Probe `a` failing is an error
 * (the model cannot run with batch 1); probe `b` failing only disables it (some
 * models hard-code batch 1).
 */
import { FxpError } from '../../errors.js';
import { GraphBuilder, type Dim } from '../../ir/graph.js';
import { inferNodeShape } from '../../ir/shape.js';
import type { OpAttrMap, OpType } from '../../ir/ops.js';
import type { OnnxConstant } from './tensor.js';

type Shape = readonly number[];

export interface Probes {
  readonly a: (Shape | undefined)[];
  readonly b: (Shape | undefined)[] | undefined;
  bBroken: boolean;
}

export class ImportState {
  readonly builder: GraphBuilder;
  /** ONNX value name -> IR value id. */
  readonly ids = new Map<string, number>();
  /** ONNX value name -> constant (initializers, Constant nodes), materialized in the IR on first use. */
  readonly consts = new Map<string, OnnxConstant>();
  /** ONNX names of outputs the importer does not produce (MaxPool indices, Dropout mask) -> description. */
  readonly unsupported = new Map<string, string>();
  private readonly ranks = new Map<number, number>();

  constructor(
    readonly file: string,
    readonly opset: number,
    graphName: string,
    readonly probes: Probes | undefined,
  ) {
    this.builder = new GraphBuilder(graphName);
  }

  addInput(name: string, shape: readonly Dim[], known: boolean, probeA?: Shape, probeB?: Shape): number {
    const id = this.builder.addInput(name, shape);
    this.ids.set(name, id);
    if (known) this.ranks.set(id, shape.length);
    this.setProbe(id, probeA, probeB);
    return id;
  }

  /** IR id of an ONNX constant, adding it to the graph on first use. */
  materialize(c: OnnxConstant): number {
    const existing = this.ids.get(c.name);
    if (existing !== undefined) return existing;
    const data = c.data instanceof Float32Array ? c.data : Float32Array.from(c.data);
    const id = this.builder.addConstant(c.name, c.dims, data);
    this.ids.set(c.name, id);
    this.ranks.set(id, c.dims.length);
    this.setProbe(id, c.dims, c.dims);
    return id;
  }

  addConstant(name: string, dims: readonly number[], data: Float32Array): number {
    const id = this.builder.addConstant(name, dims, data);
    this.ranks.set(id, dims.length);
    this.setProbe(id, dims, dims);
    return id;
  }

  /** Adds an IR node; returns its output id. Shape checks of probe `a` throw here. */
  addNode<K extends OpType>(op: K, name: string, attrs: OpAttrMap[K], inputs: readonly number[], outName: string, rank: number | undefined): number {
    const out = this.builder.addNode(op, name, attrs, inputs, outName);
    const p = this.probes;
    if (p !== undefined) {
      const node = this.builder.finish().nodes.at(-1)!;
      const shapesA = inputs.map((i) => p.a[i]);
      if (shapesA.every((s) => s !== undefined)) {
        p.a[out] = inferNodeShape(node, shapesA);
        if (p.b !== undefined && !p.bBroken) {
          const shapesB = inputs.map((i) => p.b![i]);
          try {
            if (shapesB.every((s) => s !== undefined)) p.b[out] = inferNodeShape(node, shapesB);
          } catch (err) {
            if (!(err instanceof FxpError)) throw err;
            p.bBroken = true;
          }
        }
      }
    }
    const r = p?.a[out]?.length ?? rank;
    if (r !== undefined) this.ranks.set(out, r);
    return out;
  }

  rankOf(id: number): number | undefined {
    return this.ranks.get(id);
  }

  /** See NodeContext.knownDims. */
  knownDims(id: number): (number | undefined)[] | undefined {
    const r = this.ranks.get(id);
    if (r === undefined) return undefined;
    const p = this.probes;
    const a = p?.a[id];
    if (p === undefined || a === undefined) return new Array<undefined>(r).fill(undefined);
    if (p.b === undefined) return [...a];
    const b = p.b[id];
    if (p.bBroken || b === undefined) return new Array<undefined>(r).fill(undefined);
    return a.map((d, i) => (d === b[i] ? d : undefined));
  }

  /**
   * Shapes to record on the graph's values: static dims as numbers, dims that are
   * the batch as `batch`, other unknown dims as '?'. Undefined when the rank is unknown.
   */
  describedShape(id: number, batch: string): Dim[] | undefined {
    const r = this.ranks.get(id);
    if (r === undefined) return undefined;
    const p = this.probes;
    const a = p?.a[id];
    const b = p?.b?.[id];
    if (p === undefined || a === undefined) return new Array<Dim>(r).fill('?');
    if (p.b === undefined) return [...a];
    if (p.bBroken || b === undefined) return new Array<Dim>(r).fill('?');
    return a.map((d, i) => (d === b[i] ? d : d === 1 && b[i] === 2 ? batch : '?'));
  }

  private setProbe(id: number, a: Shape | undefined, b: Shape | undefined): void {
    const p = this.probes;
    if (p === undefined) return;
    p.a[id] = a;
    if (p.b !== undefined) p.b[id] = b;
  }
}
