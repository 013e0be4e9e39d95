/**
 * The quantization pipeline as a library: calibration data in, fixed-point graph
 * out. The CLI's `quantize` and `sweep`, the demo and the search strategies use it.
 */
import { FxpError } from '../errors.js';
import type { Dataset } from '../data/dataset.js';
import type { FxGraph } from '../engine/fx-graph.js';
import type { Graph } from '../ir/graph.js';
import type { QFormat } from '../fixed/format.js';
import type { IoScales } from '../engine/io.js';
import { foldPixelScales, PIXEL_SCALES } from '../passes/pixel-io.js';
import { tensor, type Tensor } from '../tensor.js';
import type { Assignment } from './assignment.js';
import { calibrate, type TensorStats } from './calibrate.js';
import { lower } from './lower.js';
import { uniformAssignment, type UniformOptions } from './uniform.js';

/** Input batches of a dataset, each input multiplied by `scale` (pixel I/O graphs read pixel values). */
export async function* scaledInputs(data: Dataset, batchSize: number, scale: number): AsyncGenerator<readonly Tensor[]> {
  for await (const b of data.batches(batchSize)) {
    yield [scale === 1 ? b.input : tensor(b.input.shape, Float32Array.from(b.input.data, (v) => v * scale))];
  }
}

export async function calibrateOn(
  g: Graph,
  data: Dataset,
  opts: { batchSize?: number; onProgress?: (done: number) => void; inputScale?: number } = {},
): Promise<Map<number, TensorStats>> {
  if (data.length === 0) throw new FxpError(`calibration set '${data.name}' is empty`);
  return calibrate(g, scaledInputs(data, opts.batchSize ?? 100, opts.inputScale ?? 1), { onProgress: opts.onProgress });
}

/**
 * The graph to calibrate and quantize: as given, or with pixel-domain I/O folded
 * in (src/passes/pixel-io.ts), with the scales its runners must apply.
 */
export function quantizableGraph(g: Graph, pixelIO: boolean): { graph: Graph; scales: IoScales } {
  return pixelIO ? { graph: foldPixelScales(g), scales: PIXEL_SCALES } : { graph: g, scales: { inputScale: 1, outputScale: 1 } };
}

/**
 * Pixel I/O formats: the input holds raw pixels 0..255 and the output pixels
 * clamped to 0..255 by saturation, both unsigned with 8 integer bits.
 */
export function withPixelFormats(g: Graph, a: Assignment, activationBits: number): Assignment {
  const f: QFormat = { signed: false, wl: activationBits, fl: activationBits - 8 };
  if (activationBits < 8) throw new FxpError(`pixel I/O needs at least 8-bit activations, got ${activationBits}`);
  const activations = new Map(a.activations);
  for (const id of [...g.inputs, ...g.outputs]) activations.set(id, f);
  return { ...a, activations };
}

function scaleMeta(scales: IoScales): Record<string, string> {
  return scales.inputScale === 1 && scales.outputScale === 1 ? {} : { inputScale: String(scales.inputScale), outputScale: String(scales.outputScale) };
}

export interface QuantizeResult {
  readonly fx: FxGraph;
  readonly assignment: Assignment;
}

/**
 * Uniform quantization of a graph returned by quantizableGraph (pass its scales;
 * with pixel I/O the input and output formats are the pixel formats).
 */
export function quantizeUniform(
  g: Graph,
  stats: ReadonlyMap<number, TensorStats>,
  opts: UniformOptions,
  meta: Record<string, string> = {},
  scales: IoScales = { inputScale: 1, outputScale: 1 },
): QuantizeResult {
  const plain = uniformAssignment(g, stats, opts);
  const pixel = scales.inputScale !== 1 || scales.outputScale !== 1;
  const assignment = pixel ? withPixelFormats(g, plain, opts.activationBits) : plain;
  const fx = lower(g, assignment, {
    meta: {
      strategy: 'uniform',
      weights: `${opts.weightBits}-bit ${opts.scheme} per ${opts.granularity}`,
      biases: `${opts.biasBits}-bit`,
      activations: `${opts.activationBits}-bit (${opts.activationMethod})`,
      ...scaleMeta(scales),
      ...meta,
    },
  });
  return { fx, assignment };
}
