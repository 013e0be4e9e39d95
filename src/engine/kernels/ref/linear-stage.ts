/**
 * The output stage of the weighted ops (Conv, ConvTranspose, Dense, ChannelAffine):
 * bias alignment, the linear scaling layer, activation and saturation, exactly as
 * fx-graph.ts defines them. For output channel c, input format fx, output fo:
 *
 *   acc   = b_aligned[c] + sum x_q * w_q                    (units 2^-(fx + fl[c]))
 *   dynamic:        y = sat(act(roundShift(acc, fx + fl[c] - fo)))
 *   range-adaptive: y = sat(act(roundShift(acc * range[c], fx + fl[c] + rangeFl - fo)))
 *
 * Bias alignment (prepare time, integers): a 'format' bias b in Q(fb) becomes
 * roundShift(b, fb - (fx + fl[c])) (a left shift when the accumulator is finer);
 * an 'accumulator' bias is used as is.
 *
 * Accumulator bound per channel (the numeric contract):
 *   B[c] = sum |w_q[c]| * maxAbs(fx) + |b_aligned[c]|
 * Every partial sum is at most B[c] in magnitude, whatever the summation order. The
 * node accumulates in int32 when max B[c] < 2^31, else in exact doubles; B[c] >= 2^53
 * is an FxpError. The range product B[c] * range[c], a left-shifted result and
 * LeakyRelu's product are checked against 2^53 as well.
 */
import type { QFormat } from '../../../fixed/format.js';
import { qRange, validateFormat } from '../../../fixed/format.js';
import { pow2 } from '../../../fixed/pow2.js';
import { roundShift } from '../../../fixed/shift.js';
import { sizeOf } from '../../../tensor.js';
import type { FxActivation, FxBias, FxWeights } from '../../fx-graph.js';
import { accInfo, maxAbsOf, nodeError, widerAcc, type AccInfo, type NodeRef } from './kernel.js';
import { actSat, prepareActSat, type ActSat } from './output-stage.js';

export interface LinearStage {
  readonly channels: number;
  /** Aligned bias per channel in accumulator units (exact integers). */
  readonly bias: Float64Array;
  /** Range-adaptive multiplier per channel, or undefined for dynamic weights. */
  readonly range: Float64Array | undefined;
  /** Total right shift per channel (negative: left shift). */
  readonly shift: Int32Array;
  readonly st: ActSat;
  /** The accumulation acc = b + sum x*w alone: the MAC loops' width (the C generator's accumulator type). */
  readonly accum: AccInfo;
  /** `accum` with `post`, the requantization intermediates (range product, shifts, LeakyRelu). */
  readonly acc: AccInfo;
}

/** Validates integer weights: word length, data size, values, fl and range entries. */
export function validateWeights(node: NodeRef, w: FxWeights, channels: number): void {
  if (!Number.isInteger(w.wl) || w.wl < 2 || w.wl > 16) throw nodeError(node, `weight word length ${w.wl} is not in 2..16`);
  if (w.data.length !== sizeOf(w.shape)) {
    throw nodeError(node, `weights have ${w.data.length} values, shape [${w.shape.join(', ')}] needs ${sizeOf(w.shape)}`);
  }
  const lim = pow2(w.wl - 1);
  for (let i = 0; i < w.data.length; i++) {
    const q = w.data[i]!;
    if (q < -lim || q >= lim) throw nodeError(node, `weight ${i} = ${q} does not fit ${w.wl} bits`);
  }
  if (w.fl.length !== 1 && w.fl.length !== channels) {
    throw nodeError(node, `weights have ${w.fl.length} fractional lengths, expected 1 or ${channels}`);
  }
  for (const f of w.fl) validateFormat({ signed: true, wl: w.wl, fl: f }, 'weight', { node: node.name, op: node.op });
  if (w.range !== undefined) {
    const r = w.range;
    if (r.data.length !== w.fl.length) throw nodeError(node, `weights have ${r.data.length} ranges for ${w.fl.length} fractional lengths`);
    if (!Number.isInteger(r.fl) || Math.abs(r.fl) > 64) throw nodeError(node, `range fractional length ${r.fl} is not an integer in -64..64`);
    if (!Number.isInteger(r.bits) || r.bits < 1 || r.bits > 31) throw nodeError(node, `range bits ${r.bits} is not in 1..31`);
    for (const v of r.data) {
      if (v <= 0 || v >= pow2(r.bits)) throw nodeError(node, `range ${v} is not a positive ${r.bits}-bit integer`);
    }
  }
}

function alignedBias(node: NodeRef, bias: FxBias | undefined, channels: number, accFl: (c: number) => number): Float64Array {
  const out = new Float64Array(channels);
  if (bias === undefined) return out;
  if (bias.data.length !== channels) throw nodeError(node, `bias has ${bias.data.length} values, expected ${channels}`);
  const ctx = { node: node.name, op: node.op };
  if (bias.kind === 'format') {
    validateFormat(bias.format, 'bias', ctx);
    const { qmin, qmax } = qRange(bias.format);
    for (let c = 0; c < channels; c++) {
      const b = bias.data[c]!;
      if (b < qmin || b > qmax) throw nodeError(node, `bias ${c} = ${b} is outside its format`);
      out[c] = roundShift(b, bias.format.fl - accFl(c));
    }
  } else {
    validateFormat({ signed: true, wl: bias.wl, fl: 0 }, 'accumulator', ctx);
    const lim = pow2(bias.wl - 1);
    for (let c = 0; c < channels; c++) {
      const v = bias.data[c]!;
      if (v < -lim || v >= lim) throw nodeError(node, `accumulator bias ${c} = ${v} does not fit ${bias.wl} bits`);
      out[c] = v;
    }
  }
  return out;
}

/**
 * Prepares the output stage. `absSum[c]` is sum |w_q| over the weights feeding
 * output channel c (the kernel knows its weight layout).
 */
export function prepareLinearStage(
  node: NodeRef,
  w: FxWeights,
  bias: FxBias | undefined,
  act: FxActivation | undefined,
  fx: QFormat,
  fo: QFormat,
  absSum: Float64Array,
): LinearStage {
  const channels = absSum.length;
  validateWeights(node, w, channels);
  const flOf = (c: number): number => (w.fl.length === 1 ? w.fl[0]! : w.fl[c]!);
  const rangeOf = (c: number): number => (w.range === undefined ? 1 : w.range.data.length === 1 ? w.range.data[0]! : w.range.data[c]!);
  const b = alignedBias(node, bias, channels, (c) => fx.fl + flOf(c));
  const xMax = maxAbsOf(fx);
  const shift = new Int32Array(channels);
  const range = w.range === undefined ? undefined : new Float64Array(channels);
  let accBound = 0;
  let preBound = 0;
  let scaledBound = 0;
  for (let c = 0; c < channels; c++) {
    const bound = absSum[c]! * xMax + Math.abs(b[c]!);
    accBound = Math.max(accBound, bound);
    const scaled = bound * rangeOf(c);
    scaledBound = Math.max(scaledBound, scaled);
    const s = fx.fl + flOf(c) + (w.range === undefined ? 0 : w.range.fl) - fo.fl;
    shift[c] = s;
    if (range !== undefined) range[c] = rangeOf(c);
    preBound = Math.max(preBound, s < 0 ? scaled * pow2(-s) : scaled);
  }
  const accum = accInfo(node, accBound, 'accumulator');
  const scaledAcc = accInfo(node, scaledBound, 'range-scaled accumulator');
  const { st, bound } = prepareActSat(node, act, fo, preBound);
  const post = widerAcc(scaledAcc, accInfo(node, bound, 'shifted output'));
  return { channels, bias: b, range, shift, st, accum, acc: { ...accum, post: { width: post.width, bound: post.bound } } };
}

/** y = sat(act(roundShift(acc * range[c], shift[c]))) for one accumulator of channel c. */
export function finishOne(stage: LinearStage, c: number, acc: number): number {
  const v = stage.range === undefined ? acc : acc * stage.range[c]!;
  return actSat(stage.st, roundShift(v, stage.shift[c]!));
}

/** finishOne over the `n` accumulators acc[accOff ...] of channel c into out[outOff ...]. */
export function finishRun(
  stage: LinearStage, c: number, acc: Int32Array | Float64Array, accOff: number, n: number, out: Int32Array, outOff: number,
): void {
  const r = stage.range === undefined ? 1 : stage.range[c]!;
  const s = stage.shift[c]!;
  const st = stage.st;
  for (let i = 0; i < n; i++) out[outOff + i] = actSat(st, roundShift(acc[accOff + i]! * r, s));
}

/** sum |w| over each of `rows` contiguous rows of `len` weights. */
export function rowAbsSums(data: Int32Array, rows: number, len: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let i = r * len; i < (r + 1) * len; i++) s += Math.abs(data[i]!);
    out[r] = s;
  }
  return out;
}
