/**
 * Hand-computed vectors for every reference kernel (and the simulation, which must
 * agree). Each expected integer is worked out in the comment next to it.
 */
import { test } from 'node:test';
import { prepareSoftmax } from '../../src/fixed/softmax.js';
import type { FxWeights } from '../../src/engine/fx-graph.js';
import type { AutoPad, Pads4, Pair } from '../../src/ir/ops.js';
import { check, q } from './helpers.js';

const s8 = (fl: number) => q(true, 8, fl);
const win = (kernel: Pair, strides: Pair, pads: Pads4, autoPad: AutoPad = 'NOTSET') => ({ kernel, strides, dilations: [1, 1] as Pair, pads, autoPad });
const w4: FxWeights = { shape: [1, 1, 2, 2], data: Int32Array.from([1, 2, -1, 3]), wl: 4, fl: [1] };
const x33 = { shape: [1, 1, 3, 3], data: [4, 8, -4, 0, 2, 6, -8, 1, 3], format: s8(2) };

test('Conv: valid 2x2 window, format bias aligned by a left shift, Relu', () => {
  // acc = [26, 16, 15, 22] at fl 2+1 = 3; bias 3 in Q(s,8,1) -> 3 << 2 = 12.
  // roundShift(acc + 12, 3 - 1): 38 -> 10, 28 -> 7, 27 -> 7, 34 -> 9.
  check('Conv', { ...win([2, 2], [1, 1], [0, 0, 0, 0]), group: 1, weights: w4, bias: { kind: 'format', data: Int32Array.from([3]), format: s8(1) }, activation: { kind: 'Relu' } }, [x33], s8(1), [10, 7, 7, 9], [1, 1, 2, 2]);
});

test('Conv: stride 2, zero padding, saturation and LeakyRelu', () => {
  // Windows at (2oy-1, 2ox-1): acc = [12, -20, -24, 22]; shift 1: 6, -10, -12, 11.
  // LeakyRelu m=1 shift=2: -10 -> floor((-10+2)/4) = -2, -12 -> -3; Q(s,4,2) saturates 11 -> 7.
  check('Conv', { ...win([2, 2], [2, 2], [1, 1, 1, 1]), group: 1, weights: w4, activation: { kind: 'LeakyRelu', m: 1, shift: 2 } }, [x33], q(true, 4, 2), [6, -2, -3, 7]);
});

test('Conv: depthwise (group = C) with SAME_UPPER padding', () => {
  // Two 1x2 channels, kernel 1x2 each; SAME_UPPER pads the right. ch0 w=[1,1]: [1+2, 2]; ch1 w=[2,-1]: [6-4, 8].
  const weights: FxWeights = { shape: [2, 1, 1, 2], data: Int32Array.from([1, 1, 2, -1]), wl: 4, fl: [0] };
  check('Conv', { ...win([1, 2], [1, 1], [0, 0, 0, 0], 'SAME_UPPER'), group: 2, weights }, [{ shape: [1, 2, 1, 2], data: [1, 2, 3, 4], format: s8(0) }], s8(0), [3, 2, 2, 8]);
});

test('ConvTranspose: stride 2 (no overlap) and stride 1 (overlapping sums)', () => {
  const weights: FxWeights = { shape: [1, 1, 2, 2], data: Int32Array.from([1, -1, 2, 1]), wl: 4, fl: [0] };
  const x = { shape: [1, 1, 2, 2], data: [1, 2, 3, 4], format: s8(0) };
  const attrs = { ...win([2, 2], [2, 2], [0, 0, 0, 0]), outputPadding: [0, 0] as Pair, group: 1, weights };
  check('ConvTranspose', attrs, [x], s8(0), [1, -1, 2, -2, 2, 1, 4, 2, 3, -3, 4, -4, 6, 3, 8, 4], [1, 1, 4, 4]);
  check('ConvTranspose', { ...attrs, strides: [1, 1] }, [x], s8(0), [1, 1, -2, 5, 6, -2, 6, 11, 4], [1, 1, 3, 3]);
});

test('Dense: range-adaptive weights with an accumulator bias', () => {
  // acc0 = 3*7 + (-5)(-8) = 61, +10 = 71, *range 3 = 213, shift 0+3+1-2 = 2: floor(215/4) = 53
  // acc1 = 6 - 5 = 1, -3 = -2, *5 = -10: floor(-8/4) = -2
  const weights: FxWeights = { shape: [2, 2], data: Int32Array.from([7, -8, 2, 1]), wl: 4, fl: [3, 3], range: { data: Int32Array.from([3, 5]), fl: 1, bits: 4 } };
  check('Dense', { weights, bias: { kind: 'accumulator', data: Int32Array.from([10, -3]), wl: 32 } }, [{ shape: [1, 2], data: [3, -5], format: s8(0) }], s8(2), [53, -2]);
});

test('ChannelAffine: per-channel fl, bias aligned left and right (with rounding), Clip', () => {
  const weights: FxWeights = { shape: [2], data: Int32Array.from([3, -2]), wl: 8, fl: [2, 0] };
  const x = { shape: [1, 2, 1, 2], data: [1, 3, 4, 5], format: q(false, 8, 1) };
  // ch0: acc fl 3, bias 1 -> 8: 11 -> floor(13/4) = 3, 17 -> 4; ch1: acc fl 1, bias -1 -> -2: -10, -12 (shift 0).
  // Clip [-11, 3]: [3, 3, -10, -11].
  check('ChannelAffine', { weights, bias: { kind: 'format', data: Int32Array.from([1, -1]), format: s8(0) }, activation: { kind: 'Clip', lo: -11, hi: 3 } }, [x], s8(1), [3, 3, -10, -11]);
  // Bias in Q(s,8,5): ch0 roundShift(6, 2) = 2, ch1 roundShift(-6, 4) = floor(2/16) = 0.
  // ch0: 5 -> floor(7/4) = 1, 11 -> 3; ch1: -8, -10.
  check('ChannelAffine', { weights, bias: { kind: 'format', data: Int32Array.from([6, -6]), format: s8(5) } }, [x], s8(1), [1, 3, -8, -10]);
});

test('Add: alignment to the finer operand, rounding shift, broadcasting', () => {
  // F = 4: 5<<2 + 7 = 27, -3<<2 + 1 = -11; shift 3: floor(31/8) = 3, floor(-7/8) = -1.
  check('Add', {}, [{ shape: [1, 2], data: [5, -3], format: s8(2) }, { shape: [1, 2], data: [7, 1], format: s8(4) }], s8(1), [3, -1]);
  check('Add', {}, [{ shape: [2, 2], data: [1, 2, 3, 4], format: s8(0) }, { shape: [2, 1], data: [10, 20], format: s8(0) }], s8(0), [11, 12, 23, 24]);
});

test('Mul: product at fa + fb, rounded half up', () => {
  // 3*5 = 15, -15 at fl 3; shift 2: floor(17/4) = 4, floor(-13/4) = -4.
  check('Mul', {}, [{ shape: [1, 2], data: [3, -3], format: s8(1) }, { shape: [1, 2], data: [5, 5], format: s8(2) }], s8(1), [4, -4]);
});

test('Concat: each input converted to the output format', () => {
  // a in Q(s,8,2) -> fl 1: roundShift(1,1) = 1, roundShift(2,1) = 1; b in fl 0 -> 3 << 1 = 6.
  check('Concat', { axis: 1 }, [{ shape: [1, 2], data: [1, 2], format: s8(2) }, { shape: [1, 1], data: [3], format: s8(0) }], s8(1), [1, 1, 6], [1, 3]);
});

test('MaxPool: padding cells are ignored (a negative window max stays negative)', () => {
  const x = { shape: [1, 1, 3, 3], data: [1, -2, -3, -4, 5, -6, 7, -8, 9], format: s8(0) };
  check('MaxPool', { ...win([2, 2], [2, 2], [0, 0, 1, 1]), dilations: [1, 1], ceilMode: false }, [x], s8(0), [5, -3, 7, 9]);
});

test('AveragePool: exact rounding division, with and without counted padding', () => {
  const x = { shape: [1, 1, 3, 3], data: [1, 2, 3, 4, 5, 6, 7, 8, 10], format: s8(0) };
  const attrs = { ...win([2, 2], [2, 2], [0, 0, 1, 1]), ceilMode: false };
  // 12/4 = 3, 9/2 = 4.5 -> 5, 15/2 = 7.5 -> 8, 10/1 = 10.
  check('AveragePool', { ...attrs, countIncludePad: false }, [x], s8(0), [3, 5, 8, 10]);
  // 12/4 = 3, 9/4 = 2.25 -> 2, 15/4 = 3.75 -> 4, 10/4 = 2.5 -> 3.
  check('AveragePool', { ...attrs, countIncludePad: true }, [x], s8(0), [3, 2, 4, 3]);
  // Output one fractional bit finer: 2 * mean: 6, 9, 15, 20.
  check('AveragePool', { ...attrs, countIncludePad: false }, [x], s8(1), [6, 9, 15, 20]);
});

test('GlobalAveragePool and GlobalMaxPool', () => {
  const x = { shape: [1, 2, 2, 2], data: [-1, -2, 0, 0, 1, 2, 3, 4], format: s8(0) };
  // means -0.75, 2.5 at fl 1: -1.5 -> -1 (half up), 5.
  check('GlobalAveragePool', {}, [x], s8(1), [-1, 5], [1, 2, 1, 1]);
  check('GlobalMaxPool', {}, [x], s8(0), [0, 4], [1, 2, 1, 1]);
});

test('Relu, Clip, LeakyRelu: conversion to the output format, then the activation', () => {
  const x = { shape: [1, 3], data: [-5, 6, 7], format: s8(2) };
  // roundShift by 1: -2, 3, 4.
  check('Relu', {}, [x], s8(1), [0, 3, 4]);
  check('Clip', { lo: -1, hi: 3 }, [x], s8(1), [-1, 3, 3]);
  // -2 * 3 = -6, roundShift(-6, 2) = floor(-4/4) = -1.
  check('LeakyRelu', { m: 3, shift: 2 }, [x], s8(1), [-1, 3, 4]);
});

test('Sigmoid/Tanh tables: clamped index, saturated output', () => {
  const table = { qmin: -2, data: Int32Array.from([10, 20, 30, 40, 70]) };
  const x = { shape: [1, 5], data: [-5, -2, 0, 2, 9], format: s8(0) };
  check('Sigmoid', { table }, [x], q(false, 6, 0), [10, 10, 30, 63, 63]);
  check('Tanh', { table }, [x], q(false, 6, 0), [10, 10, 30, 63, 63]);
});

test('Softmax: integer exp tables, integer sum, rounding division', () => {
  const fi = s8(0);
  const fo = q(false, 8, 8);
  const { exp } = prepareSoftmax(fi, fo);
  const attrs = { axis: 1, exp: { inFl: exp.inFl, outFl: exp.outFl, jMax: exp.jMax, tables: exp.tables } };
  check('Softmax', attrs, [{ shape: [1, 2], data: [0, 0], format: fi }], fo, [128, 128]);
  // e = [2^30, round(e^-1 * 2^30) = 395007542, 0 (beyond jMax)], S = 1468749366:
  // 2^38 / S = 187.16 -> 187, 395007542 * 256 / S = 68.85 -> 69.
  check('Softmax', attrs, [{ shape: [1, 3], data: [1, 0, -100], format: fi }], fo, [187, 69, 0]);
});

test('Flatten and Reshape keep the order, converting formats', () => {
  const x = { shape: [1, 2, 2], data: [1, 2, 3, 4], format: s8(0) };
  // To Q(s,4,-1): roundShift(q, 1) = 1, 1, 2, 2.
  check('Flatten', { axis: 1 }, [x], q(true, 4, -1), [1, 1, 2, 2], [1, 4]);
  check('Reshape', { shape: [0, -1, 1] }, [x], s8(0), [1, 2, 3, 4], [1, 4, 1]);
});

test('Transpose, Pad (constant, reflect, edge), DepthToSpace, Resize', () => {
  check('Transpose', { perm: [1, 0] }, [{ shape: [2, 3], data: [1, 2, 3, 4, 5, 6], format: s8(0) }], s8(0), [1, 4, 2, 5, 3, 6], [3, 2]);
  const x = { shape: [1, 1, 3], data: [1, 2, 3], format: s8(0) };
  check('Pad', { pads: [0, 0, 2, 0, 0, 1], mode: 'constant', value: 9 }, [x], s8(0), [9, 9, 1, 2, 3, 9]);
  check('Pad', { pads: [0, 0, 2, 0, 0, 2], mode: 'reflect', value: 0 }, [x], s8(0), [3, 2, 1, 2, 3, 2, 1]);
  check('Pad', { pads: [0, 0, 2, 0, 0, 2], mode: 'edge', value: 0 }, [x], s8(0), [1, 1, 1, 2, 3, 3, 3]);
  check('Pad', { pads: [0, 0, -1, 0, 0, 0], mode: 'constant', value: 0 }, [x], s8(0), [2, 3]);
  // channelValues: the fill of channel c (dim 1) is channelValues[c], requantized like the elements.
  const xc = { shape: [1, 2, 1, 2], data: [1, 2, 3, 4], format: s8(0) };
  const perChannel = { pads: [0, 0, 1, 0, 0, 0, 0, 1], mode: 'constant' as const, value: 9, channelValues: [-5, 20] };
  check('Pad', perChannel, [xc], s8(0), [-5, -5, -5, 1, 2, -5, 20, 20, 20, 3, 4, 20], [1, 2, 2, 3]);
  // To Q(s,4,-1): roundShift(q, 1) = floor(q/2 + 1/2): -5 -> -2, 1 -> 1, 2 -> 1, 3 -> 2, 4 -> 2, 20 -> 10 saturates to 7.
  check('Pad', perChannel, [xc], q(true, 4, -1), [-2, -2, -2, 1, 1, -2, 7, 7, 7, 2, 2, 7]);
  // Rank 2: the channels are the last dim.
  check('Pad', { pads: [1, 0, 0, 0], mode: 'constant', value: 0, channelValues: [10, -20, 30] }, [{ shape: [2, 3], data: [1, 2, 3, 4, 5, 6], format: s8(0) }], s8(0), [10, -20, 30, 1, 2, 3, 4, 5, 6], [3, 3]);
  const d = { shape: [1, 8, 1, 1], data: [0, 1, 2, 3, 4, 5, 6, 7], format: s8(0) };
  check('DepthToSpace', { blocksize: 2, mode: 'DCR' }, [d], s8(0), [0, 2, 4, 6, 1, 3, 5, 7], [1, 2, 2, 2]);
  check('DepthToSpace', { blocksize: 2, mode: 'CRD' }, [d], s8(0), [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 2, 2]);
  const r = { shape: [1, 1, 1, 2], data: [5, 7], format: s8(0) };
  check('Resize', { scales: [1, 1, 2, 2], coordinateMode: 'asymmetric', nearestMode: 'floor' }, [r], s8(0), [5, 5, 7, 7, 5, 5, 7, 7], [1, 1, 2, 4]);
});

test('Requantize and Identity: shift, then saturation (signed and unsigned)', () => {
  // 100 << 1 = 200 -> 7, -200 -> -8, 6.
  check('Requantize', {}, [{ shape: [1, 3], data: [100, -100, 3], format: s8(0) }], q(true, 4, 1), [7, -8, 6]);
  check('Requantize', {}, [{ shape: [1, 2], data: [-3, 5], format: s8(0) }], q(false, 4, 0), [0, 5]);
  // Ties round up: 3/2 = 1.5 -> 2, -3/2 = -1.5 -> -1.
  check('Requantize', {}, [{ shape: [1, 2], data: [3, -3], format: s8(1) }], s8(0), [2, -1]);
  check('Identity', {}, [{ shape: [1, 2], data: [-128, 127], format: s8(0) }], s8(0), [-128, 127]);
});
