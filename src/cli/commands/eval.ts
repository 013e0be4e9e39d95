/** `fxp eval MODEL --data DIR`: a dataset to a metric. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { FxpError } from '../../errors.js';
import { imagePairDataset, mnistDataset, type Dataset } from '../../data/dataset.js';
import { evaluate, METRICS, type Metric } from '../../evaluate.js';
import { colorModeFor, loadModel, type LoadedModel } from '../model.js';
import { progressBar } from '../progress.js';
import { formatTable } from '../table.js';

export interface EvalCliOptions {
  data: string;
  targets?: string;
  split: string;
  metric?: string;
  limit?: string;
  offset?: string;
  batch?: string;
  reference?: string;
  json?: boolean;
}

export function isIdxDir(dir: string): boolean {
  return existsSync(dir) && statSync(dir).isDirectory() && readdirSync(dir).some((f) => /-idx\d-ubyte(\.gz)?$/.test(f));
}

function intOption(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new FxpError(`--${name} must be a non-negative integer, got '${v}'`);
  return n;
}

export function openDataset(model: LoadedModel, opts: EvalCliOptions): Dataset {
  if (!existsSync(opts.data)) throw new FxpError('no such data folder', { file: opts.data });
  const limit = intOption('limit', opts.limit);
  if (isIdxDir(opts.data)) {
    if (opts.split !== 'train' && opts.split !== 'test') throw new FxpError(`--split must be 'train' or 'test', got '${opts.split}'`);
    return mnistDataset(opts.data, opts.split, { layout: model.layout, limit, offset: intOption('offset', opts.offset) ?? 0 });
  }
  if (opts.targets === undefined) throw new FxpError(`'${opts.data}' holds no IDX files; an image folder needs --targets DIR`, { file: opts.data });
  return imagePairDataset(opts.data, opts.targets, { layout: model.layout, limit, color: colorModeFor(model.channels) });
}

export async function evalCommand(modelPath: string, opts: EvalCliOptions): Promise<void> {
  const model = await loadModel(modelPath);
  const data = openDataset(model, opts);
  const metric = (opts.metric ?? (opts.targets !== undefined ? 'psnr' : 'top1')) as Metric;
  if (!METRICS.includes(metric)) throw new FxpError(`unknown metric '${metric}': use one of ${METRICS.join(', ')}`);
  const reference = opts.reference === undefined ? undefined : (await loadModel(opts.reference)).runner;
  const batchSize = intOption('batch', opts.batch) ?? (opts.targets !== undefined ? 1 : 100);
  const bar = progressBar(`eval ${metric}`, data.length);
  const result = await evaluate(model.runner, data, { metric, batchSize, reference, onProgress: (d) => bar.update(d) });
  bar.stop();
  if (opts.json === true) {
    process.stdout.write(`${JSON.stringify({ model: modelPath, data: opts.data, targets: opts.targets, ...result }, null, 2)}\n`);
    return;
  }
  if (result.items.length > 0) {
    const rows = result.items.map((it) => [it.name, it.value.toFixed(metric === 'psnr' ? 3 : 5)]);
    process.stdout.write(`${formatTable(['image', metric], rows)}\n\n`);
  }
  const unit = metric === 'psnr' ? ' dB' : '';
  const digits = metric === 'psnr' ? 3 : metric === 'kl' ? 6 : 4;
  process.stdout.write(
    `${metric}: ${result.value.toFixed(digits)}${unit} over ${result.count} ${result.items.length > 0 ? 'images' : 'inputs'} ` +
      `(${result.seconds.toFixed(1)} s, ${result.itemsPerSecond.toFixed(result.itemsPerSecond < 10 ? 2 : 0)} inputs/s)\n`,
  );
}
