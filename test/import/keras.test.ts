/**
 * Keras importer: structure and weight layouts of graphs imported from synthetic
 * HDF5 files and configs (Sequential, functional with branches, every layer kind).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { importKerasConfig, loadKerasH5, type KerasWeights } from '../../src/import/keras/index.js';
import type { Graph } from '../../src/ir/graph.js';
import type { Node } from '../../src/ir/ops.js';
import { inferShapes } from '../../src/ir/shape.js';
import { verifyGraph } from '../../src/ir/verify.js';
import type { Tensor } from '../../src/tensor.js';
import { functionalConfig, sequentialConfig, tempDir, weight, writeKerasH5, type FixtureLayer, type FixtureWeight } from '../util/keras-fixtures.js';

function toWeights(ws: readonly FixtureWeight[]): KerasWeights {
  const m = new Map<string, Map<string, Tensor>>();
  for (const w of ws) {
    const layer = m.get(w.layer) ?? new Map<string, Tensor>();
    layer.set(w.name, { shape: w.shape, data: w.data });
    m.set(w.layer, layer);
  }
  return m;
}

function nodeNamed(g: Graph, name: string): Node {
  const n = g.nodes.find((x) => x.name === name);
  assert.ok(n, `node '${name}' exists (have: ${g.nodes.map((x) => x.name).join(', ')})`);
  return n;
}

function producerOf(g: Graph, valueId: number): Node {
  const n = g.nodes.find((x) => x.outputs[0] === valueId);
  assert.ok(n, `value ${valueId} has a producer`);
  return n;
}

function constOf(g: Graph, node: Node, input: number): { shape: readonly (number | string)[]; data: Float32Array } {
  const v = g.values[node.inputs[input]!]!;
  assert.ok(v.data, `input ${input} of ${node.name} is a constant`);
  return { shape: v.shape, data: v.data };
}

/** Shapes of the graph's outputs for a batch-1 input of the given Keras shape. */
function outputShapes(g: Graph, inputShape: readonly number[]): number[][] {
  verifyGraph(g, [inputShape]);
  const shapes = inferShapes(g, [inputShape]);
  return g.outputs.map((id) => shapes[id]!);
}

const input = (name: string, shape: readonly (number | null)[]): FixtureLayer => ({
  className: 'InputLayer',
  name,
  config: { batch_input_shape: shape, dtype: 'float32', sparse: false },
});

describe('Keras HDF5: Sequential model', () => {
  const layers: FixtureLayer[] = [
    { className: 'Conv2D', name: 'conv2d_1', config: { batch_input_shape: [null, 5, 6, 3], filters: 2, kernel_size: [3, 3], strides: [1, 1], padding: 'same', data_format: 'channels_last', dilation_rate: [1, 1], activation: 'relu', use_bias: true } },
    { className: 'BatchNormalization', name: 'bn_1', config: { axis: -1, epsilon: 0.001, center: true, scale: true } },
    { className: 'MaxPooling2D', name: 'pool_1', config: { pool_size: [2, 2], strides: [2, 2], padding: 'same', data_format: 'channels_last' } },
    { className: 'Dropout', name: 'dropout_1', config: { rate: 0.25 } },
    { className: 'Flatten', name: 'flatten_1', config: { data_format: 'channels_last' } },
    { className: 'Dense', name: 'dense_1', config: { units: 4, activation: 'softmax', use_bias: true } },
  ];
  const weights = [
    weight('conv2d_1', 'kernel', [3, 3, 3, 2], 1),
    weight('conv2d_1', 'bias', [2], 2),
    weight('bn_1', 'gamma', [2], 3),
    weight('bn_1', 'beta', [2], 4),
    weight('bn_1', 'moving_mean', [2], 5),
    { ...weight('bn_1', 'moving_variance', [2], 6), data: new Float32Array([0.5, 2]) },
    weight('dense_1', 'kernel', [3 * 3 * 2, 4], 7),
    weight('dense_1', 'bias', [4], 8),
  ];

  it('imports with NHWC input, NCHW body and Keras weight layouts', async () => {
    const path = join(tempDir(), 'seq.h5');
    await writeKerasH5(path, sequentialConfig(layers), weights);
    const g = await loadKerasH5(path);
    assert.equal(g.inputLayout, 'NHWC');
    assert.equal(g.inputs.length, 1);
    assert.deepEqual(g.values[g.inputs[0]!]!.shape, ['N', 5, 6, 3]);
    assert.equal(g.values[g.inputs[0]!]!.name, 'conv2d_1_input');
    assert.deepEqual(
      g.nodes.map((n) => n.op),
      ['Transpose', 'Conv', 'Relu', 'BatchNormalization', 'MaxPool', 'Transpose', 'Flatten', 'Dense', 'Softmax'],
    );
    const first = g.nodes[0]!;
    assert.ok(first.op === 'Transpose' && first.inputs[0] === g.inputs[0]);
    assert.deepEqual(first.op === 'Transpose' && first.attrs.perm, [0, 3, 1, 2]);

    const conv = nodeNamed(g, 'conv2d_1');
    assert.ok(conv.op === 'Conv');
    assert.equal(conv.attrs.autoPad, 'SAME_UPPER');
    assert.equal(conv.attrs.group, 1);
    const w = constOf(g, conv, 1);
    assert.deepEqual(w.shape, [2, 3, 3, 3]);
    // Keras kernel[y=1][x=2][i=0][o=1] (HWIO) must land at W[o=1][i=0][y=1][x=2] (OIHW).
    const k = weights[0]!.data;
    assert.equal(w.data[((1 * 3 + 0) * 3 + 1) * 3 + 2], k[((1 * 3 + 2) * 3 + 0) * 2 + 1]);
    assert.equal(w.data[((0 * 3 + 2) * 3 + 0) * 3 + 1], k[((0 * 3 + 1) * 3 + 2) * 2 + 0]);
    assert.deepEqual(constOf(g, conv, 2).data, weights[1]!.data);

    const bn = nodeNamed(g, 'bn_1');
    assert.ok(bn.op === 'BatchNormalization');
    assert.equal(bn.attrs.epsilon, 0.001);
    assert.deepEqual([...constOf(g, bn, 4).data], [0.5, 2]);
    assert.deepEqual(constOf(g, bn, 1).data, weights[2]!.data);

    const pool = nodeNamed(g, 'pool_1');
    assert.ok(pool.op === 'MaxPool' && pool.attrs.autoPad === 'SAME_UPPER');

    // Flatten must see H, W, C order: a Transpose NCHW -> NHWC right before it.
    const flat = nodeNamed(g, 'flatten_1');
    const before = producerOf(g, flat.inputs[0]!);
    assert.ok(before.op === 'Transpose');
    assert.deepEqual(before.attrs.perm, [0, 2, 3, 1]);

    const dense = nodeNamed(g, 'dense_1');
    const dw = constOf(g, dense, 1);
    assert.deepEqual(dw.shape, [4, 18]);
    // Keras kernel [K=18, M=4]: kernel[i=7][o=3] -> W[o=3][i=7].
    assert.equal(dw.data[3 * 18 + 7], weights[6]!.data[7 * 4 + 3]);
    const softmax = g.nodes[g.nodes.length - 1]!;
    assert.ok(softmax.op === 'Softmax' && softmax.attrs.axis === 1);
    assert.deepEqual(outputShapes(g, [1, 5, 6, 3]), [[1, 4]]);
  });

  it('takes the input shape from an explicit InputLayer and handles use_bias false', () => {
    const cfg = sequentialConfig([
      input('in', [null, 4, 4, 2]),
      { className: 'Conv2D', name: 'c', config: { filters: 3, kernel_size: 1, padding: 'valid', use_bias: false, activation: 'linear' } },
    ]);
    const g = importKerasConfig(cfg, toWeights([weight('c', 'kernel', [1, 1, 2, 3], 1)]), 'mem.h5');
    const conv = nodeNamed(g, 'c');
    assert.equal(conv.inputs.length, 2);
    // A rank-4 output goes back to Keras's NHWC.
    const last = g.nodes[g.nodes.length - 1]!;
    assert.ok(last.op === 'Transpose');
    assert.deepEqual(last.attrs.perm, [0, 2, 3, 1]);
    assert.deepEqual(outputShapes(g, [1, 4, 4, 2]), [[1, 4, 4, 3]]);
  });

  it('reads the Keras 1-style Sequential config (a bare layer list)', () => {
    const cfg = { class_name: 'Sequential', config: [{ class_name: 'Dense', config: { name: 'd', units: 2, batch_input_shape: [null, 3] } }] };
    const g = importKerasConfig(cfg, toWeights([weight('d', 'kernel', [3, 2], 1), weight('d', 'bias', [2], 2)]), 'old.h5');
    assert.deepEqual(outputShapes(g, [1, 3]), [[1, 2]]);
  });
});

describe('Keras HDF5: functional model with branches', () => {
  const layers: FixtureLayer[] = [
    input('input_1', [null, 8, 8, 2]),
    { className: 'Conv2D', name: 'a', inbound: ['input_1'], config: { filters: 4, kernel_size: [1, 1], padding: 'valid', activation: 'linear' } },
    { className: 'Conv2D', name: 'b', inbound: ['input_1'], config: { filters: 4, kernel_size: [3, 3], padding: 'same', activation: 'relu' } },
    { className: 'Add', name: 'add_1', inbound: ['a', 'b'] },
    { className: 'Concatenate', name: 'cat_1', inbound: ['add_1', 'input_1'], config: { axis: -1 } },
    { className: 'Multiply', name: 'mul_1', inbound: ['cat_1', 'cat_1'] },
    { className: 'GlobalAveragePooling2D', name: 'gap', inbound: ['mul_1'], config: { data_format: 'channels_last' } },
    { className: 'Dense', name: 'out', inbound: ['gap'], config: { units: 3, activation: 'sigmoid' } },
  ];
  const weights = [
    weight('a', 'kernel', [1, 1, 2, 4], 1),
    weight('a', 'bias', [4], 2),
    weight('b', 'kernel', [3, 3, 2, 4], 3),
    weight('b', 'bias', [4], 4),
    weight('out', 'kernel', [6, 3], 5),
    weight('out', 'bias', [3], 6),
  ];

  it('wires Add, Concatenate (axis -1 -> 1) and Multiply to the right branches', async () => {
    const path = join(tempDir(), 'func.h5');
    await writeKerasH5(path, functionalConfig(layers, ['input_1'], ['out']), weights);
    const g = await loadKerasH5(path);
    const add = nodeNamed(g, 'add_1');
    assert.ok(add.op === 'Add');
    assert.equal(producerOf(g, add.inputs[0]!).name, 'a');
    assert.equal(producerOf(g, add.inputs[1]!).name, 'b/relu');
    const cat = nodeNamed(g, 'cat_1');
    assert.ok(cat.op === 'Concat' && cat.attrs.axis === 1);
    assert.equal(cat.inputs[0], add.outputs[0]);
    // The second Concat input is the NCHW form of the graph input.
    const t = producerOf(g, cat.inputs[1]!);
    assert.ok(t.op === 'Transpose' && t.inputs[0] === g.inputs[0]);
    const mul = nodeNamed(g, 'mul_1');
    assert.deepEqual(mul.inputs, [cat.outputs[0], cat.outputs[0]]);
    assert.deepEqual(
      g.nodes.slice(-4).map((n) => n.op),
      ['GlobalAveragePool', 'Flatten', 'Dense', 'Sigmoid'],
    );
    assert.deepEqual(outputShapes(g, [1, 8, 8, 2]), [[1, 3]]);
  });

  it('imports the Keras 3 inbound-node form', () => {
    const k3 = (name: string): unknown => ({ class_name: '__keras_tensor__', config: { shape: [null, 4], dtype: 'float32', keras_history: [name, 0, 0] } });
    const cfg = {
      class_name: 'Functional',
      config: {
        name: 'k3',
        layers: [
          { name: 'inp', class_name: 'InputLayer', config: { batch_shape: [null, 4], name: 'inp' }, inbound_nodes: [] },
          { name: 'd1', class_name: 'Dense', config: { name: 'd1', units: 4 }, inbound_nodes: [{ args: [k3('inp')], kwargs: {} }] },
          { name: 'sum', class_name: 'Add', config: { name: 'sum' }, inbound_nodes: [{ args: [[k3('d1'), k3('inp')]], kwargs: {} }] },
        ],
        input_layers: ['inp', 0, 0],
        output_layers: ['sum', 0, 0],
      },
    };
    const g = importKerasConfig(cfg, toWeights([weight('d1', 'kernel', [4, 4], 1), weight('d1', 'bias', [4], 2)]), 'k3.h5');
    const add = nodeNamed(g, 'sum');
    assert.equal(producerOf(g, add.inputs[0]!).name, 'd1');
    assert.equal(add.inputs[1], g.inputs[0]);
  });

  it('converts a shared layer once per application', () => {
    const cfg = {
      class_name: 'Model',
      config: {
        name: 'shared',
        layers: [
          { name: 'x', class_name: 'InputLayer', config: { batch_input_shape: [null, 3] }, inbound_nodes: [] },
          { name: 'd', class_name: 'Dense', config: { units: 3 }, inbound_nodes: [[['x', 0, 0, {}]], [['d', 0, 0, {}]]] },
        ],
        input_layers: [['x', 0, 0]],
        output_layers: [['d', 1, 0]],
      },
    };
    const g = importKerasConfig(cfg, toWeights([weight('d', 'kernel', [3, 3], 1), weight('d', 'bias', [3], 2)]), 'shared.h5');
    assert.deepEqual(g.nodes.map((n) => n.name), ['d', 'd_1']);
    assert.equal(g.nodes[1]!.inputs[0], g.nodes[0]!.outputs[0]);
  });
});

/** A one-layer model on a [null, ...shape] input, imported from a config. */
function oneLayer(layer: FixtureLayer, shape: readonly (number | null)[], weights: readonly FixtureWeight[] = []): Graph {
  return importKerasConfig(sequentialConfig([input('in', [null, ...shape]), layer]), toWeights(weights), 'one.h5');
}

describe('Keras layers', () => {
  it('DepthwiseConv2D: group C, W [C*mult, 1, kh, kw] with output channel c*mult + m', () => {
    const k = weight('dw', 'depthwise_kernel', [3, 3, 2, 3], 1);
    const g = oneLayer(
      { className: 'DepthwiseConv2D', name: 'dw', config: { kernel_size: [3, 3], depth_multiplier: 3, strides: [2, 2], padding: 'same', use_bias: true } },
      [7, 7, 2],
      [k, weight('dw', 'bias', [6], 2)],
    );
    const conv = nodeNamed(g, 'dw');
    assert.ok(conv.op === 'Conv' && conv.attrs.group === 2);
    const w = constOf(g, conv, 1);
    assert.deepEqual(w.shape, [6, 1, 3, 3]);
    // kernel[y=2][x=0][c=1][m=2] -> W[1*3+2][0][2][0]
    assert.equal(w.data[(5 * 3 + 2) * 3 + 0], k.data[((2 * 3 + 0) * 2 + 1) * 3 + 2]);
    assert.deepEqual(outputShapes(g, [1, 7, 7, 2]), [[1, 4, 4, 6]]);
  });

  it('SeparableConv2D: depthwise then a 1x1 pointwise conv carrying the bias', () => {
    const pw = weight('sep', 'pointwise_kernel', [1, 1, 4, 5], 2);
    const g = oneLayer(
      { className: 'SeparableConv2D', name: 'sep', config: { filters: 5, kernel_size: 3, depth_multiplier: 2, padding: 'valid', activation: 'relu6' } },
      [6, 6, 2],
      [weight('sep', 'depthwise_kernel', [3, 3, 2, 2], 1), pw, weight('sep', 'bias', [5], 3)],
    );
    assert.deepEqual(g.nodes.map((n) => n.op), ['Transpose', 'Conv', 'Conv', 'Clip', 'Transpose']);
    const dw = nodeNamed(g, 'sep/depthwise');
    assert.ok(dw.op === 'Conv' && dw.attrs.group === 2 && dw.inputs.length === 2);
    const p = nodeNamed(g, 'sep');
    const w = constOf(g, p, 1);
    assert.deepEqual(w.shape, [5, 4, 1, 1]);
    assert.equal(w.data[3 * 4 + 1], pw.data[1 * 5 + 3]);
    assert.equal(p.inputs.length, 3);
    const clip = g.nodes[3]!;
    assert.ok(clip.op === 'Clip' && clip.attrs.min === 0 && clip.attrs.max === 6);
    assert.deepEqual(outputShapes(g, [1, 6, 6, 2]), [[1, 4, 4, 5]]);
  });

  it('Conv2DTranspose: output sizes follow Keras for same/valid, k >= s and k < s', () => {
    const cases: [string, number, number, number | null, number][] = [
      // padding, kernel, stride, output_padding, Keras output size for input 5
      ['same', 3, 2, null, 10],
      ['valid', 3, 2, null, 11],
      ['same', 1, 2, null, 10],
      ['valid', 1, 2, null, 10],
      ['same', 4, 2, null, 10],
      ['valid', 4, 1, null, 8],
      // with output_padding: (in - 1) * s + k - 2 * pad + op, pad = floor(k / 2) for same, 0 for valid
      ['valid', 3, 2, 1, 12],
      ['same', 3, 2, 1, 10],
      ['same', 4, 2, 1, 9],
      ['same', 1, 3, 2, 15],
    ];
    for (const [padding, kk, s, op, want] of cases) {
      const k = weight('up', 'kernel', [kk, kk, 3, 2], 1);
      const config = { filters: 3, kernel_size: kk, strides: s, padding, output_padding: op, use_bias: false };
      const g = oneLayer({ className: 'Conv2DTranspose', name: 'up', config }, [5, 5, 2], [k]);
      assert.deepEqual(outputShapes(g, [1, 5, 5, 2]), [[1, want, want, 3]], `${padding} k${kk} s${s} op${op}`);
      const ct = nodeNamed(g, 'up');
      const w = constOf(g, ct, 1);
      assert.deepEqual(w.shape, [2, 3, kk, kk]);
      // kernel[y][x][f][c] -> W[c][f][y][x] (no flip)
      assert.equal(w.data[((1 * 3 + 2) * kk + (kk - 1)) * kk + 0], k.data[(((kk - 1) * kk + 0) * 3 + 2) * 2 + 1]);
    }
  });

  it('ReLU, LeakyReLU, Activation and Softmax layers', () => {
    const act = (className: string, config: Record<string, unknown>): readonly Node[] =>
      oneLayer({ className, name: 'act', config }, [4]).nodes;
    assert.deepEqual(act('ReLU', {}).map((n) => n.op), ['Relu']);
    const clip = act('ReLU', { max_value: 6, negative_slope: 0, threshold: 0 })[0]!;
    assert.ok(clip.op === 'Clip' && clip.attrs.min === 0 && clip.attrs.max === 6);
    const leakyClip = act('ReLU', { max_value: 3, negative_slope: 0.1 });
    assert.deepEqual(leakyClip.map((n) => n.op), ['LeakyRelu', 'Clip']);
    const lr = act('LeakyReLU', { alpha: 0.2 })[0]!;
    assert.ok(lr.op === 'LeakyRelu' && lr.attrs.alpha === 0.2);
    const lr3 = act('LeakyReLU', { negative_slope: 0.05 })[0]!;
    assert.ok(lr3.op === 'LeakyRelu' && lr3.attrs.alpha === 0.05);
    assert.deepEqual(act('Activation', { activation: 'tanh' }).map((n) => n.op), ['Tanh']);
    assert.deepEqual(act('Activation', { activation: 'linear' }).map((n) => n.op), ['Identity']);
    // On a 4-D tensor, softmax over Keras's last axis is IR axis 1 (channels).
    const sm4 = oneLayer({ className: 'Softmax', name: 'sm', config: { axis: -1 } }, [2, 2, 5]).nodes[1]!;
    assert.ok(sm4.op === 'Softmax' && sm4.attrs.axis === 1);
    const sm4h = oneLayer({ className: 'Activation', name: 'sm', config: { activation: 'softmax' } }, [2, 2, 5]).nodes[1]!;
    assert.ok(sm4h.op === 'Softmax' && sm4h.attrs.axis === 1);
  });

  it('Dense on a 4-D input works on channels: NHWC, Dense, back to NCHW', () => {
    const g = oneLayer({ className: 'Dense', name: 'd', config: { units: 7 } }, [3, 4, 5], [weight('d', 'kernel', [5, 7], 1), weight('d', 'bias', [7], 2)]);
    assert.deepEqual(g.nodes.map((n) => n.op), ['Transpose', 'Transpose', 'Dense', 'Transpose', 'Transpose']);
    assert.deepEqual(outputShapes(g, [1, 3, 4, 5]), [[1, 3, 4, 7]]);
  });

  it('Reshape uses Keras element order', () => {
    const g = oneLayer({ className: 'Reshape', name: 'r', config: { target_shape: [-1, 2, 3] } }, [4, 3, 2]);
    assert.deepEqual(g.nodes.map((n) => n.op), ['Transpose', 'Transpose', 'Reshape', 'Transpose', 'Transpose']);
    const r = nodeNamed(g, 'r');
    assert.ok(r.op === 'Reshape');
    assert.deepEqual(r.attrs.shape, [0, -1, 2, 3]);
    assert.deepEqual(outputShapes(g, [1, 4, 3, 2]), [[1, 4, 2, 3]]);
    const flat = oneLayer({ className: 'Reshape', name: 'r', config: { target_shape: [6, 4] } }, [4, 3, 2]);
    assert.deepEqual(outputShapes(flat, [1, 4, 3, 2]), [[1, 6, 4]]);
    const up = oneLayer({ className: 'Reshape', name: 'r', config: { target_shape: [2, 2, 3] } }, [12]);
    assert.deepEqual(up.nodes.map((n) => n.op), ['Reshape', 'Transpose', 'Transpose']);
    assert.deepEqual(outputShapes(up, [1, 12]), [[1, 2, 2, 3]]);
  });

  it('ZeroPadding2D, UpSampling2D, AveragePooling2D, GlobalMaxPooling2D', () => {
    const pad = oneLayer({ className: 'ZeroPadding2D', name: 'p', config: { padding: [[1, 2], [3, 4]] } }, [5, 5, 2]);
    const p = nodeNamed(pad, 'p');
    assert.ok(p.op === 'Pad');
    assert.deepEqual(p.attrs.pads, [0, 0, 1, 3, 0, 0, 2, 4]);
    assert.deepEqual(outputShapes(pad, [1, 5, 5, 2]), [[1, 8, 12, 2]]);
    const up = nodeNamed(oneLayer({ className: 'UpSampling2D', name: 'u', config: { size: [2, 3] } }, [2, 2, 1]), 'u');
    assert.ok(up.op === 'Resize');
    assert.deepEqual(up.attrs.scales, [1, 1, 2, 3]);
    assert.equal(up.attrs.coordinateMode, 'asymmetric');
    assert.equal(up.attrs.nearestMode, 'floor');
    const avg = nodeNamed(oneLayer({ className: 'AveragePooling2D', name: 'a', config: { pool_size: 3, strides: 2, padding: 'same' } }, [5, 5, 1]), 'a');
    assert.ok(avg.op === 'AveragePool' && avg.attrs.countIncludePad === false && avg.attrs.autoPad === 'SAME_UPPER');
    const gmp = oneLayer({ className: 'GlobalMaxPooling2D', name: 'g', config: {} }, [5, 5, 3]);
    assert.deepEqual(outputShapes(gmp, [1, 5, 5, 3]), [[1, 3]]);
    const keep = oneLayer({ className: 'GlobalMaxPooling2D', name: 'g', config: { keepdims: true } }, [5, 5, 3]);
    assert.deepEqual(outputShapes(keep, [1, 5, 5, 3]), [[1, 1, 1, 3]]);
  });

  it('keeps unknown spatial dims symbolic', () => {
    const g = oneLayer(
      { className: 'Conv2D', name: 'c', config: { filters: 2, kernel_size: 3, padding: 'same' } },
      [null, null, 1],
      [weight('c', 'kernel', [3, 3, 1, 2], 1), weight('c', 'bias', [2], 2)],
    );
    assert.deepEqual(g.values[g.inputs[0]!]!.shape, ['N', 'H', 'W', 1]);
    assert.deepEqual(outputShapes(g, [1, 9, 7, 1]), [[1, 9, 7, 2]]);
  });
});
