/**
 * Mixed-precision search as a library: a canonical float graph, calibration
 * statistics and a search set in; a format assignment (and, after FxP-QNet's
 * self-distillation, the graph with corrected biases) out. The CLI's `search`
 * and `pareto`, and the demo, call `runSearch`. Figures about the result are
 * measured afterwards with the integer engine (src/cli/commands/search.ts).
 */
import { FxpError } from '../../errors.js';
import type { Graph } from '../../ir/graph.js';
import type { Assignment } from '../assignment.js';
import type { TensorStats } from '../calibrate.js';
import { distill, type DistillRounding, type DistillStep } from './distill.js';
import { fxpqnetSearch, type FxpQNetOptions, type FxpQNetRound } from './fxpqnet.js';
import { goyalSearch, type GoyalOptions, type GoyalStep, type Ramp } from './goyal.js';
import type { Objective } from './lowering.js';
import { METRIC_NEEDS, type SearchMetric } from './metric.js';
import { Scorer } from './scorer.js';
import type { SearchSet } from './set.js';
import { searchSpace, toAssignment, type SearchSpace, type SpaceOptions, type StructFormat } from './space.js';

export { SEARCH_METRICS, type SearchMetric } from './metric.js';
export { OBJECTIVES, type Objective } from './lowering.js';
export { loadSearchSet, type SearchSet } from './set.js';
export { Scorer } from './scorer.js';
export { searchSpace, toAssignment, type SearchSpace, type StructFormat, type Structure } from './space.js';
export { RAMPS, type GoyalStep, type Ramp } from './goyal.js';
export type { FxpQNetRound } from './fxpqnet.js';
export type { DistillStep } from './distill.js';

export type Strategy = 'goyal' | 'fxpqnet';
export const STRATEGIES: readonly Strategy[] = ['goyal', 'fxpqnet'];

export interface SearchOptions extends SpaceOptions {
  readonly strategy: Strategy;
  readonly metric: SearchMetric;
  /** Budget of the metric's drop (metric.ts): relative top-1 loss, PSNR drop in dB, or output MSE. */
  readonly budget: number;
  /** Worker threads (0: the calling thread). */
  readonly threads: number;
  readonly chunkSize?: number;
  /** Classifiers: images scored, the smallest float margins of the set (scorer.ts). */
  readonly active?: number;
  /** Classifiers: standard errors a confident early stop needs (scorer.ts; default 2, 0 disables). */
  readonly z?: number;
  readonly objective?: Objective;
  readonly goyal?: Omit<GoyalOptions, 'budget' | 'onStructure'>;
  readonly fxpqnet?: Omit<FxpQNetOptions, 'budget' | 'objective' | 'onRound'>;
  /** FxP-QNet: rounds of reduction + self-distillation (default 1); 0 distillation passes with `distill: false`. */
  readonly passes?: number;
  /** Self-distillation after the search (default: true for fxpqnet, false for goyal, whose paper has none). */
  readonly distill?: boolean;
  /** Self-distillation's rounding choice (distill.ts): 'nearest' (default) or error-compensating 'gptq'. */
  readonly distillRounding?: DistillRounding;
  /** Self-distillation folds each layer's mean output error into its bias (default true). */
  readonly biasCorrection?: boolean;
  readonly onProgress?: (p: SearchProgress) => void;
}

export type SearchProgress =
  | { readonly phase: 'setup'; readonly images: number }
  | { readonly phase: 'goyal'; readonly done: number; readonly total: number; readonly step: GoyalStep }
  | { readonly phase: 'fxpqnet'; readonly round: FxpQNetRound }
  | { readonly phase: 'distill'; readonly done: number; readonly total: number; readonly step: DistillStep };

export interface SearchOutcome {
  readonly strategy: Strategy;
  readonly metric: SearchMetric;
  readonly budget: number;
  /** The graph to lower: the input graph, with corrected biases after distillation. */
  readonly graph: Graph;
  readonly space: SearchSpace;
  readonly config: StructFormat[];
  readonly assignment: Assignment;
  /** The drop on the search set by the fake-quant scorer (a search statistic, not a result). */
  readonly searchDrop: number;
  readonly searchImages: { readonly set: number; readonly active: number };
  /** The weights were scored and stored rounded with error feedback (--error-feedback). */
  readonly errorFeedback: boolean;
  /** goyal: how each component's budget grew over its structures (goyal.ts Ramp). */
  readonly ramp?: Ramp | undefined;
  readonly seconds: number;
  readonly evaluations: number;
  readonly goyal?: GoyalStep[] | undefined;
  readonly rounds?: FxpQNetRound[] | undefined;
  /** FxP-QNet: accepted combinations undone by the final whole-set check. */
  readonly backedOff?: number | undefined;
  /** FxP-QNet: the word length the uniform descent of the first pass ended at. */
  readonly uniformBits?: number | undefined;
  readonly distill?: DistillStep[] | undefined;
  /** Per pass: the network before and after self-distillation on the whole search set, and whether it was kept. */
  readonly distillChecks?: DistillCheck[] | undefined;
}

export interface DistillCheck {
  readonly rankBefore: number;
  readonly rankAfter: number;
  readonly dropBefore: number;
  readonly dropAfter: number;
  readonly kept: boolean;
}

function checkSet(set: SearchSet, metric: SearchMetric): void {
  const need = METRIC_NEEDS[metric];
  const first = set.chunks[0];
  if (need === 'labels' && first?.labels === undefined) throw new FxpError(`metric '${metric}' needs labels; search set '${set.name}' has none`);
  if (need === 'targets' && first?.targets === undefined) throw new FxpError(`metric '${metric}' needs target images; search set '${set.name}' has none`);
}

/** Creates the scorer of a search (the float pass over the search set happens here). */
export async function createScorer(g: Graph, stats: ReadonlyMap<number, TensorStats>, set: SearchSet, opts: SearchOptions): Promise<Scorer> {
  checkSet(set, opts.metric);
  if (!(opts.budget >= 0)) throw new FxpError(`budget must be a non-negative number, got ${opts.budget}`);
  const space = searchSpace(g, stats, opts);
  let images = 0;
  return Scorer.create(space, set, {
    metric: opts.metric,
    threads: opts.threads,
    chunkSize: opts.chunkSize,
    active: opts.active,
    z: opts.z,
    onImages: (n) => {
      images = n;
      opts.onProgress?.({ phase: 'setup', images });
    },
  });
}

/** Runs a strategy on an existing scorer (pareto sweeps reuse one). The scorer's graph may get corrected biases. */
export async function searchWith(scorer: Scorer, opts: SearchOptions): Promise<SearchOutcome> {
  const start = performance.now();
  const evals0 = scorer.evaluations;
  const errorFeedback = (opts.strategy === 'goyal' ? opts.goyal?.errorFeedback : opts.fxpqnet?.errorFeedback) === true;
  const base = { strategy: opts.strategy, metric: opts.metric, budget: opts.budget, searchImages: { set: scorer.setCount, active: scorer.count }, errorFeedback };
  if (opts.strategy === 'goyal') {
    const ramp = opts.goyal?.ramp ?? 'linear';
    const r = await goyalSearch(scorer, {
      ...opts.goyal,
      ramp,
      budget: opts.budget,
      onStructure: (done, total, step) => opts.onProgress?.({ phase: 'goyal', done, total, step }),
    });
    // Error feedback: the weights the search scored go into the graph that is lowered.
    if (errorFeedback) await scorer.bakeErrorFeedback(r.config);
    let config = r.config;
    let d: Distilled | undefined;
    if (opts.distill === true) {
      d = await checkedDistill(scorer, config, opts);
      config = d.config;
      if (errorFeedback) await scorer.bakeErrorFeedback(config);
    }
    await scorer.focus(config, { pos: 0 });
    const final = await scorer.score(config);
    return {
      ...base,
      graph: scorer.space.graph,
      space: scorer.space,
      config,
      assignment: toAssignment(scorer.space, config),
      searchDrop: final.drop,
      seconds: (performance.now() - start) / 1000,
      evaluations: scorer.evaluations - evals0,
      goyal: r.steps,
      ramp,
      distill: d?.steps,
      distillChecks: d === undefined ? undefined : [d.check],
    };
  }
  const rounds: FxpQNetRound[] = [];
  const distilled: DistillStep[] = [];
  const distillChecks: DistillCheck[] = [];
  let backedOff = 0;
  let uniformBits: number | undefined;
  let config: StructFormat[] | undefined;
  const passes = Math.max(1, opts.passes ?? 1);
  for (let pass = 0; pass < passes; pass++) {
    const r = await fxpqnetSearch(
      scorer,
      { ...opts.fxpqnet, budget: opts.budget, objective: opts.objective, onRound: (round) => opts.onProgress?.({ phase: 'fxpqnet', round }) },
      config,
    );
    rounds.push(...r.rounds);
    backedOff += r.backedOff;
    uniformBits ??= r.uniformBits;
    config = r.config;
    // Error feedback: the weights the search scored go into the graph (distillation starts from them).
    if (opts.fxpqnet?.errorFeedback === true) await scorer.bakeErrorFeedback(config);
    if (opts.distill === false) break;
    const d = await checkedDistill(scorer, config, opts);
    distilled.push(...d.steps);
    distillChecks.push(d.check);
    config = d.config;
  }
  // A distillation step may have moved a weight's fractional length: store what the scorer scores there.
  if (opts.fxpqnet?.errorFeedback === true) await scorer.bakeErrorFeedback(config!);
  await scorer.focus(config!, { pos: 0 });
  const final = await scorer.score(config!);
  return {
    ...base,
    graph: scorer.space.graph,
    space: scorer.space,
    config: config!,
    assignment: toAssignment(scorer.space, config!),
    searchDrop: final.drop,
    seconds: (performance.now() - start) / 1000,
    evaluations: scorer.evaluations - evals0,
    rounds,
    backedOff,
    uniformBits,
    distill: opts.distill === false ? undefined : distilled,
    distillChecks: opts.distill === false ? undefined : distillChecks,
  };
}

interface Distilled {
  readonly config: StructFormat[];
  readonly steps: DistillStep[];
  readonly check: DistillCheck;
}

/**
 * Self-distillation, kept only if it brings the network closer to the float one
 * on the whole search set (rank) and keeps it within the budget (or, past it,
 * does not raise the drop); else the scorer's graph is put back and `config`
 * returned as it was.
 */
async function checkedDistill(scorer: Scorer, config: StructFormat[], opts: SearchOptions): Promise<Distilled> {
  const before = scorer.space.graph;
  await scorer.focus(config, { pos: 0 });
  const plain = await scorer.score(config);
  const d = await distill(scorer, config, { rounding: opts.distillRounding, biasCorrection: opts.biasCorrection, startScore: plain, onLayer: (step, done, total) => opts.onProgress?.({ phase: 'distill', done, total, step }) });
  let corrected = d.score;
  if (corrected === undefined) {
    await scorer.focus(d.config, { pos: 0 });
    corrected = await scorer.score(d.config);
  }
  // goyal's result may already be past the budget (its checks stop early on confident estimates): then no worse.
  const kept = corrected.rank <= plain.rank && corrected.drop <= Math.max(opts.budget, plain.drop);
  if (!kept) await scorer.resetGraph(before);
  return {
    config: kept ? d.config : config,
    steps: d.steps.map((st) => ({ ...st, kept })),
    check: { rankBefore: plain.rank, rankAfter: corrected.rank, dropBefore: plain.drop, dropAfter: corrected.drop, kept },
  };
}

/** Scorer, strategy, and the scorer's threads closed again. */
export async function runSearch(g: Graph, stats: ReadonlyMap<number, TensorStats>, set: SearchSet, opts: SearchOptions): Promise<SearchOutcome> {
  const start = performance.now();
  const scorer = await createScorer(g, stats, set, opts);
  try {
    const out = await searchWith(scorer, opts);
    return { ...out, seconds: (performance.now() - start) / 1000 };
  } finally {
    await scorer.close();
  }
}
