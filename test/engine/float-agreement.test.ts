/**
 * The integer engine against the float executor (an independent implementation of
 * the ONNX op semantics). Weights and inputs are put on their fixed-point grids, so
 * the float result is the exact real the engine rounds once: they must agree to
 * half an output LSB (plus float32 noise), or one LSB where a table is involved.
 * This catches a shared misreading of padding, layouts or modes that the
 * engine-vs-simulation test cannot see.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prepareSoftmax } from '../../src/fixed/softmax.js';
import { quantize } from '../../src/fixed/convert.js';
import type { QFormat } from '../../src/fixed/format.js';
import { qRange } from '../../src/fixed/format.js';
import { runFloat } from '../../src/float/index.js';
import { GraphBuilder } from '../../src/ir/graph.js';
import type { OpAttrMap, OpType } from '../../src/ir/ops.js';
import type { FxOpAttrMap, FxOpType, FxTensor, FxWeights } from '../../src/engine/fx-graph.js';
import { createEngine } from '../../src/engine/runtime.js';
import { sizeOf, type Tensor } from '../../src/tensor.js';
import { q, singleNode } from './helpers.js';
import { Rng } from './random-graph.js';

const rng = new Rng(2024);

function fxInput(shape: number[], f: QFormat): FxTensor {
  const { qmin, qmax } = qRange(f);
  return { shape, format: f, data: Int32Array.from({ length: sizeOf(shape) }, () => rng.int(qmin, qmax)) };
}

const real = (t: FxTensor): Tensor => ({ shape: t.shape, data: Float32Array.from(t.data, (v) => v * 2 ** -t.format.fl) });

function fxWeights(shape: number[], wl: number, fl: number): FxWeights {
  const lim = 2 ** (wl - 1);
  return { shape, data: Int32Array.from({ length: sizeOf(shape) }, () => rng.int(-lim, lim - 1)), wl, fl: [fl] };
}

const realW = (w: FxWeights): Tensor => ({ shape: w.shape, data: Float32Array.from(w.data, (v) => v * 2 ** -w.fl[0]!) });

/** Runs the float op and the fixed op on the same reals; |difference| <= lsbs * 2^-fo + 1e-4. */
function agree<F extends OpType, K extends FxOpType>(
  fop: F, fattrs: OpAttrMap[F], params: readonly Tensor[], op: K, attrs: FxOpAttrMap[K], xs: readonly FxTensor[], fo: QFormat, lsbs = 0.5,
): void {
  const b = new GraphBuilder(fop);
  const ins = xs.map((x, i) => b.addInput(`x${i}`, x.shape));
  const ps = params.map((p, i) => b.addConstant(`p${i}`, p.shape, p.data));
  b.outputs = [b.addNode(fop, 'f', fattrs, [...ins, ...ps])];
  const want = runFloat(b.finish(), xs.map(real)).outputs[0]!;
  const fx = singleNode(op, attrs, xs.map((x) => ({ shape: x.shape.map((d, i) => (i === 0 ? d : -1)), data: [], format: x.format })), fo);
  const got = createEngine(fx).run(xs).outputs[0]!;
  assert.deepEqual(got.shape, want.shape, `${op}: shape`);
  const { qmin, qmax } = qRange(fo);
  let worst = 0;
  got.data.forEach((v, i) => {
    const w = want.data[i]!;
    // Saturated outputs only have to be on the right side.
    if ((v === qmax && w >= qmax * 2 ** -fo.fl) || (v === qmin && w <= qmin * 2 ** -fo.fl)) return;
    worst = Math.max(worst, Math.abs(v * 2 ** -fo.fl - w));
  });
  assert.ok(worst <= lsbs * 2 ** -fo.fl + 1e-4, `${op}: worst difference ${worst} > ${lsbs} LSB of 2^-${fo.fl}`);
}

const a8 = q(true, 8, 3);
const o16 = q(true, 24, 6);

test('Conv: groups, strides, dilations, SAME_LOWER / explicit pads, bias', () => {
  const x = fxInput([2, 4, 7, 6], a8);
  for (const [group, autoPad, pads] of [[2, 'SAME_LOWER', [0, 0, 0, 0]], [4, 'NOTSET', [1, 0, 2, 1]], [1, 'VALID', [0, 0, 0, 0]]] as const) {
    const w = fxWeights([8, 4 / group, 3, 3], 6, 4);
    const bias = Int32Array.from({ length: 8 }, () => rng.int(-100, 100));
    const win = { kernel: [3, 3] as const, strides: [2, 1] as const, dilations: [1, 2] as const, pads, autoPad, group };
    const fbias: Tensor = { shape: [8], data: Float32Array.from(bias, (v) => v * 2 ** -5) };
    agree('Conv', win, [realW(w), fbias], 'Conv', { ...win, weights: w, bias: { kind: 'format', data: bias, format: q(true, 16, 5) } }, [x], o16);
  }
});

test('ConvTranspose: strides, pads, output padding, SAME_UPPER, groups', () => {
  const x = fxInput([1, 2, 4, 3], a8);
  for (const [group, autoPad, pads, outputPadding] of [[1, 'NOTSET', [1, 0, 0, 1], [1, 0]], [2, 'SAME_UPPER', [0, 0, 0, 0], [0, 0]]] as const) {
    const w = fxWeights([2, 3, 3, 2], 6, 4);
    const win = { kernel: [3, 2] as const, strides: [2, 3] as const, dilations: [1, 1] as const, pads, autoPad, outputPadding, group };
    agree('ConvTranspose', win, [realW(w)], 'ConvTranspose', { ...win, weights: w }, [x], o16);
  }
});

test('Dense, ChannelAffine, Add with broadcasting, Mul, Concat', () => {
  const x = fxInput([3, 5], a8);
  const w = fxWeights([4, 5], 8, 6);
  agree('Dense', {}, [realW(w)], 'Dense', { weights: w }, [x], o16);
  const x4 = fxInput([2, 3, 2, 2], a8);
  const s = fxWeights([3], 8, 5);
  const zero: Tensor = { shape: [3], data: new Float32Array(3) };
  agree('ChannelAffine', {}, [realW(s), zero], 'ChannelAffine', { weights: s }, [x4], o16);
  agree('Add', {}, [], 'Add', {}, [x4, fxInput([3, 1, 2], q(true, 8, 5))], o16);
  agree('Mul', {}, [], 'Mul', {}, [x4, fxInput([2, 1, 2, 1], q(true, 8, 5))], o16);
  agree('Concat', { axis: 2 }, [], 'Concat', { axis: 2 }, [x4, fxInput([2, 3, 1, 2], q(true, 8, 3))], a8);
});

test('pools: ceil mode, dilation, padding counted or not, global pools', () => {
  const x = fxInput([1, 2, 6, 6], a8);
  const attrs = { kernel: [3, 2] as const, strides: [2, 2] as const, dilations: [1, 1] as const, pads: [1, 1, 1, 0] as const, autoPad: 'NOTSET' as const, ceilMode: true };
  agree('MaxPool', { ...attrs, dilations: [2, 1] }, [], 'MaxPool', { ...attrs, dilations: [2, 1] }, [x], a8);
  for (const countIncludePad of [false, true]) {
    agree('AveragePool', { ...attrs, countIncludePad }, [], 'AveragePool', { ...attrs, countIncludePad }, [x], q(true, 16, 8));
  }
  agree('GlobalAveragePool', {}, [], 'GlobalAveragePool', {}, [x], q(true, 16, 8));
  agree('GlobalMaxPool', {}, [], 'GlobalMaxPool', {}, [x], a8);
});

test('data movement: Transpose, Pad, DepthToSpace, Resize, Flatten', () => {
  const x = fxInput([1, 8, 3, 2], a8);
  agree('Transpose', { perm: [0, 2, 3, 1] }, [], 'Transpose', { perm: [0, 2, 3, 1] }, [x], a8);
  for (const mode of ['constant', 'reflect', 'edge'] as const) {
    const pads = [0, 0, 2, 1, 0, -1, 1, 1];
    agree('Pad', { pads, mode, value: 0.5 }, [], 'Pad', { pads, mode, value: 4 }, [x], a8);
  }
  for (const mode of ['DCR', 'CRD'] as const) agree('DepthToSpace', { blocksize: 2, mode }, [], 'DepthToSpace', { blocksize: 2, mode }, [x], a8);
  const resize = { scales: [1, 1, 1.5, 2.5], coordinateMode: 'half_pixel', nearestMode: 'round_prefer_floor' } as const;
  agree('Resize', resize, [], 'Resize', resize, [x], a8);
  const sized = { scales: [], sizes: [1, 8, 5, 3], coordinateMode: 'align_corners', nearestMode: 'ceil' } as const;
  agree('Resize', sized, [], 'Resize', sized, [x], a8);
  agree('Flatten', { axis: 2 }, [], 'Flatten', { axis: 2 }, [x], a8);
});

test('nonlinearities: Sigmoid and Tanh tables, Softmax, LeakyRelu', () => {
  const x = fxInput([2, 6], a8);
  const table = (f: (v: number) => number, fo: QFormat) => {
    const { qmin, qmax } = qRange(a8);
    return { qmin, data: Int32Array.from({ length: qmax - qmin + 1 }, (_, i) => quantize(f((qmin + i) * 2 ** -a8.fl), fo)) };
  };
  const u8 = q(false, 8, 8);
  const s8 = q(true, 8, 7);
  agree('Sigmoid', {}, [], 'Sigmoid', { table: table((v) => 1 / (1 + Math.exp(-v)), u8) }, [x], u8);
  agree('Tanh', {}, [], 'Tanh', { table: table(Math.tanh, s8) }, [x], s8);
  const { exp } = prepareSoftmax(a8, u8);
  agree('Softmax', { axis: 1 }, [], 'Softmax', { axis: 1, exp: { inFl: exp.inFl, outFl: exp.outFl, jMax: exp.jMax, tables: exp.tables } }, [x], u8, 1);
  // alpha = 0.25 exactly: m = 1, shift = 2.
  agree('LeakyRelu', { alpha: 0.25 }, [], 'LeakyRelu', { m: 1, shift: 2 }, [x], q(true, 16, 6));
});
