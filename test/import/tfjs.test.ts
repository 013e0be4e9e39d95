/**
 * TF.js layers importer: model.json + shards (float32 across several shards,
 * uint8/uint16/float16 weight quantization) and its bad-input errors.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FxpError } from '../../src/errors.js';
import { loadTfjsLayers } from '../../src/import/keras/index.js';
import { halfToFloat } from '../../src/import/keras/tfjs-decode.js';
import type { Graph } from '../../src/ir/graph.js';
import { inferShapes } from '../../src/ir/shape.js';
import { floatToHalf, quantizeAffine, sequentialConfig, tempDir, weight, writeTfjsModel, type FixtureLayer, type FixtureWeight } from '../util/keras-fixtures.js';

const layers: FixtureLayer[] = [
  { className: 'Conv2D', name: 'conv2d_1', config: { batch_input_shape: [null, 6, 6, 2], filters: 3, kernel_size: [3, 3], padding: 'valid', activation: 'relu' } },
  { className: 'BatchNormalization', name: 'bn', config: { axis: -1, epsilon: 0.001 } },
  { className: 'GlobalAveragePooling2D', name: 'gap', config: {} },
  { className: 'Dense', name: 'dense_1', config: { units: 4, activation: 'softmax' } },
];
const config = sequentialConfig(layers);

/** Weights on a 1/64 grid so that float16 holds them exactly. */
function gridWeight(layer: string, name: string, shape: readonly number[], seed: number): FixtureWeight {
  const w = weight(layer, name, shape, seed);
  return { ...w, data: w.data.map((v) => Math.round(v * 64) / 64) };
}

const weights: FixtureWeight[] = [
  gridWeight('conv2d_1', 'kernel', [3, 3, 2, 3], 1),
  gridWeight('conv2d_1', 'bias', [3], 2),
  gridWeight('bn', 'gamma', [3], 3),
  gridWeight('bn', 'beta', [3], 4),
  gridWeight('bn', 'moving_mean', [3], 5),
  { layer: 'bn', name: 'moving_variance', shape: [3], data: new Float32Array([0.5, 1, 2]) },
  gridWeight('dense_1', 'kernel', [3, 4], 6),
  gridWeight('dense_1', 'bias', [4], 7),
];

function param(g: Graph, nodeName: string, input: number): Float32Array {
  const node = g.nodes.find((n) => n.name === nodeName);
  assert.ok(node, `node ${nodeName}`);
  const data = g.values[node.inputs[input]!]!.data;
  assert.ok(data, `input ${input} of ${nodeName} is a constant`);
  return data;
}

function checkStructure(g: Graph): void {
  assert.equal(g.inputLayout, 'NHWC');
  assert.deepEqual(
    g.nodes.map((n) => n.op),
    ['Transpose', 'Conv', 'Relu', 'BatchNormalization', 'GlobalAveragePool', 'Flatten', 'Dense', 'Softmax'],
  );
  const shapes = inferShapes(g, [[1, 6, 6, 2]]);
  assert.deepEqual(shapes[g.outputs[0]!], [1, 4]);
}

describe('TF.js layers models', () => {
  it('float32 weights split over three shards', async () => {
    const dir = tempDir('fxp-tfjs-');
    const path = writeTfjsModel(dir, config, weights, { shards: 3 });
    const g = await loadTfjsLayers(path);
    checkStructure(g);
    const k = weights[0]!.data;
    const w = param(g, 'conv2d_1', 1);
    // kernel[y=2][x=1][i=1][o=0] (HWIO) -> W[0][1][2][1] (OIHW)
    assert.equal(w[((0 * 2 + 1) * 3 + 2) * 3 + 1], k[((2 * 3 + 1) * 2 + 1) * 3 + 0]);
    assert.deepEqual([...param(g, 'bn', 4)], [0.5, 1, 2]);
    const d = param(g, 'dense_1', 1);
    assert.equal(d[2 * 3 + 1], weights[6]!.data[1 * 4 + 2]);
  });

  it('uint8 and uint16 quantized weights are dequantized as q * scale + min', async () => {
    for (const bits of [8, 16] as const) {
      const dir = tempDir('fxp-tfjs-');
      const path = writeTfjsModel(dir, config, weights, { quantize: bits === 8 ? 'uint8' : 'uint16' });
      const g = await loadTfjsLayers(path);
      checkStructure(g);
      const { q, scale, min } = quantizeAffine(weights[0]!.data, bits);
      const w = param(g, 'conv2d_1', 1);
      // kernel index of W[o=2][i=0][y=1][x=1] is ((1*3+1)*2+0)*3+2
      assert.equal(w[((2 * 2 + 0) * 3 + 1) * 3 + 1], Math.fround(q[((1 * 3 + 1) * 2 + 0) * 3 + 2]! * scale + min));
      const gamma = quantizeAffine(weights[2]!.data, bits);
      assert.deepEqual([...param(g, 'bn', 1)], [...gamma.q].map((v) => Math.fround(v * gamma.scale + gamma.min)));
      // Quantization error is within half a step.
      const bias = param(g, 'dense_1', 2);
      const b = quantizeAffine(weights[7]!.data, bits);
      bias.forEach((v, i) => assert.ok(Math.abs(v - weights[7]!.data[i]!) <= b.scale / 2 + 1e-7));
    }
  });

  it('float16 weights decode exactly', async () => {
    const dir = tempDir('fxp-tfjs-');
    const path = writeTfjsModel(dir, config, weights, { quantize: 'float16' });
    const g = await loadTfjsLayers(path);
    checkStructure(g);
    assert.deepEqual([...param(g, 'conv2d_1', 2)], [...weights[1]!.data]);
    assert.deepEqual([...param(g, 'bn', 4)], [0.5, 1, 2]);
    for (const v of [0, 1, -2.5, 65504, 2 ** -14, -(2 ** -10)]) assert.equal(halfToFloat(floatToHalf(v)), v);
    assert.equal(halfToFloat(0x0001), 2 ** -24, 'subnormal');
    assert.equal(halfToFloat(0x7c00), Infinity);
    assert.ok(Number.isNaN(halfToFloat(0x7e00)));
  });

  it('reads models saved by tfjs-layers (modelTopology is the config itself)', async () => {
    const dir = tempDir('fxp-tfjs-');
    const path = writeTfjsModel(dir, config, weights);
    writeFileSync(
      path,
      JSON.stringify({
        modelTopology: { ...config, keras_version: 'tfjs-layers 4.0.0', backend: 'tensor_flow.js' },
        weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: weights.map((w) => ({ name: `${w.layer}/${w.name}`, shape: w.shape, dtype: 'float32' })) }],
      }),
    );
    checkStructure(await loadTfjsLayers(path));
  });
});

function check(err: unknown, message: RegExp, ctx: { file?: string; node?: string; op?: string }): true {
  assert.ok(err instanceof FxpError, `expected FxpError, got ${String(err)}`);
  assert.match(err.message, message);
  if (ctx.file !== undefined) assert.equal(err.file, ctx.file);
  if (ctx.node !== undefined) assert.equal(err.node, ctx.node);
  if (ctx.op !== undefined) assert.equal(err.op, ctx.op);
  return true;
}

describe('TF.js bad inputs', () => {
  it('a corrupt or missing model.json', async () => {
    const dir = tempDir('fxp-tfjs-');
    const path = join(dir, 'model.json');
    writeFileSync(path, '{"modelTopology": {');
    await assert.rejects(loadTfjsLayers(path), (e) => check(e, /model.json is not valid JSON/, { file: path }));
    writeFileSync(path, JSON.stringify({ weightsManifest: [] }));
    await assert.rejects(loadTfjsLayers(path), (e) => check(e, /no modelTopology/, { file: path }));
    writeFileSync(path, JSON.stringify({ format: 'graph-model', modelTopology: { node: [] } }));
    await assert.rejects(loadTfjsLayers(path), (e) => check(e, /format "graph-model" is not supported/, { file: path }));
    const missing = join(dir, 'nope.json');
    await assert.rejects(loadTfjsLayers(missing), (e) => check(e, /no such file/, { file: missing }));
  });

  it('a missing shard names the shard', async () => {
    const dir = tempDir('fxp-tfjs-');
    const path = writeTfjsModel(dir, config, weights, { shards: 2 });
    const shard = join(dir, 'group1-shard2of2.bin');
    const { rmSync } = await import('node:fs');
    rmSync(shard);
    await assert.rejects(loadTfjsLayers(path), (e) => check(e, /missing weight shard 'group1-shard2of2.bin'/, { file: shard }));
  });

  it('a shard too short names the shard and the layer whose weight does not fit', async () => {
    const dir = tempDir('fxp-tfjs-');
    const path = writeTfjsModel(dir, config, weights, { truncateBy: 8 });
    await assert.rejects(
      loadTfjsLayers(path),
      (e) => check(e, /weight shards too short: weight 'dense_1\/bias' needs bytes/, { file: join(dir, 'group1-shard1of1.bin'), node: 'dense_1', op: 'Dense' }),
    );
  });

  it('bad manifest entries: shard paths leaving the directory, absurd shapes, unknown quantization', async () => {
    const dir = tempDir('fxp-tfjs-');
    const path = join(dir, 'model.json');
    const write = (manifest: unknown): void => writeFileSync(path, JSON.stringify({ format: 'layers-model', modelTopology: { model_config: config }, weightsManifest: manifest }));
    write([{ paths: ['../../etc/passwd'], weights: [] }]);
    await assert.rejects(loadTfjsLayers(path), (e) => check(e, /leaves the model's directory/, { file: path }));
    write([{ paths: ['a.bin'], weights: [{ name: 'dense_1/kernel', shape: [100000, 100000], dtype: 'float32' }] }]);
    await assert.rejects(loadTfjsLayers(path), (e) => check(e, /over the limit/, { file: path, node: 'dense_1', op: 'Dense' }));
    write([{ paths: ['a.bin'], weights: [{ name: 'bn/gamma', shape: [3], dtype: 'float32', quantization: { dtype: 'int4' } }] }]);
    await assert.rejects(loadTfjsLayers(path), (e) => check(e, /unsupported quantization/, { file: path, node: 'bn', op: 'BatchNormalization' }));
    write([{ paths: ['a.bin'], weights: [{ name: 'bn/gamma', shape: [3], dtype: 'string' }] }]);
    await assert.rejects(loadTfjsLayers(path), (e) => check(e, /unsupported dtype "string"/, { file: path, node: 'bn' }));
    write({ not: 'a list' });
    await assert.rejects(loadTfjsLayers(path), (e) => check(e, /weightsManifest must be a list/, { file: path }));
  });

  it('weights present but of the wrong shape for the config', async () => {
    const dir = tempDir('fxp-tfjs-');
    const bad = weights.map((w) => (w.layer === 'dense_1' && w.name === 'kernel' ? { ...w, shape: [4, 3] } : w));
    const path = writeTfjsModel(dir, config, bad);
    await assert.rejects(loadTfjsLayers(path), (e) => check(e, /weight 'kernel' has shape \[4, 3\], expected \[3, 4\]/, { file: path, node: 'dense_1', op: 'Dense' }));
  });
});
