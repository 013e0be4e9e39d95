/**
 * `fxp sweep MODEL`: the influence of weight or activation bit width (Hong et al.'s
 * figures). Calibrates once, then for each bit width quantizes, runs the integer
 * engine on the evaluation set and records the metric; prints a table and writes
 * an HTML page with the plot.
 */
import { writeFileSync } from 'node:fs';
import { FxpError } from '../../errors.js';
import { runFloatIO } from '../../engine/io.js';
import { cliKernels, createEngine } from '../../engine/runtime.js';
import { evaluate, METRICS, type Metric } from '../../evaluate.js';
import { fxpSizeReport } from '../../export/fxp-file.js';
import { quantizableGraph, quantizeUniform } from '../../quantize/pipeline.js';
import { htmlPage, htmlTable, lineChartSvg } from '../../report/plot.js';
import { calibrationDataset } from '../calibration.js';
import { loadModel } from '../model.js';
import { progressBar } from '../progress.js';
import { formatTable } from '../table.js';
import { openDataset, type EvalCliOptions } from './eval.js';
import { calibrateFor, uniformOptionsFrom, type QuantizeCliOptions } from './quantize.js';

export interface SweepCliOptions extends Omit<QuantizeCliOptions, 'output'>, Omit<EvalCliOptions, 'json'> {
  vary: string;
  bits: string;
  plot?: string;
}

function parseRange(s: string): number[] {
  const m = /^(\d+)\.\.(\d+)$/.exec(s.trim());
  const list = m !== null ? Array.from({ length: Number(m[2]) - Number(m[1]) + 1 }, (_, i) => Number(m[1]) + i) : s.split(',').map(Number);
  if (list.length === 0 || list.some((b) => !Number.isInteger(b) || b < 2 || b > 16)) throw new FxpError(`--bits must be a range like 4..12 or a list like 4,6,8 within 2..16, got '${s}'`);
  return list;
}

export interface SweepPoint {
  readonly bits: number;
  readonly value: number;
  readonly fxpBytes: number;
  readonly items: { name: string; value: number }[];
}

export async function sweepCommand(modelPath: string, opts: SweepCliOptions): Promise<void> {
  if (opts.vary !== 'weights' && opts.vary !== 'activations') throw new FxpError(`--vary must be 'weights' or 'activations', got '${opts.vary}'`);
  const bitsList = parseRange(opts.bits);
  const base = uniformOptionsFrom(opts);
  const model = await loadModel(modelPath);
  if (model.kind !== 'float') throw new FxpError('sweep takes a float model', { file: modelPath });
  const metric = (opts.metric ?? (opts.targets !== undefined ? 'psnr' : 'top1')) as Metric;
  if (!METRICS.includes(metric) || metric === 'agreement' || metric === 'kl') throw new FxpError(`sweep supports --metric top1, psnr or ms-ssim, got '${metric}'`);
  const data = openDataset(model, { ...opts, json: false });
  const calib = await calibrationDataset(model, opts);
  const { graph, scales } = quantizableGraph(model.graph, opts.pixelIo === true);
  const prepared = await calibrateFor(graph, calib, base, opts.actRanges, scales.inputScale);
  const batchSize = opts.batch === undefined ? (opts.targets !== undefined ? 1 : 100) : Number(opts.batch);
  const float = await evaluate(model.runner, data, { metric, batchSize });
  const points: SweepPoint[] = [];
  const bar = progressBar(`sweep ${opts.vary}`, bitsList.length * data.length);
  for (const [k, bits] of bitsList.entries()) {
    const uniform = opts.vary === 'weights' ? { ...base, weightBits: bits } : { ...base, activationBits: bits };
    const { fx } = quantizeUniform(prepared.graph, prepared.stats, uniform, {}, scales, prepared.forced);
    const engine = createEngine(fx, { kernels: cliKernels() });
    const r = await evaluate((x) => runFloatIO(engine, x), data, {
      metric,
      batchSize,
      onProgress: (d) => bar.update(k * data.length + d),
    });
    points.push({ bits, value: r.value, fxpBytes: fxpSizeReport(fx).totalBytes, items: r.items });
  }
  bar.stop();
  const fixedName = opts.vary === 'weights' ? `activations ${base.activationBits}-bit` : `weights ${base.weightBits}-bit`;
  const title = `${metric} against ${opts.vary === 'weights' ? 'weight' : 'activation'} bit width (${fixedName}, ${base.scheme}, ${data.length} inputs of ${data.name})`;
  if (opts.plot !== undefined) {
    const svg = await lineChartSvg({
      title,
      x: `${opts.vary === 'weights' ? 'weight' : 'activation'} bits`,
      y: metric === 'psnr' ? 'PSNR (dB)' : metric,
      series: [
        { name: 'fixed point (integer engine)', points: points.map((p) => [p.bits, p.value]) },
        { name: 'float', points: points.map((p) => [p.bits, float.value]) },
      ],
    });
    const table = htmlTable(['bits', metric, '.fxp bytes'], points.map((p) => [p.bits, p.value.toFixed(4), p.fxpBytes]));
    writeFileSync(opts.plot, htmlPage(`fxp sweep: ${modelPath}`, [{ heading: title, html: svg }, { heading: 'Table', html: `${table}<p>float: ${float.value.toFixed(4)}</p>` }]));
  }
  if (opts.json === true) {
    process.stdout.write(`${JSON.stringify({ model: modelPath, vary: opts.vary, metric, options: base, float: float.value, points, plot: opts.plot }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${title}\n\n`);
  const digits = metric === 'psnr' ? 3 : 4;
  process.stdout.write(`${formatTable(['bits', metric, 'float', '.fxp bytes'], points.map((p) => [p.bits, p.value.toFixed(digits), float.value.toFixed(digits), p.fxpBytes]))}\n`);
  if (opts.plot !== undefined) process.stdout.write(`\nwrote ${opts.plot}\n`);
}
