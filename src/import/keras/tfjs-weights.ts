/**
 * TF.js weightsManifest -> KerasWeights. Each manifest group lists shard files
 * (paths relative to model.json) whose concatenation holds the group's weights
 * back to back, in manifest order. A weight 'conv2d_1/kernel' belongs to layer
 * 'conv2d_1' (the component before the last) and is called 'kernel'.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { FxpError, MAX_TENSOR_ELEMENTS, wrapError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { isObject, show } from './json.js';
import { BYTES_PER_ELEMENT, decodeWeights, type Affine, type TfjsStoredType } from './tfjs-decode.js';
import { addWeight, shortWeightName, type KerasWeights } from './weights.js';

interface WeightSpec {
  readonly name: string;
  readonly layer: string;
  readonly shape: number[];
  readonly stored: TfjsStoredType;
  readonly affine: Affine | undefined;
}

const PLAIN_DTYPES = new Set<string>(['float32', 'int32', 'bool']);
const QUANT_DTYPES = new Set<string>(['uint8', 'uint16', 'float16']);

function layerOf(name: string): string {
  const parts = name.split('/');
  return parts.length >= 2 ? parts[parts.length - 2]! : '';
}

function parseSpec(raw: unknown, file: string, classes: ReadonlyMap<string, string>): WeightSpec {
  if (!isObject(raw) || typeof raw['name'] !== 'string') throw new FxpError(`weightsManifest entry must have a name, got ${show(raw)}`, { file });
  const name = raw['name'];
  const layer = layerOf(name);
  const where = { file, node: layer || undefined, op: classes.get(layer) };
  const fail = (msg: string): never => {
    throw new FxpError(`weight '${name}': ${msg}`, where);
  };
  const shape = raw['shape'];
  if (!Array.isArray(shape) || !shape.every((d): d is number => typeof d === 'number' && Number.isInteger(d) && d >= 0)) {
    return fail(`shape must be a list of non-negative integers, got ${show(shape)}`);
  }
  const n = shape.reduce((a, d) => a * d, 1);
  if (n > MAX_TENSOR_ELEMENTS) fail(`shape [${shape.join(', ')}] is over the limit of ${MAX_TENSOR_ELEMENTS} elements`);
  const dtype = raw['dtype'];
  if (typeof dtype !== 'string' || !PLAIN_DTYPES.has(dtype)) return fail(`unsupported dtype ${show(dtype)}`);
  const q = raw['quantization'];
  if (q === undefined || q === null) return { name, layer, shape, stored: dtype as TfjsStoredType, affine: undefined };
  if (!isObject(q) || typeof q['dtype'] !== 'string' || !QUANT_DTYPES.has(q['dtype'])) return fail(`unsupported quantization ${show(q)}`);
  const stored = q['dtype'] as TfjsStoredType;
  if (stored === 'float16') return { name, layer, shape, stored, affine: undefined };
  const scale = q['scale'];
  const min = q['min'];
  if (typeof scale !== 'number' || !Number.isFinite(scale) || typeof min !== 'number' || !Number.isFinite(min)) {
    return fail(`quantization needs finite 'scale' and 'min', got ${show(q)}`);
  }
  return { name, layer, shape, stored, affine: { scale, min } };
}

/** Reads one shard; paths may not leave the model's directory. */
async function readShard(dir: string, p: unknown, file: string): Promise<{ path: string; bytes: Uint8Array }> {
  if (typeof p !== 'string' || p === '') throw new FxpError(`weightsManifest path must be a non-empty string, got ${show(p)}`, { file });
  const path = resolve(dir, p);
  const rel = relative(dir, path);
  if (isAbsolute(p) || rel.startsWith('..') || isAbsolute(rel)) throw new FxpError(`weight shard path '${p}' leaves the model's directory`, { file });
  try {
    return { path, bytes: await readFile(path) };
  } catch (err) {
    const code = isObject(err) ? err['code'] : undefined;
    if (code === 'ENOENT') throw new FxpError(`missing weight shard '${p}' (listed in model.json)`, { file: path });
    throw wrapError(err, `cannot read weight shard '${p}'`, { file: path });
  }
}

export async function readTfjsWeights(manifest: unknown, dir: string, file: string, classes: ReadonlyMap<string, string>): Promise<KerasWeights> {
  if (manifest === undefined || manifest === null) return new Map();
  if (!Array.isArray(manifest)) throw new FxpError(`weightsManifest must be a list, got ${show(manifest)}`, { file });
  const out = new Map<string, Map<string, Tensor>>();
  for (const [gi, group] of manifest.entries()) {
    if (!isObject(group) || !Array.isArray(group['paths']) || !Array.isArray(group['weights'])) {
      throw new FxpError(`weightsManifest group ${gi} must have 'paths' and 'weights' lists`, { file });
    }
    const specs = group['weights'].map((w) => parseSpec(w, file, classes));
    const shards = await Promise.all(group['paths'].map((p) => readShard(dir, p, file)));
    const total = shards.reduce((a, s) => a + s.bytes.length, 0);
    const bytes = shards.length === 1 ? shards[0]!.bytes : Buffer.concat(shards.map((s) => s.bytes));
    let offset = 0;
    for (const spec of specs) {
      const n = spec.shape.reduce((a, d) => a * d, 1);
      const size = n * BYTES_PER_ELEMENT[spec.stored];
      if (offset + size > total) {
        // Name the shard the weight would have ended in: the last one.
        const shard = shards[shards.length - 1]?.path ?? file;
        throw new FxpError(
          `weight shards too short: weight '${spec.name}' needs bytes ${offset}..${offset + size} of group ${gi}, the shards hold ${total}`,
          { file: shard, node: spec.layer || undefined, op: classes.get(spec.layer) },
        );
      }
      const data = decodeWeights(bytes.subarray(offset, offset + size), spec.stored, n, spec.affine);
      offset += size;
      addWeight(out, spec.layer, shortWeightName(spec.name), { shape: spec.shape, data });
    }
  }
  return out;
}
