// The bundled example (examples/fashion-small, made by scripts/train-example.py) is what
// `npm run demo` runs on a fresh clone without ../shared, so its files must exist, parse, and
// give the float accuracy recorded when it was trained. Needs nothing outside the repo.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { readIdx } from '../src/data/idx.js';

const { onnx } = onnxProto;
const dir = fileURLToPath(new URL('../examples/fashion-small/', import.meta.url));

// Recorded by scripts/train-example.py (torch, float32): correct top-1 on the first 1,000
// test images. Must match info.json and examples/fashion-small/README.md.
const EXPECTED_SUBSET_CORRECT = 933;
const EXPECTED_FULL_CORRECT = 9174;

interface Idx {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

/** Reads a gzipped IDX file of unsigned bytes with the project's reader (which checks magic and length). */
function readIdxGz(name: string): Idx {
  const { dims, data } = readIdx(dir + name);
  assert.ok(data instanceof Uint8Array, `${name}: unsigned bytes`);
  return { dims, data };
}

interface Info {
  readonly float_accuracy: {
    readonly test_10k: { readonly correct: number; readonly total: number };
    readonly test_first_1000: { readonly correct: number; readonly total: number };
  };
}

test('example data: 1,000 test images and labels in IDX format', () => {
  const images = readIdxGz('t10k-images-idx3-ubyte.gz');
  const labels = readIdxGz('t10k-labels-idx1-ubyte.gz');
  assert.deepEqual(images.dims, [1000, 28, 28]);
  assert.deepEqual(labels.dims, [1000]);
  const perClass = new Array<number>(10).fill(0);
  for (const l of labels.data) {
    assert.ok(l < 10, `label ${l} out of range`);
    perClass[l] = (perClass[l] ?? 0) + 1;
  }
  // The first 1,000 Fashion-MNIST test images cover every class (80..120 each).
  for (const n of perClass) assert.ok(n >= 80 && n <= 120, `class counts ${perClass.join(',')}`);
});

test('example data: 200 calibration images from the training split, disjoint from the test images', () => {
  const images = readIdxGz('train-images-idx3-ubyte.gz');
  const labels = readIdxGz('train-labels-idx1-ubyte.gz');
  assert.deepEqual(images.dims, [200, 28, 28]);
  assert.deepEqual(labels.dims, [200]);
  const test = readIdxGz('t10k-images-idx3-ubyte.gz');
  const key = (d: Uint8Array, i: number): string => Buffer.from(d.subarray(i * 784, (i + 1) * 784)).toString('base64');
  const testKeys = new Set<string>();
  for (let i = 0; i < 1000; i++) testKeys.add(key(test.data, i));
  for (let i = 0; i < 200; i++) assert.ok(!testKeys.has(key(images.data, i)), `calibration image ${i} is also a test image`);
});

test('example model: ONNX opset 13, input [N,1,28,28] named input, output [N,10] named probs', () => {
  const path = dir + 'model.onnx';
  assert.ok(statSync(path).size < 200_000, 'model.onnx stays under 200 KB');
  const model = onnx.ModelProto.decode(readFileSync(path));
  assert.ok(Number(model.irVersion) >= 7, `ir_version ${String(model.irVersion)}`);
  const defaultOpset = model.opsetImport.find((o) => (o.domain ?? '') === '');
  assert.equal(Number(defaultOpset?.version), 13);
  const graph = model.graph;
  assert.ok(graph, 'model has a graph');
  const nodes = graph.node ?? [];
  const outputs = graph.output ?? [];
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).filter((v) => !initializers.has(v.name));
  assert.deepEqual(inputs.map((v) => v.name), ['input']);
  assert.deepEqual(outputs.map((v) => v.name), ['probs']);
  const dims = (v: OnnxTypes.IValueInfoProto | undefined): (number | string)[] =>
    (v?.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue)));
  const [batch, ...inRest] = dims(inputs[0]);
  assert.equal(typeof batch, 'string', 'batch dimension is dynamic');
  assert.deepEqual(inRest, [1, 28, 28]);
  assert.deepEqual(dims(outputs[0]).slice(1), [10]);
  // The ops the example is meant to exercise, and nothing else.
  const ops = [...new Set(nodes.map((n) => n.opType))].sort();
  assert.deepEqual(ops, ['Add', 'Conv', 'Flatten', 'Gemm', 'GlobalAveragePool', 'MaxPool', 'Relu', 'Softmax']);
  assert.equal(nodes.at(-1)?.opType, 'Softmax');
});

test('example info.json records the accuracies in this test', () => {
  const info = JSON.parse(readFileSync(dir + 'info.json', 'utf8')) as Info;
  assert.deepEqual(info.float_accuracy.test_first_1000, { correct: EXPECTED_SUBSET_CORRECT, total: 1000 });
  assert.deepEqual(info.float_accuracy.test_10k, { correct: EXPECTED_FULL_CORRECT, total: 10000 });
});

type Ort = typeof import('onnxruntime-node');
/** onnxruntime-node is a dev dependency; a production install may lack it or its native binding. */
async function loadOrt(): Promise<Ort | undefined> {
  try {
    return await import('onnxruntime-node');
  } catch {
    return undefined;
  }
}
const ort = await loadOrt();

test('example model under onnxruntime: accuracy on the 1,000 images equals the recorded figure',
  { skip: ort && existsSync(dir + 'model.onnx') ? false : 'needs onnxruntime-node (dev dependency)' }, async () => {
  assert.ok(ort);
  const images = readIdxGz('t10k-images-idx3-ubyte.gz');
  const labels = readIdxGz('t10k-labels-idx1-ubyte.gz');
  const n = 1000;
  const input = new Float32Array(n * 784);
  for (let i = 0; i < input.length; i++) input[i] = (images.data[i] ?? 0) / 255;
  const session = await ort.InferenceSession.create(dir + 'model.onnx');
  try {
    const out = await session.run({ input: new ort.Tensor('float32', input, [n, 1, 28, 28]) });
    const probs = out['probs'];
    assert.ok(probs, 'output probs');
    assert.deepEqual(probs.dims, [n, 10]);
    const p = probs.data;
    assert.ok(p instanceof Float32Array);
    let correct = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let sum = 0;
      for (let c = 0; c < 10; c++) {
        const v = p[i * 10 + c] ?? Number.NaN;
        sum += v;
        if (v > (p[i * 10 + best] ?? Number.NaN)) best = c;
      }
      assert.ok(Math.abs(sum - 1) < 1e-4, `row ${i}: softmax sums to ${sum}`);
      if (best === labels.data[i]) correct++;
    }
    assert.ok(Math.abs(correct / n - EXPECTED_SUBSET_CORRECT / n) <= 0.001,
      `onnxruntime accuracy ${correct / n}, recorded ${EXPECTED_SUBSET_CORRECT / n}`);
  } finally {
    await session.release();
  }
});
