/**
 * Random fixed-point graphs for the engine-vs-simulation tests: small shapes, every
 * op, both weight schemes, both bias kinds, fused activations, signed and unsigned
 * formats with negative fl and fl > wl, groups, strides, dilations, every pad mode,
 * and (with `wide`) 16-bit weights and activations so accumulators leave int32.
 */
import type { QFormat } from '../../src/fixed/format.js';
import { qRange } from '../../src/fixed/format.js';
import { quantize } from '../../src/fixed/convert.js';
import { prepareSoftmax } from '../../src/fixed/softmax.js';
import type { AutoPad, Pads4, Pair, ResizeCoordinateMode, ResizeNearestMode } from '../../src/ir/ops.js';
import type { FxActivation, FxBias, FxGraph, FxNode, FxOpAttrMap, FxOpType, FxTable, FxTensor, FxValue, FxWeights } from '../../src/engine/fx-graph.js';
import { inferFxNodeShape } from '../../src/engine/shapes.js';
import type { Tensor } from '../../src/tensor.js';

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** mulberry32 */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  bool(p = 0.5): boolean {
    return this.next() < p;
  }
  pick<T>(a: readonly T[]): T {
    return a[Math.floor(this.next() * a.length)]!;
  }
}

interface Val {
  readonly id: number;
  readonly shape: readonly number[];
  readonly format: QFormat;
}

export interface GenOptions {
  /** 16-bit weights and activations throughout: accumulators exceed int32. */
  readonly wide: boolean;
}

const AUTO_PADS: readonly AutoPad[] = ['NOTSET', 'NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];
const COORD_MODES: readonly ResizeCoordinateMode[] = ['asymmetric', 'half_pixel', 'pytorch_half_pixel', 'align_corners', 'tf_half_pixel_for_nn'];
const NEAREST_MODES: readonly ResizeNearestMode[] = ['floor', 'ceil', 'round_prefer_floor', 'round_prefer_ceil'];

class Gen {
  readonly values: FxValue[] = [];
  readonly nodes: FxNode[] = [];
  readonly inputs: number[] = [];
  readonly data: (Tensor | FxTensor)[] = [];

  constructor(
    readonly rng: Rng,
    readonly opts: GenOptions,
  ) {}

  format(nearFl?: number, signed = this.rng.bool(0.8)): QFormat {
    const wl = this.opts.wide ? 16 : this.rng.int(2, 16);
    const fl = nearFl === undefined ? this.rng.int(-4, wl + 4) : nearFl + this.rng.int(-3, 3);
    return { signed, wl, fl: Math.max(-64, Math.min(64, fl)) };
  }

  input(shape: readonly number[], format: QFormat): Val {
    const id = this.values.length;
    this.values.push({ name: `in${id}`, shape: ['N', ...shape.slice(1)], format });
    this.inputs.push(id);
    const { qmin, qmax } = qRange(format);
    const n = shape.reduce((a, d) => a * d, 1);
    if (this.rng.bool(0.3)) {
      this.data.push({ shape, format, data: Int32Array.from({ length: n }, () => this.rng.int(qmin, qmax)) });
    } else {
      // Reals a little beyond the range (saturation at the boundary), off the grid.
      const lo = (qmin - 2) * 2 ** -format.fl;
      const hi = (qmax + 2) * 2 ** -format.fl;
      this.data.push({ shape, data: Float32Array.from({ length: n }, () => lo + this.rng.next() * (hi - lo)) });
    }
    return { id, shape, format };
  }

  node<K extends FxOpType>(op: K, attrs: FxOpAttrMap[K], ins: readonly Val[], format: QFormat): Val {
    const id = this.values.length;
    const node = { op, name: `${op}_${this.nodes.length}`, attrs, inputs: ins.map((v) => v.id), outputs: [id] } as FxNode;
    const shape = inferFxNodeShape(node, ins.map((v) => v.shape));
    this.values.push({ name: `v${id}`, shape, format });
    this.nodes.push(node);
    return { id, shape, format };
  }

  /** Tries `make` a few times (random attributes may not fit the input), then `fallback`. */
  attempt(make: () => Val, fallback: () => Val): Val {
    for (let i = 0; i < 20; i++) {
      try {
        return make();
      } catch {
        // shape does not fit: try other attributes
      }
    }
    return fallback();
  }

  weights(shape: readonly number[], channels: number): FxWeights {
    const r = this.rng;
    const wl = this.opts.wide ? 16 : r.int(2, 12);
    const perChannel = r.bool();
    const entries = perChannel ? channels : 1;
    const lim = 2 ** (wl - 1);
    const n = shape.reduce((a, d) => a * d, 1);
    const data = Int32Array.from({ length: n }, () => (r.bool(0.1) ? 0 : r.int(-lim, lim - 1)));
    if (r.bool(0.35)) {
      const bits = r.int(4, 16);
      const range = { data: Int32Array.from({ length: entries }, () => r.int(1, 2 ** bits - 1)), fl: r.int(0, bits + 2), bits };
      return { shape, data, wl, fl: new Array<number>(entries).fill(wl - 1), range };
    }
    return { shape, data, wl, fl: Array.from({ length: entries }, () => r.int(-2, wl + 3)) };
  }

  bias(channels: number, accFl: number): FxBias | undefined {
    const r = this.rng;
    const kind = r.int(0, 2);
    if (kind === 0) return undefined;
    if (kind === 1) {
      const wl = r.int(4, 32);
      const format: QFormat = { signed: true, wl, fl: accFl + r.int(-8, 8) };
      const lim = 2 ** Math.min(wl - 1, 20);
      return { kind: 'format', data: Int32Array.from({ length: channels }, () => r.int(-lim, lim - 1)), format };
    }
    return { kind: 'accumulator', data: Int32Array.from({ length: channels }, () => r.int(-(2 ** 20), 2 ** 20)), wl: 32 };
  }

  activation(fo: QFormat): FxActivation | undefined {
    const r = this.rng;
    const { qmin, qmax } = qRange(fo);
    switch (r.int(0, 5)) {
      case 0:
        return { kind: 'Relu' };
      case 1: {
        const a = r.int(qmin - 2, qmax + 2);
        const b = r.int(qmin - 2, qmax + 2);
        return { kind: 'Clip', lo: Math.min(a, b), hi: Math.max(a, b) };
      }
      case 2:
        return { kind: 'LeakyRelu', m: r.int(0, 2 ** 15 - 1), shift: r.int(0, 18) };
      default:
        return undefined;
    }
  }

  /** Output format of a weighted op, placed near the typical magnitude of its results. */
  linearOut(x: QFormat, w: FxWeights, taps: number): QFormat {
    const r = this.rng;
    const rangeFl = w.range === undefined ? 0 : w.range.fl;
    const accFl = x.fl + w.fl[0]! + rangeFl;
    const range = w.range === undefined ? 1 : w.range.data[0]!;
    const typical = Math.sqrt(taps) * 2 ** (w.wl - 2) * 2 ** Math.max(0, x.wl - 2) * range + 1;
    // Sometimes the raw accumulator itself (shift 0 or a small left shift, 32 bits),
    // so that an accumulator off by one cannot hide behind rounding.
    if (r.bool(0.15)) return { signed: true, wl: 32, fl: accFl + r.int(0, 1) };
    const signed = r.bool(0.8);
    const wl = this.opts.wide ? 16 : r.int(2, 16);
    return { signed, wl, fl: Math.max(-64, Math.min(64, accFl - Math.round(Math.log2(typical)) + wl - 2 + r.int(-2, 2))) };
  }

  window(): { kernel: Pair; strides: Pair; dilations: Pair; pads: Pads4; autoPad: AutoPad } {
    const r = this.rng;
    const kernel: Pair = [r.int(1, 3), r.int(1, 3)];
    return {
      kernel,
      strides: [r.int(1, 2), r.int(1, 2)],
      dilations: [r.int(1, 2), r.int(1, 2)],
      pads: [r.int(0, kernel[0] - 1), r.int(0, kernel[1] - 1), r.int(0, kernel[0] - 1), r.int(0, kernel[1] - 1)],
      autoPad: r.pick(AUTO_PADS),
    };
  }

  table(x: QFormat, fo: QFormat, f: (v: number) => number): FxTable {
    const r = this.rng;
    const { qmin, qmax } = qRange(x);
    const lo = x.wl <= 10 ? qmin : r.int(Math.max(qmin, -600), 0);
    const hi = x.wl <= 10 ? qmax : r.int(0, Math.min(qmax, 600));
    const data = Int32Array.from({ length: hi - lo + 1 }, (_, i) => quantize(f((lo + i) * 2 ** -x.fl), fo));
    return { qmin: lo, data };
  }

  /** A second operand of x's shape (or broadcastable to it) for Add/Mul/Concat. */
  partner(x: Val): Val {
    const r = this.rng;
    switch (r.int(0, 3)) {
      case 0:
        return this.input(x.shape, this.format());
      case 1:
        if (x.shape.length >= 3) return this.node('GlobalMaxPool', {}, [x], this.format(x.format.fl, x.format.signed));
        return this.node('Relu', {}, [x], this.format(x.format.fl));
      case 2:
        return this.node('Requantize', {}, [x], this.format(x.format.fl));
      default:
        return this.node('LeakyRelu', { m: r.int(0, 40000), shift: r.int(0, 16) }, [x], this.format(x.format.fl));
    }
  }
}

type OpGen = (g: Gen, x: Val) => Val;

function conv(g: Gen, x: Val): Val {
  const r = g.rng;
  const c = x.shape[1]!;
  const groups = [1, c, ...[2, 3].filter((d) => c % d === 0)];
  return g.attempt(
    () => {
      const group = r.pick(groups);
      const m = group * r.int(1, 6);
      const win = g.window();
      const cg = c / group;
      const weights = g.weights([m, cg, win.kernel[0], win.kernel[1]], m);
      const fo = g.linearOut(x.format, weights, cg * win.kernel[0] * win.kernel[1]);
      const bias = g.bias(m, x.format.fl + weights.fl[0]!);
      return g.node('Conv', { ...win, group, weights, bias, activation: g.activation(fo) }, [x], fo);
    },
    () => {
      const weights = g.weights([1, c, 1, 1], 1);
      const win = { kernel: [1, 1] as Pair, strides: [1, 1] as Pair, dilations: [1, 1] as Pair, pads: [0, 0, 0, 0] as Pads4, autoPad: 'NOTSET' as AutoPad };
      return g.node('Conv', { ...win, group: 1, weights }, [x], g.linearOut(x.format, weights, c));
    },
  );
}

function convTranspose(g: Gen, x: Val): Val {
  const r = g.rng;
  const c = x.shape[1]!;
  const groups = [1, c, ...[2].filter((d) => c % d === 0)];
  return g.attempt(
    () => {
      const group = r.pick(groups);
      const mg = r.int(1, 2);
      const win = g.window();
      const outputPadding: Pair = [r.int(0, Math.max(win.strides[0], win.dilations[0]) - 1), r.int(0, Math.max(win.strides[1], win.dilations[1]) - 1)];
      const weights = g.weights([c, mg, win.kernel[0], win.kernel[1]], mg * group);
      const fo = g.linearOut(x.format, weights, (c / group) * win.kernel[0] * win.kernel[1]);
      const bias = g.bias(mg * group, x.format.fl + weights.fl[0]!);
      return g.node('ConvTranspose', { ...win, outputPadding, group, weights, bias, activation: g.activation(fo) }, [x], fo);
    },
    () => conv(g, x),
  );
}

function dense(g: Gen, x: Val): Val {
  const k = x.shape[x.shape.length - 1]!;
  const m = g.rng.int(1, 6);
  const weights = g.weights([m, k], m);
  const fo = g.linearOut(x.format, weights, k);
  return g.node('Dense', { weights, bias: g.bias(m, x.format.fl + weights.fl[0]!), activation: g.activation(fo) }, [x], fo);
}

function channelAffine(g: Gen, x: Val): Val {
  const c = x.shape[1]!;
  const weights = g.weights([c], c);
  const fo = g.linearOut(x.format, weights, 1);
  return g.node('ChannelAffine', { weights, bias: g.bias(c, x.format.fl + weights.fl[0]!), activation: g.activation(fo) }, [x], fo);
}

function add(g: Gen, x: Val): Val {
  const y = g.partner(x);
  const ins = g.rng.bool() ? [x, y] : [y, x];
  const fo = g.format(Math.max(x.format.fl, y.format.fl) - 1);
  return g.node('Add', { activation: g.activation(fo) }, ins, fo);
}

function mul(g: Gen, x: Val): Val {
  const y = g.partner(x);
  const ins = g.rng.bool() ? [x, y] : [y, x];
  const wl = g.opts.wide ? 16 : g.rng.int(2, 16);
  const fl = x.format.fl + y.format.fl - (Math.max(0, x.format.wl - 2) + Math.max(0, y.format.wl - 2)) + wl - 2 + g.rng.int(-2, 2);
  return g.node('Mul', {}, ins, { signed: g.rng.bool(0.8), wl, fl: Math.max(-64, Math.min(64, fl)) });
}

function concat(g: Gen, x: Val): Val {
  const r = g.rng;
  const axis = r.int(0, x.shape.length - 1);
  const others = Array.from({ length: r.int(1, 2) }, () => g.node('Requantize', {}, [x], g.format(x.format.fl)));
  const ins = r.bool() ? [x, ...others] : [...others, x];
  return g.node('Concat', { axis }, ins, g.format(x.format.fl));
}

function pool(op: 'MaxPool' | 'AveragePool'): OpGen {
  return (g, x) =>
    g.attempt(
      () => {
        const r = g.rng;
        const win = g.window();
        const attrs = { ...win, strides: [r.int(1, 3), r.int(1, 3)] as Pair, ceilMode: r.bool() };
        const fo = op === 'MaxPool' && r.bool(0.6) ? x.format : g.format(x.format.fl);
        if (op === 'MaxPool') return g.node('MaxPool', attrs, [x], fo);
        return g.node('AveragePool', { ...attrs, countIncludePad: r.bool() }, [x], fo);
      },
      () => g.node('GlobalMaxPool', {}, [x], x.format),
    );
}

function nonlinear(op: 'Sigmoid' | 'Tanh'): OpGen {
  return (g, x) => {
    const fo = op === 'Sigmoid' ? { signed: false, wl: g.opts.wide ? 16 : g.rng.int(4, 12), fl: 0 } : { signed: true, wl: g.opts.wide ? 16 : g.rng.int(4, 12), fl: 0 };
    const f = { ...fo, fl: fo.signed ? fo.wl - 1 : fo.wl };
    const fn = op === 'Sigmoid' ? (v: number): number => 1 / (1 + Math.exp(-v)) : Math.tanh;
    return g.node(op, { table: g.table(x.format, f, fn) }, [x], f);
  };
}

function softmax(g: Gen, x: Val): Val {
  const r = g.rng;
  const wl = g.opts.wide ? 16 : r.int(4, 16);
  const fo: QFormat = { signed: r.bool(0.3), wl, fl: wl + r.int(-3, 1) };
  const axis = r.int(0, x.shape.length - 1);
  const plan = prepareSoftmax(x.format, fo);
  const exp = { inFl: plan.exp.inFl, outFl: plan.exp.outFl, jMax: plan.exp.jMax, tables: plan.exp.tables };
  return g.node('Softmax', { axis, exp }, [x], fo);
}

function pad(g: Gen, x: Val): Val {
  return g.attempt(
    () => {
      const r = g.rng;
      const mode = r.pick(['constant', 'reflect', 'edge'] as const);
      const rank = x.shape.length;
      const pads = Array.from({ length: 2 * rank }, (_, i) => (i % rank === 0 ? 0 : r.int(-1, 2)));
      const { qmin, qmax } = qRange(x.format);
      return g.node('Pad', { pads, mode, value: r.int(qmin, qmax) }, [x], r.bool(0.7) ? x.format : g.format(x.format.fl));
    },
    () => g.node('Identity', {}, [x], x.format),
  );
}

function depthToSpace(g: Gen, x: Val): Val {
  const b = g.rng.int(1, 3);
  const wide = g.node('Concat', { axis: 1 }, new Array<Val>(b * b).fill(x), x.format);
  const y = g.rng.bool() ? g.node('Transpose', { perm: [0, 1, 3, 2] }, [wide], x.format) : wide;
  return g.node('DepthToSpace', { blocksize: b, mode: g.rng.pick(['DCR', 'CRD'] as const) }, [y], g.rng.bool(0.7) ? x.format : g.format(x.format.fl));
}

function resize(g: Gen, x: Val): Val {
  const r = g.rng;
  const rank = x.shape.length;
  const useSizes = r.bool(0.3);
  const scales = x.shape.map((_, i) => (i < 2 && rank > 2 ? 1 : r.pick([0.5, 1, 1.5, 2, 3])));
  const sizes = useSizes ? x.shape.map((d, i) => (i < 2 && rank > 2 ? d : r.int(1, 7))) : undefined;
  return g.attempt(
    () => g.node('Resize', { scales, sizes, coordinateMode: r.pick(COORD_MODES), nearestMode: r.pick(NEAREST_MODES) }, [x], x.format),
    () => g.node('Identity', {}, [x], x.format),
  );
}

function transpose(g: Gen, x: Val): Val {
  const perm = x.shape.map((_, i) => i);
  for (let i = perm.length - 1; i > 0; i--) {
    const j = g.rng.int(0, i);
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  return g.node('Transpose', { perm }, [x], g.rng.bool(0.7) ? x.format : g.format(x.format.fl));
}

function reshape(g: Gen, x: Val): Val {
  const rank = x.shape.length;
  const shape = g.rng.pick([[0, -1], [-1], rank >= 3 ? [0, 0, -1] : [0, -1, 1], [0, 1, -1]]);
  return g.node('Reshape', { shape }, [x], x.format);
}

/** Smallest input rank each op takes (default 1); the spatial ops need 4-D NCHW. */
const MIN_RANK: Partial<Record<FxOpType, number>> = {
  Conv: 4,
  ConvTranspose: 4,
  MaxPool: 4,
  AveragePool: 4,
  DepthToSpace: 4,
  Dense: 2,
  ChannelAffine: 2,
  GlobalMaxPool: 3,
  GlobalAveragePool: 3,
};

export const OP_GENS = {
  Conv: conv,
  ConvTranspose: convTranspose,
  Dense: dense,
  ChannelAffine: channelAffine,
  Add: add,
  Mul: mul,
  Concat: concat,
  MaxPool: pool('MaxPool'),
  AveragePool: pool('AveragePool'),
  GlobalMaxPool: (g, x) => g.node('GlobalMaxPool', {}, [x], g.rng.bool() ? x.format : g.format(x.format.fl)),
  GlobalAveragePool: (g, x) => g.node('GlobalAveragePool', {}, [x], g.format(x.format.fl)),
  Relu: (g, x) => g.node('Relu', {}, [x], g.rng.bool() ? x.format : g.format(x.format.fl)),
  Clip: (g, x) => {
    const fo = g.format(x.format.fl);
    const { qmin, qmax } = qRange(fo);
    const a = g.rng.int(qmin, qmax);
    const b = g.rng.int(qmin, qmax);
    return g.node('Clip', { lo: Math.min(a, b), hi: Math.max(a, b) }, [x], fo);
  },
  LeakyRelu: (g, x) => g.node('LeakyRelu', { m: g.rng.int(0, 2 ** 15), shift: g.rng.int(0, 17) }, [x], g.format(x.format.fl)),
  Sigmoid: nonlinear('Sigmoid'),
  Tanh: nonlinear('Tanh'),
  Softmax: softmax,
  Flatten: (g, x) => g.node('Flatten', { axis: g.rng.int(0, x.shape.length) }, [x], x.format),
  Reshape: reshape,
  Transpose: transpose,
  Pad: pad,
  DepthToSpace: depthToSpace,
  Resize: resize,
  Requantize: (g, x) => g.node('Requantize', {}, [x], g.format(x.format.fl)),
  Identity: (g, x) => g.node('Identity', {}, [x], x.format),
} satisfies { [K in FxOpType]: OpGen };

export const ALL_OPS = Object.keys(OP_GENS) as FxOpType[];

export interface RandomCase {
  readonly fx: FxGraph;
  readonly inputs: (Tensor | FxTensor)[];
  /** The ops in generation order, for failure messages. */
  readonly ops: string[];
}

/** A random graph containing `forced` (applied to a 4-D input), plus a few random ops before and after. */
export function randomGraph(seed: number, forced: FxOpType, opts: GenOptions): RandomCase {
  const rng = new Rng(seed);
  const g = new Gen(rng, opts);
  const shape = [rng.int(1, 2), rng.int(1, opts.wide ? 8 : 4), rng.int(1, 6), rng.int(1, 6)];
  let x = g.input(shape, g.format());
  const pre = rng.int(0, 1);
  for (let i = 0; i < pre; i++) x = OP_GENS[rng.pick(['Conv', 'Relu', 'MaxPool', 'Requantize', 'ChannelAffine'] as const)](g, x);
  x = OP_GENS[forced](g, x);
  const outputs = [x.id];
  const post = rng.int(0, 2);
  for (let i = 0; i < post; i++) {
    const rank = x.shape.length;
    const choices = ALL_OPS.filter((op) => rank >= (MIN_RANK[op] ?? 1));
    try {
      x = OP_GENS[rng.pick(choices)](g, x);
    } catch {
      // attributes that do not fit this input: end the chain here
      break;
    }
  }
  if (x.id !== outputs[0]) outputs.push(x.id);
  const fx: FxGraph = { name: `random_${seed}`, values: g.values, nodes: g.nodes, inputs: g.inputs, outputs };
  return { fx, inputs: g.data, ops: g.nodes.map((n) => n.op) };
}
