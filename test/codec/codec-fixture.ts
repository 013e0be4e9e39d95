/** Codec models for the codec tests: the converted q*.fxpcm files, when present. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeCodecModel, type LoadedCodecModel } from '../../src/codec/model-file.js';
import type { RgbImage } from '../../src/codec/codec.js';

/** models/codec, or FXP_CODEC_MODEL_DIR. */
export const CODEC_MODEL_DIR = process.env.FXP_CODEC_MODEL_DIR ?? 'models/codec';

export function codecModelFiles(): string[] {
  if (!existsSync(CODEC_MODEL_DIR)) return [];
  return readdirSync(CODEC_MODEL_DIR)
    .filter((n) => /^q\d+\.fxpcm$/.test(n))
    .sort()
    .map((n) => join(CODEC_MODEL_DIR, n));
}

export const SKIP_NO_MODEL = codecModelFiles().length === 0 ? `no codec model (q*.fxpcm) in ${CODEC_MODEL_DIR}: run scripts/codec/convert.ts` : false;

export function loadFirstModel(): { file: string; bytes: Uint8Array; model: LoadedCodecModel } {
  const file = codecModelFiles()[0]!;
  const bytes = new Uint8Array(readFileSync(file));
  return { file, bytes, model: decodeCodecModel(bytes, file) };
}

/** A deterministic test picture: smooth gradients, an edge and some texture. */
export function testImage(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  let s = 12345;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const noise = (s >>> 24) & 15;
      const i = (y * width + x) * 3;
      data[i] = (x * 255) / Math.max(1, width - 1);
      data[i + 1] = x > width / 2 ? 200 : 40 + noise;
      data[i + 2] = (y * 255) / Math.max(1, height - 1);
    }
  }
  return { width, height, data };
}
