/**
 * ONNX importer error paths: every bad input is one FxpError naming the file, and
 * the node and op where one is involved; no dependency exception escapes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FxpError } from '../../src/errors.js';
import { importOnnx, loadOnnx } from '../../src/import/onnx/index.js';
import { buildOnnx, f, rawAttr, type ModelSpec, type NodeSpec, type TensorSpec } from '../util/onnx-builder.js';

const FILE = 'bad.onnx';

function model(nodes: readonly NodeSpec[], initializers: readonly TensorSpec[] = [], opset = 13, dims: readonly (number | string)[] = [1, 3, 8, 8]): ModelSpec {
  return { opset, inputs: [{ name: 'x', dims }], outputs: [{ name: 'y' }], nodes, initializers };
}

/** Asserts importing throws one FxpError naming the file (and node/op when given) whose message matches. */
function rejects(bytes: Uint8Array, message: RegExp, where: { node?: string; op?: string } = {}): FxpError {
  let caught: unknown;
  try {
    importOnnx(bytes, FILE);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof FxpError, `expected an FxpError, got ${String(caught)}`);
  assert.equal(caught.file, FILE);
  assert.match(caught.message, message);
  assert.ok(caught.message.includes(`file '${FILE}'`), caught.message);
  if (where.node !== undefined) assert.equal(caught.node, where.node);
  if (where.op !== undefined) assert.equal(caught.op, where.op);
  return caught;
}

const W = (dims: number[], name = 'W'): TensorSpec => ({ name, dims, data: new Array<number>(dims.reduce((a, b) => a * b, 1)).fill(0.1) });
const conv = (attrs = {}): NodeSpec => ({ op: 'Conv', name: 'c1', inputs: ['x', 'W'], outputs: ['y'], attrs });

/** Deterministic bytes (xorshift32). */
function randomBytes(n: number, seed: number): Uint8Array {
  let s = seed;
  return Uint8Array.from({ length: n }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s & 0xff;
  });
}

describe('ONNX import errors', () => {
  const good = buildOnnx(model([conv({ pads: [1, 1, 1, 1] })], [W([4, 3, 3, 3])]));

  test('the good model imports (so the cases below fail for their own reason)', () => {
    assert.equal(importOnnx(good, FILE).nodes.length, 1);
  });

  test('truncated file', () => {
    rejects(good.subarray(0, good.length - 50), /not a valid ONNX model.*truncated or corrupt/);
    // Every cut point: an FxpError naming the file, or (at a field boundary) a model that imports.
    for (let cut = 1; cut < good.length; cut += 7) {
      try {
        importOnnx(good.subarray(0, cut), FILE);
      } catch (err) {
        assert.ok(err instanceof FxpError && err.file === FILE, `cut at ${cut}: ${String(err)}`);
      }
    }
  });

  test('empty file and random bytes', () => {
    rejects(new Uint8Array(0), /empty/);
    for (let seed = 1; seed <= 40; seed++) {
      assert.throws(() => importOnnx(randomBytes(64 + seed * 13, seed), FILE), (err) => err instanceof FxpError && err.file === FILE, `seed ${seed}`);
    }
  });

  test('missing graph, missing default opset, bad opsets', () => {
    rejects(buildOnnx({ ...model([]), graph: false }), /model has no graph/);
    rejects(buildOnnx({ ...model([conv()], [W([4, 3, 3, 3])]), defaultOpset: false, extraOpsets: [{ domain: 'ai.onnx.ml', version: 2 }] }), /no default-domain/);
    rejects(buildOnnx(model([conv()], [W([4, 3, 3, 3])], 9)), /ONNX opset 9 is not supported \(supported: 11-18\)/);
    rejects(buildOnnx(model([conv()], [W([4, 3, 3, 3])], 19)), /ONNX opset 19 is not supported/);
  });

  test('unsupported op and domain', () => {
    rejects(buildOnnx(model([{ op: 'Foo', name: 'bar', inputs: ['x'], outputs: ['y'] }])), /^unsupported ONNX op 'Foo' \(domain '', opset 13\)/, { node: 'bar', op: 'Foo' });
    rejects(
      buildOnnx({ ...model([{ op: 'FusedConv', domain: 'com.microsoft', name: 'fc', inputs: ['x'], outputs: ['y'] }]), extraOpsets: [{ domain: 'com.microsoft', version: 1 }] }),
      /unsupported ONNX domain 'com.microsoft'/,
      { node: 'fc', op: 'FusedConv' },
    );
  });

  test('missing initializer or input, named', () => {
    const e = rejects(buildOnnx(model([conv()])), /weight 'W' is not a graph input, an initializer or the output of an earlier node/, { node: 'c1', op: 'Conv' });
    assert.match(e.message, /node 'c1'/);
    rejects(buildOnnx(model([{ op: 'Add', name: 'a', inputs: ['x', 'nope'], outputs: ['y'] }])), /input B 'nope' is not a graph input/, { node: 'a' });
    rejects(buildOnnx({ ...model([{ op: 'Relu', inputs: ['x'], outputs: ['r'] }]), outputs: [{ name: 'zzz' }] }), /graph output 'zzz' is never computed/);
  });

  test('initializer whose raw_data length disagrees with its dims', () => {
    const bad: TensorSpec = { name: 'W', dims: [4, 3, 3, 3], data: [], rawData: new Uint8Array(4 * 108 - 4) };
    rejects(buildOnnx(model([conv()], [bad])), /initializer 'W' has 428 bytes of raw_data, dims \[4, 3, 3, 3\] of FLOAT need 432/);
    rejects(buildOnnx(model([conv()], [{ name: 'W', dims: [4, 3, 3, 3], data: [1, 2], raw: false }])), /initializer 'W' holds 2 values, dims \[4, 3, 3, 3\] need 108/);
  });

  test('absurd declared sizes are rejected before allocating', () => {
    rejects(buildOnnx(model([conv()], [{ name: 'W', dims: [1e6, 1e6], data: [], rawData: new Uint8Array(8) }])), /initializer 'W' has dims \[1000000, 1000000\] \(1000000000000 elements\), over the limit/);
    rejects(buildOnnx(model([{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], [], 13, [1e6, 1e6])), /graph input 'x' declares shape \[1000000, 1000000\], over the limit/);
    rejects(buildOnnx(model([{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], [{ name: 'k', dims: [-2, 3], data: [] }])), /initializer 'k' has invalid dims \[-2, 3\]/);
  });

  test('mismatched Conv weight shape, with static input shapes', () => {
    rejects(buildOnnx(model([conv()], [W([4, 2, 3, 3])])), /weight \[4, 2, 3, 3\] expects 2 input channels, input \[1, 3, 8, 8\] has 3/, { node: 'c1', op: 'Conv' });
    rejects(buildOnnx(model([conv({ kernel_shape: [5, 5] })], [W([4, 3, 3, 3])])), /kernel_shape \[5, 5\] does not match weight dims/, { node: 'c1' });
    rejects(buildOnnx(model([conv()], [W([4, 3, 3])])), /weight must have rank 4 \(only 2-D Conv is supported\)/, { node: 'c1' });
    // With a symbolic batch, shapes are still checked with batch 1.
    rejects(buildOnnx(model([conv()], [W([4, 2, 3, 3])], 13, ['N', 3, 8, 8])), /expects 2 input channels/, { node: 'c1' });
  });

  test('attribute of the wrong type', () => {
    rejects(buildOnnx(model([conv({ group: f(1) })], [W([4, 3, 3, 3])])), /attribute 'group' must be of type INT, got FLOAT/, { node: 'c1', op: 'Conv' });
    rejects(buildOnnx(model([conv({ strides: rawAttr({ type: 3, s: new TextEncoder().encode('2') }) })], [W([4, 3, 3, 3])])), /attribute 'strides' must be of type INTS, got STRING/);
    rejects(buildOnnx(model([conv({ strides: [1, 1, 1] })], [W([4, 3, 3, 3])])), /attribute 'strides' must have 2 values/);
  });

  test('unsupported forms of supported ops', () => {
    const reshape = (extra: Partial<NodeSpec> = {}): NodeSpec => ({ op: 'Reshape', name: 'r', inputs: ['x', 's'], outputs: ['y'], ...extra });
    rejects(buildOnnx(model([reshape({ attrs: { allowzero: 1 } })], [{ name: 's', dims: [2], data: [0, -1], type: 'int64' }], 14)), /allowzero=1 with a 0/, { node: 'r', op: 'Reshape' });
    rejects(buildOnnx(model([reshape({ inputs: ['x', 'x'] })])), /shape 'x' must be a constant/, { node: 'r' });
    rejects(buildOnnx(model([reshape()], [{ name: 's', dims: [2], data: [5, 7], type: 'int64' }])), /cannot reshape \[1, 3, 8, 8\] \(192 elements\) to \[5, 7\]/, { node: 'r' });
    rejects(buildOnnx(model([{ op: 'Resize', name: 'rz', inputs: ['x', '', 's'], outputs: ['y'], attrs: { mode: 'linear' } }], [{ name: 's', dims: [4], data: [1, 1, 2, 2] }])), /mode 'linear' is not supported \(nearest only\)/, { node: 'rz' });
    rejects(buildOnnx(model([{ op: 'Gemm', name: 'g', inputs: ['x', 'x'], outputs: ['y'] }], [], 13, [2, 3])), /weight B 'x' must be a constant/, { node: 'g' });
    rejects(buildOnnx(model([{ op: 'Gemm', name: 'g', inputs: ['x', 'B'], outputs: ['y'], attrs: { transA: 1 } }], [W([3, 2], 'B')], 13, [3, 2])), /transA=1 is not supported/);
    // A shape error found while emitting the IR Dense names the ONNX node and op.
    rejects(buildOnnx(model([{ op: 'Gemm', name: 'g', inputs: ['x', 'B'], outputs: ['y'] }], [W([4, 2], 'B')], 13, [3, 2])), /input \[3, 2\] has 2 features, weight \[2, 4\] expects 4/, { node: 'g', op: 'Gemm' });
    rejects(buildOnnx(model([{ op: 'Relu', name: 'r1', inputs: ['x'], outputs: ['y'] }, { op: 'Relu', name: 'r2', inputs: ['x'], outputs: ['y'] }])), /output 'y' is already defined/, { node: 'r2' });
    rejects(buildOnnx(model([{ op: 'Pad', name: 'p', inputs: ['x', 'p'], outputs: ['y'], attrs: { mode: 'wrap' } }], [{ name: 'p', dims: [8], data: [0, 0, 1, 1, 0, 0, 1, 1], type: 'int64' }])), /mode 'wrap' is not supported/);
    rejects(buildOnnx(model([{ op: 'Pad', name: 'p', inputs: ['x', 'p'], outputs: ['y'], attrs: { mode: 'reflect' } }], [{ name: 'p', dims: [8], data: [0, 0, 8, 0, 0, 0, 0, 0], type: 'int64' }])), /reflect pads .* must be smaller than the input dims/, { node: 'p' });
    rejects(buildOnnx(model([{ op: 'MaxPool', name: 'mp', inputs: ['x'], outputs: ['y', 'idx'], attrs: { kernel_shape: [2, 2] } }, { op: 'Relu', name: 'ri', inputs: ['idx'], outputs: ['z'] }])), /input 'idx' is output 1 of node 'mp' \(MaxPool\), which the importer does not support/, { node: 'ri' });
    rejects(buildOnnx({ ...model([{ op: 'Relu', inputs: ['x'], outputs: ['y'] }]), inputs: [{ name: 'x', dims: [2], elemType: 7 }] }), /graph input 'x' has element type INT64/);
    rejects(buildOnnx(model([{ op: 'Conv', name: 'c3', inputs: ['x', 'W'], outputs: ['y'] }], [W([2, 3, 3, 3, 3])], 13, [1, 3, 4, 4, 4])), /input must have rank 4 .*only 2-D Conv/, { node: 'c3' });
  });

  test('an input without a declared shape: ops that need its rank say so', () => {
    const noShape = (node: NodeSpec): ModelSpec => ({ ...model([node]), inputs: [{ name: 'x' }] });
    assert.equal(importOnnx(buildOnnx(noShape({ op: 'Relu', inputs: ['x'], outputs: ['y'] })), FILE).nodes.length, 1);
    rejects(buildOnnx(noShape({ op: 'Transpose', name: 't', inputs: ['x'], outputs: ['y'] })), /cannot tell the rank of the Transpose input/, { node: 't', op: 'Transpose' });
  });

  test('loadOnnx on a missing file', async () => {
    await assert.rejects(loadOnnx('/nonexistent/model.onnx'), (err) => err instanceof FxpError && err.file === '/nonexistent/model.onnx' && /cannot read ONNX file/.test(err.message));
  });
});
