/**
 * `fxp pareto MODEL --budgets ...`: sweeps the search budget, lowers and
 * evaluates each result with the integer engine, and returns the front of
 * memory (or BOPs) against accuracy, as a table, JSON and an SVG plot in an
 * HTML report. One scorer (one float pass over the search set) serves every budget.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FxpError } from '../../errors.js';
import { writeFxp, fxpSizeReport } from '../../export/fxp-file.js';
import { costOf } from '../../quantize/cost.js';
import { lower } from '../../quantize/lower.js';
import { scaleMeta } from '../../quantize/pipeline.js';
import { createScorer, loadSearchSet, searchWith } from '../../quantize/search/index.js';
import { evaluateParallel, type IntEvalResult, type IntMetric } from '../../quantize/search/parallel-eval.js';
import { htmlPage, htmlTable } from '../../report/plot.js';
import { searchJson, searchSections, type ParetoPoint, type SearchRun } from '../../report/search-report.js';
import { loadModel } from '../model.js';
import { progressBar } from '../progress.js';
import { formatTable } from '../table.js';
import { openDataset } from './eval.js';
import { isClassifierData, referenceShape, searchCalibration, searchDataset, searchOptionsFrom, searchProgress, type SearchCliOptions } from './search.js';

export interface ParetoCliOptions extends Omit<SearchCliOptions, 'output' | 'budget'> {
  budgets: string;
  frontOf: string;
  outDir?: string;
}

function parseBudgets(s: string): number[] {
  const list = s.split(',').map((x) => Number(x.trim()));
  if (list.length === 0 || list.some((b) => !(b >= 0))) throw new FxpError(`--budgets must be a list of non-negative numbers like 0.002,0.005,0.01, got '${s}'`);
  return [...new Set(list)].sort((a, b) => a - b);
}

/** Marks the points no other point beats on both cost (lower) and value (higher). */
export function paretoFront<T extends { readonly value: number }>(points: readonly T[], cost: (p: T) => number): (T & { onFront: boolean })[] {
  return points.map((p) => ({
    ...p,
    onFront: !points.some((q) => q !== p && cost(q) <= cost(p) && q.value >= p.value && (cost(q) < cost(p) || q.value > p.value)),
  }));
}

export async function paretoCommand(modelPath: string, opts: ParetoCliOptions): Promise<void> {
  const start = performance.now();
  const budgets = parseBudgets(opts.budgets);
  if (opts.frontOf !== 'memory' && opts.frontOf !== 'bops') throw new FxpError(`--front-of must be 'memory' or 'bops', got '${opts.frontOf}'`);
  const model = await loadModel(modelPath);
  if (model.kind !== 'float') throw new FxpError('pareto takes a float model (.onnx, .h5, model.json), not a .fxp file', { file: modelPath });
  const classifier = isClassifierData(model, opts);
  const progress = searchProgress();
  const data = openDataset(model, { ...opts, json: false });
  const inputShapes = await referenceShape(model.graph, data, opts.inputShape);
  const { graph, scales, calib, stats } = await searchCalibration(model, opts);
  const base = { ...searchOptionsFrom({ ...opts, output: '', budget: String(budgets[0]) }, classifier, progress.onProgress), inputShapes, scales };
  const set = await loadSearchSet(await searchDataset(model, { ...opts, output: '' }), 25);
  const metric: IntMetric = opts.targets !== undefined ? 'psnr' : 'top1';
  const batchSize = opts.batch === undefined ? (metric === 'psnr' ? 1 : 100) : Number(opts.batch);
  if (opts.outDir !== undefined && !existsSync(opts.outDir)) mkdirSync(opts.outDir, { recursive: true });
  const scorer = await createScorer(graph, stats, set, base);
  const runs: { budget: number; run: SearchRun }[] = [];
  try {
    for (const budget of budgets) {
      await scorer.resetGraph(graph);
      const t0 = performance.now();
      const outcome = await searchWith(scorer, { ...base, budget });
      progress.stop();
      const fx = lower(outcome.graph, outcome.assignment, { meta: { source: modelPath, strategy: outcome.strategy, metric: outcome.metric, budget: String(budget), weights: outcome.space.weightScheme, ...scaleMeta(scales) } });
      if (opts.outDir !== undefined) await writeFxp(join(opts.outDir, `budget-${budget}.fxp`), fx);
      const bar = progressBar(`integer engine (budget ${budget})`, data.length);
      const fixed = await evaluateParallel({ kind: 'fixed', fx }, data, { metric, batchSize, threads: base.threads, onProgress: (d) => bar.update(d) });
      bar.stop();
      const cost = costOf(outcome.graph, outcome.assignment, { inputShapes });
      runs.push({
        budget,
        run: {
          outcome,
          fx,
          cost,
          size: fxpSizeReport(fx),
          float: undefined,
          fixed,
          calibration: { name: calib.name, count: calib.length },
          searchSet: { name: set.name, count: set.count },
          evalSet: data.name,
          totalSeconds: (performance.now() - t0) / 1000,
        },
      });
    }
  } finally {
    await scorer.close();
  }
  let float: IntEvalResult | undefined;
  if (opts.floatEval !== false) float = await evaluateParallel({ kind: 'float', graph: model.graph }, data, { metric, batchSize, threads: base.threads });
  const costOfPoint = (p: ParetoPoint): number => (opts.frontOf === 'bops' ? p.bops : p.memoryBits);
  const points = paretoFront(
    runs.map(({ budget, run }): ParetoPoint => {
      const all = run.cost.scopes.all.total;
      return { budget, memoryBits: all.memoryBits, bops: all.bops, multCost: all.multCost, value: run.fixed.value, avgWeightBits: run.cost.avgWeightBits, onFront: false };
    }),
    costOfPoint,
  );
  const seconds = (performance.now() - start) / 1000;
  const best = runs[runs.length - 1]!.run;
  if (opts.report !== undefined) {
    const sections = await searchSections(modelPath, { ...best, float }, points);
    const front = sections.filter((s) => s.heading.startsWith('Pareto') || s.heading.startsWith('Budget'));
    const rest = sections.filter((s) => !front.includes(s));
    const head = { heading: 'Sweep', html: htmlTable(['quantity', 'value'], [['model', modelPath], ['strategy / metric', `${base.strategy} / ${base.metric}`], ['budgets', budgets.join(', ')], ['float', float === undefined ? 'n/a' : metric === 'psnr' ? `${float.value.toFixed(3)} dB` : `${(100 * float.value).toFixed(2)}%`], ['evaluation', `${data.name}, ${best.fixed.count} inputs, integer engine`], ['total time', `${seconds.toFixed(1)} s`]]) };
    writeFileSync(opts.report, htmlPage(`fxp pareto: ${modelPath}`, [head, ...front, { heading: `Largest budget (${best.outcome.budget}) in detail`, html: '' }, ...rest]));
  }
  if (opts.json === true) {
    process.stdout.write(`${JSON.stringify({ model: modelPath, frontOf: opts.frontOf, float: float?.value, points, runs: runs.map(({ run }) => searchJson(modelPath, run)), seconds }, null, 2)}\n`);
    return;
  }
  const show = (v: number): string => (metric === 'psnr' ? v.toFixed(3) : (100 * v).toFixed(2));
  process.stdout.write(
    `${formatTable(
      ['budget', 'memory (bits)', 'BOPs', 'avg W bits', metric, 'front'],
      points.map((p) => [p.budget, p.memoryBits.toLocaleString('en-US'), p.bops.toLocaleString('en-US'), p.avgWeightBits.toFixed(2), show(p.value), p.onFront ? '*' : '']),
    )}\n`,
  );
  process.stdout.write(`float ${float === undefined ? 'n/a' : show(float.value)}; ${runs.length} searches in ${seconds.toFixed(1)} s${opts.report === undefined ? '' : `; wrote ${opts.report}`}\n`);
}
