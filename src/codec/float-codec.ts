/**
 * The float codec: the exported float networks with float entropy parameters
 * (mu, sigma from the float hyper-synthesis; Gaussian table chosen by comparing
 * sigma with the tables' log-midpoints in float), coded with the same tables and
 * rANS coder as the fixed-point codec. It is the reference the fixed-point codec
 * is measured against ("its own float model, on one machine") and the source of
 * the latents that calibrate the fixed-point conversion. Float everywhere: never
 * on the fixed-point decode path.
 */
import { createFloatExecutor, type FloatExecutor } from '../float/executor.js';
import { tensor, type Tensor } from '../tensor.js';
import { writeBitstream } from './bitstream.js';
import { gaussianTables, scaleTable } from './gaussian.js';
import { paddedPlanes } from './latents.js';
import { RansEncoder } from './rans.js';
import type { CodecSources } from './sources.js';
import { encodeSymbols } from './symbols.js';
import type { CodingTables } from './tables.js';

export interface FloatCodec {
  readonly sources: CodecSources;
  readonly analysis: FloatExecutor;
  readonly hyperAnalysis: FloatExecutor;
  readonly hyperSynthesis: FloatExecutor;
  readonly synthesis: FloatExecutor;
  readonly scales: readonly number[];
  /** Geometric midpoints of neighbouring scales: table i+1 from midpoints[i] on. */
  readonly midpoints: Float64Array;
  readonly gaussian: CodingTables;
}

export function createFloatCodec(sources: CodecSources, scales: readonly number[] = scaleTable()): FloatCodec {
  const midpoints = new Float64Array(scales.length - 1);
  for (let i = 0; i + 1 < scales.length; i++) midpoints[i] = Math.sqrt(scales[i]! * scales[i + 1]!);
  return {
    sources,
    analysis: createFloatExecutor(sources.analysis),
    hyperAnalysis: createFloatExecutor(sources.hyperAnalysis),
    hyperSynthesis: createFloatExecutor(sources.hyperSynthesis),
    synthesis: createFloatExecutor(sources.synthesis),
    scales,
    midpoints,
    gaussian: gaussianTables(scales),
  };
}

export interface FloatLatents {
  readonly y: Tensor;
  readonly z: Tensor;
  /** round(z) (half up), as floats. */
  readonly zHat: Tensor;
  /** [B, 2M, h, w]: mu, then sigma (ReLU'd, not yet bounded below). */
  readonly params: Tensor;
  /** round(y - mu) (half up). */
  readonly symbols: Int32Array;
  /** y_hat = symbols + mu. */
  readonly yHat: Tensor;
}

function out0(exec: FloatExecutor, x: Tensor): Tensor {
  return exec.run([x]).outputs[0]!;
}

/** The float latents of a batch x [B, 3, H, W] in [0, 1] (H, W multiples of 64). */
export function floatLatents(fc: FloatCodec, x: Tensor): FloatLatents {
  const y = out0(fc.analysis, x);
  const z = out0(fc.hyperAnalysis, y);
  const zHat = tensor(z.shape, Float32Array.from(z.data, (v) => Math.floor(v + 0.5)));
  const params = out0(fc.hyperSynthesis, zHat);
  const [b, m, h, w] = y.shape as [number, number, number, number];
  const per = m * h * w;
  const symbols = new Int32Array(y.data.length);
  const yHat = tensor(y.shape);
  for (let i = 0; i < b; i++) {
    for (let k = 0; k < per; k++) {
      const mu = params.data[i * 2 * per + k]!;
      const s = Math.floor(y.data[i * per + k]! - mu + 0.5);
      symbols[i * per + k] = s;
      yHat.data[i * per + k] = s + mu;
    }
  }
  return { y, z, zHat, params, symbols, yHat };
}

function nearestScale(midpoints: Float64Array, sigma: number): number {
  let i = 0;
  while (i < midpoints.length && sigma >= midpoints[i]!) i++;
  return i;
}

export interface FloatCoded {
  /** A complete FXPC bitstream (model id '<id>-float'), so its size counts like the fixed codec's. */
  readonly bytes: Uint8Array;
  /** The float codec's own reconstruction, interleaved RGB, clamp(round(x_hat * 255)). */
  readonly rgb: Uint8Array;
}

/** Encodes and reconstructs one image with the float codec. */
export function floatCode(fc: FloatCodec, rgb: Uint8Array, width: number, height: number, modelId: string): FloatCoded {
  const { data, padW, padH } = paddedPlanes(rgb, width, height);
  const x = tensor([1, 3, padH, padW], Float32Array.from(data, (v) => v / 255));
  const lat = floatLatents(fc, x);
  const { n } = fc.sources;
  const zInts = Int32Array.from(lat.zHat.data);
  const zPlane = zInts.length / n;
  const zTables = Uint8Array.from({ length: zInts.length }, (_, i) => Math.floor(i / zPlane));
  const per = lat.symbols.length;
  const yTables = new Uint8Array(per);
  for (let k = 0; k < per; k++) yTables[k] = nearestScale(fc.midpoints, lat.params.data[per + k]!);
  const zEnc = new RansEncoder();
  encodeSymbols(zEnc, zInts, zTables, fc.sources.prior);
  const yEnc = new RansEncoder();
  encodeSymbols(yEnc, lat.symbols, yTables, fc.gaussian);
  const bytes = writeBitstream({ modelId: `${modelId}-float`, modelHash: '0000000000000000', quality: fc.sources.quality, width, height }, [zEnc.finish(), yEnc.finish()]);
  const xHat = out0(fc.synthesis, lat.yHat).data;
  const out = new Uint8Array(width * height * 3);
  const plane = padW * padH;
  for (let c = 0; c < 3; c++) {
    for (let yy = 0; yy < height; yy++) {
      for (let xx = 0; xx < width; xx++) {
        const v = Math.floor(xHat[c * plane + yy * padW + xx]! * 255 + 0.5);
        out[(yy * width + xx) * 3 + c] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  return { bytes, rgb: out };
}
