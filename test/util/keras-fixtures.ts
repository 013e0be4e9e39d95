/**
 * Synthetic Keras models for importer tests: model configs in Keras 2.x JSON
 * form, HDF5 files written the way Keras 2.2.4 `model.save` writes them, and TF.js
 * layers models (model.json + binary shards, optionally weight-quantized).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';

export interface FixtureWeight {
  readonly layer: string;
  /** Short name: 'kernel', 'bias', 'gamma', ... */
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface FixtureLayer {
  readonly className: string;
  readonly name: string;
  readonly config?: Record<string, unknown>;
  /** Functional models: the layers this one reads (application 0 of each). */
  readonly inbound?: readonly string[];
}

export function tempDir(prefix = 'fxp-keras-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Deterministic pseudo-random values in [-1, 1). */
export function seeded(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

export function weight(layer: string, name: string, shape: readonly number[], seed: number): FixtureWeight {
  return { layer, name, shape, data: seeded(shape.reduce((a, d) => a * d, 1), seed) };
}

export function sequentialConfig(layers: readonly FixtureLayer[], name = 'sequential_1'): Record<string, unknown> {
  return {
    class_name: 'Sequential',
    config: { name, layers: layers.map((l) => ({ class_name: l.className, config: { name: l.name, trainable: true, ...l.config } })) },
  };
}

export function functionalConfig(layers: readonly FixtureLayer[], inputs: readonly string[], outputs: readonly string[], name = 'model_1'): Record<string, unknown> {
  return {
    class_name: 'Model',
    config: {
      name,
      layers: layers.map((l) => ({
        name: l.name,
        class_name: l.className,
        config: { name: l.name, trainable: true, ...l.config },
        inbound_nodes: l.inbound === undefined ? [] : [l.inbound.map((src) => [src, 0, 0, {}])],
      })),
      input_layers: inputs.map((n) => [n, 0, 0]),
      output_layers: outputs.map((n) => [n, 0, 0]),
    },
  };
}

export interface H5Options {
  /** Leave out the model_config attribute (a save_weights-style file). */
  readonly omitConfig?: boolean;
  /** Raw text for model_config instead of the JSON of `config`. */
  readonly rawConfig?: string;
  /** Layers whose weight_names list a dataset that is not written. */
  readonly dropDatasets?: readonly string[];
}

/** Writes a Keras 2.2.4-style .h5: root attrs, /model_weights/<layer>/<layer>/<name>:0 datasets. */
export async function writeKerasH5(path: string, config: unknown, weights: readonly FixtureWeight[], opts: H5Options = {}): Promise<void> {
  await h5wasm.ready;
  const f = new h5wasm.File(path, 'w');
  try {
    f.create_attribute('keras_version', '2.2.4');
    f.create_attribute('backend', 'tensorflow');
    if (opts.omitConfig !== true) f.create_attribute('model_config', opts.rawConfig ?? JSON.stringify(config));
    const mw = f.create_group('model_weights');
    const layerNames = layerNamesOf(config, weights);
    mw.create_attribute('layer_names', layerNames);
    for (const layer of layerNames) {
      const g = mw.create_group(layer);
      const own = weights.filter((w) => w.layer === layer);
      g.create_attribute('weight_names', own.map((w) => `${layer}/${w.name}:0`));
      if (own.length === 0) continue;
      const inner = g.create_group(layer);
      for (const w of own) {
        if (opts.dropDatasets?.includes(layer) === true) continue;
        inner.create_dataset({ name: `${w.name}:0`, data: w.data, shape: [...w.shape] });
      }
    }
  } finally {
    f.close();
  }
}

function layerNamesOf(config: unknown, weights: readonly FixtureWeight[]): string[] {
  const names: string[] = [];
  const body = (config as { config?: { layers?: { name?: string; config?: { name?: string } }[] } }).config;
  for (const l of body?.layers ?? []) {
    const n = l.name ?? l.config?.name;
    if (n !== undefined) names.push(n);
  }
  for (const w of weights) if (!names.includes(w.layer)) names.push(w.layer);
  return names;
}

export type TfjsQuantization = 'uint8' | 'uint16' | 'float16';

export interface TfjsOptions {
  readonly quantize?: TfjsQuantization;
  /** Split the weight bytes into this many shard files (default 1). */
  readonly shards?: number;
  /** Drop this many bytes from the end of the last shard. */
  readonly truncateBy?: number;
}

/** Affine TF.js quantization parameters and values, as tfjs-converter computes them. */
export function quantizeAffine(data: Float32Array, bits: 8 | 16): { q: Uint8Array | Uint16Array; scale: number; min: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of data) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const levels = 2 ** bits - 1;
  const scale = max > min ? (max - min) / levels : 1;
  const q = bits === 8 ? new Uint8Array(data.length) : new Uint16Array(data.length);
  data.forEach((v, i) => {
    q[i] = Math.round((v - min) / scale);
  });
  return { q, scale, min };
}

/** Number -> IEEE binary16 bits, for values exactly representable as normal halves (or zero). */
export function floatToHalf(v: number): number {
  if (v === 0) return 0;
  const sign = v < 0 ? 0x8000 : 0;
  const a = Math.abs(v);
  const e = Math.floor(Math.log2(a));
  const frac = (a / 2 ** e - 1) * 1024;
  if (!Number.isInteger(frac) || e < -14 || e > 15) throw new Error(`${v} is not an exact normal half`);
  return sign | ((e + 15) << 10) | frac;
}

/** Writes model.json + shards; returns the model.json path. */
export function writeTfjsModel(dir: string, config: unknown, weights: readonly FixtureWeight[], opts: TfjsOptions = {}): string {
  const chunks: Uint8Array[] = [];
  const specs = weights.map((w) => {
    const name = `${w.layer}/${w.name}`;
    const shape = [...w.shape];
    switch (opts.quantize) {
      case undefined:
        chunks.push(new Uint8Array(w.data.buffer.slice(w.data.byteOffset, w.data.byteOffset + w.data.byteLength)));
        return { name, shape, dtype: 'float32' };
      case 'float16': {
        const h = Uint16Array.from(w.data, floatToHalf);
        chunks.push(new Uint8Array(h.buffer));
        return { name, shape, dtype: 'float32', quantization: { dtype: 'float16' } };
      }
      case 'uint8':
      case 'uint16': {
        const { q, scale, min } = quantizeAffine(w.data, opts.quantize === 'uint8' ? 8 : 16);
        chunks.push(new Uint8Array(q.buffer));
        return { name, shape, dtype: 'float32', quantization: { dtype: opts.quantize, scale, min } };
      }
    }
  });
  const all = Buffer.concat(chunks);
  const nShards = Math.max(1, opts.shards ?? 1);
  const per = Math.ceil(all.length / nShards);
  const paths: string[] = [];
  for (let s = 0; s < nShards; s++) {
    const p = `group1-shard${s + 1}of${nShards}.bin`;
    let bytes = all.subarray(s * per, Math.min(all.length, (s + 1) * per));
    if (s === nShards - 1 && opts.truncateBy !== undefined) bytes = bytes.subarray(0, Math.max(0, bytes.length - opts.truncateBy));
    writeFileSync(join(dir, p), bytes);
    paths.push(p);
  }
  const modelJson = {
    format: 'layers-model',
    generatedBy: 'keras v2.2.4',
    convertedBy: 'TensorFlow.js Converter',
    modelTopology: { keras_version: '2.2.4', backend: 'tensorflow', model_config: config },
    weightsManifest: [{ paths, weights: specs }],
  };
  const path = join(dir, 'model.json');
  writeFileSync(path, JSON.stringify(modelJson));
  return path;
}
