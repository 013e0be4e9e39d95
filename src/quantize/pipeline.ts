/**
 * The quantization pipeline as a library: calibration data in, fixed-point graph
 * out. The CLI's `quantize` and `sweep`, the demo and the search strategies use it.
 */
import { FxpError } from '../errors.js';
import type { Dataset } from '../data/dataset.js';
import type { FxGraph } from '../engine/fx-graph.js';
import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../tensor.js';
import type { Assignment } from './assignment.js';
import { calibrate, type TensorStats } from './calibrate.js';
import { lower } from './lower.js';
import { uniformAssignment, type UniformOptions } from './uniform.js';

/** Input batches of a dataset, as calibration wants them. */
export async function* datasetInputs(data: Dataset, batchSize: number): AsyncGenerator<readonly Tensor[]> {
  for await (const b of data.batches(batchSize)) yield [b.input];
}

export async function calibrateOn(
  g: Graph,
  data: Dataset,
  opts: { batchSize?: number; onProgress?: (done: number) => void } = {},
): Promise<Map<number, TensorStats>> {
  if (data.length === 0) throw new FxpError(`calibration set '${data.name}' is empty`);
  return calibrate(g, datasetInputs(data, opts.batchSize ?? 100), { onProgress: opts.onProgress });
}

export interface QuantizeResult {
  readonly fx: FxGraph;
  readonly assignment: Assignment;
}

export function quantizeUniform(g: Graph, stats: ReadonlyMap<number, TensorStats>, opts: UniformOptions, meta: Record<string, string> = {}): QuantizeResult {
  const assignment = uniformAssignment(g, stats, opts);
  const fx = lower(g, assignment, {
    meta: {
      strategy: 'uniform',
      weights: `${opts.weightBits}-bit ${opts.scheme} per ${opts.granularity}`,
      biases: `${opts.biasBits}-bit`,
      activations: `${opts.activationBits}-bit (${opts.activationMethod})`,
      ...meta,
    },
  });
  return { fx, assignment };
}
