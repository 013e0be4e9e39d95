/**
 * The per-thread half of the scorer: holds a shard of the search set (chunks of
 * images) with, for each chunk, the live set of the fake-quant network at one
 * position (positions.ts), and scores candidates by re-running only the nodes
 * from that position on. The same class runs inside a worker thread or in the
 * calling thread; a chunk's sums depend only on the chunk, the configuration
 * and the position, never on which thread computed them.
 */
import { fromEngineDomain, toEngineDomain } from '../../engine/io.js';
import { FxpError } from '../../errors.js';
import type { Uint8Image } from '../../data/images.js';
import { createFloatExecutor, type FloatExecutor } from '../../float/executor.js';
import type { Graph } from '../../ir/graph.js';
import type { FusedActivation } from '../../ir/ops.js';
import type { Tensor } from '../../tensor.js';
import { FakeQuantNet, fakeQuant, formatAt, type Override } from './fake-quant.js';
import { chunkSums, imagePsnrs, type ChunkRef, type ChunkSums, type SearchMetric } from './metric.js';
import { liveSets, type Entry } from './positions.js';
import { qformatOf, type Config, type SearchSpace, type StructFormat } from './space.js';
import type { LayerRows } from './gptq.js';
import type { ConvAttrs } from '../../ir/ops.js';
import { windowGeometry } from '../../ir/padding.js';

/** `n` indices spread evenly over [0, total) (all of them when total <= n). */
function spread(total: number, n: number): number[] {
  if (total <= n) return Array.from({ length: total }, (_, i) => i);
  return Array.from({ length: n }, (_, j) => Math.floor(((j + 0.5) * total) / n));
}

/** im2col rows (c, ky, kx) of an NCHW input at `n` output positions (image, oy, ox) spread over the batch. */
function convRows(t: Tensor, attrs: ConvAttrs, wShape: readonly number[], n: number): LayerRows {
  const [b, c, h, w] = t.shape as [number, number, number, number];
  const [kh, kw] = [wShape[2]!, wShape[3]!];
  const geo = windowGeometry(attrs, h, w);
  const [pt, pl] = [geo.pads[0], geo.pads[1]];
  const [sh, sw] = attrs.strides;
  const [dh, dw] = attrs.dilations;
  const k = c * kh * kw;
  const picks = spread(b * geo.outH * geo.outW, n);
  const data = new Float32Array(picks.length * k);
  picks.forEach((p, r) => {
    const img = Math.floor(p / (geo.outH * geo.outW));
    const oy = Math.floor(p / geo.outW) % geo.outH;
    const ox = p % geo.outW;
    for (let ci = 0; ci < c; ci++) {
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * sh - pt + ky * dh;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * sw - pl + kx * dw;
          if (iy >= 0 && iy < h && ix >= 0 && ix < w) data[r * k + (ci * kh + ky) * kw + kx] = t.data[((img * c + ci) * h + iy) * w + ix]!;
        }
      }
    }
  });
  return { k, rows: picks.length, data };
}

/** `n` input vectors (the last dimension) of a Dense input, spread over its rows. */
function denseRows(t: Tensor, n: number): LayerRows {
  const k = t.shape[t.shape.length - 1]!;
  const picks = spread(t.data.length / k, n);
  const data = new Float32Array(picks.length * k);
  picks.forEach((p, r) => data.set(t.data.subarray(p * k, (p + 1) * k), r * k));
  return { k, rows: picks.length, data };
}

export interface ChunkInput {
  readonly id: number;
  readonly input: Tensor;
  readonly labels?: Int32Array | undefined;
  readonly targets?: readonly Uint8Image[] | undefined;
  /** The float network's output (set once the float pass has run). */
  readonly ref?: Tensor | undefined;
  /** Images of the whole set each image stands for (classifier sampling, scorer.ts). */
  readonly weights?: Float64Array | undefined;
}

export interface RunnerInit {
  /** The search space; its `stats` are not needed here and may be empty. */
  readonly space: SearchSpace;
  readonly metric: SearchMetric;
  /** The graph's output rows are probabilities (it ends in Softmax). */
  readonly isProb: boolean;
}

interface Cache {
  pos: number;
  raw: number | undefined;
  values: Map<number, Tensor>;
}

interface Chunk {
  readonly rawInput: Map<number, Tensor>;
  readonly quantInput: Map<number, Tensor>;
  readonly ref: ChunkRef;
  cache: Cache | undefined;
}

/** A subgraph of nodes [from, to) reading the live set at `from` as its inputs. */
function segment(g: Graph, live: readonly number[][], from: number, to: number): Graph {
  const inputs = live[from]!;
  const values = g.values.map((v, id) => (inputs.includes(id) ? { name: v.name, shape: [] } : v));
  return { name: `${g.name}[${from}:${to}]`, values, nodes: g.nodes.slice(from, to), inputs, outputs: to === g.nodes.length ? g.outputs : live[to]! };
}

/**
 * Per-channel sums of one layer's output error y_q - y_f (quantized minus float,
 * before its fused activation), for one weight format. Behind
 * a Relu (fused Relu, or Clip from 0) only the values the activation passes in
 * the float or the quantized network count: where both are <= 0 the output is 0
 * in both and its error is none of the bias's business.
 */
export interface LayerErrorSums {
  readonly sum: Float64Array;
  readonly sumSq: Float64Array;
  /** Values summed, per channel. */
  readonly counted: Float64Array;
  /** Values per channel, counted or not. */
  readonly count: number;
}

export class ShardRunner {
  private net: FakeQuantNet;
  private readonly live: number[][];
  private readonly segments = new Map<string, FloatExecutor>();
  /** The float teacher: the graph as given at init; patches (corrected biases and weights) never reach it. */
  private readonly teacher: Graph;
  private readonly teacherSegments = new Map<string, FloatExecutor>();
  private readonly chunks = new Map<number, Chunk>();
  /** Weight structures rounded with error feedback (setHessian). */
  private readonly hessians = new Map<number, Float64Array>();
  private g: Graph;
  private space: SearchSpace;

  constructor(private readonly init: RunnerInit) {
    this.space = init.space;
    this.g = init.space.graph;
    this.teacher = init.space.graph;
    this.net = new FakeQuantNet(init.space, this.hessians);
    this.live = liveSets(this.g);
  }

  /**
   * From now on, weight structure `sid` is rounded with error feedback over `h`
   * (its layer's input statistics, gptq.ts) at every format it is scored at;
   * every cache is dropped.
   */
  setHessian(sid: number, h: Float64Array): void {
    this.hessians.set(sid, h);
    this.invalidate();
  }

  /** A new fake-quant network for the current graph and H; executors and chunk caches dropped. */
  private invalidate(): void {
    this.net = new FakeQuantNet(this.space, this.hessians);
    this.segments.clear();
    for (const c of this.chunks.values()) c.cache = undefined;
  }

  /** Replaces the data of constant `valueId` (bias correction); every cache is dropped. */
  patch(valueId: number, data: Float32Array): void {
    const v = this.g.values[valueId];
    if (v?.data === undefined || v.data.length !== data.length) throw new FxpError(`internal: cannot patch value ${valueId}`);
    this.g = { ...this.g, values: this.g.values.map((x, id) => (id === valueId ? { ...x, data } : x)) };
    this.space = { ...this.space, graph: this.g };
    this.invalidate();
  }

  /**
   * Bias-correction statistics of weighted node `nodeIndex`: for each candidate
   * weight format, per output channel, the sum and sum of squares of the
   * difference between its output before the activation in the quantized
   * network (`config` upstream, the candidate here) and in the float network.
   * `weights[k]`, where given, replaces the layer's weights for candidate k: values
   * already on the grid of candidate k's format (distill.ts, error feedback).
   */
  layerErrors(config: Config, nodeIndex: number, candidates: readonly StructFormat[], weights?: readonly (Float32Array | undefined)[]): { id: number; sums: LayerErrorSums[] }[] {
    const node = this.g.nodes[nodeIndex]!;
    const p = this.space.paramsOf.get(node.name);
    if (p === undefined) throw new FxpError('internal: layer statistics of a layer that is not searched', { node: node.name, op: node.op });
    const x = node.inputs[0]!;
    const single = this.preActivation(nodeIndex);
    const teacher = this.preActivation(nodeIndex, true);
    const act = (node.attrs as { activation?: FusedActivation }).activation;
    const relu = act?.kind === 'Relu' || (act?.kind === 'Clip' && act.min === 0);
    const result: { id: number; sums: LayerErrorSums[] }[] = [];
    for (const [id, chunk] of this.chunks) {
      const raw = chunk.rawInput;
      const fIn = nodeIndex === 0 ? raw.get(x)! : this.exec(0, nodeIndex, true).run(this.live[0]!.map((v) => raw.get(v)!)).values[x]!;
      const qIn = this.quantizedInput(config, nodeIndex, chunk);
      const yf = teacher.run([fIn]).outputs[0]!;
      const sums = candidates.map((f, k) => {
        const given = this.net.params(config, { sid: p.weight, f }, nodeIndex);
        // Weights already on the grid of f (error-compensating rounding): fake
        // quantization would give them back unchanged, so they are used as they are.
        const w = weights?.[k];
        if (w !== undefined) given.set(node.inputs[1]!, { shape: given.get(node.inputs[1]!)!.shape, data: w });
        const yq = single.run([qIn], { given }).outputs[0]!;
        const n = yq.shape[0] ?? 1;
        const ch = yq.shape[1] ?? 1;
        const inner = yq.data.length / (n * ch);
        const acc = { sum: new Float64Array(ch), sumSq: new Float64Array(ch), counted: new Float64Array(ch), count: n * inner };
        for (let i = 0; i < n; i++) {
          for (let c = 0; c < ch; c++) {
            const base = (i * ch + c) * inner;
            let s = 0;
            let s2 = 0;
            let m = 0;
            for (let j = base; j < base + inner; j++) {
              if (relu && yq.data[j]! <= 0 && yf.data[j]! <= 0) continue;
              const d = yq.data[j]! - yf.data[j]!;
              s += d;
              s2 += d * d;
              m++;
            }
            acc.sum[c]! += s;
            acc.sumSq[c]! += s2;
            acc.counted[c]! += m;
          }
        }
        return acc;
      });
      result.push({ id, sums });
    }
    return result;
  }

  /** The first input of node `nodeIndex` in the quantized network (`config` upstream) on one chunk. */
  private quantizedInput(config: Config, nodeIndex: number, chunk: Chunk): Tensor {
    const x = this.g.nodes[nodeIndex]!.inputs[0]!;
    if (nodeIndex === 0) return chunk.quantInput.get(x)!;
    return this.exec(0, nodeIndex).run(
      this.live[0]!.map((v) => chunk.quantInput.get(v)!),
      { given: this.net.params(config, undefined, 0), transform: this.net.transform(config, undefined) },
    ).values[x]!;
  }

  /**
   * Rows of weighted node `nodeIndex`'s input in the quantized network (`config`
   * upstream), for error-compensating rounding (gptq.ts): for a Conv with one
   * group, im2col rows (c, ky, kx) at `perChunk` output positions spread evenly
   * over each chunk; for Dense, `perChunk` input vectors. Undefined for other ops.
   */
  layerRows(config: Config, nodeIndex: number, perChunk: number): { id: number; rows: LayerRows }[] | undefined {
    const node = this.g.nodes[nodeIndex]!;
    if (!((node.op === 'Conv' && node.attrs.group === 1) || node.op === 'Dense')) return undefined;
    const result: { id: number; rows: LayerRows }[] = [];
    for (const [id, chunk] of this.chunks) {
      const qIn = this.quantizedInput(config, nodeIndex, chunk);
      result.push({ id, rows: node.op === 'Conv' ? convRows(qIn, node.attrs, this.g.values[node.inputs[1]!]!.shape as readonly number[], perChunk) : denseRows(qIn, perChunk) });
    }
    return result;
  }

  /**
   * Node `nodeIndex` alone, without its fused activation, reading its first input:
   * of the float teacher (the graph as the runner was created, never patched), or
   * of the current graph (corrected biases and weights).
   */
  private preActivation(nodeIndex: number, teacher = false): FloatExecutor {
    const g = teacher ? this.teacher : this.g;
    const cache = teacher ? this.teacherSegments : this.segments;
    const key = `pre:${nodeIndex}`;
    let e = cache.get(key);
    if (e === undefined) {
      const node = g.nodes[nodeIndex]!;
      const x = node.inputs[0]!;
      const bare = { ...node, attrs: { ...node.attrs, activation: undefined } } as typeof node;
      const values = g.values.map((v, id) => (id === x ? { name: v.name, shape: [] } : v));
      e = createFloatExecutor({ name: `${g.name}[pre ${node.name}]`, values, nodes: [bare], inputs: [x], outputs: [node.outputs[0]!] });
      cache.set(key, e);
    }
    return e;
  }

  /** Nodes [from, to) of the current graph, or (teacher) of the float graph the runner was created with. */
  private exec(from: number, to: number, teacher = false): FloatExecutor {
    const cache = teacher ? this.teacherSegments : this.segments;
    const key = `${from}:${to}`;
    let e = cache.get(key);
    if (e === undefined) {
      e = createFloatExecutor(segment(teacher ? this.teacher : this.g, this.live, from, to));
      cache.set(key, e);
    }
    return e;
  }

  /** The float network's output on each chunk (no quantization anywhere), in the user's domain. */
  floatOutputs(chunks: readonly ChunkInput[]): Tensor[] {
    const e = this.exec(0, this.g.nodes.length, true);
    return chunks.map((c) => this.toUser(e.run([this.toEngine(c.input)]).outputs[0]!));
  }

  /** A chunk's input as the graph reads it (pixel I/O: times the input scale, engine/io.ts). */
  private toEngine(t: Tensor): Tensor {
    return toEngineDomain(t, this.space.scales);
  }

  /** The graph's output as metrics read it (pixel I/O: divided by the output scale). */
  private toUser(t: Tensor): Tensor {
    return fromEngineDomain(t, this.space.scales);
  }

  /** Takes ownership of chunks that carry their float outputs; drops any held before. */
  load(chunks: readonly ChunkInput[]): void {
    this.chunks.clear();
    this.net.clear();
    for (const c of chunks) {
      if (c.ref === undefined) throw new FxpError('internal: chunk loaded without its float output');
      const quantInput = new Map<number, Tensor>();
      const input = this.toEngine(c.input);
      const rawInput = new Map<number, Tensor>(this.g.inputs.map((id) => [id, input]));
      this.g.inputs.forEach((id) => {
        const f = this.space.fixedActivations.get(id);
        quantInput.set(id, f === undefined ? input : { shape: input.shape, data: fakeQuant(input.data, f) });
      });
      const refPsnr = this.init.metric === 'psnr' && c.targets !== undefined ? imagePsnrs(c.ref, c.targets) : undefined;
      this.chunks.set(c.id, { rawInput, quantInput, ref: { labels: c.labels, targets: c.targets, ref: c.ref, refPsnr, weights: c.weights }, cache: undefined });
    }
  }

  /** Rounds the cached raw value to its format under `config` (it becomes an ordinary live value). */
  private settle(cache: Cache, config: Config, override?: Override): Map<number, Tensor> {
    if (cache.raw === undefined) return cache.values;
    const sid = this.space.activationOf.get(cache.raw);
    const f = sid === undefined ? undefined : formatAt(config, override, sid);
    const t = cache.values.get(cache.raw)!;
    if (f === undefined || sid === undefined) return cache.values;
    const values = new Map(cache.values);
    values.set(cache.raw, { shape: t.shape, data: fakeQuant(t.data, qformatOf(this.space.structures[sid]!, f)) });
    return values;
  }

  /**
   * Moves every chunk's cache to `entry` under `config`: from the graph inputs when
   * `fromInput` (or nothing is cached), else onward from the cached position. The
   * caller guarantees that everything baked into the cache still matches `config`.
   */
  prepare(config: Config, entry: Entry, fromInput: boolean): void {
    for (const chunk of this.chunks.values()) {
      const start: Cache = fromInput || chunk.cache === undefined ? { pos: 0, raw: undefined, values: chunk.quantInput } : chunk.cache;
      if (start.pos > entry.pos) throw new FxpError(`internal: cache at position ${start.pos} cannot move back to ${entry.pos}`);
      if (start.pos === entry.pos && start.raw === entry.raw) {
        chunk.cache = start;
        continue;
      }
      const values = this.settle(start, config);
      if (start.pos === entry.pos) {
        chunk.cache = { pos: entry.pos, raw: entry.raw, values };
        continue;
      }
      const e = this.exec(start.pos, entry.pos);
      const inputs = this.live[start.pos]!.map((v) => values.get(v)!);
      const r = e.run(inputs, { given: this.net.params(config, undefined, start.pos), transform: this.net.transform(config, undefined, entry.raw) });
      const next = new Map<number, Tensor>();
      for (const v of this.live[entry.pos]!) next.set(v, r.values[v] ?? values.get(v)!);
      chunk.cache = { pos: entry.pos, raw: entry.raw, values: next };
    }
  }

  /** Scores `config` with `override` on the given chunks, from their cached position (which must be `entry`). */
  evaluate(config: Config, override: Override | undefined, entry: Entry, ids: readonly number[]): ChunkSums[] {
    const e = this.exec(entry.pos, this.g.nodes.length);
    const given = this.net.params(config, override, entry.pos);
    const transform = this.net.transform(config, override);
    return ids.map((id) => {
      const chunk = this.chunks.get(id);
      const cache = chunk?.cache;
      if (chunk === undefined || cache === undefined || cache.pos !== entry.pos || cache.raw !== entry.raw) {
        throw new FxpError(`internal: chunk ${id} is not prepared at position ${entry.pos}`);
      }
      const values = this.settle(cache, config, override);
      const out = e.run(
        this.live[entry.pos]!.map((v) => values.get(v)!),
        { given, transform },
      ).outputs[0]!;
      return chunkSums(this.init.metric, this.toUser(out), chunk.ref, this.init.isProb);
    });
  }
}
