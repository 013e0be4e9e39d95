/**
 * The quantization pipeline as a library: calibration data in, fixed-point graph
 * out. The CLI's `quantize` and `sweep`, the demo and the search strategies use it.
 */
import { FxpError } from '../errors.js';
import type { Dataset } from '../data/dataset.js';
import type { FxGraph } from '../engine/fx-graph.js';
import type { Graph } from '../ir/graph.js';
import type { QFormat } from '../fixed/format.js';
import { isScaledIo, UNIT_SCALES, type IoScales } from '../engine/io.js';
import { foldPixelScales, PIXEL_SCALES } from '../passes/pixel-io.js';
import { tensor, type Tensor } from '../tensor.js';
import type { Assignment } from './assignment.js';
import { calibrate, type TensorStats } from './calibrate.js';
import { lower } from './lower.js';
import { normalizeActivationRanges } from './normalize-ranges.js';
import type { RangeMethod } from './range.js';
import { fusedSoftmaxLogits, LOGIT_BITS, uniformAssignment, type UniformOptions } from './uniform.js';

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
  return pixelIO ? { graph: foldPixelScales(g), scales: PIXEL_SCALES } : { graph: g, scales: UNIT_SCALES };
}

/**
 * Pixel I/O formats: the input holds raw pixels 0..255 and the output pixels
 * clamped to 0..255 by saturation, both unsigned with 8 integer bits (and
 * activationBits - 8 fractional ones when wider). Narrower activations leave the
 * I/O at 8 bits: pixels are 8-bit data.
 */
export function withPixelFormats(g: Graph, a: Assignment, activationBits: number): Assignment {
  const f = pixelFormat(activationBits);
  const activations = new Map(a.activations);
  for (const id of [...g.inputs, ...g.outputs]) activations.set(id, f);
  return { ...a, activations };
}

/** The pixel I/O format at `activationBits`: unsigned, 8 integer bits, the rest fractional (UQ(8,0) at 8 bits or fewer). */
export function pixelFormat(activationBits: number): QFormat {
  const wl = Math.max(8, activationBits);
  return { signed: false, wl, fl: wl - 8 };
}

/** Overrides activation formats by tensor name. */
export function withForcedFormats(g: Graph, a: Assignment, forced: ReadonlyMap<string, QFormat>): Assignment {
  if (forced.size === 0) return a;
  const activations = new Map(a.activations);
  g.values.forEach((v, id) => {
    const f = forced.get(v.name);
    if (f !== undefined) activations.set(id, f);
  });
  return { ...a, activations };
}

export interface AdaptiveRanges {
  readonly graph: Graph;
  readonly stats: Map<number, TensorStats>;
  readonly forced: ReadonlyMap<string, QFormat>;
  readonly rescaled: number;
}

/**
 * Range-adaptive activations (src/quantize/normalize-ranges.ts): rescale eligible
 * tensors so that their clip value fills a power-of-two format, then calibrate the
 * rewritten graph again.
 */
export async function adaptActivationRanges(
  g: Graph,
  stats: ReadonlyMap<number, TensorStats>,
  data: Dataset,
  wl: number,
  method: RangeMethod,
  opts: { inputScale?: number; onProgress?: (done: number) => void } = {},
): Promise<AdaptiveRanges> {
  const { graph, formats } = normalizeActivationRanges(g, stats, wl, method);
  if (formats.size === 0) return { graph: g, stats: new Map(stats), forced: formats, rescaled: 0 };
  const again = await calibrateOn(graph, data, opts);
  return { graph, stats: again, forced: formats, rescaled: formats.size };
}

/** The .fxp meta entries that tell runners a model's I/O scales (engine/io.ts). */
export function scaleMeta(scales: IoScales): Record<string, string> {
  return !isScaledIo(scales) ? {} : { inputScale: String(scales.inputScale), outputScale: String(scales.outputScale) };
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
  scales: IoScales = UNIT_SCALES,
  forced: ReadonlyMap<string, QFormat> = new Map(),
): QuantizeResult {
  // Forced formats keep their range top at any word length: fl moves with wl.
  // Fused-Softmax logits keep their own wider format (uniform.ts).
  const logits = new Set((opts.logitBits ?? LOGIT_BITS) > opts.activationBits ? fusedSoftmaxLogits(g).map((id) => g.values[id]!.name) : []);
  const atWl = new Map([...forced].filter(([k]) => !logits.has(k)).map(([k, f]) => [k, { ...f, wl: opts.activationBits, fl: f.fl + opts.activationBits - f.wl }]));
  const plain = withForcedFormats(g, uniformAssignment(g, stats, opts), atWl);
  const pixel = isScaledIo(scales);
  const assignment = pixel ? withPixelFormats(g, plain, opts.activationBits) : plain;
  const fx = lower(g, assignment, {
    meta: {
      strategy: 'uniform',
      weights: `${opts.weightBits}-bit ${opts.scheme} per ${opts.granularity}`,
      biases: `${opts.biasBits}-bit`,
      activations: `${opts.activationBits}-bit (${opts.activationMethod})`,
      ...(logits.size > 0 ? { logits: `${opts.logitBits ?? LOGIT_BITS}-bit (fused Softmax)` } : {}),
      ...scaleMeta(scales),
      ...meta,
    },
  });
  return { fx, assignment };
}
