/**
 * Evaluation of any model runner on a dataset: classification (top-1, agreement,
 * KL against a reference) or image-to-image (PSNR, MS-SSIM against targets).
 */
import { FxpError } from './errors.js';
import type { Batch, Dataset } from './data/dataset.js';
import { agreement, klDivergence, msSsim, psnr, softmaxRows, top1 } from './data/metrics.js';
import { tensorToImage } from './data/preprocess.js';
import type { Tensor } from './tensor.js';

/** Runs a batch through a model and returns its (float) output. */
export type Runner = (input: Tensor) => Tensor | Promise<Tensor>;

export type Metric = 'top1' | 'agreement' | 'kl' | 'psnr' | 'ms-ssim';
export const METRICS: readonly Metric[] = ['top1', 'agreement', 'kl', 'psnr', 'ms-ssim'];

export interface EvalOptions {
  readonly metric: Metric;
  readonly batchSize: number;
  /** Reference model for 'agreement' and 'kl'. */
  readonly reference?: Runner | undefined;
  /** How image outputs become 8-bit pixels (default 'truncate', the LRS protocol). */
  readonly round?: 'truncate' | 'round';
  readonly onProgress?: (done: number, total: number) => void;
}

export interface ItemResult {
  readonly name: string;
  readonly value: number;
}

export interface EvalResult {
  readonly metric: Metric;
  /** Mean over the dataset (top-1/agreement: fraction correct; KL: mean nats; PSNR: mean dB). */
  readonly value: number;
  readonly count: number;
  /** Per-image values for image metrics. */
  readonly items: ItemResult[];
  readonly seconds: number;
  readonly itemsPerSecond: number;
}

function isImageMetric(m: Metric): boolean {
  return m === 'psnr' || m === 'ms-ssim';
}

function batchImageScores(batch: Batch, out: Tensor, metric: Metric, round: 'truncate' | 'round'): ItemResult[] {
  const targets = batch.targets;
  if (targets === undefined) throw new FxpError(`metric '${metric}' needs target images (give --targets DIR)`);
  return targets.map((target, i) => {
    const img = tensorToImage(out, i, { round, layout: 'NCHW' });
    if (img.width !== target.width || img.height !== target.height || img.channels !== target.channels) {
      throw new FxpError(
        `output image ${img.width}x${img.height}x${img.channels} does not match target ${target.width}x${target.height}x${target.channels} for '${batch.names[i]}'`,
      );
    }
    const value = metric === 'psnr' ? psnr(img.data, target.data) : msSsim(img.data, target.data, img.width, img.height, img.channels);
    return { name: batch.names[i]!, value };
  });
}

export async function evaluate(run: Runner, data: Dataset, opts: EvalOptions): Promise<EvalResult> {
  const { metric, batchSize, round = 'truncate' } = opts;
  if ((metric === 'agreement' || metric === 'kl') && opts.reference === undefined) {
    throw new FxpError(`metric '${metric}' needs a reference model (give --reference MODEL)`);
  }
  const start = performance.now();
  const items: ItemResult[] = [];
  let sum = 0;
  let count = 0;
  for await (const batch of data.batches(batchSize)) {
    const n = batch.input.shape[0]!;
    const out = await run(batch.input);
    if (isImageMetric(metric)) {
      const scores = batchImageScores(batch, out, metric, round);
      items.push(...scores);
      for (const s of scores) sum += s.value;
    } else if (metric === 'top1') {
      if (batch.labels === undefined) throw new FxpError(`metric 'top1' needs class labels; dataset '${data.name}' has none`);
      sum += top1(out, batch.labels) * n;
    } else {
      const ref = await opts.reference!(batch.input);
      sum += metric === 'agreement' ? agreement(out, ref) * n : klDivergence(softmaxIfNeeded(ref), softmaxIfNeeded(out)) * n;
    }
    count += n;
    opts.onProgress?.(count, data.length);
  }
  const seconds = (performance.now() - start) / 1000;
  return { metric, value: count === 0 ? NaN : sum / count, count, items, seconds, itemsPerSecond: count / seconds };
}

/** Rows that already sum to 1 are probabilities; anything else is treated as logits. */
function softmaxIfNeeded(t: Tensor): Tensor {
  const cols = t.shape[t.shape.length - 1]!;
  for (let r = 0; r < t.data.length; r += cols) {
    let s = 0;
    let neg = false;
    for (let j = 0; j < cols; j++) {
      const v = t.data[r + j]!;
      s += v;
      if (v < 0) neg = true;
    }
    if (neg || Math.abs(s - 1) > 1e-3) return softmaxRows(t);
  }
  return t;
}
