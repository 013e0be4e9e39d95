/**
 * Float codec -> fixed-point codec, with fxpnet's own pipeline: calibrate each of
 * the four canonical float graphs on the latents of training crops, assign formats
 * (8-bit per-channel dynamic weights, calibrated per-tensor activations), force
 * the interface formats the entropy coder relies on, lower, and build the coding
 * tables. Export time: float is allowed here.
 *
 * Interface formats (latents.ts, model-file.ts):
 *  - pixels: the analysis graph reads raw pixels in UQ(8,0); its first Conv's
 *    weights absorb the 1/255 (exact in real arithmetic), so the encoder needs no
 *    float either;
 *  - y, mu, sigma, y_hat: one format Fy = Q(s,16,fy), fy from the largest |y|,
 *    |mu|, |sigma|, |y_hat| seen in calibration with one bit of headroom; it is the
 *    analysis output, the hyper-analysis input, the format of both halves of the
 *    hyper-synthesis output (its two last Convs and the Concat) and the synthesis
 *    input, so y_hat = sym * 2^fy + mu feeds the synthesis as integers;
 *  - z: calibrated (16-bit, one bit of headroom), rounded to integers z_hat;
 *  - z_hat: Q(s, wz, 0), wz covering the prior tables' value range twice over;
 *  - x_hat: calibrated 16-bit, one bit of headroom (the pixel clamp follows).
 * Hidden activations take `activationBits`; unsigned ones (after Clip/ReLU) at
 * most 15 bits in the decoder's graphs (the int16 operands of the WASM kernels;
 * same resolution, their sign bit was unused) and 14 in the encoder's (so the
 * accumulator bound of a 5x5x64 window stays within int32).
 */
import { FxpError } from '../errors.js';
import type { FxGraph } from '../engine/fx-graph.js';
import type { QFormat } from '../fixed/format.js';
import type { Graph } from '../ir/graph.js';
import type { Assignment } from '../quantize/assignment.js';
import { calibrate, type TensorStats } from '../quantize/calibrate.js';
import { lower } from '../quantize/lower.js';
import { fracLength } from '../quantize/range.js';
import { uniformAssignment, type UniformOptions } from '../quantize/uniform.js';
import { tensor, type Tensor } from '../tensor.js';
import { createFloatCodec, floatLatents, type FloatLatents } from './float-codec.js';
import { gaussianTables, scaleTable } from './gaussian.js';
import type { CodecFormats, CodecModel } from './model-file.js';
import { scaleThresholds } from './scale-index.js';
import type { CodecSources } from './sources.js';

export interface ConvertOptions {
  /** Word length of hidden activations (default 16). */
  readonly activationBits?: number;
  /** Word length of weights, per output channel (default 8). */
  readonly weightBits?: number;
  /** Per-graph weight word lengths that override `weightBits`. */
  readonly graphWeightBits?: Readonly<Partial<Record<CodecGraphName, number>>>;
  /** Word length of biases (default 32). */
  readonly biasBits?: number;
  /** Word length of the interface formats y and x_hat (default 16). */
  readonly interfaceBits?: number;
  readonly modelId?: string;
  /** Provenance recorded in the model (calibration set etc.). */
  readonly meta?: Readonly<Record<string, string>>;
  readonly onStep?: (message: string) => void;
}

export const CODEC_MODEL_ID = 'fxpnet-hyperprior';

export const CODEC_GRAPHS = ['analysis', 'hyperAnalysis', 'hyperSynthesis', 'synthesis'] as const;
export type CodecGraphName = (typeof CODEC_GRAPHS)[number];

/** The analysis graph reading raw pixels 0..255: the first Conv's weights times 1/255. */
export function pixelInputGraph(g: Graph): Graph {
  const input = g.inputs[0]!;
  const readers = g.nodes.filter((n) => n.inputs.includes(input));
  const conv = readers[0];
  if (readers.length !== 1 || conv === undefined || conv.op !== 'Conv' || conv.inputs[0] !== input) {
    throw new FxpError('the analysis input must feed exactly one Conv', { node: conv?.name, op: conv?.op });
  }
  const wId = conv.inputs[1]!;
  const w = g.values[wId]!;
  const values = g.values.map((v, id) => (id === wId ? { ...v, data: Float32Array.from(w.data!, (x) => x / 255) } : v));
  return { ...g, values };
}

async function statsOf(g: Graph, inputs: readonly Tensor[]): Promise<Map<number, TensorStats>> {
  return calibrate(
    g,
    inputs.map((t) => [t]),
  );
}

function maxAbsOf(stats: ReadonlyMap<number, TensorStats>, id: number): number {
  return stats.get(id)?.hist.maxAbs ?? 0;
}

/** Signed format of `bits` for values up to maxAbs, with one bit of headroom. */
function headroomFormat(maxAbs: number, bits: number): QFormat {
  return { signed: true, wl: bits, fl: fracLength(2 * Math.max(maxAbs, 2 ** -8), bits, true) };
}

/**
 * Unsigned hidden activations narrower than the calibrated word length: at most
 * `unsignedWl` bits, the range top kept (fl drops with wl).
 */
function assign(g: Graph, stats: ReadonlyMap<number, TensorStats>, opts: UniformOptions, forced: ReadonlyMap<number, QFormat>, unsignedWl: number): Assignment {
  const base = uniformAssignment(g, stats, opts);
  const activations = new Map(base.activations);
  for (const [id, f] of activations) {
    if (!f.signed && f.wl > unsignedWl) activations.set(id, { signed: false, wl: unsignedWl, fl: f.fl - (f.wl - unsignedWl) });
  }
  for (const [id, f] of forced) activations.set(id, f);
  return { ...base, activations };
}

function lowerGraph(g: Graph, stats: ReadonlyMap<number, TensorStats>, opts: UniformOptions, forced: ReadonlyMap<number, QFormat>, unsignedWl: number, meta: Record<string, string>): FxGraph {
  return lower(g, assign(g, stats, opts, forced, unsignedWl), { meta });
}

/** The hyper-synthesis nodes whose outputs make up `params`: the Concat and its inputs. */
function paramsIds(g: Graph): number[] {
  const out = g.outputs[0]!;
  const concat = g.nodes.find((n) => n.outputs[0] === out);
  if (concat === undefined || concat.op !== 'Concat') throw new FxpError("the hyper-synthesis output 'params' must be a Concat of the means and the scales", { node: concat?.name, op: concat?.op });
  return [out, ...concat.inputs];
}

/** Calibration inputs: batches [B, 3, H, W] in [0, 1]. */
export async function convertCodec(src: CodecSources, batches: readonly Tensor[], opts: ConvertOptions = {}): Promise<CodecModel> {
  const step = opts.onStep ?? ((): void => undefined);
  const abits = opts.activationBits ?? 16;
  const ibits = opts.interfaceBits ?? 16;
  const uniform: UniformOptions = {
    weightBits: opts.weightBits ?? 8,
    biasBits: opts.biasBits ?? 32,
    activationBits: abits,
    scheme: 'dynamic',
    granularity: 'channel',
    activationMethod: 'max',
    weightMethod: 'max',
  };
  const fc = createFloatCodec(src);
  step(`float latents of ${batches.length} calibration batches`);
  const lat: FloatLatents[] = batches.map((x) => floatLatents(fc, x));
  const pixelGraph = pixelInputGraph(src.analysis);

  step('calibrate analysis');
  const sA = await statsOf(
    pixelGraph,
    batches.map((x) => tensor(x.shape, Float32Array.from(x.data, (v) => Math.round(v * 255)))),
  );
  step('calibrate hyper-analysis');
  const sHa = await statsOf(src.hyperAnalysis, lat.map((l) => l.y));
  step('calibrate hyper-synthesis');
  const sHs = await statsOf(src.hyperSynthesis, lat.map((l) => l.zHat));
  step('calibrate synthesis');
  const sS = await statsOf(src.synthesis, lat.map((l) => l.yHat));

  const pIds = paramsIds(src.hyperSynthesis);
  const yMax = Math.max(
    maxAbsOf(sA, pixelGraph.outputs[0]!),
    maxAbsOf(sHa, src.hyperAnalysis.inputs[0]!),
    ...pIds.map((id) => maxAbsOf(sHs, id)),
    maxAbsOf(sS, src.synthesis.inputs[0]!),
  );
  const y = headroomFormat(yMax, ibits);
  if (y.fl < 1 || y.fl > 24) throw new FxpError(`latents up to ${yMax.toFixed(1)} leave ${y.fl} fraction bits in ${ibits}-bit y; need 1..24`);
  let zRange = 1;
  for (let c = 0; c < src.prior.offsets.length; c++) zRange = Math.max(zRange, Math.abs(src.prior.offsets[c]!), Math.abs(src.prior.offsets[c]! + src.prior.lengths[c]!));
  const formats: CodecFormats = {
    y,
    z: headroomFormat(maxAbsOf(sHa, src.hyperAnalysis.outputs[0]!), 16),
    zHat: { signed: true, wl: Math.min(16, Math.max(8, Math.ceil(Math.log2(zRange + 1)) + 2)), fl: 0 },
    xHat: headroomFormat(maxAbsOf(sS, src.synthesis.outputs[0]!), ibits),
    pixels: { signed: false, wl: 8, fl: 0 },
  };

  step('assign formats and lower');
  // int16 operands of the WASM kernels: unsigned activations take at most 15
  // bits; in the encoder's graphs (5x5x64 windows) 14, so that their accumulator
  // bound stays below 2^31 and the WASM kernel applies.
  const decWl = Math.min(abits, 15);
  const encWl = Math.min(abits, 14);
  const wb = (name: CodecGraphName): number => opts.graphWeightBits?.[name] ?? uniform.weightBits;
  const u = (name: CodecGraphName): UniformOptions => ({ ...uniform, weightBits: wb(name) });
  const meta = {
    strategy: 'codec',
    weights: `dynamic per channel: ${CODEC_GRAPHS.map((n) => `${n} ${wb(n)}-bit`).join(', ')}`,
    biases: `${uniform.biasBits}-bit`,
    activations: `${abits}-bit (calibrated, max); unsigned at most ${decWl} bits (decoder graphs), ${encWl} (encoder graphs)`,
    ...(opts.meta ?? {}),
  };
  const analysis = lowerGraph(pixelGraph, sA, u('analysis'), new Map([[pixelGraph.inputs[0]!, formats.pixels], [pixelGraph.outputs[0]!, y]]), encWl, { ...meta, graph: 'analysis' });
  const hyperAnalysis = lowerGraph(
    src.hyperAnalysis,
    sHa,
    u('hyperAnalysis'),
    new Map([
      [src.hyperAnalysis.inputs[0]!, y],
      [src.hyperAnalysis.outputs[0]!, formats.z],
    ]),
    encWl,
    { ...meta, graph: 'hyper_analysis' },
  );
  const hyperSynthesis = lowerGraph(src.hyperSynthesis, sHs, u('hyperSynthesis'), new Map([[src.hyperSynthesis.inputs[0]!, formats.zHat], ...pIds.map((id): [number, QFormat] => [id, y])]), decWl, { ...meta, graph: 'hyper_synthesis' });
  const synthesis = lowerGraph(
    src.synthesis,
    sS,
    u('synthesis'),
    new Map([
      [src.synthesis.inputs[0]!, y],
      [src.synthesis.outputs[0]!, formats.xHat],
    ]),
    decWl,
    { ...meta, graph: 'synthesis' },
  );

  const scales = scaleTable();
  return {
    modelId: opts.modelId ?? CODEC_MODEL_ID,
    quality: src.quality,
    lambda: src.lambda,
    n: src.n,
    m: src.m,
    analysis,
    hyperAnalysis,
    hyperSynthesis,
    synthesis,
    formats,
    prior: src.prior,
    gaussian: gaussianTables(scales),
    scales,
    thresholds: scaleThresholds(scales, y.fl),
    meta,
  };
}
