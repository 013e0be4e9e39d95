/**
 * Random single Conv / Dense graphs for the WASM-vs-reference tests: random
 * shapes, every padding mode, strides, dilations, groups (depthwise included),
 * both weight schemes and bias kinds, fused activations; `wide` gives 16-bit
 * operands whose accumulators leave int32 (the WASM kernels then run the reference).
 */
import type { QFormat } from '../../src/fixed/format.js';
import { qRange } from '../../src/fixed/format.js';
import type { FxActivation, FxBias, FxGraph, FxTensor, FxWeights } from '../../src/engine/fx-graph.js';
import type { AutoPad, Pads4, Pair } from '../../src/ir/ops.js';
import { Rng } from './random-graph.js';

export interface Case {
  readonly fx: FxGraph;
  readonly input: FxTensor;
  readonly what: string;
}

function weights(r: Rng, shape: number[], channels: number, wide: boolean): FxWeights {
  const wl = wide ? 16 : r.int(2, 8);
  const entries = r.bool() ? channels : 1;
  const lim = 2 ** (wl - 1);
  const data = Int32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, () => (r.bool(0.1) ? 0 : r.int(-lim, lim - 1)));
  if (r.bool(0.4)) {
    const bits = r.int(4, 16);
    return { shape, data, wl, fl: new Array<number>(entries).fill(wl - 1), range: { data: Int32Array.from({ length: entries }, () => r.int(1, 2 ** bits - 1)), fl: r.int(0, bits + 2), bits } };
  }
  return { shape, data, wl, fl: Array.from({ length: entries }, () => r.int(-2, wl + 3)) };
}

function bias(r: Rng, channels: number, accFl: number): FxBias | undefined {
  switch (r.int(0, 2)) {
    case 0:
      return undefined;
    case 1:
      return { kind: 'format', data: Int32Array.from({ length: channels }, () => r.int(-4096, 4095)), format: { signed: true, wl: 16, fl: accFl + r.int(-6, 6) } };
    default:
      return { kind: 'accumulator', data: Int32Array.from({ length: channels }, () => r.int(-(2 ** 16), 2 ** 16)), wl: 32 };
  }
}

function activation(r: Rng, fo: QFormat): FxActivation | undefined {
  const { qmin, qmax } = qRange(fo);
  switch (r.int(0, 4)) {
    case 0:
      return { kind: 'Relu' };
    case 1: {
      const a = r.int(qmin, qmax);
      const b = r.int(qmin, qmax);
      return { kind: 'Clip', lo: Math.min(a, b), hi: Math.max(a, b) };
    }
    case 2:
      return { kind: 'LeakyRelu', m: r.int(0, 2 ** 15 - 1), shift: r.int(0, 18) };
    default:
      return undefined;
  }
}

function inputOf(r: Rng, shape: number[], f: QFormat): FxTensor {
  const { qmin, qmax } = qRange(f);
  return { shape, format: f, data: Int32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, () => r.int(qmin, qmax)) };
}

function graph(name: string, op: 'Conv' | 'Dense', attrs: FxGraph['nodes'][number]['attrs'], inShape: readonly (number | string)[], fi: QFormat, fo: QFormat): FxGraph {
  return {
    name,
    values: [{ name: 'x', shape: ['N', ...inShape.slice(1)], format: fi }, { name: 'y', shape: [], format: fo }],
    nodes: [{ op, name: 'n', attrs, inputs: [0], outputs: [1] } as FxGraph['nodes'][number]],
    inputs: [0],
    outputs: [1],
  };
}

export function convCase(seed: number, wide: boolean): Case {
  const r = new Rng(seed);
  const c = r.int(1, wide ? 6 : 12);
  const groups = [1, c, ...[2, 3, 4].filter((d) => c % d === 0)];
  const group = r.pick(groups);
  const m = group * r.int(1, group === c ? 2 : 5);
  const cg = c / group;
  const kernel: Pair = [r.int(1, 5), r.int(1, 5)];
  const strides: Pair = [r.int(1, 3), r.int(1, 3)];
  const dilations: Pair = [r.int(1, 2), r.int(1, 2)];
  const autoPad = r.pick<AutoPad>(['NOTSET', 'NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID']);
  const pads: Pads4 = [r.int(0, 3), r.int(0, 3), r.int(0, 3), r.int(0, 3)];
  const h = r.int((kernel[0] - 1) * dilations[0] + 1, 20);
  const w = r.int((kernel[1] - 1) * dilations[1] + 1, 20);
  const shape = [r.int(1, 3), c, h, w];
  const fi: QFormat = wide ? { signed: true, wl: 16, fl: 8 } : { signed: r.bool(0.7), wl: r.int(2, 12), fl: r.int(-2, 10) };
  const wt = weights(r, [m, cg, kernel[0], kernel[1]], m, wide);
  const fo: QFormat = { signed: r.bool(0.8), wl: r.int(4, 16), fl: r.int(-2, 8) };
  const attrs = { kernel, strides, dilations, pads, autoPad, group, weights: wt, bias: bias(r, m, fi.fl + wt.fl[0]!), activation: activation(r, fo) };
  const what = `conv seed ${seed}: x [${shape.join(',')}] group ${group} m ${m} k ${kernel} s ${strides} d ${dilations} ${autoPad} ${pads} ${wide ? 'wide' : ''}`;
  return { fx: graph(`conv_${seed}`, 'Conv', attrs, shape, fi, fo), input: inputOf(r, shape, fi), what };
}

export function denseCase(seed: number, wide: boolean): Case {
  const r = new Rng(seed);
  const k = r.int(1, 70);
  const m = r.int(1, 20);
  const shape = r.bool() ? [r.int(1, 70), k] : [r.int(1, 3), r.int(1, 4), k];
  const fi: QFormat = wide ? { signed: true, wl: 16, fl: 8 } : { signed: r.bool(0.7), wl: r.int(2, 12), fl: r.int(-2, 10) };
  const wt = weights(r, [m, k], m, wide);
  const fo: QFormat = { signed: r.bool(0.8), wl: r.int(4, 16), fl: r.int(-2, 8) };
  const attrs = { weights: wt, bias: bias(r, m, fi.fl + wt.fl[0]!), activation: activation(r, fo) };
  return { fx: graph(`dense_${seed}`, 'Dense', attrs, shape, fi, fo), input: inputOf(r, shape, fi), what: `dense seed ${seed}: x [${shape.join(',')}] m ${m}` };
}
