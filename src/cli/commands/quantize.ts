/** `fxp quantize MODEL -o model.fxp`: uniform bit widths, calibrated formats, integer model file. */
import { FxpError } from '../../errors.js';
import { writeFxp, fxpSizeReport } from '../../export/fxp-file.js';
import type { Dataset } from '../../data/dataset.js';
import type { Graph } from '../../ir/graph.js';
import { adaptActivationRanges, calibrateOn, quantizableGraph, quantizeUniform, type AdaptiveRanges } from '../../quantize/pipeline.js';
import { RANGE_METHODS, type RangeMethod } from '../../quantize/range.js';
import type { UniformOptions } from '../../quantize/uniform.js';
import { calibrationDataset, type CalibOptions } from '../calibration.js';
import { fxLayerRows } from '../fx-summary.js';
import { loadModel } from '../model.js';
import { progressBar } from '../progress.js';
import { formatTable } from '../table.js';

export interface QuantizeCliOptions extends CalibOptions {
  output: string;
  wbits: string;
  bbits: string;
  abits: string;
  scheme: string;
  granularity: string;
  actMethod: string;
  weightMethod: string;
  logitBits: string;
  pixelIo?: boolean;
  actRanges: string;
  json?: boolean;
}

function bits(name: string, v: string, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 2 || n > max) throw new FxpError(`--${name} must be an integer in 2..${max}, got '${v}'`);
  return n;
}

function oneOf<T extends string>(name: string, v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v)) throw new FxpError(`--${name} must be one of ${allowed.join(', ')}, got '${v}'`);
  return v as T;
}

export function uniformOptionsFrom(opts: Omit<QuantizeCliOptions, 'output'>): UniformOptions {
  return {
    weightBits: bits('wbits', opts.wbits, 16),
    biasBits: bits('bbits', opts.bbits, 32),
    activationBits: bits('abits', opts.abits, 16),
    scheme: oneOf('scheme', opts.scheme, ['dynamic', 'range-adaptive'] as const),
    granularity: oneOf('granularity', opts.granularity, ['layer', 'channel'] as const),
    activationMethod: oneOf<RangeMethod>('act-method', opts.actMethod, RANGE_METHODS),
    weightMethod: oneOf('weight-method', opts.weightMethod, ['max', 'mse'] as const),
    logitBits: bits('logit-bits', opts.logitBits, 16),
  };
}

/**
 * Calibration for the uniform strategy: once, and with --act-ranges adaptive once
 * more on the graph whose activation ranges were rescaled.
 */
export async function calibrateFor(graph: Graph, calib: Dataset, uniform: UniformOptions, actRanges: string, inputScale: number): Promise<AdaptiveRanges> {
  const mode = oneOf('act-ranges', actRanges, ['pow2', 'adaptive'] as const);
  const bar = progressBar('calibrate', calib.length);
  const stats = await calibrateOn(graph, calib, { onProgress: (d) => bar.update(d), inputScale });
  bar.stop();
  if (mode === 'pow2') return { graph, stats, forced: new Map(), rescaled: 0 };
  const bar2 = progressBar('calibrate (rescaled ranges)', calib.length);
  const adapted = await adaptActivationRanges(graph, stats, calib, uniform.activationBits, uniform.activationMethod, { inputScale, onProgress: (d) => bar2.update(d) });
  bar2.stop();
  return adapted;
}

export async function quantizeCommand(modelPath: string, opts: QuantizeCliOptions): Promise<void> {
  const uniform = uniformOptionsFrom(opts);
  const model = await loadModel(modelPath);
  if (model.kind !== 'float') throw new FxpError('quantize takes a float model (.onnx, .h5, model.json), not a .fxp file', { file: modelPath });
  const calib = await calibrationDataset(model, opts);
  const start = performance.now();
  const { graph, scales } = quantizableGraph(model.graph, opts.pixelIo === true);
  const prepared = await calibrateFor(graph, calib, uniform, opts.actRanges, scales.inputScale);
  const meta = { source: modelPath, calibration: `${calib.name}, ${calib.length} inputs`, activationRanges: opts.actRanges };
  const { fx } = quantizeUniform(prepared.graph, prepared.stats, uniform, meta, scales, prepared.forced);
  await writeFxp(opts.output, fx);
  const size = fxpSizeReport(fx);
  const seconds = (performance.now() - start) / 1000;
  const rows = fxLayerRows(fx);
  if (opts.json === true) {
    process.stdout.write(`${JSON.stringify({ model: modelPath, output: opts.output, options: uniform, calibration: { name: calib.name, count: calib.length }, layers: rows, size, seconds }, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    `${formatTable(
      ['layer', 'op', 'weights', 'bias', 'input', 'output'],
      rows.map((r) => [r.name, r.op, r.weights ?? '', r.bias ?? '', r.input, r.output]),
      ['l', 'l', 'l', 'l', 'l', 'l'],
    )}\n\n`,
  );
  process.stdout.write(`calibrated on ${calib.length} inputs (${calib.name}) in ${seconds.toFixed(1)} s\n`);
  process.stdout.write(`wrote ${opts.output}: ${size.totalBytes.toLocaleString('en-US')} bytes (weights ${(size.weightBits / 8).toLocaleString('en-US')} B, biases ${(size.biasBits / 8).toLocaleString('en-US')} B)\n`);
}
