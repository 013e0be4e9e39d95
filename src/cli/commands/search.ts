/**
 * `fxp search MODEL -o out.fxp`: mixed-precision search (strategies 'goyal' and
 * 'fxpqnet'), then the integer engine on the evaluation data, the cost model,
 * the .fxp file, and optionally an HTML report and JSON.
 *
 * Data: calibration (--calib, as `quantize`); the search set (--search, default
 * the calibration data: an IDX folder's --search-split, or image files cut into
 * --search-crop tiles with targets from --search-targets); the evaluation set
 * (--data, as `eval`). Keep the search set disjoint from the evaluation set.
 */
import { availableParallelism } from 'node:os';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { FxpError } from '../../errors.js';
import { mnistDataset, type Dataset } from '../../data/dataset.js';
import { listImages } from '../../data/images.js';
import { writeFxp, fxpSizeReport } from '../../export/fxp-file.js';
import type { Graph } from '../../ir/graph.js';
import { concreteInputShapes } from '../../ir/shape.js';
import type { IoScales } from '../../engine/io.js';
import type { TensorStats } from '../../quantize/calibrate.js';
import { calibrateOn, quantizableGraph, scaleMeta } from '../../quantize/pipeline.js';
import { costOf } from '../../quantize/cost.js';
import { lower } from '../../quantize/lower.js';
import { cropPairSet } from '../../quantize/search/crop-pairs.js';
import { evaluateParallel, type IntEvalResult, type IntMetric } from '../../quantize/search/parallel-eval.js';
import { loadSearchSet, runSearch, OBJECTIVES, RAMPS, SEARCH_METRICS, STRATEGIES, type Objective, type Ramp, type SearchMetric, type SearchOptions, type SearchProgress, type Strategy } from '../../quantize/search/index.js';
import { searchReportHtml, searchJson, type SearchRun } from '../../report/search-report.js';
import { calibrationDataset, type CalibOptions } from '../calibration.js';
import { colorModeFor, loadModel, parseShape, type LoadedModel } from '../model.js';
import { progressBar, type Progress } from '../progress.js';
import { formatTable } from '../table.js';
import { isIdxDir, openDataset, type EvalCliOptions } from './eval.js';

export interface SearchCliOptions extends CalibOptions, Omit<EvalCliOptions, 'json' | 'metric' | 'reference'> {
  output: string;
  strategy: string;
  metric?: string;
  budget?: string;
  search?: string[];
  searchSplit: string;
  searchLimit?: string;
  searchOffset?: string;
  searchCrop?: string;
  searchTargets?: string;
  active?: string;
  threads?: string;
  granularity: string;
  weightScheme?: string;
  rangeBits?: string;
  rangeMethod?: string;
  actBits?: string;
  objective: string;
  passes: string;
  /** Undefined: the strategy's default (index.ts). */
  distill?: boolean;
  distillRounding?: string;
  biasCorrection?: boolean;
  errorFeedback?: boolean;
  exactPasses?: boolean;
  ramp?: string;
  /** Evaluate the float model on the evaluation data too (default true; --no-float-eval). */
  floatEval?: boolean;
  inputShape?: string;
  pixelIo?: boolean;
  report?: string;
  json?: boolean;
}

function num(name: string, v: string | undefined, check: (n: number) => boolean, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!check(n)) throw new FxpError(`--${name} must be ${what}, got '${v}'`);
  return n;
}

function int(name: string, v: string | undefined, min = 0): number | undefined {
  return num(name, v, (n) => Number.isInteger(n) && n >= min, `an integer >= ${min}`);
}

function oneOf<T extends string>(name: string, v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v)) throw new FxpError(`--${name} must be one of ${allowed.join(', ')}, got '${v}'`);
  return v as T;
}

/** The search set: an IDX split, or image tiles (with targets for image-to-image models). */
export async function searchDataset(model: LoadedModel, opts: SearchCliOptions): Promise<Dataset> {
  const paths = opts.search ?? opts.calib ?? [];
  if (paths.length === 0) throw new FxpError('search data is required: give --search (or --calib) DIR or IMAGES...');
  for (const p of paths) if (!existsSync(p)) throw new FxpError('no such search path', { file: p });
  const first = paths[0]!;
  const limit = int('search-limit', opts.searchLimit, 1);
  if (paths.length === 1 && isIdxDir(first)) {
    const split = oneOf('search-split', opts.searchSplit, ['train', 'test'] as const);
    return mnistDataset(first, split, { layout: model.layout, limit: limit ?? 1000, offset: int('search-offset', opts.searchOffset) ?? 0 });
  }
  const files = paths.flatMap((p) => (statSync(p).isDirectory() ? listImages(p) : [p]));
  const size = int('search-crop', opts.searchCrop, 2) ?? 64;
  if (opts.searchTargets === undefined) throw new FxpError('image search sets need --search-targets DIR (targets with the same file names)');
  return cropPairSet(files, opts.searchTargets, { size, layout: model.layout, color: colorModeFor(model.channels), limit });
}

export function isClassifierData(model: LoadedModel, opts: { search?: string[]; calib?: string[] }): boolean {
  const first = (opts.search ?? opts.calib ?? [])[0];
  return first !== undefined && isIdxDir(first);
}

/** A saving as text: 'x% below', or 'x% above' when it is negative (the result costs more). */
function versus(saving: number): string {
  return `${(100 * Math.abs(saving)).toFixed(1)}% ${saving >= 0 ? 'below' : 'above'}`;
}

/** Search options from the command line, with defaults that depend on the kind of model. */
export function searchOptionsFrom(opts: SearchCliOptions, classifier: boolean, onProgress: (p: SearchProgress) => void): SearchOptions {
  const strategy = oneOf<Strategy>('strategy', opts.strategy, STRATEGIES);
  const metric = oneOf<SearchMetric>('metric', opts.metric ?? (classifier ? 'agree' : 'psnr'), SEARCH_METRICS);
  const defaultBudget = metric === 'psnr' ? 0.05 : metric === 'mse' ? 0.1 : 0.005;
  const budget = num('budget', opts.budget, (n) => n >= 0, 'a non-negative number') ?? defaultBudget;
  const active = classifier ? int('active', opts.active, 1) : undefined;
  if (active !== undefined && metric === 'top1') {
    process.stderr.write("warning: --active with --metric top1: each image of the spread half stands for many, so one changed prediction moves the drop by that many (docs/search.md); 'agree' and 'soft' are smooth and suit --active better\n");
  }
  return {
    strategy,
    metric,
    budget,
    threads: int('threads', opts.threads) ?? availableParallelism(),
    active,
    granularity: oneOf('granularity', opts.granularity, ['layer', 'channel'] as const),
    weightScheme: oneOf('weight-scheme', opts.weightScheme ?? 'dynamic', ['dynamic', 'range-adaptive'] as const),
    rangeBits: int('range-bits', opts.rangeBits, 2),
    rangeMethod: oneOf('range-method', opts.rangeMethod ?? 'max', ['max', 'mse'] as const),
    activationBits: num('act-bits', opts.actBits, (n) => Number.isInteger(n) && n >= 2 && n <= 16, 'an integer in 2..16'),
    objective: oneOf<Objective>('objective', opts.objective, OBJECTIVES),
    passes: int('passes', opts.passes, 1),
    distill: opts.distill,
    distillRounding: oneOf('distill-rounding', opts.distillRounding ?? 'nearest', ['nearest', 'gptq'] as const),
    biasCorrection: opts.biasCorrection,
    goyal: { errorFeedback: opts.errorFeedback === true, ramp: oneOf<Ramp>('ramp', opts.ramp ?? 'linear', RAMPS), exactPasses: opts.exactPasses === true },
    fxpqnet: { errorFeedback: opts.errorFeedback === true },
    inputShapes: opts.inputShape === undefined ? undefined : [parseShape(opts.inputShape)],
    onProgress,
  };
}

/** A progress bar per phase of the search, on stderr (progress.ts). */
export function searchProgress(): { onProgress: (p: SearchProgress) => void; stop: () => void } {
  let bar: Progress | undefined;
  let phase = '';
  const open = (name: string, total: number): Progress => {
    if (phase !== name) {
      bar?.stop();
      bar = progressBar(name, total);
      phase = name;
    }
    return bar!;
  };
  return {
    onProgress: (p) => {
      if (p.phase === 'goyal') open('search (goyal)', p.total).update(p.done, p.total);
      else if (p.phase === 'distill') open('self-distillation', p.total).update(p.done, p.total);
      else if (p.phase === 'fxpqnet') open('search (fxpqnet rounds)', 40).update(p.round.round);
    },
    // A new search after stop() (pareto's next budget) gets a new bar and clock.
    stop: () => {
      bar?.stop();
      bar = undefined;
      phase = '';
    },
  };
}

/** Input shape (batch 1) the costs are counted at: --input-shape, the model's own, or the first evaluation input's. */
export async function referenceShape(g: Graph, data: Dataset, given: string | undefined): Promise<number[][]> {
  if (given !== undefined) return [parseShape(given)];
  try {
    return concreteInputShapes(g, 1);
  } catch {
    for await (const b of data.batches(1)) return [[1, ...b.input.shape.slice(1)]];
    throw new FxpError('no evaluation input to take the input shape from; give --input-shape');
  }
}

/** The graph a search works on (pixel I/O folded in with --pixel-io), its I/O scales and its calibration. */
export async function searchCalibration(
  model: LoadedModel,
  opts: CalibOptions & { pixelIo?: boolean },
): Promise<{ graph: Graph; scales: IoScales; calib: Dataset; stats: Map<number, TensorStats> }> {
  const { graph, scales } = quantizableGraph(model.graph, opts.pixelIo === true);
  const calib = await calibrationDataset(model, opts);
  const bar = progressBar('calibrate', calib.length);
  const stats = await calibrateOn(graph, calib, { onProgress: (d) => bar.update(d), inputScale: scales.inputScale });
  bar.stop();
  return { graph, scales, calib, stats };
}

export async function runSearchCommand(modelPath: string, opts: SearchCliOptions, extra: { floatValue?: number } = {}): Promise<SearchRun> {
  const start = performance.now();
  const model = await loadModel(modelPath);
  if (model.kind !== 'float') throw new FxpError('search takes a float model (.onnx, .h5, model.json), not a .fxp file', { file: modelPath });
  const classifier = isClassifierData(model, opts);
  const progress = searchProgress();
  let so = searchOptionsFrom(opts, classifier, progress.onProgress);
  const data = openDataset(model, { ...opts, json: false });
  const inputShapes = await referenceShape(model.graph, data, opts.inputShape);
  so = { ...so, inputShapes };
  const { graph, scales, calib, stats } = await searchCalibration(model, opts);
  so = { ...so, scales };
  const searchData = await searchDataset(model, opts);
  const set = await loadSearchSet(searchData, 25);
  const outcome = await runSearch(graph, stats, set, so);
  progress.stop();
  const fx = lower(outcome.graph, outcome.assignment, {
    meta: { source: modelPath, strategy: outcome.strategy, metric: outcome.metric, budget: String(outcome.budget), weights: outcome.space.weightScheme, search: `${set.name}, ${set.count} inputs`, ...scaleMeta(scales) },
  });
  await writeFxp(opts.output, fx);
  const metric: IntMetric = opts.targets !== undefined ? 'psnr' : 'top1';
  const batchSize = int('batch', opts.batch, 1) ?? (metric === 'psnr' ? 1 : 100);
  const evalBar = progressBar('integer engine', data.length);
  const fixed = await evaluateParallel({ kind: 'fixed', fx }, data, { metric, batchSize, threads: so.threads, onProgress: (d) => evalBar.update(d) });
  evalBar.stop();
  let float: IntEvalResult | undefined;
  if (extra.floatValue !== undefined) float = { metric, value: extra.floatValue, count: fixed.count, items: [], seconds: 0 };
  else if (opts.floatEval !== false) {
    const floatBar = progressBar('float reference', data.length);
    float = await evaluateParallel({ kind: 'float', graph: model.graph }, data, { metric, batchSize, threads: so.threads, onProgress: (d) => floatBar.update(d) });
    floatBar.stop();
  }
  const cost = costOf(outcome.graph, outcome.assignment, { inputShapes });
  return {
    outcome,
    fx,
    cost,
    size: fxpSizeReport(fx),
    float,
    fixed,
    calibration: { name: calib.name, count: calib.length },
    searchSet: { name: set.name, count: set.count },
    evalSet: data.name,
    totalSeconds: (performance.now() - start) / 1000,
  };
}

export function printSearch(run: SearchRun, out: (s: string) => void): void {
  const { outcome, cost, fixed, float } = run;
  const rows = cost.rows.map((r) => [r.name, r.op, r.weights > 0 ? r.wlWeight : '', r.biases > 0 ? r.wlBias : '', r.wlAct, r.memoryBits.toLocaleString('en-US'), r.multCost.toLocaleString('en-US')]);
  out(`${formatTable(['layer', 'op', 'W bits', 'B bits', 'A bits', 'memory (bits)', 'mult cost'], rows)}\n\n`);
  for (const scope of ['layers', 'all'] as const) {
    const s = cost.scopes[scope].savings;
    out(`${scope === 'layers' ? 'Conv/Dense (Goyal scope)' : 'all tensors'}: memory ${versus(s.memoryVs8bit)} uniform 8-bit (${versus(s.memoryVsFp32)} fp32), multiplication cost ${versus(s.multVs8bit)} 8-bit, BOPs ${versus(s.bopsVs8bit)} 8-bit\n`);
  }
  const ranges = cost.avgWeightStorageBits > cost.avgWeightBits ? ` (${cost.avgWeightStorageBits.toFixed(2)} with the stored ranges)` : '';
  out(`average weight bits ${cost.avgWeightBits.toFixed(2)}${ranges}, average activation bits ${cost.avgActBits.toFixed(2)} (Conv/Dense)\n`);
  const unit = fixed.metric === 'psnr' ? ' dB' : '%';
  const show = (v: number): string => (fixed.metric === 'psnr' ? v.toFixed(3) : (100 * v).toFixed(2));
  const loss = float === undefined ? '' : fixed.metric === 'psnr' ? `, ${Math.abs(float.value - fixed.value).toFixed(3)} dB ${float.value >= fixed.value ? 'below' : 'above'} float` : `, relative loss ${((100 * (float.value - fixed.value)) / float.value).toFixed(3)}%`;
  out(`integer engine ${fixed.metric} ${show(fixed.value)}${unit} on ${fixed.count} inputs (float ${float === undefined ? '?' : show(float.value)}${unit}${loss})\n`);
  out(`search: ${outcome.strategy}, metric ${outcome.metric}, budget ${outcome.budget}, ${outcome.evaluations} evaluations on ${outcome.searchImages.active} of ${outcome.searchImages.set} search inputs, ${outcome.seconds.toFixed(1)} s (total ${run.totalSeconds.toFixed(1)} s)\n`);
  out(`.fxp: ${run.size.totalBytes.toLocaleString('en-US')} bytes\n`);
}

export async function searchCommand(modelPath: string, opts: SearchCliOptions): Promise<void> {
  const run = await runSearchCommand(modelPath, opts);
  if (opts.report !== undefined) writeFileSync(opts.report, await searchReportHtml(modelPath, run));
  if (opts.json === true) {
    process.stdout.write(`${JSON.stringify(searchJson(modelPath, run), null, 2)}\n`);
    return;
  }
  printSearch(run, (s) => process.stdout.write(s));
  process.stdout.write(`wrote ${opts.output}${opts.report === undefined ? '' : ` and ${opts.report}`}\n`);
}
