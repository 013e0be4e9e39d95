/**
 * Evaluation on worker threads of a fixed-point graph with the integer engine
 * (every figure the search reports about its result comes from here), or of the
 * float graph for the reference. Batches go
 * to the threads round-robin, a few in flight per thread; their outputs are
 * scored in dataset order, so the result does not depend on the thread count.
 *
 *   top1: fraction of inputs whose argmax equals the label;
 *   psnr: mean over images of the LRS protocol PSNR (clamp, * 255, truncate).
 */
import { availableParallelism } from 'node:os';
import { FxpError } from '../../errors.js';
import type { Batch, Dataset } from '../../data/dataset.js';
import { top1 } from '../../data/metrics.js';
import type { Tensor } from '../../tensor.js';
import { imagePsnrs } from './metric.js';
import { createPool } from './pool.js';
import type { EvalModel } from './protocol.js';

export type { EvalModel } from './protocol.js';

export type IntMetric = 'top1' | 'psnr';

export interface IntEvalOptions {
  readonly metric: IntMetric;
  readonly batchSize: number;
  /** Worker threads (default: available cores; 0 runs in the calling thread). */
  readonly threads?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface IntEvalResult {
  readonly metric: IntMetric;
  readonly value: number;
  readonly count: number;
  /** Per-image values (psnr). */
  readonly items: { readonly name: string; readonly value: number }[];
  readonly seconds: number;
}

function score(metric: IntMetric, b: Batch, out: Tensor): { sum: number; items: { name: string; value: number }[] } {
  const n = b.input.shape[0] ?? 0;
  if (metric === 'top1') {
    if (b.labels === undefined) throw new FxpError("metric 'top1' needs class labels");
    return { sum: top1(out, b.labels) * n, items: [] };
  }
  if (b.targets === undefined) throw new FxpError("metric 'psnr' needs target images");
  const ps = imagePsnrs(out, b.targets);
  return { sum: ps.reduce((s, x) => s + x, 0), items: b.names.map((name, i) => ({ name, value: ps[i]! })) };
}

export async function evaluateParallel(model: EvalModel, data: Dataset, opts: IntEvalOptions): Promise<IntEvalResult> {
  const start = performance.now();
  const pool = createPool(opts.threads ?? availableParallelism());
  try {
    await Promise.all(Array.from({ length: pool.size }, (_, s) => pool.call(s, { type: 'engine', model })));
    const inFlight: Promise<{ b: Batch; out: Tensor }>[] = [];
    const limit = 2 * pool.size;
    let sum = 0;
    let count = 0;
    let k = 0;
    const items: { name: string; value: number }[] = [];
    const drain = async (): Promise<void> => {
      const { b, out } = await inFlight.shift()!;
      const r = score(opts.metric, b, out);
      sum += r.sum;
      items.push(...r.items);
      count += b.input.shape[0] ?? 0;
      opts.onProgress?.(count, data.length);
    };
    for await (const b of data.batches(opts.batchSize)) {
      const shard = k++ % pool.size;
      inFlight.push(pool.call(shard, { type: 'engineRun', input: b.input }).then((out) => ({ b, out })));
      if (inFlight.length >= limit) await drain();
    }
    while (inFlight.length > 0) await drain();
    return { metric: opts.metric, value: count === 0 ? NaN : sum / count, count, items, seconds: (performance.now() - start) / 1000 };
  } finally {
    await pool.close();
  }
}
