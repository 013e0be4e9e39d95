/**
 * Scores configurations on the search set, fast:
 *
 *   - partial re-runs: the shards cache the live set of the fake-quant network at
 *     the position of the structure under search (`focus`), so a candidate only
 *     re-runs the nodes downstream of it; moving the focus forward runs just the
 *     nodes in between;
 *   - threads: the search set is cut into chunks, chunk c lives on shard
 *     c mod threads;
 *   - early stop: chunks are scored in rounds of ROUND chunks in a fixed order.
 *     After each round, a candidate stops when it cannot pass the caller's bound:
 *     surely (a lower bound of the final drop: the sum so far minus what later
 *     chunks could still take back, metric.ts), or, for classifiers, with the
 *     confidence of Z standard errors of the estimate so far; and, for a plain
 *     pass/fail bound, when it passes with that confidence.
 *
 * For classifiers, the images are sorted by float margin and dealt to the
 * chunks in turn (image i to chunk i mod chunks), so every prefix of chunks is a
 * sample spread over all margins and the drop of a prefix, scaled up, estimates
 * the drop of all of them.
 *
 * Results do not depend on the number of threads: a chunk's sums depend only on
 * the chunk, the rounds are the same whatever the threads, sums are added in
 * chunk order, and so is every early-stop decision and the value it returns.
 */
import { FxpError } from '../../errors.js';
import type { Graph } from '../../ir/graph.js';
import type { Tensor } from '../../tensor.js';
import { errorFedStructure, formatAt, type Override } from './fake-quant.js';
import { chunkSlack, isClassMetric, margin, normalizer, type ChunkSums, type SearchMetric } from './metric.js';
import { createPool, type Pool } from './pool.js';
import type { PoolRequest } from './protocol.js';
import { entryOf, upstreamOf, type Entry } from './positions.js';
import type { ChunkInput, LayerErrorSums } from './runner.js';
import type { SearchSet } from './set.js';
import { type Config, type SearchSpace, type StructFormat } from './space.js';
import { GPTQ_ROWS, gram, type LayerRows } from './gptq.js';

/** Chunks per early-stop round. Fixed, so rounds (and results) are the same for any thread count. */
export const ROUND = 4;
/** Images a confident early stop needs at least. */
export const MIN_IMAGES = 100;

export interface ScorerOptions {
  readonly metric: SearchMetric;
  /** Worker threads; 0 runs in the calling thread. */
  readonly threads: number;
  /** Images per chunk (default 25). */
  readonly chunkSize?: number;
  /**
   * Classifiers: score only this many images of the set (default: all): the
   * half with the smallest float margins, and the other half evenly spaced over
   * the rest, each standing for its share of them (`activeSample`); drops stay
   * normalized over the whole set.
   */
  readonly active?: number;
  /** Classifiers: standard errors a confident early stop needs (default 2; 0 disables). */
  readonly z?: number;
  /** Called after every round with the number of images run so far. */
  readonly onImages?: (images: number) => void;
}

export interface Score {
  /** The budgeted quantity (metric.ts), normalized; a lower bound when not exact. */
  readonly drop: number;
  /** Mean smooth error per image (exact only when `exact`). */
  readonly rank: number;
  readonly exact: boolean;
}

/**
 * Stop scoring once the drop is sure to exceed `value` (or to reach it, when
 * `strict`: the caller looks for the least drop, so a candidate is out once it
 * cannot be below `value`; such a bound never stops a candidate for passing).
 */
export interface Bound {
  readonly value: number;
  readonly strict?: boolean;
  /**
   * Score a passing candidate to the end (no confident early pass), so its drop
   * is the whole set's: an early pass stops when the estimate happens to be low,
   * and a search that carries the drop forward would then overspend.
   */
  readonly whole?: boolean;
}

export interface ScoreOptions {
  /** Classifiers: score at most this many images (a prefix, scaled up; for ranking). */
  readonly maxImages?: number;
}

function isProbOutput(space: SearchSpace): boolean {
  const g = space.graph;
  const out = g.outputs[0];
  return g.nodes.some((n) => n.outputs[0] === out && n.op === 'Softmax');
}

/** Row `i` of a batched tensor. */
function rowOf(t: Tensor, i: number): Float32Array {
  const per = t.data.length / (t.shape[0] ?? 1);
  return t.data.subarray(i * per, (i + 1) * per);
}

function stack(rows: readonly Float32Array[], shape: readonly number[]): Tensor {
  const per = rows[0]?.length ?? 0;
  const data = new Float32Array(per * rows.length);
  rows.forEach((r, i) => data.set(r, i * per));
  return { shape: [rows.length, ...shape.slice(1)], data };
}

export class Scorer {
  /** Candidate evaluations so far (each possibly stopped early). */
  evaluations = 0;
  /** Images run so far (partial re-runs count as one). */
  images = 0;
  /** The float graph the scorer was created with (the teacher); `space.graph` may carry corrected constants. */
  readonly teacher: Graph;
  /** Images in the search set (the active ones are `count`). */
  setCount = 0;
  private cached: { entry: Entry; snapshot: Map<number, StructFormat | undefined> } | undefined;
  /** Weight structures rounded with error feedback (setErrorFeedback): their H. */
  private readonly hessians = new Map<number, Float64Array>();

  private constructor(
    public space: SearchSpace,
    private readonly pool: Pool,
    private readonly opts: ScorerOptions,
    readonly count: number,
    readonly chunkCount: number,
    /** What drop sums are divided by (metric.ts normalizer). */
    readonly norm: number,
    private readonly slack: readonly number[],
    /** Images the active ones stand for (rank sums are divided by it). */
    private readonly weight: number,
    private readonly classifier: boolean,
  ) {
    this.teacher = space.graph;
  }

  static async create(space: SearchSpace, set: SearchSet, opts: ScorerOptions): Promise<Scorer> {
    const pool = createPool(opts.threads);
    try {
      const isProb = isProbOutput(space);
      const lite: SearchSpace = { ...space, stats: new Map() };
      await Promise.all(Array.from({ length: pool.size }, (_, s) => pool.call(s, { type: 'init', init: { space: lite, metric: opts.metric, isProb } })));
      const shardOf = (i: number): number => i % pool.size;
      // The float pass, in the set's own chunks.
      const outs: Tensor[] = new Array<Tensor>(set.chunks.length);
      await Promise.all(
        Array.from({ length: pool.size }, async (_, s) => {
          const mine = set.chunks.filter((_, i) => shardOf(i) === s);
          const r = await pool.call(s, { type: 'float', chunks: mine });
          let k = 0;
          set.chunks.forEach((_, i) => {
            if (shardOf(i) === s) outs[i] = r[k++]!;
          });
        }),
      );
      let chunks: ChunkInput[] = set.chunks.map((c, i) => ({ ...c, id: i, ref: outs[i]! }));
      let norm = 0;
      for (const c of chunks) norm += normalizer(opts.metric, { labels: c.labels, targets: c.targets, ref: c.ref! }, isProb);
      const classifier = isClassMetric(opts.metric);
      if (classifier) chunks = reorder(chunks, opts.metric, isProb, opts.chunkSize ?? 25, opts.active ?? Infinity);
      await Promise.all(Array.from({ length: pool.size }, (_, s) => pool.call(s, { type: 'load', chunks: chunks.filter((c) => shardOf(c.id) === s) })));
      const slack = chunks.map(() => chunkSlack(opts.metric));
      const count = chunks.reduce((s, c) => s + (c.input.shape[0] ?? 0), 0);
      const weight = chunks.reduce((s, c) => s + (c.weights?.reduce((a, w) => a + w, 0) ?? c.input.shape[0] ?? 0), 0);
      if (!(norm > 0)) throw new FxpError(`search set '${set.name}' gives the float network nothing to lose (${opts.metric} normalizer ${norm})`);
      const scorer = new Scorer(space, pool, opts, count, chunks.length, norm, slack, weight, classifier);
      scorer.setCount = set.count;
      return scorer;
    } catch (err) {
      await pool.close();
      throw err;
    }
  }

  /** Moves the shards' caches to `entry` under `config` (from the inputs when the cache no longer matches). */
  async focus(config: Config, entry: Entry): Promise<void> {
    const c = this.cached;
    let fromInput = c === undefined || entry.pos < c.entry.pos;
    if (!fromInput && c !== undefined) {
      for (const [sid, f] of c.snapshot) {
        const now = config[sid];
        if (now?.wl !== f?.wl || now?.fl !== f?.fl) fromInput = true;
      }
    }
    if (!fromInput && c !== undefined && c.entry.pos === entry.pos && c.entry.raw === entry.raw) return;
    await this.everyShard({ type: 'prepare', config, entry, fromInput });
    this.images += this.count;
    this.opts.onImages?.(this.images);
    this.cached = { entry, snapshot: new Map(upstreamOf(this.space, entry).map((sid) => [sid, config[sid]])) };
  }

  /** Focuses on structure `sid`'s entry (positions.ts). */
  focusOn(config: Config, sid: number): Promise<void> {
    return this.focus(config, entryOf(this.space, sid));
  }

  /** Scores `config` (with `override`) from the focused position; stops early past `bound`. */
  async score(config: Config, override?: Override, bound?: Bound, so: ScoreOptions = {}): Promise<Score> {
    const c = this.cached;
    if (c === undefined) throw new FxpError('internal: score() before focus()');
    if (override !== undefined) {
      if (c.snapshot.has(override.sid)) throw new FxpError(`internal: structure ${override.sid} is baked into the cache at position ${c.entry.pos}`);
      if (formatAt(config, override, override.sid) === undefined) throw new FxpError('internal: empty override');
    }
    for (const [sid, f] of c.snapshot) {
      const now = config[sid];
      if (now?.wl !== f?.wl || now?.fl !== f?.fl) throw new FxpError(`internal: structure ${sid} changed since the cache was built`);
    }
    this.evaluations++;
    let drop = 0;
    let dropSq = 0;
    let rank = 0;
    let n = 0;
    let remaining = this.slack.reduce((s, x) => s + x, 0);
    const z = this.opts.z ?? 2;
    const max = this.classifier ? (so.maxImages ?? Infinity) : Infinity;
    for (let start = 0; start < this.chunkCount; start += ROUND) {
      const ids = Array.from({ length: Math.min(ROUND, this.chunkCount - start) }, (_, i) => start + i);
      const byId = new Map<number, ChunkSums>();
      await Promise.all(
        Array.from({ length: this.pool.size }, async (_, s) => {
          const mine = ids.filter((id) => id % this.pool.size === s);
          if (mine.length === 0) return;
          const r = await this.pool.call(s, { type: 'evaluate', config, override, entry: c.entry, ids: mine });
          mine.forEach((id, k) => byId.set(id, r[k]!));
        }),
      );
      // In chunk order, so float sums are the same whatever the threads.
      for (const id of ids) {
        const sums = byId.get(id)!;
        drop += sums.drop;
        dropSq += sums.dropSq;
        rank += sums.rank;
        n += sums.n;
        remaining -= this.slack[id]!;
      }
      this.images += ids.reduce((t, id) => t + byId.get(id)!.n, 0);
      this.opts.onImages?.(this.images);
      if (start + ROUND >= this.chunkCount) break;
      const lower = (drop - remaining) / this.norm;
      const fails = (x: number): boolean => bound !== undefined && (bound.strict === true ? x >= bound.value : x > bound.value);
      if (fails(lower)) return { drop: lower, rank: rank / this.weight, exact: false };
      if (!this.classifier || n < MIN_IMAGES) continue;
      // The prefix is a spread sample of the active images: scale its mean up.
      const scale = this.count / n;
      const est = (drop * scale) / this.norm;
      const variance = Math.max(0, dropSq / n - (drop / n) ** 2) * (n / Math.max(1, n - 1));
      const se = (this.count * Math.sqrt(variance / n)) / this.norm;
      if (z > 0 && fails(est - z * se)) return { drop: est, rank: (rank * scale) / this.weight, exact: false };
      if (z > 0 && bound !== undefined && bound.strict !== true && bound.whole !== true && est + z * se < bound.value) return { drop: est, rank: (rank * scale) / this.weight, exact: true };
      if (n >= max) return { drop: est, rank: (rank * scale) / this.weight, exact: true };
    }
    return { drop: drop / this.norm, rank: rank / this.weight, exact: true };
  }

  /**
   * Per-candidate bias-correction sums of weighted node `nodeIndex` over the whole
   * active set (runner.ts); `weights[k]`, where given, are candidate k's weights,
   * already on the grid of its format.
   */
  async layerErrors(config: Config, nodeIndex: number, candidates: readonly StructFormat[], weights?: readonly (Float32Array | undefined)[]): Promise<LayerErrorSums[]> {
    const byId = new Map<number, LayerErrorSums[]>();
    await Promise.all(
      Array.from({ length: this.pool.size }, async (_, s) => {
        const r = await this.pool.call(s, { type: 'layerErrors', config, nodeIndex, candidates, weights });
        for (const x of r) byId.set(x.id, x.sums);
      }),
    );
    this.images += 2 * this.count;
    this.opts.onImages?.(this.images);
    const ids = [...byId.keys()].sort((a, b) => a - b);
    return candidates.map((_, k) => {
      const ch = byId.get(ids[0]!)?.[k]?.sum.length ?? 0;
      const sum = new Float64Array(ch);
      const sumSq = new Float64Array(ch);
      const counted = new Float64Array(ch);
      let count = 0;
      // In chunk order, so the float sums are the same whatever the threads.
      for (const id of ids) {
        const p = byId.get(id)![k]!;
        for (let c = 0; c < ch; c++) {
          sum[c]! += p.sum[c]!;
          sumSq[c]! += p.sumSq[c]!;
          counted[c]! += p.counted[c]!;
        }
        count += p.count;
      }
      return { sum, sumSq, counted, count };
    });
  }

  /**
   * Input rows of weighted node `nodeIndex` in the quantized network (runner.ts
   * layerRows), `perChunk` per chunk, in chunk order whatever the threads; undefined
   * where error-compensating rounding does not apply (grouped Conv, ConvTranspose).
   */
  async layerRows(config: Config, nodeIndex: number, perChunk: number): Promise<LayerRows[] | undefined> {
    const byId = new Map<number, LayerRows>();
    let none = false;
    await Promise.all(
      Array.from({ length: this.pool.size }, async (_, s) => {
        const r = await this.pool.call(s, { type: 'layerRows', config, nodeIndex, perChunk });
        if (r === undefined) none = true;
        else for (const x of r) byId.set(x.id, x.rows);
      }),
    );
    if (none) return undefined;
    this.images += this.count;
    this.opts.onImages?.(this.images);
    return [...byId.keys()].sort((a, b) => a - b).map((id) => byId.get(id)!);
  }

  /**
   * Error feedback in the search (goyal.ts): from now on weight structure `sid` is
   * rounded with error feedback (gptq.ts) at every format it is scored at, over H of
   * its layer's input in the quantized network under `config` (4,096 rows spread
   * over the search set), on its dynamic or range-adaptive grid. False, and nothing
   * changes, where that does not apply: grouped Conv, ConvTranspose.
   */
  async setErrorFeedback(config: Config, sid: number): Promise<boolean> {
    const s = this.space.structures[sid];
    if (s?.kind !== 'weight') return false;
    const parts = await this.layerRows(config, s.nodeIndex, Math.max(1, Math.ceil(GPTQ_ROWS / this.chunkCount)));
    if (parts === undefined || parts.length === 0) return false;
    const h = gram(parts);
    await this.everyShard({ type: 'hessian', sid, h });
    this.hessians.set(sid, h);
    this.cached = undefined;
    return true;
  }

  /**
   * Writes the error-fed weights of every such structure, at its format in `config`,
   * into the graph (`space.graph`), so that lowering stores exactly the integers
   * the search scored (they are on their grid; rounding them again changes nothing).
   */
  async bakeErrorFeedback(config: Config): Promise<void> {
    for (const [sid, h] of this.hessians) {
      const s = this.space.structures[sid]!;
      const f = config[sid];
      if (f === undefined) continue;
      await this.patch(s.valueId, errorFedStructure(this.space, s, f, h));
    }
  }

  /** Replaces constant `valueId` (a corrected bias) everywhere; `space.graph` follows. */
  async patch(valueId: number, data: Float32Array): Promise<void> {
    await this.everyShard({ type: 'patch', valueId, data });
    const g = this.space.graph;
    this.space = { ...this.space, graph: { ...g, values: g.values.map((v, id) => (id === valueId ? { ...v, data } : v)) } };
    this.cached = undefined;
  }

  /** Puts back every constant that differs from graph `g` (undoes distillation's bias corrections). */
  async resetGraph(g: Graph): Promise<void> {
    const cur = this.space.graph;
    for (let id = 0; id < g.values.length; id++) {
      const want = g.values[id]!.data;
      if (want !== undefined && cur.values[id]!.data !== want) await this.patch(id, want);
    }
  }

  /** Sends one request to every shard and waits for all of them (requests with no reply). */
  private async everyShard(req: PoolRequest): Promise<void> {
    await Promise.all(Array.from({ length: this.pool.size }, (_, shard) => this.pool.call(shard, req)));
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

function floatRight(ref: Tensor, r: number, labels: Int32Array | undefined): boolean {
  const k = ref.data.length / (ref.shape[0] ?? 1);
  let best = 0;
  for (let j = 1; j < k; j++) if (ref.data[r * k + j]! > ref.data[r * k + best]!) best = j;
  return labels !== undefined && best === labels[r];
}

/**
 * Regroups classifier images into chunks: sorted by float margin, the `keep`
 * of them chosen by `activeSample` (with the images each stands for), dealt to
 * the chunks in turn, so every prefix of chunks spreads over all
 * margins. 'top1' keeps only images the float network gets right: a wrong one
 * can only turn right, so leaving it out over-estimates the drop. Counting those
 * gains too (net flips) was measured worse: with 600 of 10,000 training images
 * the search fitted the noise (search drop 0.13%, test loss 2.9% on
 * fashion_seq_large), while this conservative count gave a 0.94% search drop
 * and a 0.34% test loss with 1,000 of them.
 */
function reorder(chunks: readonly ChunkInput[], metric: SearchMetric, isProb: boolean, size: number, keep: number): ChunkInput[] {
  const items: { input: Float32Array; ref: Float32Array; label: number | undefined; key: number; index: number }[] = [];
  for (const c of chunks) {
    const n = c.input.shape[0] ?? 0;
    for (let r = 0; r < n; r++) {
      const index = items.length;
      if (metric === 'top1' && !floatRight(c.ref!, r, c.labels)) continue;
      items.push({ input: rowOf(c.input, r), ref: rowOf(c.ref!, r), label: c.labels?.[r], key: margin(c.ref!, r, isProb), index });
    }
  }
  if (items.length === 0) throw new FxpError('the float network gets no image of the search set right');
  items.sort((a, b) => a.key - b.key || a.index - b.index);
  const chosen = activeSample(items.length, keep).map(({ index, weight }) => ({ ...items[index]!, weight }));
  const nChunks = Math.ceil(chosen.length / size);
  const first = chunks[0]!;
  return Array.from({ length: nChunks }, (_, id) => {
    const part = chosen.filter((_, i) => i % nChunks === id);
    const labels = part.every((p) => p.label !== undefined) ? Int32Array.from(part, (p) => p.label!) : undefined;
    return {
      id,
      input: stack(part.map((p) => p.input), first.input.shape),
      labels,
      ref: stack(part.map((p) => p.ref), first.ref!.shape),
      weights: Float64Array.from(part, (p) => p.weight),
    };
  });
}

/**
 * Which of `total` images sorted by float margin (smallest first) are scored,
 * and how many images of the set each stands for, when only `keep` are: a
 * stratified sample that spends half of it on the smallest margins, where
 * quantization changes predictions, and spreads the other half evenly over the
 * rest. The lowest `keep/2` images are all taken (each stands for itself), the
 * others are evenly spaced over the remaining margins (each stands for its
 * share of them). Every image of the set is stood for exactly once, so weighted
 * sums estimate the whole set's; a budget's resolution is one changed
 * prediction of the whole set among the low margins, not total/keep of them.
 */
export function activeSample(total: number, keep: number): { index: number; weight: number }[] {
  const k = Math.min(total, Math.max(1, keep));
  if (k === total) return Array.from({ length: total }, (_, index) => ({ index, weight: 1 }));
  const low = Math.floor(k / 2);
  const spread = k - low;
  const rest = total - low;
  return [
    ...Array.from({ length: low }, (_, index) => ({ index, weight: 1 })),
    ...Array.from({ length: spread }, (_, i) => ({ index: low + Math.floor(((i + 0.5) * rest) / spread), weight: rest / spread })),
  ];
}
