/**
 * ONNX importer: what each ONNX construct becomes in the IR (ops, attributes,
 * folded constants, canonical axes, shapes), and the real LRS model.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Graph } from '../../src/ir/graph.js';
import type { Node, OpType } from '../../src/ir/ops.js';
import { verifyGraph } from '../../src/ir/verify.js';
import { importOnnx, loadOnnx } from '../../src/import/onnx/index.js';
import { buildOnnx, f, tensorAttr, type ModelSpec, type NodeSpec, type TensorSpec, type ValueSpec } from '../util/onnx-builder.js';

function model(nodes: readonly NodeSpec[], inputs: readonly ValueSpec[], initializers: readonly TensorSpec[] = [], opset = 13, outputs = ['y']): ModelSpec {
  return { opset, inputs, outputs: outputs.map((name) => ({ name })), nodes, initializers };
}
function imp(spec: ModelSpec): Graph {
  const g = importOnnx(buildOnnx(spec), 'test.onnx');
  verifyGraph(g);
  return g;
}
function only<K extends OpType>(g: Graph, op: K): Extract<Node, { op: K }> {
  const found = g.nodes.filter((n): n is Extract<Node, { op: K }> => n.op === op);
  assert.equal(found.length, 1, `one ${op} node`);
  return found[0]!;
}
function constant(g: Graph, id: number | undefined): number[] {
  const v = g.values[id ?? -1];
  assert.ok(v?.data !== undefined, 'value is a constant');
  return Array.from(v.data);
}
const x4 = (dims: (number | string | null)[] = [1, 3, 8, 8]): ValueSpec => ({ name: 'x', dims });

describe('ONNX import: ops and attributes', () => {
  test('Conv keeps ONNX weight layout and attributes; graph shapes are filled when static', () => {
    const g = imp(model([{ op: 'Conv', inputs: ['x', 'W', 'B'], outputs: ['y'], attrs: { strides: [2, 1], pads: [1, 0, 2, 1], group: 1 } }], [x4()], [
      { name: 'W', dims: [4, 3, 3, 2], data: new Array(72).fill(0.5) },
      { name: 'B', dims: [4], data: [1, 2, 3, 4] },
    ]));
    const conv = only(g, 'Conv');
    assert.deepEqual(conv.attrs, { kernel: [3, 2], strides: [2, 1], dilations: [1, 1], pads: [1, 0, 2, 1], autoPad: 'NOTSET', group: 1 });
    assert.deepEqual(g.values[conv.inputs[1]!]!.shape, [4, 3, 3, 2]);
    assert.deepEqual(constant(g, conv.inputs[2]), [1, 2, 3, 4]);
    assert.deepEqual(g.values[g.outputs[0]!]!.shape, [1, 4, 5, 8]);
  });

  test('symbolic dims become strings, unknown dims "?", batch-dependent output dims the batch name', () => {
    const g = imp(model([{ op: 'Relu', inputs: ['x'], outputs: ['r'] }, { op: 'Flatten', inputs: ['r'], outputs: ['y'] }], [x4(['N', 3, 'H', null])]));
    assert.deepEqual(g.values[g.inputs[0]!]!.shape, ['N', 3, 'H', '?']);
    const g2 = imp(model([{ op: 'Flatten', inputs: ['x'], outputs: ['y'] }], [x4(['N', 3, 4, 5])]));
    assert.deepEqual(g2.values[g2.outputs[0]!]!.shape, ['N', 60]);
  });

  test('Gemm folds alpha into the weight, beta into the bias, and transposes B when transB=0', () => {
    const g = imp(model([{ op: 'Gemm', inputs: ['x', 'B', 'C'], outputs: ['y'], attrs: { alpha: f(2), beta: f(0.5) } }], [{ name: 'x', dims: [1, 2] }], [
      { name: 'B', dims: [2, 3], data: [1, 2, 3, 4, 5, 6] },
      { name: 'C', dims: [1, 3], data: [10, 20, 30] },
    ]));
    const d = only(g, 'Dense');
    assert.deepEqual(g.values[d.inputs[1]!]!.shape, [3, 2]);
    assert.deepEqual(constant(g, d.inputs[1]), [2, 8, 4, 10, 6, 12]);
    assert.deepEqual(constant(g, d.inputs[2]), [5, 10, 15]);
  });

  test('Gemm with transB=1 and alpha 1 reuses the initializer', () => {
    const g = imp(model([{ op: 'Gemm', inputs: ['x', 'B'], outputs: ['y'], attrs: { transB: 1 } }], [{ name: 'x', dims: [1, 2] }], [{ name: 'B', dims: [3, 2], data: [1, 2, 3, 4, 5, 6] }]));
    const d = only(g, 'Dense');
    assert.equal(d.inputs.length, 2);
    assert.equal(g.values[d.inputs[1]!]!.name, 'B');
  });

  test('MatMul by a constant [K, M] becomes Dense with W [M, K]', () => {
    const g = imp(model([{ op: 'MatMul', inputs: ['x', 'B'], outputs: ['y'] }], [{ name: 'x', dims: [2, 4, 2] }], [{ name: 'B', dims: [2, 3], data: [1, 2, 3, 4, 5, 6] }]));
    const d = only(g, 'Dense');
    assert.deepEqual(constant(g, d.inputs[1]), [1, 4, 2, 5, 3, 6]);
    assert.deepEqual(g.values[g.outputs[0]!]!.shape, [2, 4, 3]);
  });

  test('negative axes are canonicalized with the input rank', () => {
    const g = imp(model([
      { op: 'Concat', inputs: ['x', 'x'], outputs: ['c'], attrs: { axis: -1 } },
      { op: 'Softmax', inputs: ['c'], outputs: ['s'], attrs: { axis: -3 } },
      { op: 'Flatten', inputs: ['s'], outputs: ['y'], attrs: { axis: -2 } },
    ], [x4(['N', 3, 'H', 'W'])]));
    assert.equal(only(g, 'Concat').attrs.axis, 3);
    assert.equal(only(g, 'Softmax').attrs.axis, 1);
    assert.equal(only(g, 'Flatten').attrs.axis, 2);
  });

  test('Softmax before opset 13: accepted when it equals a one-axis softmax, else a clear error', () => {
    const g = imp(model([{ op: 'Softmax', inputs: ['x'], outputs: ['y'] }], [x4(['N', 10, 1, 1])], [], 11));
    assert.equal(only(g, 'Softmax').attrs.axis, 1);
    const g2 = imp(model([{ op: 'Softmax', inputs: ['x'], outputs: ['y'] }], [{ name: 'x', dims: ['N', 10] }], [], 12));
    assert.equal(only(g2, 'Softmax').attrs.axis, 1);
    assert.throws(() => imp(model([{ op: 'Softmax', inputs: ['x'], outputs: ['y'], name: 'sm' }], [x4([1, 3, 2, 2])], [], 11)), /normalizes over dims 1\.\.3 together.*node 'sm'/);
  });

  test('Clip from constant inputs (empty name = no bound), Relu6 as Clip(0, 6)', () => {
    const g = imp(model([{ op: 'Clip', inputs: ['x', '', 'hi'], outputs: ['y'] }], [x4()], [{ name: 'hi', dims: [], data: [6] }]));
    assert.deepEqual(only(g, 'Clip').attrs, { min: -Infinity, max: 6 });
    const g2 = imp(model([{ op: 'Clip', inputs: ['x', 'lo', 'hi'], outputs: ['y'] }], [x4()], [{ name: 'lo', dims: [], data: [0] }, { name: 'hi', dims: [], data: [6] }], 11));
    assert.deepEqual(only(g2, 'Clip').attrs, { min: 0, max: 6 });
  });

  test('initializers: float_data, float16 and double are converted to float32; int64 shapes', () => {
    const g = imp(model([
      { op: 'Mul', inputs: ['x', 'h'], outputs: ['a'] },
      { op: 'Add', inputs: ['a', 'd'], outputs: ['b'] },
      { op: 'Add', inputs: ['b', 'fd'], outputs: ['c'] },
      { op: 'Reshape', inputs: ['c', 's'], outputs: ['y'] },
    ], [{ name: 'x', dims: [2, 3] }], [
      { name: 'h', dims: [3], data: [0.5, -2, 65504], type: 'float16' },
      { name: 'd', dims: [3], data: [0.1, 1e-3, -7], type: 'double' },
      { name: 'fd', dims: [3], data: [1.5, 2.5, 3.5], raw: false },
      { name: 's', dims: [2], data: [3, -1], type: 'int64', raw: false },
    ]));
    const byName = (n: string): number[] => constant(g, g.values.findIndex((v) => v.name === n));
    assert.deepEqual(byName('h'), [0.5, -2, 65504]);
    assert.deepEqual(byName('d'), Array.from(Float32Array.from([0.1, 1e-3, -7])));
    assert.deepEqual(byName('fd'), [1.5, 2.5, 3.5]);
    assert.deepEqual(only(g, 'Reshape').attrs.shape, [3, -1]);
    assert.ok(!g.values.some((v) => v.name === 's'), 'shape-only constants do not become graph values');
    assert.deepEqual(g.values[g.outputs[0]!]!.shape, [3, 2]);
  });

  test('Constant nodes, Dropout and Identity', () => {
    const g = imp(model([
      { op: 'Constant', inputs: [], outputs: ['k'], attrs: { value: tensorAttr({ name: 'kv', dims: [3], data: [1, 2, 3] }) } },
      { op: 'Constant', inputs: [], outputs: ['s'], attrs: { value_ints: [-1] } },
      { op: 'Add', inputs: ['x', 'k'], outputs: ['a'] },
      { op: 'Dropout', inputs: ['a'], outputs: ['d'] },
      { op: 'Reshape', inputs: ['d', 's'], outputs: ['i'] },
      { op: 'Identity', inputs: ['i'], outputs: ['y'] },
    ], [{ name: 'x', dims: [2, 3] }]));
    assert.deepEqual(g.nodes.map((n) => n.op), ['Add', 'Identity', 'Reshape', 'Identity']);
    assert.deepEqual(constant(g, only(g, 'Add').inputs[1]), [1, 2, 3]);
    const g11 = imp(model([{ op: 'Dropout', inputs: ['x'], outputs: ['y'], attrs: { ratio: f(0.3) } }], [x4()], [], 11));
    assert.deepEqual(g11.nodes.map((n) => n.op), ['Identity']);
  });

  test('Pad, Resize (scales and sizes), Upsample, DepthToSpace, Transpose default perm', () => {
    const g = imp(model([
      { op: 'Pad', inputs: ['x', 'p', 'v'], outputs: ['a'], attrs: { mode: 'reflect' } },
      { op: 'Resize', inputs: ['a', '', 'sc'], outputs: ['b'], attrs: { coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' } },
      { op: 'Resize', inputs: ['b', '', '', 'sz'], outputs: ['c'] },
      { op: 'DepthToSpace', inputs: ['c'], outputs: ['d'], attrs: { blocksize: 2, mode: 'CRD' } },
      { op: 'Transpose', inputs: ['d'], outputs: ['y'] },
    ], [x4([1, 4, 3, 3])], [
      { name: 'p', dims: [8], data: [0, 0, 1, 2, 0, 0, 2, 1], type: 'int64' },
      { name: 'v', dims: [], data: [0] },
      { name: 'sc', dims: [4], data: [1, 1, 2, 2] },
      { name: 'sz', dims: [4], data: [1, 4, 5, 5], type: 'int64' },
    ]));
    assert.deepEqual(only(g, 'Pad').attrs, { pads: [0, 0, 1, 2, 0, 0, 2, 1], mode: 'reflect', value: 0 });
    const [r1, r2] = g.nodes.filter((n) => n.op === 'Resize');
    assert.deepEqual(r1!.attrs, { scales: [1, 1, 2, 2], coordinateMode: 'asymmetric', nearestMode: 'floor' });
    assert.deepEqual(r2!.attrs, { scales: [], sizes: [1, 4, 5, 5], coordinateMode: 'half_pixel', nearestMode: 'round_prefer_floor' });
    assert.deepEqual(only(g, 'DepthToSpace').attrs, { blocksize: 2, mode: 'CRD' });
    assert.deepEqual(only(g, 'Transpose').attrs.perm, [3, 2, 1, 0]);
    assert.deepEqual(g.values[g.outputs[0]!]!.shape, [10, 10, 1, 1]);

    const up = imp({ ...model([{ op: 'Upsample', inputs: ['x', 's'], outputs: ['y'] }], [x4()], [{ name: 's', dims: [4], data: [1, 1, 2, 2] }], 11) });
    assert.deepEqual(only(up, 'Resize').attrs, { scales: [1, 1, 2, 2], coordinateMode: 'asymmetric', nearestMode: 'floor' });
  });

  test('pools and BatchNormalization', () => {
    const g = imp(model([
      { op: 'BatchNormalization', inputs: ['x', 's', 'b', 'm', 'v'], outputs: ['a'], attrs: { epsilon: f(1e-3) } },
      { op: 'MaxPool', inputs: ['a'], outputs: ['p'], attrs: { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER', ceil_mode: 1 } },
      { op: 'AveragePool', inputs: ['p'], outputs: ['q'], attrs: { kernel_shape: [2, 2], pads: [1, 1, 0, 0], count_include_pad: 1 } },
      { op: 'GlobalAveragePool', inputs: ['q'], outputs: ['y'] },
    ], [x4()], ['s', 'b', 'm', 'v'].map((name) => ({ name, dims: [3], data: [1, 2, 3] }))));
    assert.equal(only(g, 'BatchNormalization').attrs.epsilon, Math.fround(1e-3));
    assert.deepEqual(only(g, 'MaxPool').attrs, { kernel: [3, 3], strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0], autoPad: 'SAME_UPPER', ceilMode: true });
    assert.deepEqual(only(g, 'AveragePool').attrs, { kernel: [2, 2], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 0, 0], autoPad: 'NOTSET', ceilMode: false, countIncludePad: true });
    assert.deepEqual(g.values[g.outputs[0]!]!.shape, [1, 3, 1, 1]);
  });

  test('initializers also listed as graph inputs (IR < 4) are constants, not inputs', () => {
    const g = imp(model([{ op: 'Add', inputs: ['x', 'b'], outputs: ['y'] }], [{ name: 'x', dims: [2] }, { name: 'b', dims: [2] }], [{ name: 'b', dims: [2], data: [1, 2] }]));
    assert.equal(g.inputs.length, 1);
    assert.deepEqual(constant(g, only(g, 'Add').inputs[1]), [1, 2]);
  });
});

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const LRS = resolve(REPO, '../shared/models/hong2021-lrs/lrs_float.onnx');

test('LRS model imports with the published architecture', { skip: existsSync(LRS) ? false : 'needs ../shared/models/hong2021-lrs/lrs_float.onnx' }, async () => {
  const g = await loadOnnx(LRS);
  const ops = g.nodes.map((n) => n.op).join(' ');
  const block = 'Conv Relu Conv Add';
  assert.equal(ops, `Conv Relu ${block} ${block} ${block} Add Conv Relu DepthToSpace Conv`);
  assert.deepEqual(g.values[g.inputs[0]!]!.shape, ['batch', 3, 'height', 'width']);
  const convs = g.nodes.filter((n): n is Extract<Node, { op: 'Conv' }> => n.op === 'Conv');
  assert.deepEqual(convs.map((c) => g.values[c.inputs[1]!]!.shape), [[64, 3, 3, 3], ...new Array(6).fill([64, 64, 3, 3]), [288, 64, 3, 3], [3, 32, 3, 3]]);
  assert.ok(convs.every((c) => c.attrs.pads.join() === '1,1,1,1' && c.inputs.length === 3));
  assert.deepEqual(convs.at(-1)!.attrs.strides, [2, 2]);
  assert.deepEqual(only(g, 'DepthToSpace').attrs, { blocksize: 3, mode: 'CRD' });
  verifyGraph(g, [[1, 3, 24, 32]]);
});
