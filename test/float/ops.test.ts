/** Per-op correctness on small hand-computed cases and naive references. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FxpError } from '../../src/errors.js';
import type { Graph } from '../../src/ir/graph.js';
import type { OpAttrMap, PoolAttrs } from '../../src/ir/ops.js';
import { verifyGraph } from '../../src/ir/verify.js';
import { sizeOf, stridesOf, type Tensor } from '../../src/tensor.js';
import { assertClose, naiveTranspose, opGraph, randomTensor, rng, runOp, t } from './util.js';

const close = (got: Tensor, shape: number[], values: number[], tol = 1e-6): void => assertClose(got, t(shape, values), tol);

test('BatchNormalization: (x - mean) / sqrt(var + eps) * scale + bias per channel', () => {
  const x = t([1, 2, 1, 2], [1, 2, 3, 4]);
  const params = [t([2], [2, 0.5]), t([2], [1, -1]), t([2], [1, 2]), t([2], [4, 0.25]), ];
  const got = runOp('BatchNormalization', { epsilon: 0 }, [x], params);
  close(got, [1, 2, 1, 2], [(1 - 1) / 2 * 2 + 1, (2 - 1) / 2 * 2 + 1, (3 - 2) / 0.5 * 0.5 - 1, (4 - 2) / 0.5 * 0.5 - 1]);
  const eps = runOp('BatchNormalization', { epsilon: 5 }, [x], params);
  close(eps, [1, 2, 1, 2], [1, 1 + 2 / 3, (3 - 2) / Math.sqrt(5.25) * 0.5 - 1, (4 - 2) / Math.sqrt(5.25) * 0.5 - 1], 1e-6);
});

test('ChannelAffine on 4-D and 2-D inputs, with fused activation', () => {
  close(runOp('ChannelAffine', {}, [t([1, 2, 2], [1, 2, 3, 4])], [t([2], [2, -1]), t([2], [0.5, 1])]), [1, 2, 2], [2.5, 4.5, -2, -3]);
  close(runOp('ChannelAffine', { activation: { kind: 'Relu' } }, [t([2, 2], [1, 2, 3, 4])], [t([2], [2, -1]), t([2], [0.5, 1])]), [2, 2], [2.5, 0, 6.5, 0]);
});

test('Relu, Clip, LeakyRelu, Sigmoid, Tanh', () => {
  const x = t([1, 5], [-2, -0.5, 0, 0.5, 800]);
  close(runOp('Relu', {}, [x]), [1, 5], [0, 0, 0, 0.5, 800]);
  close(runOp('Clip', { min: -1, max: 6 }, [x]), [1, 5], [-1, -0.5, 0, 0.5, 6]);
  close(runOp('Clip', { min: -Infinity, max: 0.25 }, [x]), [1, 5], [-2, -0.5, 0, 0.25, 0.25]);
  close(runOp('LeakyRelu', { alpha: 0.1 }, [x]), [1, 5], [-0.2, -0.05, 0, 0.5, 800]);
  const s = (v: number): number => 1 / (1 + Math.exp(-v));
  close(runOp('Sigmoid', {}, [t([1, 4], [-800, -1, 0, 3])]), [1, 4], [0, s(-1), 0.5, s(3)]);
  close(runOp('Tanh', {}, [x]), [1, 5], [Math.tanh(-2), Math.tanh(-0.5), 0, Math.tanh(0.5), 1]);
  assert.deepEqual([...x.data], [-2, -0.5, 0, 0.5, 800], 'input not modified');
});

test('Softmax over the last and a middle axis, stable for large inputs', () => {
  const e = (xs: number[]): number[] => {
    const m = Math.max(...xs);
    const ex = xs.map((v) => Math.exp(v - m));
    const sum = ex.reduce((a, b) => a + b, 0);
    return ex.map((v) => v / sum);
  };
  close(runOp('Softmax', { axis: 1 }, [t([2, 3], [1, 2, 3, 1000, 1000, 1001])]), [2, 3], [...e([1, 2, 3]), ...e([0, 0, 1])]);
  // axis 1 of [1, 2, 2]: pairs (x[0,0,j], x[0,1,j])
  const got = runOp('Softmax', { axis: 1 }, [t([1, 2, 2], [0, 1, 2, 5])]);
  const [a0, a1] = e([0, 2]);
  const [b0, b1] = e([1, 5]);
  close(got, [1, 2, 2], [a0!, b0!, a1!, b1!]);
});

const pool = (over: Partial<PoolAttrs>): PoolAttrs => ({
  kernel: [2, 2], strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0], autoPad: 'NOTSET', ceilMode: false, ...over,
});

test('MaxPool: padding ignored, ceil mode, dilation, SAME_UPPER', () => {
  const x = t([1, 1, 3, 3], [-1, -2, -3, -4, -5, -6, -7, -8, -9]);
  close(runOp('MaxPool', pool({}), [x]), [1, 1, 1, 1], [-1]);
  close(runOp('MaxPool', pool({ ceilMode: true }), [x]), [1, 1, 2, 2], [-1, -3, -7, -9]);
  close(runOp('MaxPool', pool({ pads: [1, 1, 1, 1] }), [x]), [1, 1, 2, 2], [-1, -2, -4, -5]);
  close(runOp('MaxPool', pool({ autoPad: 'SAME_UPPER' }), [x]), [1, 1, 2, 2], [-1, -3, -7, -9]);
  close(runOp('MaxPool', pool({ strides: [1, 1], dilations: [2, 2] }), [t([1, 1, 3, 3], [1, 9, 2, 8, 7, 6, 3, 5, 4])]), [1, 1, 1, 1], [4]);
});

test('AveragePool: countIncludePad true and false, ceil-mode cells past the padding never count', () => {
  const x = t([1, 1, 2, 2], [1, 2, 3, 4]);
  const a = pool({ kernel: [2, 2], strides: [1, 1], pads: [1, 1, 0, 0] });
  close(runOp('AveragePool', { ...a, countIncludePad: false }, [x]), [1, 1, 2, 2], [1, 1.5, 2, 2.5]);
  close(runOp('AveragePool', { ...a, countIncludePad: true }, [x]), [1, 1, 2, 2], [0.25, 0.75, 1, 2.5]);
  // 3x3 input, kernel 2 stride 2 ceil: last window covers one real row/col and nothing else.
  const y = t([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const c = pool({ ceilMode: true });
  close(runOp('AveragePool', { ...c, countIncludePad: true }, [y]), [1, 1, 2, 2], [3, 4.5, 7.5, 9]);
  close(runOp('AveragePool', { ...c, countIncludePad: false }, [y]), [1, 1, 2, 2], [3, 4.5, 7.5, 9]);
  // kernel 3 stride 2 over 5 cells with one end pad: the third window is [4, pad, past the pad].
  const e = pool({ kernel: [1, 3], strides: [1, 2], pads: [0, 0, 0, 1], ceilMode: true });
  const line = t([1, 1, 1, 5], [1, 2, 3, 4, 5]);
  close(runOp('AveragePool', { ...e, countIncludePad: true }, [line]), [1, 1, 1, 3], [2, 4, 2.5]);
  close(runOp('AveragePool', { ...e, countIncludePad: false }, [line]), [1, 1, 1, 3], [2, 4, 5]);
  close(runOp('MaxPool', e, [line]), [1, 1, 1, 3], [3, 5, 5]);
  // dilated average, padding excluded
  close(runOp('AveragePool', { ...pool({ kernel: [1, 2], strides: [1, 1], dilations: [1, 3], pads: [0, 1, 0, 0] }), countIncludePad: false }, [line]),
    [1, 1, 1, 3], [3, 2.5, 3.5]);
});

test('GlobalMaxPool and GlobalAveragePool', () => {
  const x = t([2, 2, 1, 3], [1, 5, 3, -1, -2, -3, 0, 0, 6, 2, 2, 2]);
  close(runOp('GlobalMaxPool', {}, [x]), [2, 2, 1, 1], [5, -1, 6, 2]);
  close(runOp('GlobalAveragePool', {}, [x]), [2, 2, 1, 1], [3, -2, 2, 2]);
});

function naiveBroadcast(a: Tensor, b: Tensor, f: (x: number, y: number) => number): Tensor {
  const r = Math.max(a.shape.length, b.shape.length);
  const pa = [...new Array<number>(r - a.shape.length).fill(1), ...a.shape];
  const pb = [...new Array<number>(r - b.shape.length).fill(1), ...b.shape];
  const shape = pa.map((d, i) => Math.max(d, pb[i]!));
  const sa = stridesOf(pa);
  const sb = stridesOf(pb);
  const out = new Float32Array(sizeOf(shape));
  for (let o = 0; o < out.length; o++) {
    let rem = o;
    let ia = 0;
    let ib = 0;
    for (let d = r - 1; d >= 0; d--) {
      const i = rem % shape[d]!;
      rem = Math.floor(rem / shape[d]!);
      if (pa[d] !== 1) ia += i * sa[d]!;
      if (pb[d] !== 1) ib += i * sb[d]!;
    }
    out[o] = f(a.data[ia]!, b.data[ib]!);
  }
  return { shape, data: out };
}

test('Add and Mul broadcast like numpy (random shapes), Add with fused Relu', () => {
  const rand = rng(20);
  const cases: [number[], number[]][] = [
    [[2, 3, 4, 5], [2, 3, 4, 5]], [[2, 3, 4, 5], [1]], [[1], [2, 3]], [[2, 3, 4, 5], [3, 1, 1]],
    [[2, 3, 4, 5], [1, 3, 1, 1]], [[2, 1, 4, 1], [3, 1, 5]], [[5], [4, 1]], [[2, 3, 1, 5], [2, 1, 4, 5]], [[1, 1], [1, 1]], [[3, 1, 2], [1, 1, 2]],
  ];
  for (const [sa, sb] of cases) {
    const a = randomTensor(sa, rand);
    const b = randomTensor(sb, rand);
    assertClose(runOp('Add', {}, [a, b]), naiveBroadcast(a, b, (x, y) => x + y), 1e-6, `add ${sa} ${sb}`);
    assertClose(runOp('Mul', {}, [a, b]), naiveBroadcast(a, b, (x, y) => x * y), 1e-6, `mul ${sa} ${sb}`);
    assertClose(runOp('Add', { activation: { kind: 'Relu' } }, [a, b]), naiveBroadcast(a, b, (x, y) => Math.max(0, x + y)), 1e-6);
  }
  // a constant operand (not a graph input)
  close(runOp('Mul', {}, [t([1, 2, 1, 2], [1, 2, 3, 4])], [t([1, 2, 1, 1], [10, -1])]), [1, 2, 1, 2], [10, 20, -3, -4]);
});

test('Concat along axes 0, 1 and 3', () => {
  const a = t([1, 2, 1, 2], [1, 2, 3, 4]);
  const b = t([1, 1, 1, 2], [5, 6]);
  close(runOp('Concat', { axis: 1 }, [a, b]), [1, 3, 1, 2], [1, 2, 3, 4, 5, 6]);
  close(runOp('Concat', { axis: 0 }, [a, a]), [2, 2, 1, 2], [1, 2, 3, 4, 1, 2, 3, 4]);
  close(runOp('Concat', { axis: 3 }, [a, t([1, 2, 1, 1], [7, 8])]), [1, 2, 1, 3], [1, 2, 7, 3, 4, 8]);
});

test('Flatten, Reshape and Identity keep the data and relabel the shape', () => {
  const x = t([2, 3, 2], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  close(runOp('Flatten', { axis: 1 }, [x]), [2, 6], [...x.data]);
  close(runOp('Flatten', { axis: 0 }, [x]), [1, 12], [...x.data]);
  close(runOp('Reshape', { shape: [0, -1] }, [x]), [2, 6], [...x.data]);
  close(runOp('Reshape', { shape: [3, 2, 2] }, [x]), [3, 2, 2], [...x.data]);
  close(runOp('Identity', {}, [x]), [2, 3, 2], [...x.data]);
});

test('Transpose matches a naive permutation on random shapes', () => {
  const rand = rng(21);
  for (const [shape, perm] of [
    [[2, 3, 4, 5], [0, 2, 3, 1]], [[2, 3, 4, 5], [0, 3, 1, 2]], [[3, 4], [1, 0]], [[2, 1, 3], [2, 1, 0]], [[4, 3, 2, 1, 2], [4, 2, 0, 3, 1]], [[5], [0]],
  ] as const) {
    const x = randomTensor(shape, rand);
    assertClose(runOp('Transpose', { perm }, [x]), naiveTranspose(x, perm), 0);
  }
});

test('Pad: constant, reflect and edge (ONNX examples), negative pads crop', () => {
  const x = t([3, 2], [1.0, 1.2, 2.3, 3.4, 4.5, 5.7]);
  const pads = [0, 2, 0, 0];
  close(runOp('Pad', { pads, mode: 'constant', value: 0 }, [x]), [3, 4], [0, 0, 1.0, 1.2, 0, 0, 2.3, 3.4, 0, 0, 4.5, 5.7]);
  close(runOp('Pad', { pads: [2, 0, 0, 0], mode: 'reflect', value: 0 }, [x]), [5, 2], [4.5, 5.7, 2.3, 3.4, 1.0, 1.2, 2.3, 3.4, 4.5, 5.7]);
  close(runOp('Pad', { pads, mode: 'edge', value: 0 }, [x]), [3, 4], [1.0, 1.0, 1.0, 1.2, 2.3, 2.3, 2.3, 3.4, 4.5, 4.5, 4.5, 5.7]);
  const r = t([1, 4], [1, 2, 3, 4]);
  close(runOp('Pad', { pads: [0, 3, 0, 2], mode: 'reflect', value: 0 }, [r]), [1, 9], [4, 3, 2, 1, 2, 3, 4, 3, 2]);
  close(runOp('Pad', { pads: [1, 0, 0, 1], mode: 'constant', value: -7 }, [r]), [2, 5], [-7, -7, -7, -7, -7, 1, 2, 3, 4, -7]);
  close(runOp('Pad', { pads: [0, -1, 0, 1], mode: 'edge', value: 0 }, [r]), [1, 4], [2, 3, 4, 4]);
});

test('Pad with channelValues: padded cells of channel c (dim 1) hold channelValues[c], ranks 2 to 4', () => {
  // [1, 2, 2, 2], top 1 and right 2 (asymmetric); `value` is unused.
  const x = t([1, 2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
  const a = -1.5;
  const b = 2.25;
  close(runOp('Pad', { pads: [0, 0, 1, 0, 0, 0, 0, 2], mode: 'constant', value: 9, channelValues: [a, b] }, [x]), [1, 2, 3, 4], [
    a, a, a, a, 1, 2, a, a, 3, 4, a, a,
    b, b, b, b, 5, 6, b, b, 7, 8, b, b,
  ]);
  // Rank 3 with a crop: [1, 2, 3], left 2, right -1.
  close(runOp('Pad', { pads: [0, 0, 2, 0, 0, -1], mode: 'constant', value: 0, channelValues: [-4, 0.5] }, [t([1, 2, 3], [1, 2, 3, 4, 5, 6])]), [1, 2, 4], [-4, -4, 1, 2, 0.5, 0.5, 4, 5]);
  // Rank 2: the channel is the last dim; a padded row takes each channel's value.
  const r = t([2, 3], [1, 2, 3, 4, 5, 6]);
  close(runOp('Pad', { pads: [1, 0, 1, 0], mode: 'constant', value: 7, channelValues: [10, 20, 30] }, [r]), [4, 3], [10, 20, 30, 1, 2, 3, 4, 5, 6, 10, 20, 30]);
});

test('Pad with channelValues: wrong length, non-constant mode, padded channels or rank 1 are FxpErrors naming the node', () => {
  const x = t([1, 2, 1, 2], [1, 2, 3, 4]);
  const rejects = (attrs: OpAttrMap['Pad'], input: Tensor, pattern: RegExp): void => {
    assert.throws(() => runOp('Pad', attrs, [input]), (err: unknown) => err instanceof FxpError && pattern.test(err.message) && err.node === 'Pad_node' && err.op === 'Pad');
  };
  rejects({ pads: [0, 0, 1, 1, 0, 0, 1, 1], mode: 'constant', value: 0, channelValues: [1, 2, 3] }, x, /channelValues has 3 values, the input \[1, 2, 1, 2\] has 2 channels/);
  rejects({ pads: [0, 0, 0, 1, 0, 0, 0, 1], mode: 'reflect', value: 0, channelValues: [1, 2] }, x, /channelValues need mode 'constant', got 'reflect'/);
  rejects({ pads: [0, 1, 0, 0, 0, 0, 0, 0], mode: 'constant', value: 0, channelValues: [1, 2] }, x, /zero pads on dim 1/);
  rejects({ pads: [1, 1], mode: 'constant', value: 0, channelValues: [1] }, t([2], [1, 2]), /rank >= 2/);
  // The graph verifier rejects the mode and non-finite values without shapes.
  const g = (attrs: OpAttrMap['Pad']): Graph => opGraph('Pad', attrs, [x]);
  assert.throws(() => verifyGraph(g({ pads: [0, 0, 1, 1, 0, 0, 1, 1], mode: 'edge', value: 0, channelValues: [1, 2] })), /channelValues need mode 'constant', got 'edge'/);
  assert.throws(() => verifyGraph(g({ pads: [0, 0, 1, 1, 0, 0, 1, 1], mode: 'constant', value: 0, channelValues: [1, Number.NaN] })), /must be finite/);
  verifyGraph(g({ pads: [0, 0, 1, 1, 0, 0, 1, 1], mode: 'constant', value: 0, channelValues: [1, 2] }), [[1, 2, 1, 2]]);
});

test('DepthToSpace DCR and CRD match reshape-transpose-reshape (ONNX definition)', () => {
  const rand = rng(22);
  const [n, c, h, w, b] = [2, 8, 2, 3, 2];
  const x = randomTensor([n, c, h, w], rand);
  const dcr = naiveTranspose({ shape: [n, b, b, c / (b * b), h, w], data: x.data }, [0, 3, 4, 1, 5, 2]);
  const crd = naiveTranspose({ shape: [n, c / (b * b), b, b, h, w], data: x.data }, [0, 1, 4, 2, 5, 3]);
  const shape = [n, c / (b * b), h * b, w * b];
  assertClose(runOp('DepthToSpace', { blocksize: b, mode: 'DCR' }, [x]), { shape, data: dcr.data }, 0);
  assertClose(runOp('DepthToSpace', { blocksize: b, mode: 'CRD' }, [x]), { shape, data: crd.data }, 0);
  const x9 = randomTensor([1, 18, 2, 2], rand);
  const crd3 = naiveTranspose({ shape: [1, 2, 3, 3, 2, 2], data: x9.data }, [0, 1, 4, 2, 5, 3]);
  assertClose(runOp('DepthToSpace', { blocksize: 3, mode: 'CRD' }, [x9]), { shape: [1, 2, 6, 6], data: crd3.data }, 0);
});

test('Resize nearest: ONNX test vectors and each coordinate/nearest mode', () => {
  const x16 = t([1, 1, 4, 4], Array.from({ length: 16 }, (_, i) => i + 1));
  const sizes = [1, 1, 8, 8];
  const row = (got: Tensor, r: number): number[] => [...got.data.slice(r * 8, r * 8 + 8)];
  // resize_upsample_sizes_nearest_ceil_half_pixel
  const ceilHalf = runOp('Resize', { scales: [], sizes, coordinateMode: 'half_pixel', nearestMode: 'ceil' }, [x16]);
  assert.deepEqual([...ceilHalf.shape], sizes);
  assert.deepEqual(row(ceilHalf, 0), [1, 2, 2, 3, 3, 4, 4, 4]);
  assert.deepEqual(row(ceilHalf, 1), [5, 6, 6, 7, 7, 8, 8, 8]);
  assert.deepEqual(row(ceilHalf, 7), [13, 14, 14, 15, 15, 16, 16, 16]);
  // resize_upsample_sizes_nearest_floor_align_corners
  const floorAc = runOp('Resize', { scales: [], sizes, coordinateMode: 'align_corners', nearestMode: 'floor' }, [x16]);
  assert.deepEqual(row(floorAc, 0), [1, 1, 1, 2, 2, 3, 3, 4]);
  assert.deepEqual(row(floorAc, 3), [5, 5, 5, 6, 6, 7, 7, 8]);
  // resize_upsample_sizes_nearest_round_prefer_ceil_asymmetric
  const ceilAsym = runOp('Resize', { scales: [], sizes, coordinateMode: 'asymmetric', nearestMode: 'round_prefer_ceil' }, [x16]);
  assert.deepEqual(row(ceilAsym, 0), [1, 2, 2, 3, 3, 4, 4, 4]);
  assert.deepEqual(row(ceilAsym, 1), [5, 6, 6, 7, 7, 8, 8, 8]);
  // resize_downsample_scales_nearest (half_pixel, round_prefer_floor)
  const down = runOp('Resize', { scales: [1, 1, 0.6, 0.6], coordinateMode: 'half_pixel', nearestMode: 'round_prefer_floor' }, [t([1, 1, 2, 4], [1, 2, 3, 4, 5, 6, 7, 8])]);
  close(down, [1, 1, 1, 2], [1, 3]);
  // Ties: asymmetric x2 puts originals at k/2.
  const line = t([1, 4], [1, 2, 3, 4]);
  const up = (coordinateMode: 'asymmetric' | 'tf_half_pixel_for_nn' | 'pytorch_half_pixel', nearestMode: 'round_prefer_floor' | 'round_prefer_ceil' | 'floor'): number[] =>
    [...runOp('Resize', { scales: [1, 2], coordinateMode, nearestMode }, [line]).data];
  assert.deepEqual(up('asymmetric', 'round_prefer_floor'), [1, 1, 2, 2, 3, 3, 4, 4]);
  assert.deepEqual(up('asymmetric', 'round_prefer_ceil'), [1, 2, 2, 3, 3, 4, 4, 4]);
  assert.deepEqual(up('tf_half_pixel_for_nn', 'round_prefer_floor'), [1, 2, 2, 3, 3, 4, 4, 4]);
  assert.deepEqual(up('pytorch_half_pixel', 'floor'), [1, 1, 1, 2, 2, 3, 3, 4]);
  // pytorch_half_pixel with an output length of 1 reads index 0; half_pixel reads the middle.
  close(runOp('Resize', { scales: [], sizes: [1, 1], coordinateMode: 'pytorch_half_pixel', nearestMode: 'floor' }, [line]), [1, 1], [1]);
  close(runOp('Resize', { scales: [], sizes: [1, 1], coordinateMode: 'half_pixel', nearestMode: 'floor' }, [line]), [1, 1], [2]);
  // A dim with scale 1 is copied even where the formula would shift it (onnxruntime's behaviour).
  close(runOp('Resize', { scales: [1, 2], coordinateMode: 'tf_half_pixel_for_nn', nearestMode: 'ceil' }, [t([2, 2], [1, 2, 3, 4])]),
    [2, 4], [2, 2, 2, 2, 4, 4, 4, 4]);
  // Non-integer upscale on the batch and channel dims too.
  close(runOp('Resize', { scales: [2, 1.5], coordinateMode: 'asymmetric', nearestMode: 'floor' }, [t([1, 2], [1, 2])]), [2, 3], [1, 1, 2, 1, 1, 2]);
});
