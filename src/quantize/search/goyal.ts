/**
 * Strategy 'goyal': the optimized search of Goyal et al. 2021, following the
 * reference implementation rishgoyal/FXPQuantCNN, algorithms/optimized_search.py
 * (OptimizedSearch.run and the methods it calls); deviations in docs/search.md.
 *
 * Components in order — all weights, then all biases, then all activations —
 * each structure in graph order, scored with every earlier choice applied (later
 * structures of the running component stay in float). Per component:
 *   start (_get_initial_config): every structure at start_bw with the no-clipping
 *     F; if that alone already loses more than the component's budget, start_bw += 4.
 *   per structure, with cumulative budget max (a linear ramp over the layers for
 *   weights and activations, flat for biases):
 *     _find_min_quant_params: from (BW, F) go diagonally (BW-1, F-1) while the
 *       drop stays <= max, plus one more step; the lowest BW that passes wins;
 *     _reduce_bw: from there lower BW alone (F fixed) while it passes;
 *     _search_local: the 3x3 neighbourhood (BW-1..BW+1, F-1..F+1); the least drop
 *       wins, the first in (BW, F) order on ties, so ties go to the lower BW;
 *     trade-off: if the local optimum differs from the global one by less than
 *       `tradeOff`, keep the one with the lower BW.
 * Scores are relative drops (metric.ts); a score that cannot pass is stopped early
 * (scorer.ts) and kept as its lower bound, which never changes a decision.
 */
import type { Override } from './fake-quant.js';
import type { Entry } from './positions.js';
import type { Bound, Score, ScoreOptions } from './scorer.js';
import { startFl, type Config, type SearchSpace, type StructFormat, type Structure, type StructureKind } from './space.js';

/** What the strategies need of a scorer (scorer.ts; tests substitute a synthetic one). */
export interface ScoreSource {
  readonly space: SearchSpace;
  focus(config: Config, entry: Entry): Promise<void>;
  focusOn(config: Config, sid: number): Promise<void>;
  score(config: Config, override?: Override, bound?: Bound, opts?: ScoreOptions): Promise<Score>;
  /** Error feedback (scorer.ts): round structure sid's weights with error feedback from now on. */
  setErrorFeedback?(config: Config, sid: number): Promise<boolean>;
}

export interface GoyalOptions {
  /** Total budget of the normalized drop (e.g. 0.005: 0.5% relative top-1 loss). */
  readonly budget: number;
  /** Fractions of the budget per component (default weights 0.5, biases 0, activations 0.5). */
  readonly shares?: { readonly weight: number; readonly bias: number; readonly activation: number };
  /** Starting word lengths (default 8, run()'s default start_bw; the reference notebooks passed 12 for weights and activations). */
  readonly startBits?: { readonly weight: number; readonly bias: number; readonly activation: number };
  /** optimized_search.py's trade_off_param, as a fraction of the budget (0.0015 / 0.005 = 0.3). */
  readonly tradeOff?: number;
  /** Smallest word length tried (the engine needs 2). */
  readonly minBits?: number;
  /**
   * How a component's budget grows over its structures: 'linear' (the
   * reference's ramp, i/n; default) or 'cost' (ours: in proportion to each
   * structure's share of the 8-bit cost, half memory and half multiplications,
   * so the expensive early layers of a CNN get the budget their cost warrants).
   */
  readonly ramp?: Ramp;
  /**
   * Score every weight candidate with its weights rounded with error feedback
   * (OPTQ/GPTQ, gptq.ts) over its layer's input with the earlier choices applied,
   * instead of to nearest (default false).
   */
  readonly errorFeedback?: boolean;
  /**
   * Score a candidate that passes on the whole search set (no confident early
   * pass, scorer.ts Bound.whole): an early pass stops when the estimate happens
   * to be low, so the accepted drops run over the ramp and starve the structures
   * after them (default false; slower).
   */
  readonly exactPasses?: boolean;
  readonly onStructure?: (done: number, total: number, step: GoyalStep) => void;
}

export interface GridPoint {
  readonly wl: number;
  readonly fl: number;
  readonly drop: number;
  readonly exact: boolean;
}

export interface GoyalStep {
  readonly sid: number;
  readonly kind: StructureKind;
  readonly node: string;
  readonly budget: number;
  readonly start: StructFormat;
  readonly global: StructFormat;
  readonly local: StructFormat;
  readonly chosen: StructFormat;
  readonly drop: number;
  /** False when no point met the budget and the start format was kept. */
  readonly found: boolean;
  readonly grid: readonly GridPoint[];
}

export interface GoyalResult {
  readonly config: StructFormat[];
  readonly steps: GoyalStep[];
  readonly startBits: { weight: number; bias: number; activation: number };
}

export type Ramp = 'linear' | 'cost';
export const RAMPS: readonly Ramp[] = ['linear', 'cost'];

const MAX_BITS = { weight: 16, bias: 32, activation: 16 } as const satisfies { [K in StructureKind]: number };
const KINDS: readonly StructureKind[] = ['weight', 'bias', 'activation'];

/**
 * Cumulative budget of the i-th (1-based) of n structures of a component; `upTo`,
 * where given, is the fraction of the component's share the first i structures
 * get (the cost ramp), else i/n.
 */
export function componentBudget(kind: StructureKind, i: number, n: number, budget: number, shares: { weight: number; bias: number; activation: number }, upTo?: number): number {
  const w = budget * shares.weight;
  const b = budget * shares.bias;
  const a = budget * shares.activation;
  const frac = upTo ?? i / n;
  if (kind === 'weight') return w * frac;
  if (kind === 'bias') return w + b;
  return w + b + a * frac;
}

/**
 * The cost ramp: for each member of a component, the fraction of its budget the
 * members up to it get, by their share of the component's 8-bit cost: half their
 * elements (memory), half the multiply-accumulates they take part in (the layer of
 * a weight, the layer producing an activation). Linear where nothing has a cost.
 */
export function costRamp(space: SearchSpace, members: readonly Structure[]): number[] {
  const macsOf = (s: Structure): number => (space.paramsOf.has(space.graph.nodes[s.nodeIndex]!.name) ? (space.macs[s.nodeIndex] ?? 0) : 0);
  const sum = (xs: readonly number[]): number => xs.reduce((t, x) => t + x, 0);
  // Elements and MACs, each as shares of its total, averaged over those with a total.
  const shares = [members.map((s) => s.count), members.map(macsOf)]
    .map((xs) => ({ xs, t: sum(xs) }))
    .filter(({ t }) => t > 0)
    .map(({ xs, t }) => xs.map((x) => x / t));
  const cost = members.map((_, j) => (shares.length > 0 ? sum(shares.map((xs) => xs[j]!)) / shares.length : 0));
  const total = sum(cost);
  let acc = 0;
  return cost.map((c, j) => (total > 0 ? (acc += c) / total : (j + 1) / members.length));
}

class Grid {
  private readonly pts = new Map<string, GridPoint>();
  get(wl: number, fl: number): GridPoint | undefined {
    return this.pts.get(`${wl}:${fl}`);
  }
  set(wl: number, fl: number, s: Score): GridPoint {
    const p = { wl, fl, drop: s.drop, exact: s.exact };
    this.pts.set(`${wl}:${fl}`, p);
    return p;
  }
  all(): GridPoint[] {
    return [...this.pts.values()];
  }
}

export async function goyalSearch(scorer: ScoreSource, opts: GoyalOptions): Promise<GoyalResult> {
  const space = scorer.space;
  const shares = opts.shares ?? { weight: 0.5, bias: 0, activation: 0.5 };
  const startBits = { weight: 8, bias: 8, activation: 8, ...opts.startBits };
  const tradeOff = (opts.tradeOff ?? 0.3) * opts.budget;
  const minBits = opts.minBits ?? 2;
  const config: (StructFormat | undefined)[] = space.structures.map(() => undefined);
  const steps: GoyalStep[] = [];
  const total = space.structures.length;

  for (const kind of KINDS) {
    const members = space.structures.filter((s) => s.kind === kind);
    if (members.length === 0) continue;
    const maxBits = MAX_BITS[kind];
    // _get_initial_config: every member at start_bw must stay within the component's budget.
    const finalBudget = componentBudget(kind, members.length, members.length, opts.budget, shares);
    const ramp = opts.ramp === 'cost' ? costRamp(space, members) : undefined;
    let bw = startBits[kind];
    for (;;) {
      const trial = config.slice();
      for (const s of members) trial[s.id] = { wl: bw, fl: startFl(s, bw) };
      await scorer.focus(trial, { pos: 0 });
      const sc = await scorer.score(trial, undefined, { value: finalBudget, whole: opts.exactPasses === true });
      if (sc.drop <= finalBudget || bw + 4 > maxBits) break;
      bw += 4;
    }
    startBits[kind] = bw;

    for (const [i, s] of members.entries()) {
      const max = componentBudget(kind, i + 1, members.length, opts.budget, shares, ramp?.[i]);
      if (kind === 'weight' && opts.errorFeedback === true) await scorer.setErrorFeedback?.(config, s.id);
      const step = await searchStructure(scorer, config, s, { wl: bw, fl: startFl(s, bw) }, max, { tradeOff, minBits, maxBits, exactPasses: opts.exactPasses === true });
      config[s.id] = step.chosen;
      steps.push(step);
      opts.onStructure?.(steps.length, total, step);
    }
  }
  return { config: config.map((f) => f!), steps, startBits };
}

interface Limits {
  readonly tradeOff: number;
  readonly minBits: number;
  readonly maxBits: number;
  readonly exactPasses: boolean;
}

async function searchStructure(scorer: ScoreSource, config: readonly (StructFormat | undefined)[], s: Structure, start: StructFormat, max: number, lim: Limits): Promise<GoyalStep> {
  await scorer.focusOn(config, s.id);
  const grid = new Grid();
  const evalAt = async (wl: number, fl: number, bound: Bound): Promise<GridPoint> => {
    const known = grid.get(wl, fl);
    if (known !== undefined && (known.exact || (bound.strict === true ? known.drop >= bound.value : known.drop > bound.value))) return known;
    return grid.set(wl, fl, await scorer.score(config, { sid: s.id, f: { wl, fl } }, bound));
  };
  const pass: Bound = { value: max, whole: lim.exactPasses };
  const base = { sid: s.id, kind: s.kind, node: s.node, budget: max, start };

  // _find_min_quant_params: the diagonal, plus one step past the first failure.
  let wl = start.wl;
  let fl = start.fl;
  const diag: GridPoint[] = [await evalAt(wl, fl, pass)];
  while (diag[0]!.drop <= max && wl > lim.minBits) {
    wl--;
    fl--;
    diag.unshift(await evalAt(wl, fl, pass));
  }
  if (wl > lim.minBits) {
    wl--;
    fl--;
    diag.unshift(await evalAt(wl, fl, pass));
  }
  const first = diag.find((p) => p.drop <= max);
  if (first === undefined) {
    const drop = diag[diag.length - 1]!.drop;
    return { ...base, global: start, local: start, chosen: start, drop, found: false, grid: grid.all() };
  }
  // _reduce_bw: lower BW alone while the drop stays within budget.
  let minWl = first.wl;
  const minFl = first.fl;
  if (minWl > lim.minBits) {
    const line: GridPoint[] = [first];
    let b = minWl;
    while (line[0]!.drop <= max && b > lim.minBits) {
      b--;
      line.unshift(await evalAt(b, minFl, pass));
    }
    minWl = line.find((p) => p.drop <= max)!.wl;
  }
  const global = { wl: minWl, fl: minFl };
  const center = grid.get(minWl, minFl)!;
  // _search_local: the 3x3 neighbourhood in (BW, F) order; the first least drop wins.
  // Before the best so far is known, a candidate ahead of the center wins a tie with it.
  let best: { p: GridPoint; at: StructFormat } | undefined;
  for (let i = -1; i <= 1; i++) {
    for (let j = -1; j <= 1; j++) {
      const at = { wl: minWl + i, fl: minFl + j };
      if (at.wl < lim.minBits || at.wl > lim.maxBits) continue;
      const bound: Bound = best === undefined ? { value: center.drop, whole: lim.exactPasses } : { value: best.p.drop, strict: true };
      const p = i === 0 && j === 0 ? center : await evalAt(at.wl, at.fl, bound);
      if (p.exact && (best === undefined || p.drop < best.p.drop)) best = { p, at };
    }
  }
  const bestAt = best!.at;
  const bestDrop = best!.p.drop;
  let chosen = bestAt;
  if (bestAt.wl !== minWl || bestAt.fl !== minFl) {
    const diff = center.drop - bestDrop;
    if (Math.abs(diff) >= lim.tradeOff) {
      if (center.drop < bestDrop) chosen = global;
    } else if (minWl < bestAt.wl) {
      chosen = global;
    }
  }
  const drop = grid.get(chosen.wl, chosen.fl)!.drop;
  return { ...base, global, local: bestAt, chosen, drop, found: true, grid: grid.all() };
}
