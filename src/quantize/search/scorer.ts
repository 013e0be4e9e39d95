/**
 * Scores configurations on the search set, fast:
 *
 *   - partial re-runs: the shards cache the live set of the fake-quant network at
 *     the position of the structure under search (`focus`), so a candidate only
 *     re-runs the nodes downstream of it; moving the focus forward runs just the
 *     nodes in between;
 *   - threads: the search set is cut into chunks, chunk c lives on shard
 *     c mod threads;
 *   - early stop: chunks are scored in rounds of ROUND chunks in a fixed order,
 *     and after each round a lower bound of the final drop (metric.ts: the sum so
 *     far minus what later chunks could still take back) is compared with the
 *     caller's bound; a candidate that cannot pass stops there.
 *
 * Results do not depend on the number of threads: a chunk's sums depend only on
 * the chunk, the rounds are the same whatever the threads, and so is every
 * early-stop decision and the bound it returns. For classifiers the images are
 * put in order of difficulty first (metric.ts), so a bad candidate fails on the
 * first rounds.
 */
import { FxpError } from '../../errors.js';
import type { Graph } from '../../ir/graph.js';
import type { Tensor } from '../../tensor.js';
import { formatAt, type Override } from './fake-quant.js';
import { chunkSlack, isClassMetric, margin, normalizer, type ChunkSums, type SearchMetric } from './metric.js';
import { createPool, type Pool } from './pool.js';
import { entryOf, upstreamOf, type Entry } from './positions.js';
import type { ChunkInput, LayerErrorSums } from './runner.js';
import type { SearchSet } from './set.js';
import type { Config, SearchSpace, StructFormat } from './space.js';

/** Chunks per early-stop round. Fixed, so rounds (and results) are the same for any thread count. */
export const ROUND = 4;

export interface ScorerOptions {
  readonly metric: SearchMetric;
  /** Worker threads; 0 runs in the calling thread. */
  readonly threads: number;
  /** Images per chunk (default 25). */
  readonly chunkSize?: number;
  /**
   * Classifiers: score only this many images of the set (default: all): the
   * `hardShare` of them with the smallest float margins, each standing for
   * itself, and the rest a systematic sample over the margins of all the others,
   * each standing for its share of them. Drops stay normalized over the set.
   */
  readonly active?: number;
  /** Fraction of the active images taken by smallest margin (default 0: a systematic sample over all margins). */
  readonly hardShare?: number;
  /**
   * Classifiers: stop scoring a candidate once every image left has a float
   * margin (top minus runner-up probability) above this multiple of the largest
   * probability change seen so far; those images are taken as unchanged (a
   * flip needs a change of half the margin). 0 disables. Default 4.
   */
  readonly marginFactor?: number;
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

/** Stop scoring once the drop is sure to exceed `value` (or to reach it, when `strict`). */
export interface Bound {
  readonly value: number;
  readonly strict?: boolean;
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
  /** Images in the search set (the active ones are `count`). */
  setCount = 0;
  private cached: { entry: Entry; snapshot: Map<number, StructFormat | undefined> } | undefined;

  private constructor(
    public space: SearchSpace,
    private readonly pool: Pool,
    private readonly opts: ScorerOptions,
    readonly count: number,
    private readonly chunkCount: number,
    /** What drop sums are divided by (metric.ts normalizer). */
    readonly norm: number,
    private readonly slack: readonly number[],
    /** Smallest float margin in each chunk (classifiers; Infinity otherwise). */
    private readonly minMargin: readonly number[],
    /** Images the active ones stand for (rank sums are divided by it). */
    private readonly weight: number,
  ) {}

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
      if (isClassMetric(opts.metric)) chunks = reorder(chunks, opts.metric, isProb, opts.chunkSize ?? 25, opts.active ?? Infinity, opts.hardShare ?? 0);
      await Promise.all(Array.from({ length: pool.size }, (_, s) => pool.call(s, { type: 'load', chunks: chunks.filter((c) => shardOf(c.id) === s) })));
      const slack = chunks.map((c) => chunkSlack(opts.metric, { labels: c.labels, ref: c.ref!, weights: c.weights }, isProb));
      const classifier = isClassMetric(opts.metric);
      const minMargin = chunks.map((c) => {
        if (!classifier) return Infinity;
        let m = Infinity;
        for (let r = 0; r < (c.ref!.shape[0] ?? 0); r++) m = Math.min(m, margin(c.ref!, r, isProb));
        return m;
      });
      const count = chunks.reduce((s, c) => s + (c.input.shape[0] ?? 0), 0);
      const weight = chunks.reduce((s, c) => s + (c.weights?.reduce((a, w) => a + w, 0) ?? c.input.shape[0] ?? 0), 0);
      if (!(norm > 0)) throw new FxpError(`search set '${set.name}' gives the float network nothing to lose (${opts.metric} normalizer ${norm})`);
      const scorer = new Scorer(space, pool, opts, count, chunks.length, norm, slack, minMargin, weight);
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
    await Promise.all(Array.from({ length: this.pool.size }, (_, s) => this.pool.call(s, { type: 'prepare', config, entry, fromInput })));
    this.images += this.count;
    this.opts.onImages?.(this.images);
    this.cached = { entry, snapshot: new Map(upstreamOf(this.space, entry).map((sid) => [sid, config[sid]])) };
  }

  /** Focuses on structure `sid`'s entry (positions.ts). */
  focusOn(config: Config, sid: number): Promise<void> {
    return this.focus(config, entryOf(this.space, sid));
  }

  /** Scores `config` (with `override`) from the focused position; stops early past `bound`. */
  async score(config: Config, override?: Override, bound?: Bound): Promise<Score> {
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
    let rank = 0;
    let delta = 0;
    let remaining = this.slack.reduce((s, x) => s + x, 0);
    const factor = this.opts.marginFactor ?? 4;
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
        rank += sums.rank;
        delta = Math.max(delta, sums.delta);
        this.images += sums.n;
      }
      for (const id of ids) remaining -= this.slack[id]!;
      this.opts.onImages?.(this.images);
      const lower = (drop - remaining) / this.norm;
      const last = start + ROUND >= this.chunkCount;
      if (!last && bound !== undefined && (bound.strict === true ? lower >= bound.value : lower > bound.value)) {
        return { drop: lower, rank: rank / this.weight, exact: false };
      }
      const next = this.minMargin[start + ROUND];
      if (!last && factor > 0 && remaining === 0 && next !== undefined && next > factor * delta) break;
    }
    return { drop: drop / this.norm, rank: rank / this.weight, exact: true };
  }

  /** Per-candidate bias-correction sums of weighted node `nodeIndex` over the whole active set (runner.ts). */
  async layerErrors(config: Config, nodeIndex: number, candidates: readonly StructFormat[]): Promise<LayerErrorSums[]> {
    const byId = new Map<number, LayerErrorSums[]>();
    await Promise.all(
      Array.from({ length: this.pool.size }, async (_, s) => {
        const r = await this.pool.call(s, { type: 'layerErrors', config, nodeIndex, candidates });
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
      let count = 0;
      // In chunk order, so the float sums are the same whatever the threads.
      for (const id of ids) {
        const p = byId.get(id)![k]!;
        for (let c = 0; c < ch; c++) {
          sum[c]! += p.sum[c]!;
          sumSq[c]! += p.sumSq[c]!;
        }
        count += p.count;
      }
      return { sum, sumSq, count };
    });
  }

  /** Replaces constant `valueId` (a corrected bias) everywhere; `space.graph` follows. */
  async patch(valueId: number, data: Float32Array): Promise<void> {
    await Promise.all(Array.from({ length: this.pool.size }, (_, s) => this.pool.call(s, { type: 'patch', valueId, data })));
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
 * Regroups classifier images into chunks by float margin, smallest first
 * (stable), keeping `keep` of them: the hardest `hard * keep`, then an evenly
 * spaced sample of the rest with weights that make it stand for all of them.
 * 'top1' keeps only images the float network gets right: a wrong one can only
 * turn right, so leaving it out over-estimates the drop.
 */
function reorder(chunks: readonly ChunkInput[], metric: SearchMetric, isProb: boolean, size: number, keep: number, hard: number): ChunkInput[] {
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
  const total = items.length;
  const k = Math.min(total, Math.max(1, keep));
  const h = k === total ? k : Math.min(k, Math.max(1, Math.round(k * hard)));
  const chosen: { item: (typeof items)[number]; weight: number }[] = items.slice(0, h).map((item) => ({ item, weight: 1 }));
  const rest = total - h;
  const r = k - h;
  for (let i = 0; i < r; i++) chosen.push({ item: items[h + Math.floor(((i + 0.5) * rest) / r)]!, weight: rest / r });
  const first = chunks[0]!;
  const out: ChunkInput[] = [];
  for (let i = 0; i < chosen.length; i += size) {
    const part = chosen.slice(i, i + size);
    const labels = part.every((p) => p.item.label !== undefined) ? Int32Array.from(part, (p) => p.item.label!) : undefined;
    out.push({
      id: out.length,
      input: stack(part.map((p) => p.item.input), first.input.shape),
      labels,
      ref: stack(part.map((p) => p.item.ref), first.ref!.shape),
      weights: Float64Array.from(part, (p) => p.weight),
    });
  }
  return out;
}
