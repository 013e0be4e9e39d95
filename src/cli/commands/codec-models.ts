/**
 * The codec model folder (q<Q>.fxpcm files) as the `fxp codec` commands see it:
 * quality lists, which qualities are present, and loading one model.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FxpError, wrapError } from '../../errors.js';
import { decodeCodecModel, type LoadedCodecModel } from '../../codec/model-file.js';

export const DEFAULT_MODEL_DIR = 'models/codec';

export function modelPath(dir: string, quality: number): string {
  return join(dir, `q${quality}.fxpcm`);
}

/** One quality level from an option value ('--quality 3'). */
export function parseQuality(v: string, option = '--quality'): number {
  const q = Number(v.trim());
  if (v.trim() === '' || !Number.isInteger(q) || q < 1 || q > 255) throw new FxpError(`${option} must be an integer in 1..255, got '${v}'`);
  return q;
}

/** A comma-separated list of qualities ('1,2,5'), duplicates dropped, in the order given. */
export function parseQualities(v: string, option = '--quality'): number[] {
  const qs = v.split(',').map((s) => parseQuality(s, option));
  return [...new Set(qs)];
}

/** The qualities of every q<Q>.fxpcm in the folder, ascending. */
export function presentQualities(dir: string): number[] {
  const names = existsSync(dir) ? readdirSync(dir) : [];
  const qs = names.map((n) => /^q(\d+)\.fxpcm$/.exec(n)?.[1]).filter((q): q is string => q !== undefined).map(Number);
  if (qs.length === 0) throw new FxpError('no codec models (q*.fxpcm) in the model folder', { file: dir });
  return qs.sort((a, b) => a - b);
}

export function loadModel(dir: string, quality: number): LoadedCodecModel {
  const path = modelPath(dir, quality);
  if (!existsSync(path)) throw new FxpError(`no codec model for quality ${quality} (convert it with scripts/codec/convert.ts)`, { file: path });
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (err) {
    throw wrapError(err, 'cannot read codec model', { file: path });
  }
  return decodeCodecModel(bytes, path);
}
