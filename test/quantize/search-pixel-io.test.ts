/**
 * Search with pixel I/O (`fxp search --pixel-io`): the graph reads raw pixels and
 * writes pixels (src/passes/pixel-io.ts), its input and output stay UQ(8,0) and
 * are not searched, and the search's PSNR follows the integer engine's.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Batch, Dataset } from '../../src/data/dataset.js';
import type { Uint8Image } from '../../src/data/images.js';
import { createEngine } from '../../src/engine/runtime.js';
import { runFloatIO } from '../../src/engine/io.js';
import { createFloatExecutor } from '../../src/float/executor.js';
import { GraphBuilder, type Graph } from '../../src/ir/graph.js';
import { canonicalize } from '../../src/passes/index.js';
import { foldPixelScales, PIXEL_SCALES } from '../../src/passes/pixel-io.js';
import { calibrate } from '../../src/quantize/calibrate.js';
import { lower } from '../../src/quantize/lower.js';
import { scaleMeta } from '../../src/quantize/pipeline.js';
import { runSearch } from '../../src/quantize/search/index.js';
import { evaluateParallel } from '../../src/quantize/search/parallel-eval.js';
import { imagePsnrs } from '../../src/quantize/search/metric.js';
import type { SearchSet } from '../../src/quantize/search/set.js';
import { searchSpace } from '../../src/quantize/search/space.js';
import type { Tensor } from '../../src/tensor.js';
import { randomArray, rng } from '../util/random.js';

const CONV = { kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], autoPad: 'NOTSET', group: 1 } as const;
const N = 12;
const S = 8;

/** A two-conv image model that nearly passes its input through (so PSNR against the input is high). */
function imageNet(): Graph {
  const r = rng(3);
  const b = new GraphBuilder('img');
  const x = b.addInput('x', ['N', 3, S, S]);
  const w1 = randomArray(4 * 3 * 9, r).map((v) => 0.05 * v);
  for (let c = 0; c < 3; c++) w1[(c * 3 + c) * 9 + 4] = 1;
  let y = b.addNode('Conv', 'c1', CONV, [x, b.addConstant('w1', [4, 3, 3, 3], w1), b.addConstant('b1', [4], randomArray(4, r).map((v) => 0.01 * v))]);
  y = b.addNode('Relu', 'r1', {}, [y]);
  const w2 = randomArray(3 * 4 * 9, r).map((v) => 0.05 * v);
  for (let c = 0; c < 3; c++) w2[(c * 4 + c) * 9 + 4] = 1;
  y = b.addNode('Conv', 'c2', CONV, [y, b.addConstant('w2', [3, 4, 3, 3], w2), b.addConstant('b2', [3], randomArray(3, r).map((v) => 0.01 * v))]);
  b.outputs.push(y);
  return canonicalize(b.finish());
}

function images(): { input: Tensor; targets: Uint8Image[] } {
  const r = rng(11);
  const pixels = Array.from({ length: N * 3 * S * S }, () => Math.floor(r() * 256));
  const input: Tensor = { shape: [N, 3, S, S], data: Float32Array.from(pixels, (p) => p / 255) };
  const targets = Array.from({ length: N }, (_, i) => {
    const data = new Uint8Array(S * S * 3);
    for (let c = 0; c < 3; c++) for (let p = 0; p < S * S; p++) data[p * 3 + c] = pixels[(i * 3 + c) * S * S + p]!;
    return { width: S, height: S, channels: 3 as const, data };
  });
  return { input, targets };
}

test('a pixel-I/O search keeps 8-bit pixel input and output and its PSNR is the integer engine\'s', async () => {
  const g = foldPixelScales(imageNet());
  const { input, targets } = images();
  const stats = await calibrate(g, [[{ shape: input.shape, data: Float32Array.from(input.data, (v) => v * 255) }]]);
  const space = searchSpace(g, stats, { scales: PIXEL_SCALES });
  const out = g.outputs[0]!;
  assert.ok(![...space.activationOf.keys()].includes(out), 'the output is not searched');
  assert.deepEqual(space.fixedActivations.get(out), { signed: false, wl: 8, fl: 0 });
  assert.deepEqual(space.fixedActivations.get(g.inputs[0]!), { signed: false, wl: 8, fl: 0 });

  const set: SearchSet = { name: 'pixels', count: N, chunks: [0, 1, 2].map((k) => ({ id: k, input: { shape: [4, 3, S, S], data: input.data.subarray(k * 4 * 3 * S * S, (k + 1) * 4 * 3 * S * S) }, targets: targets.slice(4 * k, 4 * k + 4) })) };
  const r = await runSearch(g, stats, set, { strategy: 'goyal', metric: 'psnr', budget: 0.5, threads: 0, scales: PIXEL_SCALES });
  assert.deepEqual(r.assignment.activations.get(out), { signed: false, wl: 8, fl: 0 });
  assert.ok(r.config.some((f) => f.wl < 8), 'the search lowered something');

  const fx = lower(r.graph, r.assignment, { meta: scaleMeta(PIXEL_SCALES) });
  const y = runFloatIO(createEngine(fx), input);
  const fixed = imagePsnrs(y, targets);
  // The float model's PSNR minus the search's drop is the integer engine's PSNR.
  const ref = createFloatExecutor(imageNet()).run([input]).outputs[0]!;
  const mean = (a: Float64Array): number => a.reduce((s, v) => s + v, 0) / a.length;
  const floatPsnr = mean(imagePsnrs(ref, targets));
  const engine = mean(fixed);
  assert.ok(Math.abs(floatPsnr - r.searchDrop - engine) < 0.05, `float ${floatPsnr} - search drop ${r.searchDrop} vs integer engine ${engine}`);
  assert.ok(r.searchDrop <= 0.5 + 1e-9, `within the budget (${r.searchDrop})`);
  // The search command's evaluation (worker threads) applies the same I/O scales.
  const data: Dataset = {
    name: 'pixels',
    length: N,
    async *batches(): AsyncGenerator<Batch> {
      yield { input, targets, names: targets.map((_, i) => `img${i}`) };
    },
  };
  const ev = await evaluateParallel({ kind: 'fixed', fx }, data, { metric: 'psnr', batchSize: N, threads: 1 });
  assert.equal(ev.value, engine);
});
