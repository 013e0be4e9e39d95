/**
 * Encoding and decoding images with a fixed-point codec model. Everything runs in
 * the integer engine and in integers (latents.ts); the decoder uses no float at
 * all. Decode path, in order (each step mirrors into C one for one):
 *   1. readBitstream: container, CRC, header; the model named by id and hash;
 *   2. z_hat: decodeSymbols with the prior tables, table = channel (NCHW order),
 *      clamped to the z_hat format;
 *   3. params = hyper_synthesis(z_hat) in the integer engine (Fy);
 *   4. tables = scaleIndex(sigma_q, thresholds) per y element;
 *   5. symbols: decodeSymbols with the Gaussian tables; the stream must end exactly;
 *   6. y_hat = clamp(sym * 2^fy + mu_q);
 *   7. x_hat = synthesis(y_hat) in the integer engine;
 *   8. pixels = clamp(round_half_up(x_q * 255 / 2^fx)), cropped to the image size.
 * Bitstream sections: [z stream, y stream], each a rANS stream (rans.ts).
 */
import { FxpError } from '../errors.js';
import type { FxTensor } from '../engine/fx-graph.js';
import { createEngine, type EngineOptions, type FxEngine } from '../engine/runtime.js';
import { readBitstream, writeBitstream } from './bitstream.js';
import { clampTo, paddedPlanes, paddedSize, pixelsFromXhat, tableIndices, yHat, ySymbols, zHatFromZ } from './latents.js';
import type { LoadedCodecModel } from './model-file.js';
import { RansDecoder, RansEncoder } from './rans.js';
import { subpixelConvTranspose } from './subpixel.js';
import { decodeSymbols, encodeSymbols } from './symbols.js';

/** An 8-bit sRGB image, interleaved RGB, row-major. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** A model with its four engines prepared once. */
export interface Codec {
  readonly model: LoadedCodecModel;
  readonly analysis: FxEngine;
  readonly hyperAnalysis: FxEngine;
  readonly hyperSynthesis: FxEngine;
  readonly synthesis: FxEngine;
}

/**
 * Prepares the engines. The ConvTranspose layers run as their exact sub-pixel
 * Conv + DepthToSpace form (subpixel.ts), which has fast kernels.
 */
export function createCodec(model: LoadedCodecModel, opts: EngineOptions = { kernels: 'auto' }): Codec {
  const engine = (fx: LoadedCodecModel['analysis']): FxEngine => createEngine(subpixelConvTranspose(fx), opts);
  return {
    model,
    analysis: engine(model.analysis),
    hyperAnalysis: engine(model.hyperAnalysis),
    hyperSynthesis: engine(model.hyperSynthesis),
    synthesis: engine(model.synthesis),
  };
}

function run(e: FxEngine, t: FxTensor): FxTensor {
  return e.run([t]).outputs[0]!;
}

function checkRgb(img: RgbImage): void {
  const { width, height } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 65535 || height > 65535) {
    throw new FxpError(`image size ${width}x${height} must be 1..65535 in each dimension`);
  }
  if (img.data.length !== width * height * 3) throw new FxpError(`RGB image of ${width}x${height} must hold ${width * height * 3} bytes, holds ${img.data.length}`);
}

/** Table index of each z_hat element: its channel (NCHW, batch 1). */
function channelIndices(n: number, plane: number): Uint8Array {
  const out = new Uint8Array(n * plane);
  for (let c = 0; c < n; c++) out.fill(c, c * plane, (c + 1) * plane);
  return out;
}

function params(codec: Codec, zHat: Int32Array, hz: number, wz: number): Int32Array {
  const { model } = codec;
  const p = run(codec.hyperSynthesis, { shape: [1, model.n, hz, wz], data: zHat, format: model.formats.zHat });
  return p.data;
}

function reconstruct(codec: Codec, yh: Int32Array, hy: number, wy: number, img: { width: number; height: number }): RgbImage {
  const { model } = codec;
  const x = run(codec.synthesis, { shape: [1, model.m, hy, wy], data: yh, format: model.formats.y });
  const padW = wy * 16;
  const padH = hy * 16;
  return { width: img.width, height: img.height, data: pixelsFromXhat(x.data, model.formats.xHat, padW, padH, img.width, img.height) };
}

export interface Encoded {
  readonly bytes: Uint8Array;
  /** What decodeImage returns for `bytes` (runs the synthesis once more). */
  readonly reconstruction?: RgbImage;
}

/** Encodes an image; with `reconstruct`, also returns the decoder's output. */
export function encodeImageDetailed(codec: Codec, img: RgbImage, opts: { reconstruct?: boolean } = {}): Encoded {
  checkRgb(img);
  const { model } = codec;
  const { data, padW, padH } = paddedPlanes(img.data, img.width, img.height);
  const y = run(codec.analysis, { shape: [1, 3, padH, padW], data, format: model.formats.pixels });
  const z = run(codec.hyperAnalysis, y);
  const zHat = zHatFromZ(z.data, model.formats.z, model.formats.zHat);
  const hz = padH >> 6;
  const wz = padW >> 6;
  const zEnc = new RansEncoder();
  encodeSymbols(zEnc, zHat, channelIndices(model.n, hz * wz), model.prior);
  const hy = padH >> 4;
  const wy = padW >> 4;
  const p = params(codec, zHat, hz, wz);
  const plane = hy * wy;
  const sym = ySymbols(y.data, p, model.formats.y);
  const yEnc = new RansEncoder();
  encodeSymbols(yEnc, sym, tableIndices(p, model.m, plane, model.thresholds), model.gaussian);
  const bytes = writeBitstream({ modelId: model.modelId, modelHash: model.hash, quality: model.quality, width: img.width, height: img.height }, [zEnc.finish(), yEnc.finish()]);
  if (opts.reconstruct !== true) return { bytes };
  return { bytes, reconstruction: reconstruct(codec, yHat(sym, p, model.formats.y), hy, wy, img) };
}

export function encodeImage(codec: Codec, img: RgbImage): Uint8Array {
  return encodeImageDetailed(codec, img).bytes;
}

/** The codec among `codecs` whose model id and hash match the bitstream's header. */
function codecFor(codecs: readonly Codec[], modelId: string, hash: string, quality: number, file: string | undefined): Codec {
  const c = codecs.find((k) => k.model.modelId === modelId && k.model.hash === hash);
  if (c === undefined) {
    const have = codecs.map((k) => `${k.model.modelId} q${k.model.quality} ${k.model.hash}`).join(', ');
    throw new FxpError(`bitstream needs model '${modelId}' quality ${quality} with hash ${hash}; loaded: ${have || 'none'}`, { file });
  }
  return c;
}

function isCodecList(c: Codec | readonly Codec[]): c is readonly Codec[] {
  return Array.isArray(c);
}

/**
 * Largest image decodeImage accepts by default, in pixels (4096 x 4096): the
 * engine holds full-resolution 64-channel intermediates, so a header may not
 * make it allocate without bound.
 */
export const DEFAULT_MAX_DECODE_PIXELS = 2 ** 24;

/** Decodes a bitstream with whichever of `codecs` made it. Integer-only. */
export function decodeImage(codecs: Codec | readonly Codec[], bytes: Uint8Array, file?: string, maxPixels = DEFAULT_MAX_DECODE_PIXELS): RgbImage {
  const { header, sections } = readBitstream(bytes, file);
  if (header.width * header.height > maxPixels) throw new FxpError(`image of ${header.width}x${header.height} is larger than the decode limit of ${maxPixels} pixels`, { file });
  const codec = codecFor(isCodecList(codecs) ? codecs : [codecs], header.modelId, header.modelHash, header.quality, file);
  const { model } = codec;
  if (sections.length !== 2) throw new FxpError(`codec bitstream must have 2 sections (z, y), has ${sections.length}`, { file });
  const padW = paddedSize(header.width);
  const padH = paddedSize(header.height);
  const hz = padH >> 6;
  const wz = padW >> 6;
  const context = { file };
  const [zSec, ySec] = sections as [Uint8Array, Uint8Array];
  const zDec = new RansDecoder(zSec, 0, zSec.length, context);
  const zHat = clampTo(decodeSymbols(zDec, channelIndices(model.n, hz * wz), model.prior, context), model.formats.zHat);
  zDec.finish();
  const hy = padH >> 4;
  const wy = padW >> 4;
  const p = params(codec, zHat, hz, wz);
  const yDec = new RansDecoder(ySec, 0, ySec.length, context);
  const sym = decodeSymbols(yDec, tableIndices(p, model.m, hy * wy, model.thresholds), model.gaussian, context);
  yDec.finish();
  return reconstruct(codec, yHat(sym, p, model.formats.y), hy, wy, header);
}
