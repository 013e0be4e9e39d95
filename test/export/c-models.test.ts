/**
 * Generated C on lowered models that need nothing outside the repository: the
 * bundled examples/fashion-small (8-bit dynamic, through the generated harness and
 * its hash), and a float graph built with GraphBuilder that uses most ops, lowered
 * with dynamic, per-channel range-adaptive and 16-bit formats (the int64 path).
 * Also the pixel quantization helpers against the engine's input boundary, the
 * input range check, and the error for dynamic dims.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { mnistDataset } from '../../src/data/dataset.js';
import { imagesToTensor } from '../../src/data/preprocess.js';
import { FxpError } from '../../src/errors.js';
import type { FxGraph } from '../../src/engine/fx-graph.js';
import { ioScales } from '../../src/engine/io.js';
import { quantizeInput } from '../../src/engine/runtime.js';
import { generateC, outputHash, writeCSources, type CExportResult } from '../../src/export/c/index.js';
import { loadFloatModel } from '../../src/import/index.js';
import { GraphBuilder, type Graph } from '../../src/ir/graph.js';
import { canonicalize } from '../../src/passes/index.js';
import { calibrate } from '../../src/quantize/calibrate.js';
import { calibrateOn, quantizableGraph, quantizeUniform } from '../../src/quantize/pipeline.js';
import { DEFAULT_UNIFORM, type UniformOptions } from '../../src/quantize/uniform.js';
import type { Tensor } from '../../src/tensor.js';
import {
  COMPILERS, NO_COMPILER, buildHarness, compileC, driverSource, engineRun, firstDiff, runDriver, runHarness, tempDir,
} from './c-tools.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/fashion-small/', import.meta.url));
const CCS = COMPILERS.length > 0 ? COMPILERS : ['gcc'];

/** Deterministic uniform [0, 1) (mulberry32). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function tensor(shape: number[], f: () => number): Tensor {
  return { shape, data: Float32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, f) };
}

/** A float graph over most ops: Conv+Relu, Sigmoid, ConvTranspose, Tanh, DepthToSpace, Pad, pools, LeakyRelu, Transpose, Add, Mul, Dense, Softmax. */
function mixedGraph(): Graph {
  const r = rng(11);
  const w = (n: number, s: number): Float32Array => Float32Array.from({ length: n }, () => (r() - 0.5) * s);
  const b = new GraphBuilder('mixed');
  const x = b.addInput('x', ['N', 3, 8, 8]);
  const win = { kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], autoPad: 'NOTSET' } as const;
  const pool = { strides: [2, 2], dilations: [1, 1], autoPad: 'NOTSET' } as const;
  let v = b.addNode('Conv', 'conv', { ...win, group: 1, activation: { kind: 'Relu' } }, [x, b.addConstant('w1', [8, 3, 3, 3], w(216, 1)), b.addConstant('b1', [8], w(8, 0.2))]);
  v = b.addNode('Sigmoid', 'sigmoid', {}, [v]);
  v = b.addNode(
    'ConvTranspose', 'up',
    { kernel: [2, 2], strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0], autoPad: 'NOTSET', outputPadding: [0, 0], group: 1 },
    [v, b.addConstant('w2', [8, 4, 2, 2], w(128, 1)), b.addConstant('b2', [4], w(4, 0.2))],
  );
  v = b.addNode('Tanh', 'tanh', {}, [v]);
  v = b.addNode('DepthToSpace', 'd2s', { blocksize: 2, mode: 'CRD' }, [v]);
  v = b.addNode('Pad', 'pad', { pads: [0, 0, 1, 1, 0, 0, 1, 1], mode: 'reflect', value: 0 }, [v]);
  v = b.addNode('MaxPool', 'maxpool', { ...pool, kernel: [2, 2], pads: [0, 0, 0, 0], ceilMode: false }, [v]);
  v = b.addNode('LeakyRelu', 'leaky', { alpha: 0.1 }, [v]);
  const a = b.addNode('AveragePool', 'avgpool', { ...pool, kernel: [3, 3], pads: [1, 1, 1, 1], ceilMode: true, countIncludePad: false }, [v]);
  const t = b.addNode('Transpose', 'transpose', { perm: [0, 1, 3, 2] }, [a]);
  v = b.addNode('Add', 'add', {}, [t, a]);
  v = b.addNode('Mul', 'mul', {}, [v, t]);
  v = b.addNode('GlobalAveragePool', 'gap', {}, [v]);
  v = b.addNode('Flatten', 'flatten', { axis: 1 }, [v]);
  v = b.addNode('Dense', 'fc', {}, [v, b.addConstant('w3', [5, 1], w(5, 4)), b.addConstant('b3', [5], w(5, 0.2))]);
  b.outputs = [b.addNode('Softmax', 'softmax', { axis: 1 }, [v])];
  return canonicalize(b.finish());
}

const VARIANTS: readonly (readonly [string, Partial<UniformOptions>])[] = [
  ['dyn8', {}],
  ['ra8', { scheme: 'range-adaptive', granularity: 'channel' }],
  ['dyn16', { weightBits: 16, activationBits: 16, biasBits: 32 }],
];

async function loweredCases(): Promise<{ fxs: FxGraph[]; gens: CExportResult[]; inputs: Int32Array[][]; outputs: Int32Array[][] }> {
  const g = mixedGraph();
  const r = rng(5);
  const stats = await calibrate(g, [[tensor([8, 3, 8, 8], r)]]);
  const test = tensor([2, 3, 8, 8], r);
  const fxs: FxGraph[] = [];
  const gens: CExportResult[] = [];
  const inputs: Int32Array[][] = [];
  const outputs: Int32Array[][] = [];
  for (const [name, opts] of VARIANTS) {
    const { fx } = quantizeUniform(g, stats, { ...DEFAULT_UNIFORM, ...opts });
    fxs.push(fx);
    gens.push(generateC(fx, { name: `mixed_${name}`, batch: 2 }));
    const io = engineRun(fx, [test]);
    inputs.push(io.inputs);
    outputs.push(io.outputs);
  }
  return { fxs, gens, inputs, outputs };
}

const lowered = await loweredCases();

test('lowered float graph: both weight schemes and both accumulator widths are exported', () => {
  const linear = lowered.gens.flatMap((g) => g.nodes.filter((n) => ['Conv', 'ConvTranspose', 'Dense'].includes(n.op)));
  const accs = new Set(linear.map((n) => n.acc));
  assert.ok(accs.has('int32') && accs.has('int64'), `weighted-op accumulators: ${[...accs].join(', ')}`);
  for (const out of lowered.outputs) assert.ok(new Set(out[0]).size > 2, `degenerate output ${Array.from(out[0]!).join(',')}`);
  const kernels = lowered.gens.flatMap((g) => g.nodes.flatMap((n) => n.kernels));
  for (const k of ['fx_convt_', 'fx_table_', 'fx_softmax_', 'fx_gather_', 'fx_avg_pool_', 'fx_max_pool_', 'fx_mul_', 'fx_add_', 'fx_dense_']) {
    assert.ok(kernels.some((n) => n.startsWith(k)), `no kernel ${k}*`);
  }
});

for (const cc of CCS) {
  test(`${cc}: lowered float graph (dynamic, range-adaptive, 16-bit) equals the engine`, { skip: NO_COMPILER }, async () => {
    const dir = tempDir(`c-mixed-${cc}`);
    for (const g of lowered.gens) await writeCSources(dir, g.files);
    writeFileSync(join(dir, 'driver.c'), driverSource(lowered.gens));
    const exe = compileC(cc, dir, ['driver.c', ...lowered.gens.map((g) => `${g.name}.c`)], 'driver');
    const results = runDriver(exe, lowered.gens, lowered.inputs);
    results.forEach((res, k) => {
      const name = lowered.gens[k]!.name;
      assert.equal(res.rc, 0, `${name}: rc`);
      const want = lowered.outputs[k]![0]!;
      const d = firstDiff(res.outputs[0]!, want);
      assert.equal(d, -1, `${name}: output differs at ${d}: C ${res.outputs[0]![d]}, engine ${want[d]}`);
    });
  });
}

async function fashionSmall(): Promise<{ gen: CExportResult; inputs: Int32Array[]; outputs: Int32Array[]; test: Tensor }> {
  const g = canonicalize(await loadFloatModel(join(EXAMPLE, 'model.onnx')));
  const stats = await calibrateOn(g, mnistDataset(EXAMPLE, 'train', { layout: 'NCHW', limit: 64 }));
  const { fx } = quantizeUniform(g, stats, DEFAULT_UNIFORM);
  const batches = mnistDataset(EXAMPLE, 'test', { layout: 'NCHW', limit: 4 }).batches(4);
  let test: Tensor | undefined;
  for await (const b of batches) test = b.input;
  assert.ok(test !== undefined);
  const io = engineRun(fx, [test]);
  return { gen: generateC(fx, { name: 'fashion_small', batch: 4, source: 'examples/fashion-small/model.onnx' }), ...io, test };
}

const fashion = await fashionSmall();

for (const cc of CCS) {
  test(`${cc}: examples/fashion-small through the generated harness: same bytes and hash as the engine`, { skip: NO_COMPILER }, async () => {
    const exe = await buildHarness(cc, tempDir(`c-fashion-${cc}`), fashion.gen);
    const r = runHarness(exe, fashion.inputs);
    assert.equal(r.status, 0, r.stderr);
    const got = new Int32Array(r.bytes.buffer, r.bytes.byteOffset, r.bytes.length / 4);
    const d = firstDiff(got, fashion.outputs[0]!);
    assert.equal(d, -1, `output differs at ${d}`);
    assert.equal(r.hash, outputHash(fashion.outputs));
  });
}

test('an input outside its format is refused (harness exit 3), not computed', { skip: NO_COMPILER }, async () => {
  const exe = await buildHarness(CCS[0]!, tempDir('c-range'), fashion.gen);
  const bad = Int32Array.from(fashion.inputs[0]!);
  bad[7] = fashion.gen.inputs[0]!.format.signed ? 2 ** (fashion.gen.inputs[0]!.format.wl - 1) : 2 ** fashion.gen.inputs[0]!.format.wl;
  const r = runHarness(exe, [bad]);
  assert.equal(r.status, 3, `status ${r.status}: ${r.stderr}`);
  assert.match(r.stderr, /outside its format/);
});

/**
 * The engine's integers for one interleaved 8x8 RGB image and for every byte value,
 * as a runner feeds them: pixel/255 as float32 (preprocess.ts), times the model's
 * inputScale in float32 (engine/io.ts runFloatIO), quantized (runtime.ts quantizeInput).
 */
function engineBoundary(fx: FxGraph, pixels: Uint8Array, w: number, h: number): { img: number[]; ramp: number[] } {
  const f = fx.values[fx.inputs[0]!]!.format;
  const { inputScale } = ioScales(fx);
  const boundary = (t: Tensor): number[] => {
    const scaled = inputScale === 1 ? t : { shape: t.shape, data: Float32Array.from(t.data, (v) => v * inputScale) };
    return Array.from(quantizeInput(scaled, f).data);
  };
  const ramp = Uint8Array.from({ length: 256 }, (_, i) => i);
  return {
    img: boundary(imagesToTensor([{ width: w, height: h, channels: 3, data: pixels }], { layout: 'NCHW' })),
    ramp: boundary(imagesToTensor([{ width: 256, height: 1, channels: 1, data: ramp }], { layout: 'NCHW' })),
  };
}

/** A pixel-domain model (src/passes/pixel-io.ts): Conv+Relu, Conv, with inputScale = outputScale = 255. */
async function pixelDomainFx(): Promise<FxGraph> {
  const r = rng(21);
  const b = new GraphBuilder('pixel_io');
  const x = b.addInput('x', ['N', 3, 8, 8]);
  const win = { kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], autoPad: 'NOTSET', group: 1 } as const;
  const w = (n: number): Float32Array => Float32Array.from({ length: n }, () => r() - 0.5);
  const c = b.addNode('Conv', 'c1', { ...win, activation: { kind: 'Relu' } }, [x, b.addConstant('w1', [4, 3, 3, 3], w(108))]);
  b.outputs = [b.addNode('Conv', 'c2', win, [c, b.addConstant('w2', [3, 4, 3, 3], w(108))])];
  const { graph, scales } = quantizableGraph(canonicalize(b.finish()), true);
  const calib = tensor([4, 3, 8, 8], () => Math.floor(r() * 256));
  const stats = await calibrate(graph, [[calib]]);
  return quantizeUniform(graph, stats, DEFAULT_UNIFORM, {}, scales).fx;
}

test('pixel helpers equal the engine input boundary, plain and pixel-domain models', { skip: NO_COMPILER }, async () => {
  const w = 8;
  const h = 8;
  const pixels = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 7 + (i % 3) * 85) % 256);
  const models: [string, FxGraph][] = [
    ['pix', lowered.fxs[0]!],
    ['pixio', await pixelDomainFx()],
  ];
  for (const [name, fx] of models) {
    const dir = tempDir(`c-${name}`);
    const gen = generateC(fx, { name, batch: 1 });
    await writeCSources(dir, gen.files);
    const N = name.toUpperCase();
    writeFileSync(
      join(dir, 'test.c'),
      `#include <stdio.h>
#include "${name}.h"
static uint8_t px[${pixels.length}];
static int32_t q[${N}_INPUT0_SIZE];
static int32_t all[256];
int main(void) {
  int32_t i;
  uint8_t bytes[256];
  if (fread(px, 1, sizeof px, stdin) != sizeof px) return 2;
  for (i = 0; i < 256; i++) bytes[i] = (uint8_t)i;
  ${name}_quantize_image_u8(px, q);
  ${name}_quantize_u8(bytes, all, 256);
  for (i = 0; i < ${N}_INPUT0_SIZE; i++) printf("%ld\\n", (long)q[i]);
  for (i = 0; i < 256; i++) printf("%ld\\n", (long)all[i]);
  return 0;
}
`,
    );
    const exe = compileC(CCS[0]!, dir, ['test.c', `${name}.c`], 'test');
    const lines = execFileSync(exe, [], { input: pixels }).toString().trim().split('\n').map(Number);
    const want = engineBoundary(fx, pixels, w, h);
    assert.deepEqual(lines.slice(0, want.img.length), want.img, `${name}: image`);
    assert.deepEqual(lines.slice(want.img.length), want.ramp, `${name}: byte ramp`);
  }
  // Pixel-domain models read raw pixels: the integers are the bytes themselves.
  const pixio = models[1]![1];
  assert.equal(ioScales(pixio).inputScale, 255);
  assert.deepEqual(engineBoundary(pixio, pixels, w, h).ramp, Array.from({ length: 256 }, (_, i) => i));
});

test('dynamic dims need a concrete shape: a clear FxpError, then generation at the given shape', async () => {
  const b = new GraphBuilder('dyn');
  const x = b.addInput('image', ['N', 3, 'H', 'W']);
  b.outputs = [b.addNode('Relu', 'relu', {}, [x])];
  const g = canonicalize(b.finish());
  const stats = await calibrate(g, [[tensor([1, 3, 4, 4], rng(3))]]);
  const { fx } = quantizeUniform(g, stats, DEFAULT_UNIFORM);
  assert.throws(() => generateC(fx), (e: unknown) => e instanceof FxpError && /'image' has dynamic dims \[N, 3, H, W\].*--shape/.test(e.message));
  const gen = generateC(fx, { inputShapes: [[2, 3, 5, 7]] });
  assert.deepEqual(gen.inputs[0]!.shape, [2, 3, 5, 7]);
  assert.match(gen.files.find((f) => f.name === 'dyn.h')!.text, /#define DYN_INPUT0_SIZE 210/);
  assert.throws(() => generateC(fx, { inputShapes: [[1, 4, 5, 7]] }), FxpError);
});
