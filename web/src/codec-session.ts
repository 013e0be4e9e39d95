/**
 * What the codec page's worker does, as a plain class (the page uses it directly
 * where no Worker is available): hold the loaded `.fxpcm` models with their
 * engines, and decode `.fxpc` bitstreams with whichever model made them. The
 * decode is the library's decodeImage, the same integer-only code as in Node, so
 * the RGB bytes and their hash are Node's.
 */
import { createCodec, decodeCodecModel, decodeImage, fnv1a64, readBitstream, type Codec } from '../../src/browser.js';
import type { CodecModelInfo, DecodeResult } from './codec-protocol.js';
import { chooseKernels, type KernelChoice } from './kernels.js';

/**
 * Every model's engines run on one kernel choice (kernels.ts), made on first use:
 * one WASM context (its threads shared by all models) where the page is
 * cross-origin isolated, else the reference kernels. Both give the same integers.
 */
export class CodecSession {
  private kernels: Promise<KernelChoice> | undefined;
  private label = 'reference kernels';

  /** By model hash: loading the same model again replaces it. */
  private readonly codecs = new Map<string, { codec: Codec; info: CodecModelInfo }>();

  /** Decodes and prepares a model; every problem with the bytes is an FxpError naming `file`. */
  async load(bytes: Uint8Array, file: string): Promise<CodecModelInfo> {
    this.kernels ??= chooseKernels();
    const kernels = await this.kernels;
    this.label = kernels.label;
    const model = decodeCodecModel(bytes, file);
    const codec = createCodec(model, kernels.options);
    const info: CodecModelInfo = { file, modelId: model.modelId, quality: model.quality, hash: model.hash, bytes: bytes.length };
    this.codecs.set(model.hash, { codec, info });
    return info;
  }

  get models(): CodecModelInfo[] {
    return [...this.codecs.values()].map((c) => c.info);
  }

  /** Decodes a bitstream; a bad stream or a missing model is an FxpError naming `file`. */
  decode(bytes: Uint8Array, file: string): DecodeResult {
    const { header } = readBitstream(bytes, file);
    const codecs = [...this.codecs.values()].map((c) => c.codec);
    const start = performance.now();
    const img = decodeImage(codecs, bytes, file);
    const ms = performance.now() - start;
    return {
      file,
      width: img.width,
      height: img.height,
      quality: header.quality,
      modelId: header.modelId,
      modelHash: header.modelHash,
      bytes: bytes.length,
      bpp: (8 * bytes.length) / (img.width * img.height),
      rgb: img.data,
      hash: fnv1a64(img.data),
      ms,
      kernels: this.label,
    };
  }
}
