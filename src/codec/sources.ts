/**
 * The float codec as the training scripts export it (models/codec/q{Q}/): four
 * ONNX graphs, the factorized prior of z as integer cdf tables (prior.json) and
 * training facts (meta.json). Loaded once for conversion and float evaluation.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FxpError, wrapError } from '../errors.js';
import { loadFloatModel } from '../import/index.js';
import type { Graph } from '../ir/graph.js';
import { canonicalize } from '../passes/index.js';
import { PRECISION } from './rans.js';
import { validateTables, type CodingTables } from './tables.js';

export interface CodecSources {
  readonly dir: string;
  readonly quality: number;
  readonly lambda: number;
  readonly n: number;
  readonly m: number;
  /** Canonical float graphs (BN folded, activations fused). */
  readonly analysis: Graph;
  readonly hyperAnalysis: Graph;
  readonly hyperSynthesis: Graph;
  readonly synthesis: Graph;
  readonly prior: CodingTables;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function readJson(path: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw wrapError(err, 'cannot read JSON', { file: path });
  }
  if (!isObject(raw)) throw new FxpError('expected a JSON object', { file: path });
  return raw;
}

function num(obj: Record<string, unknown>, key: string, file: string): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new FxpError(`field '${key}' must be a number`, { file });
  return v;
}

/** prior.json: {precision: 16, channels: N, prior: [{offset, length, cdf}, ...]}. */
export function parsePrior(raw: Record<string, unknown>, file: string): CodingTables {
  if (raw.precision !== PRECISION) throw new FxpError(`prior precision must be ${PRECISION}, got ${String(raw.precision)}`, { file });
  const list = raw.prior;
  if (!Array.isArray(list) || list.length !== raw.channels) throw new FxpError(`'prior' must list one entry per channel (${String(raw.channels)})`, { file });
  const offsets = new Int32Array(list.length);
  const lengths = new Int32Array(list.length);
  const cdfs: Uint32Array[] = [];
  list.forEach((c: unknown, i) => {
    if (!isObject(c) || !Array.isArray(c.cdf)) throw new FxpError(`prior channel ${i} must have offset, length and cdf`, { file });
    offsets[i] = num(c, 'offset', file);
    lengths[i] = num(c, 'length', file);
    const cdf = c.cdf as unknown[];
    if (cdf.some((v) => typeof v !== 'number')) throw new FxpError(`prior channel ${i}: cdf must hold numbers`, { file });
    cdfs.push(Uint32Array.from(cdf as number[]));
  });
  const t = { offsets, lengths, cdfs };
  validateTables(t, { file });
  return t;
}

async function graph(dir: string, name: string): Promise<Graph> {
  return canonicalize(await loadFloatModel(join(dir, `${name}.onnx`)));
}

/** Loads models/codec/q{Q}/ (or any folder with the same files). */
export async function loadCodecSources(dir: string): Promise<CodecSources> {
  const metaFile = join(dir, 'meta.json');
  const meta = readJson(metaFile);
  const priorFile = join(dir, 'prior.json');
  const prior = parsePrior(readJson(priorFile), priorFile);
  const n = num(meta, 'N', metaFile);
  const m = num(meta, 'M', metaFile);
  if (prior.cdfs.length !== n) throw new FxpError(`prior has ${prior.cdfs.length} channels, meta.json says N = ${n}`, { file: priorFile });
  return {
    dir,
    quality: num(meta, 'quality', metaFile),
    lambda: num(meta, 'lambda', metaFile),
    n,
    m,
    analysis: await graph(dir, 'analysis'),
    hyperAnalysis: await graph(dir, 'hyper_analysis'),
    hyperSynthesis: await graph(dir, 'hyper_synthesis'),
    synthesis: await graph(dir, 'synthesis'),
    prior,
  };
}
