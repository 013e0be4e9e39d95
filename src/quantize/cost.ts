/**
 * The cost model of a format assignment (docs/search.md, "Cost model").
 *
 * One row per node that owns memory of its own:
 *   - 'layer':  Conv, ConvTranspose, Dense — weights, biases, output activations;
 *   - 'affine': ChannelAffine (a BatchNormalization kept after a ReLU) — its scale
 *               counts as weights, its shift as biases, plus its output activations;
 *   - 'activation': any other op whose output gets a format of its own (Add, Mul,
 *               Concat, Softmax, Sigmoid, Tanh, AveragePool, GlobalAveragePool).
 * Ops that keep their input's format (MaxPool, Flatten, Reshape, Relu, ...) and the
 * graph inputs own no row: their values are the same integers in the same format.
 *
 * Per row, with wl_w, wl_b, wl_a the word lengths of weights, biases and the
 * output activation, wl_in that of the (first) input, and counts per sample:
 *   memory    = wl_w * #weights + wl_b * #biases + wl_a * #activations   (bits)
 *               + rangeBits * #ranges (range-adaptive weights: one stored range
 *               per output channel or per layer; 0 for dynamic weights)
 *   multCost  = wl_w * wl_a * MACs        (Goyal: bw_w * #weights * bw_a * #output
 *                                          positions; MACs = #weights * positions
 *                                          for Conv and Dense)
 *   BOPs      = wl_w * wl_in * MACs       (multiplier operand widths)
 * Totals are given in two scopes: 'all' rows, and 'layers' (Conv, ConvTranspose,
 * Dense only), the scope of Goyal's evaluation_metrics.py, where BatchNormalization
 * stays in float and is not counted. Baselines: fp32 everywhere, and uniform 8-bit
 * weights, biases and activations.
 */
import { FxpError } from '../errors.js';
import type { QFormat } from '../fixed/format.js';
import { producers, type Graph } from '../ir/graph.js';
import type { Node } from '../ir/ops.js';
import { concreteInputShapes, inferShapes } from '../ir/shape.js';
import { layerStats } from '../ir/stats.js';
import { sizeOf } from '../tensor.js';
import { FORMAT_PRESERVING_OPS, type Assignment } from './assignment.js';

export type CostRowKind = 'layer' | 'affine' | 'activation';

export interface CostRow {
  readonly name: string;
  readonly op: string;
  readonly kind: CostRowKind;
  readonly weights: number;
  readonly biases: number;
  /** Output elements per sample. */
  readonly activations: number;
  /** Multiply-accumulates per sample (0 for activation rows). */
  readonly macs: number;
  readonly wlWeight: number;
  readonly wlBias: number;
  readonly wlAct: number;
  readonly wlIn: number;
  /** Stored range-adaptive ranges (0 for dynamic weights) and their word length. */
  readonly ranges: number;
  readonly wlRange: number;
  readonly memoryBits: number;
  readonly multCost: number;
  readonly bops: number;
}

export interface CostTotals {
  readonly memoryBits: number;
  readonly weightBits: number;
  readonly biasBits: number;
  readonly activationBits: number;
  /** Range-adaptive ranges (part of memoryBits; 0 in the baselines). */
  readonly rangeBits: number;
  readonly multCost: number;
  readonly bops: number;
}

export type CostScope = 'all' | 'layers';

export interface ScopeCost {
  readonly total: CostTotals;
  readonly fp32: CostTotals;
  readonly uniform8: CostTotals;
  /** Fractions saved: 1 - total / baseline. */
  readonly savings: {
    readonly memoryVsFp32: number;
    readonly memoryVs8bit: number;
    readonly multVs8bit: number;
    readonly bopsVs8bit: number;
  };
}

export interface CostReport {
  /** Input shapes the counts are for (batch 1). */
  readonly inputShapes: number[][];
  readonly rows: CostRow[];
  readonly scopes: { readonly [S in CostScope]: ScopeCost };
  /** Average weight word length over all weight elements of the 'layers' scope. */
  readonly avgWeightBits: number;
  /** Weight storage per weight element of the 'layers' scope: word lengths plus the stored ranges. */
  readonly avgWeightStorageBits: number;
  /** Average output-activation word length over the 'layers' scope, weighted by element count. */
  readonly avgActBits: number;
}

const PARAM_KIND = { Conv: 'layer', ConvTranspose: 'layer', Dense: 'layer', ChannelAffine: 'affine' } as const;

function paramKind(op: string): CostRowKind | undefined {
  return Object.prototype.hasOwnProperty.call(PARAM_KIND, op) ? PARAM_KIND[op as keyof typeof PARAM_KIND] : undefined;
}

/** The format a value really has: ops in FORMAT_PRESERVING_OPS pass their input's format on. */
export function effectiveFormat(g: Graph, a: Assignment, id: number, prod: readonly number[] = producers(g)): QFormat | undefined {
  let v = id;
  for (;;) {
    const p = prod[v] ?? -1;
    const node = p >= 0 ? g.nodes[p] : undefined;
    if (node === undefined || !FORMAT_PRESERVING_OPS.has(node.op)) return a.activations.get(v);
    v = node.inputs[0]!;
  }
}

function rowFor(
  node: Node,
  kind: CostRowKind,
  counts: { w: number; b: number; act: number; macs: number; ranges?: number },
  wl: { w: number; b: number; a: number; in: number; range?: number },
): CostRow {
  const ranges = counts.ranges ?? 0;
  const wlRange = ranges === 0 ? 0 : (wl.range ?? 0);
  return {
    name: node.name,
    op: node.op,
    kind,
    weights: counts.w,
    biases: counts.b,
    activations: counts.act,
    macs: counts.macs,
    wlWeight: wl.w,
    wlBias: wl.b,
    wlAct: wl.a,
    wlIn: wl.in,
    ranges,
    wlRange,
    memoryBits: wl.w * counts.w + wl.b * counts.b + wl.a * counts.act + wlRange * ranges,
    multCost: wl.w * wl.a * counts.macs,
    bops: wl.w * wl.in * counts.macs,
  };
}

function totals(rows: readonly CostRow[], wl?: { w: number; b: number; a: number }): CostTotals {
  let weightBits = 0;
  let biasBits = 0;
  let activationBits = 0;
  let rangeBits = 0;
  let multCost = 0;
  let bops = 0;
  for (const r of rows) {
    const w = wl?.w ?? r.wlWeight;
    const b = wl?.b ?? r.wlBias;
    const a = wl?.a ?? r.wlAct;
    const i = wl?.a ?? r.wlIn;
    weightBits += w * r.weights;
    biasBits += b * r.biases;
    activationBits += a * r.activations;
    if (wl === undefined) rangeBits += r.wlRange * r.ranges;
    multCost += w * a * r.macs;
    bops += w * i * r.macs;
  }
  return { memoryBits: weightBits + biasBits + activationBits + rangeBits, weightBits, biasBits, activationBits, rangeBits, multCost, bops };
}

function scopeCost(rows: readonly CostRow[]): ScopeCost {
  const total = totals(rows);
  const fp32 = totals(rows, { w: 32, b: 32, a: 32 });
  const uniform8 = totals(rows, { w: 8, b: 8, a: 8 });
  const saved = (x: number, base: number): number => (base === 0 ? 0 : 1 - x / base);
  return {
    total,
    fp32,
    uniform8,
    savings: {
      memoryVsFp32: saved(total.memoryBits, fp32.memoryBits),
      memoryVs8bit: saved(total.memoryBits, uniform8.memoryBits),
      multVs8bit: saved(total.multCost, uniform8.multCost),
      bopsVs8bit: saved(total.bops, uniform8.bops),
    },
  };
}

export interface CostOptions {
  /** Concrete input shapes with batch 1 (needed for models with dynamic image sizes). */
  readonly inputShapes?: readonly (readonly number[])[];
}

/** Per-row and total costs of assignment `a` on graph `g` (per sample). */
export function costOf(g: Graph, a: Assignment, opts: CostOptions = {}): CostReport {
  const inputShapes = (opts.inputShapes ?? concreteInputShapes(g, 1)).map((s) => [...s]);
  if (inputShapes.some((s) => s[0] !== 1)) throw new FxpError('cost model: input shapes must have batch 1');
  const shapes = inferShapes(g, inputShapes);
  const stats = layerStats(g, shapes);
  const prod = producers(g);
  const formatOf = (node: Node, id: number): QFormat => {
    const f = effectiveFormat(g, a, id, prod);
    if (f === undefined) throw new FxpError(`cost model: no format assigned to '${g.values[id]?.name ?? id}'`, { node: node.name, op: node.op });
    return f;
  };
  const rows: CostRow[] = [];
  g.nodes.forEach((node, i) => {
    if (FORMAT_PRESERVING_OPS.has(node.op)) return;
    const out = node.outputs[0]!;
    const act = sizeOf(shapes[out]!);
    const wlA = formatOf(node, out).wl;
    const wlIn = formatOf(node, node.inputs[0]!).wl;
    const kind = paramKind(node.op);
    if (kind === undefined) {
      rows.push(rowFor(node, 'activation', { w: 0, b: 0, act, macs: 0 }, { w: 0, b: 0, a: wlA, in: wlIn }));
      return;
    }
    const la = a.layers.get(node.name);
    if (la === undefined) throw new FxpError('cost model: no weight/bias formats assigned to this layer', { node: node.name, op: node.op });
    const w = g.values[node.inputs[1]!]!.data?.length ?? 0;
    const bId = node.inputs[2];
    const b = bId === undefined ? 0 : (g.values[bId]!.data?.length ?? 0);
    const wlB = la.bias?.wl ?? (la.weight.scheme === 'range-adaptive' ? 32 : 0);
    const ranges = la.weight.scheme === 'range-adaptive' ? la.weight.range.length : 0;
    const wlRange = la.weight.scheme === 'range-adaptive' ? la.weight.rangeBits : 0;
    rows.push(rowFor(node, kind, { w, b, act, macs: stats[i]!.macs, ranges }, { w: la.weight.wl, b: b === 0 ? 0 : wlB, a: wlA, in: wlIn, range: wlRange }));
  });
  const layers = rows.filter((r) => r.kind === 'layer');
  const wCount = layers.reduce((s, r) => s + r.weights, 0);
  const aCount = layers.reduce((s, r) => s + r.activations, 0);
  return {
    inputShapes,
    rows,
    scopes: { all: scopeCost(rows), layers: scopeCost(layers) },
    avgWeightBits: wCount === 0 ? 0 : layers.reduce((s, r) => s + r.wlWeight * r.weights, 0) / wCount,
    avgWeightStorageBits: wCount === 0 ? 0 : layers.reduce((s, r) => s + r.wlWeight * r.weights + r.wlRange * r.ranges, 0) / wCount,
    avgActBits: aCount === 0 ? 0 : layers.reduce((s, r) => s + r.wlAct * r.activations, 0) / aCount,
  };
}
