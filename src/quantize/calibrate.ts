/**
 * Calibration: run the float graph over calibration batches and collect streaming
 * statistics (min, max, histogram of |x|) of every graph input and node output.
 */
import { createFloatExecutor } from '../float/executor.js';
import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../tensor.js';
import { Histogram } from './histogram.js';

export interface TensorStats {
  readonly name: string;
  readonly hist: Histogram;
}

export function isNonNegative(s: TensorStats): boolean {
  return s.hist.count > 0 && s.hist.min >= 0;
}

export interface CalibrateOptions {
  /** Called after each batch with the number of samples seen so far. */
  readonly onProgress?: (done: number) => void;
  readonly bins?: number;
}

export async function calibrate(
  g: Graph,
  batches: AsyncIterable<readonly Tensor[]> | Iterable<readonly Tensor[]>,
  opts: CalibrateOptions = {},
): Promise<Map<number, TensorStats>> {
  const exec = createFloatExecutor(g);
  const stats = new Map<number, TensorStats>();
  const statsOf = (id: number): TensorStats => {
    let s = stats.get(id);
    if (s === undefined) {
      s = { name: g.values[id]!.name, hist: new Histogram(opts.bins) };
      stats.set(id, s);
    }
    return s;
  };
  let done = 0;
  for await (const inputs of batches) {
    g.inputs.forEach((id, i) => statsOf(id).hist.add(inputs[i]!.data));
    exec.run(inputs, { onValue: (id, t) => statsOf(id).hist.add(t.data) });
    done += inputs[0]?.shape[0] ?? 0;
    opts.onProgress?.(done);
  }
  return stats;
}
