/**
 * The report of a mixed-precision search: a self-contained HTML page (tables
 * and inline SVG charts, no scripts) and the same content as JSON.
 *
 * Every accuracy, PSNR and cost figure in it is a result of the integer engine
 * or of the cost model on the lowered assignment. The search trajectory is the
 * search's own bookkeeping (fake-quant scores on the search set) and is labelled so.
 */
import type { FxpSizeReport } from '../export/fxp-file.js';
import type { FxGraph } from '../engine/fx-graph.js';
import { formatToString, type QFormat } from '../fixed/format.js';
import { effectiveFormat, type CostReport, type CostScope } from '../quantize/cost.js';
import type { IntEvalResult } from '../quantize/search/parallel-eval.js';
import type { SearchOutcome } from '../quantize/search/index.js';
import { groupedBarSvg, htmlPage, htmlTable, lineChartSvg, type HtmlSection } from './plot.js';

export interface SearchRun {
  readonly outcome: SearchOutcome;
  readonly fx: FxGraph;
  readonly cost: CostReport;
  readonly size: FxpSizeReport;
  readonly float: IntEvalResult | undefined;
  readonly fixed: IntEvalResult;
  readonly calibration: { readonly name: string; readonly count: number };
  readonly searchSet: { readonly name: string; readonly count: number };
  readonly evalSet?: string | undefined;
  readonly totalSeconds: number;
}

/** One point of a budget sweep, measured with the integer engine. */
export interface ParetoPoint {
  readonly budget: number;
  readonly memoryBits: number;
  readonly bops: number;
  readonly multCost: number;
  readonly value: number;
  readonly avgWeightBits: number;
  readonly onFront: boolean;
}

export interface LayerFormatRow {
  readonly name: string;
  readonly op: string;
  readonly weight?: string | undefined;
  readonly bias?: string | undefined;
  readonly activation: string;
  readonly wlWeight: number;
  readonly wlBias: number;
  readonly wlAct: number;
  readonly memoryBits: number;
  readonly memoryBits8: number;
  readonly multCost: number;
  readonly multCost8: number;
}

function flText(fl: readonly number[]): string {
  if (fl.length === 1) return String(fl[0]);
  const lo = Math.min(...fl);
  const hi = Math.max(...fl);
  return lo === hi ? String(lo) : `${lo}..${hi}`;
}

/** Per-row word and fractional lengths (W, B, A) with costs against uniform 8-bit. */
export function layerFormatRows(run: SearchRun): LayerFormatRow[] {
  const { outcome, cost } = run;
  const g = outcome.graph;
  const a = outcome.assignment;
  const byName = new Map(g.nodes.map((n) => [n.name, n]));
  return cost.rows.map((r) => {
    const node = byName.get(r.name)!;
    const la = a.layers.get(r.name);
    const act: QFormat | undefined = effectiveFormat(g, a, node.outputs[0]!);
    const w = la?.weight;
    return {
      name: r.name,
      op: r.op,
      weight: w === undefined ? undefined : w.scheme === 'dynamic' ? `Q(s,${w.wl},${flText(w.fl)})` : `RA(${w.wl}, ${w.range.length} × ${w.rangeBits}-bit range${w.range.length === 1 ? '' : 's'})`,
      bias: la?.bias === undefined ? undefined : formatToString(la.bias),
      activation: act === undefined ? '' : formatToString(act),
      wlWeight: r.wlWeight,
      wlBias: r.wlBias,
      wlAct: r.wlAct,
      memoryBits: r.memoryBits,
      memoryBits8: 8 * (r.weights + r.biases + r.activations),
      multCost: r.multCost,
      multCost8: 64 * r.macs,
    };
  });
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

function metricText(r: IntEvalResult | undefined): string {
  if (r === undefined) return 'not measured';
  return r.metric === 'psnr' ? `${r.value.toFixed(3)} dB` : `${(100 * r.value).toFixed(2)}%`;
}

const SCOPE_NAME = { layers: 'Conv/ConvTranspose/Dense (Goyal scope)', all: 'all tensors (incl. ChannelAffine, Add, Softmax, ...)' } as const satisfies { [S in CostScope]: string };

function costRows(cost: CostReport): (string | number)[][] {
  return (['layers', 'all'] as const).map((scope) => {
    const s = cost.scopes[scope];
    return [
      SCOPE_NAME[scope],
      s.total.memoryBits.toLocaleString('en-US'),
      pct(s.savings.memoryVsFp32),
      pct(s.savings.memoryVs8bit),
      s.total.multCost.toLocaleString('en-US'),
      pct(s.savings.multVs8bit),
      s.total.bops.toLocaleString('en-US'),
      pct(s.savings.bopsVs8bit),
    ];
  });
}

function summaryRows(model: string, run: SearchRun): (string | number)[][] {
  const { outcome, fixed, float } = run;
  const loss =
    float === undefined ? 'n/a' : fixed.metric === 'psnr' ? `${(float.value - fixed.value).toFixed(3)} dB` : `${((100 * (float.value - fixed.value)) / float.value).toFixed(3)}% (relative)`;
  return [
    ['model', model],
    ['strategy', outcome.strategy],
    ['search metric / budget', `${outcome.metric} / ${outcome.budget}${outcome.ramp === undefined ? '' : `, ${outcome.ramp} budget ramp`}`],
    [`float ${fixed.metric} (${fixed.count} inputs${run.evalSet === undefined ? '' : `, ${run.evalSet}`})`, metricText(float)],
    [`integer engine ${fixed.metric}`, metricText(fixed)],
    ['loss against float', loss],
    ['search time', `${outcome.seconds.toFixed(1)} s (${outcome.evaluations} candidate evaluations)`],
    ['total time (calibration, search, evaluation)', `${run.totalSeconds.toFixed(1)} s`],
    ['search set', `${run.searchSet.name}: ${outcome.searchImages.active} of ${run.searchSet.count} inputs scored`],
    ['calibration set', `${run.calibration.name}: ${run.calibration.count} inputs`],
    ['weights', `${outcome.space.weightScheme}, per ${outcome.space.granularity}${outcome.space.weightScheme === 'range-adaptive' ? ` (${outcome.space.rangeBits}-bit ranges, ${outcome.space.rangeMethod === 'mse' ? 'least-error clip' : 'max|w|'} before clipping steps)` : ''}${outcome.errorFeedback ? ', rounded with error feedback (OPTQ/GPTQ)' : ''}`],
    ['average weight / activation bits (Conv/Dense)', `${run.cost.avgWeightBits.toFixed(2)} / ${run.cost.avgActBits.toFixed(2)}`],
    ...(run.cost.avgWeightStorageBits > run.cost.avgWeightBits ? [['weight storage per weight, with the stored ranges', run.cost.avgWeightStorageBits.toFixed(3)]] : []),
    ['.fxp file', `${run.size.totalBytes.toLocaleString('en-US')} bytes (weights ${(run.size.weightBits / 8).toLocaleString('en-US')} B, biases ${(run.size.biasBits / 8).toLocaleString('en-US')} B)`],
  ];
}

/** The search's own trajectory: memory estimate per step vs the search-set drop. */
function trajectory(run: SearchRun): { x: string; points: [number, number][] } | undefined {
  const o = run.outcome;
  if (o.goyal !== undefined && o.goyal.length > 0) return { x: 'structures decided', points: o.goyal.map((s, i) => [i + 1, s.drop]) };
  // Rounds are numbered per pass; the plot counts them over all passes.
  if (o.rounds !== undefined && o.rounds.length > 0) return { x: 'reduction round (all passes)', points: o.rounds.map((r, i) => [i + 1, r.drop]) };
  return undefined;
}

export async function paretoSvg(points: readonly ParetoPoint[], metric: string, title: string): Promise<string> {
  return lineChartSvg({
    title,
    x: 'memory (kbit, all tensors)',
    y: metric === 'psnr' ? 'PSNR (dB), integer engine' : 'top-1 (%), integer engine',
    pointsOnly: false,
    series: [
      { name: 'front', emphasis: true, points: points.filter((p) => p.onFront).map((p) => [p.memoryBits / 1000, metric === 'psnr' ? p.value : 100 * p.value]) },
      { name: 'all budgets', scatter: true, points: points.map((p) => [p.memoryBits / 1000, metric === 'psnr' ? p.value : 100 * p.value]) },
    ],
  });
}

export async function searchSections(model: string, run: SearchRun, pareto?: readonly ParetoPoint[]): Promise<HtmlSection[]> {
  const rows = layerFormatRows(run);
  const sections: HtmlSection[] = [
    { heading: 'Summary', html: htmlTable(['quantity', 'value'], summaryRows(model, run)) },
    {
      heading: 'Costs (per input) against fp32 and uniform 8-bit W/B/A',
      html: htmlTable(['scope', 'memory (bits)', 'vs fp32', 'vs 8-bit', 'mult cost', 'vs 8-bit', 'BOPs', 'vs 8-bit'], costRows(run.cost)),
    },
    {
      heading: 'Per-layer formats Q(signed, word length, fractional length) and costs',
      html: htmlTable(
        ['layer', 'op', 'weights', 'biases', 'output', 'memory (bits)', 'vs 8-bit', 'mult cost', 'vs 8-bit'],
        rows.map((r) => [
          r.name,
          r.op,
          r.weight ?? '',
          r.bias ?? '',
          r.activation,
          r.memoryBits.toLocaleString('en-US'),
          r.memoryBits8 === 0 ? '' : pct(1 - r.memoryBits / r.memoryBits8),
          r.multCost === 0 ? '' : r.multCost.toLocaleString('en-US'),
          r.multCost8 === 0 ? '' : pct(1 - r.multCost / r.multCost8),
        ]),
      ),
    },
    {
      heading: 'Bit widths per layer',
      html: await groupedBarSvg({
        title: 'word lengths (W, B, A) per layer',
        categories: rows.map((r) => r.name),
        groups: [
          { name: 'weights', values: rows.map((r) => r.wlWeight) },
          { name: 'biases', values: rows.map((r) => r.wlBias) },
          { name: 'activations', values: rows.map((r) => r.wlAct) },
        ],
        y: 'bits',
      }),
    },
  ];
  if (pareto !== undefined && pareto.length > 0) {
    sections.push({ heading: 'Pareto front (integer engine)', html: await paretoSvg(pareto, run.fixed.metric, 'accuracy against memory over the budget sweep') });
    sections.push({
      heading: 'Budget sweep',
      html: htmlTable(
        ['budget', 'memory (bits)', 'BOPs', 'mult cost', 'avg weight bits', run.fixed.metric, 'on front'],
        pareto.map((p) => [p.budget, p.memoryBits.toLocaleString('en-US'), p.bops.toLocaleString('en-US'), p.multCost.toLocaleString('en-US'), p.avgWeightBits.toFixed(2), run.fixed.metric === 'psnr' ? p.value.toFixed(3) : (100 * p.value).toFixed(2), p.onFront ? 'yes' : '']),
      ),
    });
  }
  const distilled = run.outcome.distill ?? [];
  if (distilled.length > 0) {
    const checks = run.outcome.distillChecks ?? [];
    const fmt = (f: { wl: number; fl: number }): string => `(${f.wl}, ${f.fl})`;
    sections.push({
      heading: 'Self-distillation (search set, against the float layer outputs)',
      html:
        htmlTable(
          ['pass', 'drop before', 'drop after', 'rank error before', 'rank error after', 'kept'],
          checks.map((c, i) => [i + 1, c.dropBefore.toPrecision(4), c.dropAfter.toPrecision(4), c.rankBefore.toPrecision(4), c.rankAfter.toPrecision(4), c.kept ? 'yes' : 'no (undone)']),
        ) +
        htmlTable(
          ['layer', 'weight (WL, FL) before', 'after', 'rounding', 'output MSE before', 'after', 'largest bias correction', 'network error lower (layer kept)', 'pass kept'],
          distilled.map((d) => [d.node, fmt(d.weightBefore), fmt(d.weightAfter), d.gptq === true ? 'error feedback (gptq)' : 'nearest', d.mseBefore.toPrecision(3), d.mseAfter.toPrecision(3), d.maxCorrection === 0 ? '' : d.maxCorrection.toPrecision(3), d.applied === false ? 'no (put back)' : 'yes', d.kept === false ? 'no' : 'yes']),
        ),
    });
  }
  const t = trajectory(run);
  if (t !== undefined) {
    sections.push({
      heading: 'Search trajectory (search set, fake-quant scores: a search statistic, not a result)',
      html: await lineChartSvg({ title: 'budgeted drop during the search', x: t.x, y: `${run.outcome.metric} drop`, series: [{ name: run.outcome.strategy, points: t.points }] }),
    });
  }
  return sections;
}

export async function searchReportHtml(model: string, run: SearchRun, pareto?: readonly ParetoPoint[]): Promise<string> {
  return htmlPage(`fxp search: ${model}`, await searchSections(model, run, pareto), `fxpnet ${run.outcome.strategy} search; figures from the integer engine`);
}

export function searchJson(model: string, run: SearchRun, pareto?: readonly ParetoPoint[]): unknown {
  const o = run.outcome;
  return {
    model,
    strategy: o.strategy,
    metric: o.metric,
    budget: o.budget,
    evaluation: { metric: run.fixed.metric, count: run.fixed.count, float: run.float?.value, integer: run.fixed.value, items: run.fixed.items, set: run.evalSet },
    weights: { scheme: o.space.weightScheme, granularity: o.space.granularity, errorFeedback: o.errorFeedback, rangeBits: o.space.weightScheme === 'range-adaptive' ? o.space.rangeBits : undefined, rangeMethod: o.space.weightScheme === 'range-adaptive' ? o.space.rangeMethod : undefined },
    cost: { scopes: run.cost.scopes, avgWeightBits: run.cost.avgWeightBits, avgWeightStorageBits: run.cost.avgWeightStorageBits, avgActBits: run.cost.avgActBits, inputShapes: run.cost.inputShapes },
    layers: layerFormatRows(run),
    fxp: run.size,
    search: {
      seconds: o.seconds,
      evaluations: o.evaluations,
      set: run.searchSet,
      active: o.searchImages.active,
      searchDrop: o.searchDrop,
      ramp: o.ramp,
      goyal: o.goyal?.map(({ grid: _g, ...s }) => s),
      rounds: o.rounds,
      backedOff: o.backedOff,
      uniformBits: o.uniformBits,
      distill: o.distill,
      distillChecks: o.distillChecks,
    },
    calibration: run.calibration,
    totalSeconds: run.totalSeconds,
    pareto,
  };
}
