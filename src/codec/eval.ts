/**
 * Rate-distortion evaluation of the fixed-point codec on a folder of images,
 * against its own float model (float entropy parameters, same coder) and JPEG /
 * WebP through sharp. Rates are real file sizes (the whole FXPC bitstream, header
 * included); distortion is PSNR and MS-SSIM on 8-bit RGB. Curves are means over
 * the images per setting; BD-rates come from rd.ts. Node only.
 */
import { basename } from 'node:path';
import { FxpError } from '../errors.js';
import { readImage } from '../data/images.js';
import { msSsim, psnr } from '../data/metrics.js';
import { baselineCode, BASELINES, type BaselineCodec } from './baselines.js';
import { createCodec, decodeImage, encodeImage, type Codec, type RgbImage } from './codec.js';
import { createFloatCodec, floatCode, type FloatCodec } from './float-codec.js';
import type { LoadedCodecModel } from './model-file.js';
import { bdRate, msSsimDb, type RdPoint } from './rd.js';
import type { CodecSources } from './sources.js';

export type CurveName = 'fixed' | 'float' | BaselineCodec;

export interface ImageRow {
  readonly image: string;
  readonly codec: CurveName;
  /** Codec quality level (fixed, float) or the encoder's quality setting (baselines). */
  readonly setting: number;
  readonly bytes: number;
  readonly bpp: number;
  readonly psnr: number;
  readonly msssim: number;
  readonly encodeSeconds?: number;
  readonly decodeSeconds?: number;
}

export interface CurvePoint {
  readonly setting: number;
  readonly bpp: number;
  readonly psnr: number;
  readonly msssim: number;
  readonly msssimDb: number;
  readonly encodeSeconds?: number;
  readonly decodeSeconds?: number;
}

export interface BdEntry {
  readonly test: CurveName;
  readonly anchor: CurveName;
  /**
   * Fractions (0.01 = 1% more bits than the anchor); null where the quality ranges
   * do not overlap or a curve is not monotone (more bits, less quality: a cubic
   * fit of such a curve says nothing).
   */
  readonly psnr: number | null;
  readonly msssim: number | null;
}

/** Quality strictly increasing with rate. */
function monotone(points: readonly CurvePoint[], q: (p: CurvePoint) => number): boolean {
  const s = [...points].sort((a, b) => a.bpp - b.bpp);
  return s.every((p, i) => i === 0 || q(p) > q(s[i - 1]!));
}

export interface EvalResult {
  readonly images: readonly string[];
  readonly rows: readonly ImageRow[];
  readonly curves: { readonly [K in CurveName]?: readonly CurvePoint[] };
  readonly bd: readonly BdEntry[];
}

export interface EvalInput {
  readonly files: readonly string[];
  readonly models: readonly LoadedCodecModel[];
  /** Float sources per model (same order); absent: no float curve. */
  readonly sources?: readonly (CodecSources | undefined)[];
  readonly baselines?: boolean;
  readonly jpegQualities?: readonly number[];
  readonly webpQualities?: readonly number[];
  readonly onProgress?: (done: number, total: number, what: string) => void;
}

export const JPEG_QUALITIES = [2, 5, 8, 12, 16, 20, 25, 30, 40, 50, 60, 75, 90];
export const WEBP_QUALITIES = [1, 3, 5, 10, 15, 20, 30, 40, 50, 60, 75, 90];

function seconds(t0: number): number {
  return (performance.now() - t0) / 1000;
}

function row(image: string, codec: CurveName, setting: number, img: RgbImage, bytes: number, rgb: Uint8Array, times: { encodeSeconds?: number; decodeSeconds?: number } = {}): ImageRow {
  return { image, codec, setting, bytes, bpp: (8 * bytes) / (img.width * img.height), psnr: psnr(img.data, rgb), msssim: msSsim(img.data, rgb, img.width, img.height, 3), ...times };
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function curve(rows: readonly ImageRow[], codec: CurveName): CurvePoint[] {
  const settings = [...new Set(rows.filter((r) => r.codec === codec).map((r) => r.setting))].sort((a, b) => a - b);
  return settings.map((s) => {
    const rs = rows.filter((r) => r.codec === codec && r.setting === s);
    const ms = mean(rs.map((r) => r.msssim));
    const enc = rs.map((r) => r.encodeSeconds).filter((v): v is number => v !== undefined);
    const dec = rs.map((r) => r.decodeSeconds).filter((v): v is number => v !== undefined);
    return {
      setting: s,
      bpp: mean(rs.map((r) => r.bpp)),
      psnr: mean(rs.map((r) => r.psnr)),
      msssim: ms,
      msssimDb: mean(rs.map((r) => msSsimDb(r.msssim))),
      ...(enc.length > 0 ? { encodeSeconds: mean(enc) } : {}),
      ...(dec.length > 0 ? { decodeSeconds: mean(dec) } : {}),
    };
  });
}

/** Baseline points near the codec's rate range (a cubic fit far outside it says nothing). */
function near(points: readonly CurvePoint[], ref: readonly CurvePoint[]): CurvePoint[] {
  const lo = Math.min(...ref.map((p) => p.bpp)) / 2;
  const hi = Math.max(...ref.map((p) => p.bpp)) * 2;
  return points.filter((p) => p.bpp >= lo && p.bpp <= hi);
}

function bd(curves: EvalResult['curves'], test: CurveName, anchor: CurveName): BdEntry | undefined {
  const t = curves[test];
  const a0 = curves[anchor];
  if (t === undefined || a0 === undefined || t.length < 4) return undefined;
  const a = anchor === 'float' ? a0 : near(a0, t);
  if (a.length < 4) return { test, anchor, psnr: null, msssim: null };
  const on = (ps: readonly CurvePoint[], q: (p: CurvePoint) => number): RdPoint[] => ps.map((p) => ({ rate: p.bpp, quality: q(p) }));
  const one = (q: (p: CurvePoint) => number): number | null => (monotone(a, q) && monotone(t, q) ? (bdRate(on(a, q), on(t, q)) ?? null) : null);
  return { test, anchor, psnr: one((p) => p.psnr), msssim: one((p) => p.msssimDb) };
}

export async function evaluateCodec(input: EvalInput): Promise<EvalResult> {
  if (input.files.length === 0) throw new FxpError('no images to evaluate');
  const codecs: Codec[] = input.models.map((m) => createCodec(m, { kernels: 'auto' }));
  const floats: (FloatCodec | undefined)[] = (input.sources ?? []).map((s) => (s === undefined ? undefined : createFloatCodec(s)));
  const jq = input.baselines === false ? [] : (input.jpegQualities ?? JPEG_QUALITIES);
  const wq = input.baselines === false ? [] : (input.webpQualities ?? WEBP_QUALITIES);
  const perImage = codecs.length + floats.filter((f) => f !== undefined).length + (jq.length > 0 ? 1 : 0);
  const total = input.files.length * perImage;
  let done = 0;
  const rows: ImageRow[] = [];
  for (const file of input.files) {
    const name = basename(file);
    const read = await readImage(file, 'rgb');
    const img: RgbImage = { width: read.width, height: read.height, data: read.data };
    for (const [i, codec] of codecs.entries()) {
      input.onProgress?.(done, total, `${name} fixed q${codec.model.quality}`);
      let t0 = performance.now();
      const bytes = encodeImage(codec, img);
      const encodeSeconds = seconds(t0);
      t0 = performance.now();
      const out = decodeImage(codec, bytes, name);
      const decodeSeconds = seconds(t0);
      rows.push(row(name, 'fixed', codec.model.quality, img, bytes.length, out.data, { encodeSeconds, decodeSeconds }));
      done++;
      const fc = floats[i];
      if (fc !== undefined) {
        input.onProgress?.(done, total, `${name} float q${codec.model.quality}`);
        t0 = performance.now();
        const f = floatCode(fc, img.data, img.width, img.height, codec.model.modelId);
        rows.push(row(name, 'float', codec.model.quality, img, f.bytes.length, f.rgb, { encodeSeconds: seconds(t0) }));
        done++;
      }
    }
    if (jq.length > 0) {
      input.onProgress?.(done, total, `${name} JPEG/WebP`);
      for (const b of BASELINES) {
        for (const q of b === 'webp' ? wq : jq) {
          const r = await baselineCode(img, b, q);
          rows.push(row(name, b, q, img, r.bytes, r.rgb));
        }
      }
      done++;
    }
  }
  input.onProgress?.(done, total, 'done');
  const names: CurveName[] = ['fixed', 'float', ...BASELINES];
  const curves: { [K in CurveName]?: CurvePoint[] } = {};
  for (const n of names) {
    const c = curve(rows, n);
    if (c.length > 0) curves[n] = c;
  }
  const bds = (['float', ...BASELINES] as const).map((a) => bd(curves, 'fixed', a)).filter((e): e is BdEntry => e !== undefined);
  const floatVsBase = BASELINES.map((a) => bd(curves, 'float', a)).filter((e): e is BdEntry => e !== undefined);
  return { images: input.files.map((f) => basename(f)), rows, curves, bd: [...bds, ...floatVsBase] };
}
