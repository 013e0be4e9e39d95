/**
 * The benchmark's models, each as a float graph (for float engines, exported to
 * ONNX where it has no ONNX file), a fixed-point graph built with the library
 * (canonicalize -> calibrate -> quantizeUniform) and one input.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mnistDataset } from '../src/data/dataset.js';
import { readImage } from '../src/data/images.js';
import { cropImage, imagesToTensor } from '../src/data/preprocess.js';
import type { FxGraph } from '../src/engine/fx-graph.js';
import { loadFloatModel } from '../src/import/index.js';
import { GraphBuilder, type Graph } from '../src/ir/graph.js';
import type { ConvAttrs } from '../src/ir/ops.js';
import { canonicalize } from '../src/passes/index.js';
import { calibrate } from '../src/quantize/calibrate.js';
import { calibrateOn, quantizeUniform } from '../src/quantize/pipeline.js';
import { DEFAULT_UNIFORM } from '../src/quantize/uniform.js';
import type { Tensor } from '../src/tensor.js';
import { floatGraphToOnnx } from './onnx-float.js';

export const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));
const SEQ = join(SHARED, 'models/goyal2021/fashion_seq_large.h5');
const FASHION = join(SHARED, 'data/fashion-mnist');
const LRS = join(SHARED, 'models/hong2021-lrs/lrs_float.onnx');
const KODAK_LR = join(SHARED, 'data/kodak-lr');

export interface BenchModel {
  readonly name: string;
  readonly float: Graph;
  readonly onnx: Uint8Array;
  readonly fx: FxGraph;
  readonly input: Tensor;
  /** The engine is slow enough that the JS reference kernels get fewer runs. */
  readonly heavy: boolean;
}

export function missingShared(): string | undefined {
  return [SEQ, FASHION, LRS, KODAK_LR].find((p) => !existsSync(p));
}

async function fashion(batches: readonly number[]): Promise<BenchModel[]> {
  const g = canonicalize(await loadFloatModel(SEQ));
  const stats = await calibrateOn(g, mnistDataset(FASHION, 'train', { layout: 'NHWC', limit: 200 }));
  const { fx } = quantizeUniform(g, stats, DEFAULT_UNIFORM);
  const out: BenchModel[] = [];
  for (const b of batches) {
    let input: Tensor | undefined;
    for await (const batch of mnistDataset(FASHION, 'test', { layout: 'NHWC', limit: b }).batches(b)) input = batch.input;
    out.push({ name: `fashion_seq_large b${b}`, float: g, onnx: floatGraphToOnnx(g, input!.shape), fx, input: input!, heavy: false });
  }
  return out;
}

/** LRS on kodim01 (341x512), or a `crop` x `crop` corner of it. */
async function lrs(crop: number | undefined): Promise<BenchModel> {
  const g = canonicalize(await loadFloatModel(LRS));
  const crops = await Promise.all(['kodim01.png', 'kodim02.png'].map(async (f) => cropImage(await readImage(join(KODAK_LR, f)), 200, 120, 40, 40)));
  const stats = await calibrate(g, [[imagesToTensor(crops, { layout: 'NCHW' })]]);
  const { fx } = quantizeUniform(g, stats, { ...DEFAULT_UNIFORM, scheme: 'range-adaptive' });
  const img = await readImage(join(KODAK_LR, 'kodim01.png'));
  const used = crop === undefined ? img : cropImage(img, 0, 0, crop, crop);
  const input = imagesToTensor([used], { layout: 'NCHW' });
  const name = `LRS ${input.shape[2]}x${input.shape[3]}`;
  return { name, float: g, onnx: new Uint8Array(readFileSync(LRS)), fx, input, heavy: true };
}

/** Deterministic uniform numbers in [-1, 1). */
function rand(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

/**
 * A MobileNetV2-shaped network with random weights (He-scaled so activations stay
 * in range): stem conv 3x3/2, the 17 inverted residual blocks (1x1 expand, 3x3
 * depthwise, 1x1 project, residual where shapes allow), 1x1 conv to 1280, global
 * average pool, dense 1000. ReLU6 as Clip(0, 6).
 */
export function mobileNetV2(size: number): Graph {
  const r = rand(2024);
  const b = new GraphBuilder('mobilenet_v2_random');
  const tensor = (name: string, shape: number[], fanIn: number): number => {
    const n = shape.reduce((a, d) => a * d, 1);
    const s = Math.sqrt(3 / fanIn);
    return b.addConstant(name, shape, Float32Array.from({ length: n }, () => r() * s));
  };
  const relu6 = { kind: 'Clip', min: 0, max: 6 } as const;
  const conv = (x: number, cin: number, cout: number, k: number, stride: number, group: number, act: boolean, name: string): number => {
    const attrs: ConvAttrs = {
      kernel: [k, k], strides: [stride, stride], dilations: [1, 1], pads: [(k - 1) / 2, (k - 1) / 2, (k - 1) / 2, (k - 1) / 2], autoPad: 'NOTSET', group,
      ...(act ? { activation: relu6 } : {}),
    };
    const w = tensor(`${name}_w`, [cout, cin / group, k, k], (cin / group) * k * k);
    const bias = b.addConstant(`${name}_b`, [cout], Float32Array.from({ length: cout }, () => r() * 0.1));
    return b.addNode('Conv', name, attrs, [x, w, bias]);
  };
  let x = conv(b.addInput('image', ['N', 3, size, size]), 3, 32, 3, 2, 1, true, 'stem');
  let c = 32;
  const cfg: [number, number, number, number][] = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]];
  let block = 0;
  for (const [t, cout, n, s] of cfg) {
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      const hidden = c * t;
      const name = `b${block++}`;
      let y = t === 1 ? x : conv(x, c, hidden, 1, 1, 1, true, `${name}_expand`);
      y = conv(y, hidden, hidden, 3, stride, hidden, true, `${name}_dw`);
      y = conv(y, hidden, cout, 1, 1, 1, false, `${name}_project`);
      x = stride === 1 && c === cout ? b.addNode('Add', `${name}_add`, {}, [x, y]) : y;
      c = cout;
    }
  }
  x = conv(x, c, 1280, 1, 1, 1, true, 'head');
  x = b.addNode('GlobalAveragePool', 'pool', {}, [x]);
  x = b.addNode('Flatten', 'flatten', { axis: 1 }, [x]);
  x = b.addNode('Dense', 'fc', {}, [x, tensor('fc_w', [1000, 1280], 1280), b.addConstant('fc_b', [1000], new Float32Array(1000))]);
  b.outputs = [x];
  return b.finish();
}

async function mobileNet(size: number): Promise<BenchModel> {
  const g = canonicalize(mobileNetV2(size));
  const r = rand(7);
  const image = (): Tensor => ({ shape: [1, 3, size, size], data: Float32Array.from({ length: 3 * size * size }, () => r()) });
  const stats = await calibrate(g, [[image()], [image()]]);
  const { fx } = quantizeUniform(g, stats, DEFAULT_UNIFORM);
  return { name: `MobileNetV2-shaped ${size}x${size}`, float: g, onnx: floatGraphToOnnx(g, [1, 3, size, size]), fx, input: image(), heavy: true };
}

/** quick: LRS on a 128x128 crop and MobileNetV2 at 112x112 (same models, smaller inputs). */
export async function benchModels(quick: boolean): Promise<BenchModel[]> {
  return [...(await fashion([1, 64])), await lrs(quick ? 128 : undefined), await mobileNet(quick ? 112 : 224)];
}
