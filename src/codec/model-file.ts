/**
 * The codec model file (".fxpcm"): everything one quality level of the codec
 * needs, in one checksummed file. Pure (no Node APIs): browsers load it too.
 *
 * Layout, little-endian:
 *   offset  size  field
 *   0       4     magic "FXCM"
 *   4       1     version = 1
 *   5       3     zero
 *   8       4     J = byte length of the JSON header
 *   12      J     JSON header (UTF-8), CodecModelHeader below
 *   12+J    ...   sections, in the header's `sections` order and byte lengths:
 *                 analysis, hyper_analysis, hyper_synthesis, synthesis: .fxp files;
 *                 prior_cdfs, gaussian_cdfs: per table, its length + 1 cdf entries
 *                 cdf[0..length] as u16 (the final entry 2^16 is implied)
 *   end-8   8     FNV-1a 64 of every byte before it, big-endian hex order: the
 *                 model hash that bitstream headers carry
 *
 * decodeCodecModel checks the hash first (so damage anywhere is reported as a hash
 * mismatch), then every field: formats, table counts and cdfs (validateTables),
 * thresholds (non-decreasing, one fewer than the Gaussian tables), and the graphs
 * (decodeFxp verifies them, and their interface formats must equal the header's).
 */
import { FxpError, type ErrorContext } from '../errors.js';
import type { FxGraph } from '../engine/fx-graph.js';
import { fnv1a64 } from '../engine/hash.js';
import { decodeFxp, encodeFxp } from '../export/fxp-container.js';
import { formatsEqual, formatToString, parseFormat, validateFormat, type QFormat } from '../fixed/format.js';
import { PROB_SCALE } from './rans.js';
import { validateScaleThresholds } from './scale-index.js';
import { validateTables, type CodingTables } from './tables.js';

export const FXCM_MAGIC = 'FXCM';
export const FXCM_VERSION = 1;
const MAGIC = [0x46, 0x58, 0x43, 0x4d];
const GRAPHS = ['analysis', 'hyper_analysis', 'hyper_synthesis', 'synthesis'] as const;
const SECTIONS = [...GRAPHS, 'prior_cdfs', 'gaussian_cdfs'] as const;
type GraphName = (typeof GRAPHS)[number];

/** Interface formats between the networks (latents.ts states the constraints). */
export interface CodecFormats {
  /** y, mu, sigma and y_hat. */
  readonly y: QFormat;
  /** Hyper-analysis output. */
  readonly z: QFormat;
  /** Hyper-synthesis input, fl = 0. */
  readonly zHat: QFormat;
  /** Synthesis output. */
  readonly xHat: QFormat;
  /** Analysis input: pixels, UQ(8,0). */
  readonly pixels: QFormat;
}

export interface CodecModel {
  /** Names the model family in bitstreams, e.g. 'fxpnet-hyperprior'. */
  readonly modelId: string;
  readonly quality: number;
  readonly lambda: number;
  readonly n: number;
  readonly m: number;
  readonly analysis: FxGraph;
  readonly hyperAnalysis: FxGraph;
  readonly hyperSynthesis: FxGraph;
  readonly synthesis: FxGraph;
  readonly formats: CodecFormats;
  /** Factorized prior of z_hat, one table per channel (N). */
  readonly prior: CodingTables;
  /** Gaussian conditional tables, one per scale. */
  readonly gaussian: CodingTables;
  /** The scales the Gaussian tables were built for (export-time facts; the decoder does not read them). */
  readonly scales: readonly number[];
  /** scaleThresholds(scales, formats.y.fl): scales.length - 1 entries. */
  readonly thresholds: Int32Array;
  /** Free-form provenance (calibration, bit widths, source). */
  readonly meta: Readonly<Record<string, string>>;
}

/** A loaded model: its content hash is the model hash of its bitstreams. */
export interface LoadedCodecModel extends CodecModel {
  readonly hash: string;
}

interface Header {
  modelId: string;
  quality: number;
  lambda: number;
  n: number;
  m: number;
  formats: Record<keyof CodecFormats, string>;
  prior: { offsets: number[]; lengths: number[] };
  gaussian: { offsets: number[]; lengths: number[]; scales: number[] };
  thresholds: number[];
  meta: Record<string, string>;
  sections: { name: string; bytes: number }[];
}

function graphOf(m: CodecModel, name: GraphName): FxGraph {
  return name === 'analysis' ? m.analysis : name === 'hyper_analysis' ? m.hyperAnalysis : name === 'hyper_synthesis' ? m.hyperSynthesis : m.synthesis;
}

function cdfBytes(t: CodingTables): Uint8Array {
  let n = 0;
  for (const c of t.cdfs) n += c.length - 1;
  const out = new Uint8Array(2 * n);
  let p = 0;
  for (const c of t.cdfs) {
    for (let i = 0; i + 1 < c.length; i++) {
      out[p++] = c[i]! & 0xff;
      out[p++] = c[i]! >>> 8;
    }
  }
  return out;
}

/** Serializes a model; deterministic. Returns the bytes and their hash. */
export function encodeCodecModel(m: CodecModel): { bytes: Uint8Array; hash: string } {
  const blobs: Uint8Array[] = [...GRAPHS.map((g) => encodeFxp(graphOf(m, g))), cdfBytes(m.prior), cdfBytes(m.gaussian)];
  const f = m.formats;
  const header: Header = {
    modelId: m.modelId,
    quality: m.quality,
    lambda: m.lambda,
    n: m.n,
    m: m.m,
    formats: { y: formatToString(f.y), z: formatToString(f.z), zHat: formatToString(f.zHat), xHat: formatToString(f.xHat), pixels: formatToString(f.pixels) },
    prior: { offsets: [...m.prior.offsets], lengths: [...m.prior.lengths] },
    gaussian: { offsets: [...m.gaussian.offsets], lengths: [...m.gaussian.lengths], scales: [...m.scales] },
    thresholds: [...m.thresholds],
    meta: { ...m.meta },
    sections: SECTIONS.map((name, i) => ({ name, bytes: blobs[i]!.length })),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const total = 12 + json.length + blobs.reduce((a, b) => a + b.length, 0) + 8;
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  out[4] = FXCM_VERSION;
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  let p = 12 + json.length;
  for (const b of blobs) {
    out.set(b, p);
    p += b.length;
  }
  const hash = fnv1a64(out.subarray(0, p));
  for (let i = 0; i < 8; i++) out[p + i] = parseInt(hash.slice(2 * i, 2 * i + 2), 16);
  return { bytes: out, hash };
}

// --- decoding ---

function fail(message: string, context: ErrorContext): never {
  throw new FxpError(`invalid codec model: ${message}`, context);
}

function numbers(v: unknown, ok: (x: number) => boolean, what: string, context: ErrorContext): number[] {
  if (!Array.isArray(v)) fail(`${what} must be an array`, context);
  const out: number[] = [];
  for (const x of v) {
    if (typeof x !== 'number' || !ok(x)) fail(`${what} holds an invalid entry ${String(x)}`, context);
    out.push(x);
  }
  return out;
}

function intArray(v: unknown, what: string, context: ErrorContext): number[] {
  return numbers(v, (x) => Number.isSafeInteger(x) && x >= -(2 ** 31) && x < 2 ** 31, what, context);
}

function field<T>(obj: Record<string, unknown>, key: string, check: (v: unknown) => v is T, what: string, context: ErrorContext): T {
  const v = obj[key];
  if (!check(v)) fail(`header field '${key}' must be ${what}`, context);
  return v;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65536;
const isString = (v: unknown): v is string => typeof v === 'string';
const isFinite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function format(v: unknown, what: string, context: ErrorContext): QFormat {
  if (typeof v !== 'string') fail(`format of ${what} must be a string`, context);
  const f = parseFormat(v, context);
  validateFormat(f, 'activation', context);
  return f;
}

function tables(meta: unknown, bytes: Uint8Array, what: string, context: ErrorContext): CodingTables {
  if (!isObject(meta)) fail(`${what} must be an object`, context);
  const offsets = intArray(meta.offsets, `${what}.offsets`, context);
  const lengths = intArray(meta.lengths, `${what}.lengths`, context);
  if (offsets.length !== lengths.length || offsets.length === 0) fail(`${what} has ${offsets.length} offsets and ${lengths.length} lengths`, context);
  let need = 0;
  for (const n of lengths) {
    if (n < 0 || n > PROB_SCALE - 2) fail(`${what} table length ${n} is outside 0..${PROB_SCALE - 2}`, context);
    need += 2 * (n + 1);
  }
  if (need !== bytes.length) fail(`${what} cdf section has ${bytes.length} bytes, the table lengths need ${need}`, context);
  const cdfs: Uint32Array[] = [];
  let p = 0;
  for (const n of lengths) {
    const cdf = new Uint32Array(n + 2);
    for (let i = 0; i <= n; i++, p += 2) cdf[i] = bytes[p]! | (bytes[p + 1]! << 8);
    cdf[n + 1] = PROB_SCALE;
    cdfs.push(cdf);
  }
  const t: CodingTables = { offsets: Int32Array.from(offsets), lengths: Int32Array.from(lengths), cdfs };
  validateTables(t, context);
  return t;
}

function checkGraph(fx: FxGraph, name: string, input: QFormat, output: QFormat | undefined, context: ErrorContext): void {
  if (fx.inputs.length !== 1 || fx.outputs.length !== 1) fail(`graph '${name}' must have one input and one output`, context);
  const inF = fx.values[fx.inputs[0]!]!.format;
  if (!formatsEqual(inF, input)) fail(`graph '${name}' takes ${formatToString(inF)}, the header says ${formatToString(input)}`, context);
  const outF = fx.values[fx.outputs[0]!]!.format;
  if (output !== undefined && !formatsEqual(outF, output)) fail(`graph '${name}' gives ${formatToString(outF)}, the header says ${formatToString(output)}`, context);
}

/** Parses and validates a model file; every problem is one FxpError naming `file`. */
export function decodeCodecModel(bytes: Uint8Array, file = 'codec model'): LoadedCodecModel {
  const context: ErrorContext = { file };
  if (bytes.length < 20) fail(`file of ${bytes.length} bytes is too short`, context);
  if (MAGIC.some((b, i) => bytes[i] !== b)) fail('bad magic (not an .fxpcm file)', context);
  if (bytes[4] !== FXCM_VERSION) fail(`unsupported version ${bytes[4]}, this reader knows ${FXCM_VERSION}`, context);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLen = view.getUint32(8, true);
  if (12 + jsonLen + 8 > bytes.length) fail(`truncated: JSON header of ${jsonLen} bytes does not fit the ${bytes.length}-byte file`, context);
  const end = bytes.length - 8;
  const hash = fnv1a64(bytes.subarray(0, end));
  const stored = Array.from(bytes.subarray(end), (b) => b.toString(16).padStart(2, '0')).join('');
  if (stored !== hash) fail(`content hash mismatch: stored ${stored}, computed ${hash} (file damaged or truncated)`, context);

  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + jsonLen)));
  } catch {
    fail('JSON header does not parse', context);
  }
  if (!isObject(raw)) fail('JSON header must be an object', context);
  const modelId = field(raw, 'modelId', isString, 'a string', context);
  const quality = field(raw, 'quality', isPosInt, 'an integer in 1..255', context);
  const lambda = field(raw, 'lambda', isFinite, 'a number', context);
  const n = field(raw, 'n', isPosInt, 'a positive integer', context);
  const m = field(raw, 'm', isPosInt, 'a positive integer', context);
  if (quality > 255) fail(`quality ${quality} is outside 1..255`, context);
  const fr = field(raw, 'formats', isObject, 'an object', context);
  const formats: CodecFormats = {
    y: format(fr.y, 'y', context),
    z: format(fr.z, 'z', context),
    zHat: format(fr.zHat, 'zHat', context),
    xHat: format(fr.xHat, 'xHat', context),
    pixels: format(fr.pixels, 'pixels', context),
  };
  if (!formats.y.signed || formats.y.fl < 1 || formats.y.fl > 24) fail(`y format ${formatToString(formats.y)} must be signed with 1..24 fraction bits`, context);
  if (!formats.z.signed || formats.z.fl < -15) fail(`z format ${formatToString(formats.z)} must be signed with at least -15 fraction bits`, context);
  if (!formats.zHat.signed || formats.zHat.fl !== 0) fail(`z_hat format ${formatToString(formats.zHat)} must be signed integers (fl 0)`, context);
  if (!formatsEqual(formats.pixels, { signed: false, wl: 8, fl: 0 })) fail(`pixel format must be UQ(8,0), got ${formatToString(formats.pixels)}`, context);
  if (formats.xHat.fl < -8 || formats.xHat.fl > 24) fail(`x_hat format ${formatToString(formats.xHat)} needs -8..24 fraction bits`, context);

  const secs = field(raw, 'sections', Array.isArray, 'an array', context);
  if (secs.length !== SECTIONS.length) fail(`expected ${SECTIONS.length} sections, header lists ${secs.length}`, context);
  const parts = new Map<string, Uint8Array>();
  let p = 12 + jsonLen;
  SECTIONS.forEach((name, i) => {
    const s: unknown = secs[i];
    if (!isObject(s) || s.name !== name || typeof s.bytes !== 'number' || !Number.isSafeInteger(s.bytes) || s.bytes < 0) fail(`section ${i} must be {"name": "${name}", "bytes": n}`, context);
    if (p + s.bytes > end) fail(`truncated: section '${name}' of ${s.bytes} bytes runs past the end`, context);
    parts.set(name, bytes.subarray(p, p + s.bytes));
    p += s.bytes;
  });
  if (p !== end) fail(`${end - p} bytes between the last section and the hash`, context);

  const prior = tables(raw.prior, parts.get('prior_cdfs')!, 'prior', context);
  if (prior.cdfs.length !== n) fail(`prior has ${prior.cdfs.length} tables, N = ${n}`, context);
  const gaussian = tables(raw.gaussian, parts.get('gaussian_cdfs')!, 'gaussian', context);
  if (gaussian.cdfs.length > 256) fail(`${gaussian.cdfs.length} Gaussian tables, at most 256 (table indices are bytes)`, context);
  const scales = numbers(isObject(raw.gaussian) ? raw.gaussian.scales : undefined, (x) => x > 0 && Number.isFinite(x), 'gaussian.scales', context);
  if (scales.length !== gaussian.cdfs.length) fail(`gaussian.scales lists ${scales.length} scales for ${gaussian.cdfs.length} tables`, context);
  const thresholds = Int32Array.from(intArray(raw.thresholds, 'thresholds', context));
  if (thresholds.length !== gaussian.cdfs.length - 1) fail(`${thresholds.length} scale thresholds for ${gaussian.cdfs.length} tables`, context);
  validateScaleThresholds(thresholds, context);
  const metaRaw = field(raw, 'meta', isObject, 'an object', context);
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(metaRaw)) meta[k] = String(v);

  const graph = (name: GraphName): FxGraph => decodeFxp(parts.get(name)!, `${file}#${name}`);
  const model: LoadedCodecModel = {
    modelId,
    quality,
    lambda,
    n,
    m,
    analysis: graph('analysis'),
    hyperAnalysis: graph('hyper_analysis'),
    hyperSynthesis: graph('hyper_synthesis'),
    synthesis: graph('synthesis'),
    formats,
    prior,
    gaussian,
    scales,
    thresholds,
    meta,
    hash,
  };
  checkGraph(model.analysis, 'analysis', formats.pixels, formats.y, context);
  checkGraph(model.hyperAnalysis, 'hyper_analysis', formats.y, formats.z, context);
  checkGraph(model.hyperSynthesis, 'hyper_synthesis', formats.zHat, formats.y, context);
  checkGraph(model.synthesis, 'synthesis', formats.y, formats.xHat, context);
  return model;
}
