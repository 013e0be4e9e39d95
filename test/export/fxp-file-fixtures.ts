/**
 * Hand-built fixed-point graphs for the `.fxp` tests: one that uses every FxOpType,
 * both weight schemes, both bias kinds and every fused activation, with extreme
 * integers in every array; and a Dense-only model for size scaling.
 */
import { prepareExp } from '../../src/fixed/exp.js';
import type { QFormat } from '../../src/fixed/format.js';
import type { Dim } from '../../src/ir/graph.js';
import type { FxExpTable, FxGraph, FxNode, FxValue, FxWeights } from '../../src/engine/fx-graph.js';
import { rng } from '../util/random.js';

export { rng };

/** n integers in [lo, hi], the first two being lo and hi themselves. */
export function randInts(rand: () => number, n: number, lo: number, hi: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i === 0 ? lo : i === 1 ? hi : lo + Math.floor(rand() * (hi - lo + 1));
  return out;
}

const sq = (wl: number, fl: number): QFormat => ({ signed: true, wl, fl });
const uq = (wl: number, fl: number): QFormat => ({ signed: false, wl, fl });

function weights(rand: () => number, shape: number[], wl: number, outChannels: number, perChannel: boolean, range?: { bits: number; fl: number }): FxWeights {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = randInts(rand, n, -(2 ** (wl - 1)), 2 ** (wl - 1) - 1);
  const fl = perChannel ? Array.from({ length: outChannels }, (_, c) => wl - 1 + (c % 3)) : [wl - 1];
  if (range === undefined) return { shape, data, wl, fl };
  return { shape, data, wl, fl, range: { data: randInts(rand, fl.length, 0, 2 ** range.bits - 1), fl: range.fl, bits: range.bits } };
}

function expTable(inFl: number, outFl: number): FxExpTable {
  const { jMax, tables } = prepareExp(inFl, outFl);
  return { inFl, outFl, jMax, tables };
}

/** A graph with every FxOpType; `scheme` picks dynamic or range-adaptive convolutions. */
export function everyOpGraph(seed = 1): FxGraph {
  const rand = rng(seed);
  const values: FxValue[] = [];
  const v = (name: string, shape: Dim[], format: QFormat): number => {
    values.push({ name, shape, format });
    return values.length - 1;
  };
  const x = v('x', ['N', 3, 8, 8], sq(8, 7));
  const c1 = v('c1', ['N', 4, 8, 8], uq(8, 4));
  const c2 = v('c2', ['N', 4, 8, 8], sq(6, 3));
  const ct = v('ct', ['N', 2, 16, 16], sq(16, 9));
  const aff = v('aff', ['N', 2, 16, 16], sq(8, 4));
  const mp = v('mp', ['N', 2, 8, 8], sq(8, 4));
  const ap = v('ap', ['N', 2, 8, 8], sq(8, 4));
  const add = v('add', ['N', 2, 8, 8], sq(9, 4));
  const mul = v('mul', ['N', 2, 8, 8], sq(12, 6));
  const cat = v('cat', ['N', 4, 8, 8], sq(12, 4));
  const relu = v('relu', ['N', 4, 8, 8], uq(12, 4));
  const clip = v('clip', ['N', 4, 8, 8], sq(12, 4));
  const leaky = v('leaky', ['N', 4, 8, 8], sq(12, 4));
  const sig = v('sig', ['N', 4, 8, 8], uq(8, 8));
  const tanh = v('tanh', ['N', 4, 8, 8], sq(8, 7));
  const pad = v('pad', ['N', 4, 10, 10], sq(8, 7));
  const d2s = v('d2s', ['N', 1, 20, 20], sq(8, 7));
  const rs = v('rs', ['N', 1, 30, 30], sq(8, 7));
  const tr = v('tr', ['N', 30, 30, 1], sq(8, 7));
  const rq = v('rq', ['N', 30, 30, 1], sq(4, 3));
  const id = v('id', ['N', 30, 30, 1], sq(4, 3));
  const gmp = v('gmp', ['N', 30, 1, 1], sq(4, 3));
  const gap = v('gap', ['N', 30, 1, 1], sq(10, 8));
  const flat = v('flat', ['N', 30], sq(10, 8));
  const resh = v('resh', ['N', 30], sq(10, 8));
  const dense = v('dense', ['N', 10], sq(16, 10));
  const soft = v('soft', ['N', 10], uq(16, 15));

  const win = { strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], autoPad: 'NOTSET' } as const;
  const nodes: FxNode[] = [
    {
      op: 'Conv', name: 'conv_dynamic', inputs: [x], outputs: [c1],
      attrs: {
        kernel: [3, 3], ...win, group: 1,
        weights: weights(rand, [4, 3, 3, 3], 8, 4, true),
        bias: { kind: 'format', data: randInts(rand, 4, -(2 ** 31), 2 ** 31 - 1), format: sq(32, 12) },
        activation: { kind: 'Relu' },
      },
    },
    {
      op: 'Conv', name: 'conv_range', inputs: [c1], outputs: [c2],
      attrs: {
        kernel: [3, 3], strides: [1, 1], dilations: [2, 2], pads: [0, 0, 0, 0], autoPad: 'SAME_UPPER', group: 2,
        weights: weights(rand, [4, 2, 3, 3], 5, 4, true, { bits: 12, fl: 10 }),
        bias: { kind: 'accumulator', data: randInts(rand, 4, -(2 ** 19), 2 ** 19 - 1), wl: 20 },
        activation: { kind: 'Clip', lo: -3, hi: 31 },
      },
    },
    {
      op: 'ConvTranspose', name: 'deconv', inputs: [c2], outputs: [ct],
      attrs: {
        kernel: [2, 2], strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0], autoPad: 'VALID', outputPadding: [1, 0], group: 2,
        weights: weights(rand, [4, 1, 2, 2], 16, 2, false, { bits: 31, fl: -3 }),
        activation: { kind: 'LeakyRelu', m: 13, shift: 7 },
      },
    },
    {
      op: 'ChannelAffine', name: 'affine', inputs: [ct], outputs: [aff],
      attrs: { weights: weights(rand, [2], 3, 2, true), bias: { kind: 'format', data: Int32Array.of(0, 255), format: uq(8, 2) } },
    },
    { op: 'MaxPool', name: 'maxpool', inputs: [aff], outputs: [mp], attrs: { kernel: [2, 2], strides: [2, 2], dilations: [1, 1], pads: [0, 0, 1, 1], autoPad: 'NOTSET', ceilMode: true } },
    { op: 'AveragePool', name: 'avgpool', inputs: [mp], outputs: [ap], attrs: { kernel: [3, 3], ...win, ceilMode: false, countIncludePad: true } },
    { op: 'Add', name: 'add', inputs: [mp, ap], outputs: [add], attrs: { activation: { kind: 'Relu' } } },
    { op: 'Mul', name: 'mul', inputs: [add, ap], outputs: [mul], attrs: {} },
    { op: 'Concat', name: 'concat', inputs: [mul, add], outputs: [cat], attrs: { axis: 1 } },
    { op: 'Relu', name: 'relu', inputs: [cat], outputs: [relu], attrs: {} },
    { op: 'Clip', name: 'clip', inputs: [relu], outputs: [clip], attrs: { lo: 0, hi: 2047 } },
    { op: 'LeakyRelu', name: 'leaky', inputs: [clip], outputs: [leaky], attrs: { m: -5, shift: 3 } },
    { op: 'Sigmoid', name: 'sigmoid', inputs: [leaky], outputs: [sig], attrs: { table: { qmin: -2048, data: randInts(rand, 300, 0, 255) } } },
    { op: 'Tanh', name: 'tanh', inputs: [sig], outputs: [tanh], attrs: { table: { qmin: 0, data: randInts(rand, 256, -128, 127) } } },
    { op: 'Pad', name: 'pad', inputs: [tanh], outputs: [pad], attrs: { pads: [0, 0, 1, 1, 0, 0, 1, 1], mode: 'reflect', value: -7 } },
    { op: 'DepthToSpace', name: 'd2s', inputs: [pad], outputs: [d2s], attrs: { blocksize: 2, mode: 'CRD' } },
    { op: 'Resize', name: 'resize', inputs: [d2s], outputs: [rs], attrs: { scales: [1, 1, 1.5, 1.5], coordinateMode: 'half_pixel', nearestMode: 'round_prefer_ceil' } },
    { op: 'Transpose', name: 'transpose', inputs: [rs], outputs: [tr], attrs: { perm: [0, 2, 3, 1] } },
    { op: 'Requantize', name: 'requant', inputs: [tr], outputs: [rq], attrs: {} },
    { op: 'Identity', name: 'identity', inputs: [rq], outputs: [id], attrs: {} },
    { op: 'GlobalMaxPool', name: 'gmp', inputs: [id], outputs: [gmp], attrs: {} },
    { op: 'GlobalAveragePool', name: 'gap', inputs: [gmp], outputs: [gap], attrs: {} },
    { op: 'Flatten', name: 'flatten', inputs: [gap], outputs: [flat], attrs: { axis: 1 } },
    { op: 'Reshape', name: 'reshape', inputs: [flat], outputs: [resh], attrs: { shape: [-1, 30] } },
    {
      op: 'Dense', name: 'dense', inputs: [resh], outputs: [dense],
      attrs: { weights: weights(rand, [10, 30], 2, 10, true), bias: { kind: 'accumulator', data: randInts(rand, 10, -(2 ** 31), 2 ** 31 - 1), wl: 32 } },
    },
    { op: 'Softmax', name: 'softmax', inputs: [dense], outputs: [soft], attrs: { axis: 1, exp: expTable(10, 15) } },
  ];
  return {
    name: 'every-op',
    values,
    nodes,
    inputs: [x],
    outputs: [soft, gap],
    inputLayout: 'NHWC',
    meta: { source: 'hand-built', strategy: 'goyal', ['__proto__']: 'not a prototype', 'ünïcødé': '✓' },
  };
}

/** A small graph whose nodes use `Resize.sizes` and an unbatched, fully concrete shape. */
export function resizeSizesGraph(): FxGraph {
  return {
    name: 'resize-sizes',
    values: [
      { name: 'x', shape: [1, 1, 4, 4], format: sq(8, 0) },
      { name: 'y', shape: [1, 1, 8, 8], format: sq(8, 0) },
    ],
    nodes: [{ op: 'Resize', name: 'up', inputs: [0], outputs: [1], attrs: { scales: [], sizes: [1, 1, 8, 8], coordinateMode: 'asymmetric', nearestMode: 'floor' } }],
    inputs: [0],
    outputs: [1],
  };
}

/** Dense layers only, every weight at `wl` bits: the weight section scales with wl. */
export function denseModel(wl: number, seed = 7): FxGraph {
  const rand = rng(seed);
  const widths = [64, 48, 10];
  const values: FxValue[] = [{ name: 'x', shape: ['N', widths[0]!], format: sq(8, 7) }];
  const nodes: FxNode[] = [];
  for (let i = 1; i < widths.length; i++) {
    values.push({ name: `h${i}`, shape: ['N', widths[i]!], format: sq(8, 4) });
    nodes.push({
      op: 'Dense', name: `fc${i}`, inputs: [i - 1], outputs: [i],
      attrs: {
        weights: weights(rand, [widths[i]!, widths[i - 1]!], wl, widths[i]!, false),
        bias: { kind: 'format', data: randInts(rand, widths[i]!, -100, 100), format: sq(16, 8) },
        ...(i + 1 < widths.length ? { activation: { kind: 'Relu' } } : {}),
      },
    });
  }
  return { name: `dense-${wl}bit`, values, nodes, inputs: [0], outputs: [widths.length - 1] };
}
