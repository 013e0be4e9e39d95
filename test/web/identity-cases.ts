/**
 * The cross-platform identity cases: `.fxp` models and integer inputs, built
 * deterministically, that Node, headless Chromium and the generated C must all
 * answer with the same output integers (the same FNV-1a 64 hash, src/engine/hash.ts).
 *
 * Always: examples/fashion-small quantized two ways, and small random graphs
 * (test/engine/random-graph.ts) covering every fixed-point op, 8-bit-ish and 16-bit.
 * With ../shared: fashion_seq_large (Goyal 2021) and the LRS super-resolution model
 * (Hong 2021) on a 64x64 crop of kodak-lr/kodim05.
 *
 * Inputs are given as integers in the graph input's format (quantized here, once,
 * with the contract's rounding), so every platform starts from the same integers.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { imageCropDataset } from '../../src/data/crops.js';
import { mnistDataset } from '../../src/data/dataset.js';
import { readImage } from '../../src/data/images.js';
import { cropImage, imagesToTensor } from '../../src/data/preprocess.js';
import type { Dataset } from '../../src/data/dataset.js';
import type { FxGraph, FxTensor } from '../../src/engine/fx-graph.js';
import { createEngine, quantizeInput } from '../../src/engine/runtime.js';
import { decodeFxp, encodeFxp } from '../../src/export/fxp-container.js';
import { loadFloatModel } from '../../src/import/index.js';
import { canonicalize } from '../../src/passes/index.js';
import { calibrateOn, quantizeUniform } from '../../src/quantize/pipeline.js';
import { DEFAULT_UNIFORM, type UniformOptions } from '../../src/quantize/uniform.js';
import type { Tensor } from '../../src/tensor.js';
import { ALL_OPS, randomGraph } from '../engine/random-graph.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const SHARED = join(REPO, '../shared');
const EXAMPLE = join(REPO, 'examples/fashion-small');

export const SHARED_FILES = {
  seqLarge: join(SHARED, 'models/goyal2021/fashion_seq_large.h5'),
  fashion: join(SHARED, 'data/fashion-mnist'),
  lrs: join(SHARED, 'models/hong2021-lrs/lrs_float.onnx'),
  kodakLr: join(SHARED, 'data/kodak-lr'),
} as const;

export function hasShared(): boolean {
  return Object.values(SHARED_FILES).every((p) => existsSync(p));
}

export interface IdentityCase {
  /** Unique, file-name safe. */
  readonly name: string;
  /** The encoded model, exactly the bytes every platform loads. */
  readonly fxp: Uint8Array;
  /** One integer tensor per graph input, in that input's format. */
  readonly inputs: readonly FxTensor[];
  /** Where the case comes from, for logs. */
  readonly note: string;
}

export interface IdentityCaseOptions {
  /** Build the ../shared cases when ../shared is present (default true). */
  readonly shared?: boolean;
  /** Leave out the random graphs (default false). */
  readonly skipRandom?: boolean;
}

/** The graph's inputs as integers: float tensors quantized to the input formats. */
function integerInputs(fx: FxGraph, inputs: readonly (Tensor | FxTensor)[]): FxTensor[] {
  return inputs.map((t, i) => ('format' in t ? t : quantizeInput(t, fx.values[fx.inputs[i]!]!.format)));
}

/** Encodes `fx` and returns the case built from the decoded file, as other platforms see it. */
function makeCase(name: string, fx: FxGraph, inputs: readonly (Tensor | FxTensor)[], note: string): IdentityCase {
  const fxp = encodeFxp(fx);
  const decoded = decodeFxp(fxp, `${name}.fxp`);
  return { name, fxp, inputs: integerInputs(decoded, inputs), note };
}

async function firstBatch(data: Dataset, n: number): Promise<Tensor> {
  for await (const b of data.batches(n)) return b.input;
  throw new Error(`dataset ${data.name} is empty`);
}

async function quantizeModel(path: string, calib: Dataset, opts: UniformOptions, batchSize: number): Promise<FxGraph> {
  const g = canonicalize(await loadFloatModel(path));
  const stats = await calibrateOn(g, calib, { batchSize });
  return quantizeUniform(g, stats, opts, { source: path.slice(path.lastIndexOf('/') + 1), calibration: `${calib.name}, ${calib.length} inputs` }).fx;
}

export async function fashionSmallCases(): Promise<IdentityCase[]> {
  const calib = mnistDataset(EXAMPLE, 'train', { layout: 'NCHW', limit: 200 });
  const x = await firstBatch(mnistDataset(EXAMPLE, 'test', { layout: 'NCHW', limit: 4 }), 4);
  const model = join(EXAMPLE, 'model.onnx');
  const g = canonicalize(await loadFloatModel(model));
  const stats = await calibrateOn(g, calib);
  const meta = { source: 'examples/fashion-small/model.onnx', calibration: 'fashion-small train, 200 images' };
  const w8 = quantizeUniform(g, stats, DEFAULT_UNIFORM, meta).fx;
  const wide = quantizeUniform(g, stats, { ...DEFAULT_UNIFORM, activationBits: 16, biasBits: 32, scheme: 'range-adaptive', granularity: 'channel' }, meta).fx;
  return [
    makeCase('fashion-small-w8a8', w8, [x], 'examples/fashion-small, uniform 8-bit dynamic fixed point, 4 test images'),
    makeCase('fashion-small-ra-a16', wide, [x], 'examples/fashion-small, range-adaptive 8-bit weights per channel, 16-bit activations, 4 test images'),
  ];
}

/**
 * One random graph per op and width: the first seed of a fixed sequence whose graph
 * the engine accepts, the `.fxp` format can store (the generator also makes 32-bit
 * accumulator-format values, which `.fxp` rejects) and whose output is not constant.
 */
function randomCases(): IdentityCase[] {
  const out: IdentityCase[] = [];
  for (const wide of [false, true]) {
    for (const [k, op] of ALL_OPS.entries()) {
      for (let attempt = 0; attempt < 50; attempt++) {
        const seed = 104729 * (k + 1) + 31 * attempt + (wide ? 7 : 0);
        const c = randomGraph(seed, op, { wide });
        let made: IdentityCase;
        let outputs: FxTensor[];
        try {
          made = makeCase(`random-${op}-${wide ? 'wide' : 'narrow'}`, c.fx, c.inputs, `seed ${seed}: ${c.ops.join(' -> ')}`);
          outputs = runCaseInNode(made);
        } catch {
          continue;
        }
        // An empty or constant output would let a wrong platform agree by luck.
        const values = new Set(outputs.flatMap((t) => Array.from(t.data)));
        if (values.size < 2) continue;
        out.push(made);
        break;
      }
    }
  }
  return out;
}

export async function seqLargeCase(): Promise<IdentityCase> {
  const calib = mnistDataset(SHARED_FILES.fashion, 'train', { layout: 'NHWC', limit: 32 });
  const x = await firstBatch(mnistDataset(SHARED_FILES.fashion, 'test', { layout: 'NHWC', limit: 4 }), 4);
  const fx = await quantizeModel(SHARED_FILES.seqLarge, calib, { ...DEFAULT_UNIFORM, granularity: 'channel' }, 32);
  return makeCase('fashion_seq_large-w8a8', fx, [x], 'fashion_seq_large.h5, uniform 8-bit per channel (32 train images), 4 test images');
}

export async function lrsCase(): Promise<IdentityCase> {
  const calib = await imageCropDataset([join(SHARED_FILES.kodakLr, 'kodim01.png')], { layout: 'NCHW', color: 'rgb', size: 64 });
  const firstTwo: Dataset = {
    name: 'kodak-lr kodim01, 2 crops 64x64',
    length: 2,
    async *batches() {
      yield { input: await firstBatch(calib, 2), names: ['kodim01#0', 'kodim01#1'] };
    },
  };
  const fx = await quantizeModel(SHARED_FILES.lrs, firstTwo, { ...DEFAULT_UNIFORM, granularity: 'channel' }, 2);
  const img = await readImage(join(SHARED_FILES.kodakLr, 'kodim05.png'), 'rgb');
  const crop = cropImage(img, Math.floor((img.width - 64) / 2), Math.floor((img.height - 64) / 2), 64, 64);
  return makeCase('lrs-w8a8-kodim05-64', fx, [imagesToTensor([crop], { layout: 'NCHW' })], 'lrs_float.onnx, uniform 8-bit per channel (2 crops of kodim01), centre 64x64 crop of kodak-lr/kodim05');
}

/** Every identity case, in a fixed order. */
export async function identityCases(opts: IdentityCaseOptions = {}): Promise<IdentityCase[]> {
  const cases = [...(await fashionSmallCases()), ...(opts.skipRandom === true ? [] : randomCases())];
  if ((opts.shared ?? true) && hasShared()) cases.push(await seqLargeCase(), await lrsCase());
  return cases;
}

/** Runs a case on the Node engine from its `.fxp` bytes; returns the output tensors. */
export function runCaseInNode(c: IdentityCase): FxTensor[] {
  return createEngine(decodeFxp(c.fxp, `${c.name}.fxp`)).run(c.inputs).outputs;
}
