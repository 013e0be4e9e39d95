/**
 * Real-valued building blocks of the float64 fake-quant simulation. Values are
 * reals (Float64Array) that lie on their format's grid: x = q * 2^-fl exactly.
 *
 * Exactness: every quantity the simulation forms is a dyadic rational whose
 * numerator (in units of its finest step) is below 2^53 whenever the engine's plan
 * accepts the graph (the plan proves exactly those bounds), so sums, products and
 * power-of-two scalings are exact in float64, and roundHalfUp (src/fixed/pow2.ts)
 * rounds exactly. Divisions by non-powers of two (means, softmax) are rounded by
 * roundRatioHalfUp, which checks the result with exact products.
 */
import type { QFormat } from '../../fixed/format.js';
import { qRange } from '../../fixed/format.js';
import { pow2, roundHalfUp } from '../../fixed/pow2.js';
import type { FxActivation, FxNodeOf, FxOpType } from '../fx-graph.js';

export interface SimTensor {
  readonly shape: readonly number[];
  /** Real values on the grid of `format`. */
  readonly real: Float64Array;
  readonly format: QFormat;
}

/** Computes a node's output: real values already on the output format's grid. */
export type SimOp<K extends FxOpType> = (node: FxNodeOf<K>, ins: readonly SimTensor[], outShape: readonly number[], fo: QFormat) => Float64Array;

/**
 * The contract's quantization of a real y to format f, with a fused activation
 * expressed in real terms, returned as the real value of the result:
 *   v = floor(y * 2^fl + 1/2) * 2^-fl                         (grid, unsaturated)
 *   Relu: max(v, 0); Clip: clamp(v, lo * 2^-fl, hi * 2^-fl);
 *   LeakyRelu: v < 0 ? quantize(v * m * 2^-shift) : v        (same rounding)
 *   saturate to [qmin, qmax] * 2^-fl.
 */
export function fakeQuantAct(y: number, f: QFormat, act?: FxActivation): number {
  const scale = pow2(f.fl);
  const step = pow2(-f.fl);
  let v = roundHalfUp(y * scale) * step;
  if (act !== undefined) {
    switch (act.kind) {
      case 'Relu':
        v = v > 0 ? v : 0;
        break;
      case 'Clip': {
        const lo = act.lo * step;
        const hi = act.hi * step;
        v = v < lo ? lo : v > hi ? hi : v;
        break;
      }
      case 'LeakyRelu':
        if (v < 0) v = roundHalfUp(v * act.m * pow2(-act.shift) * scale) * step;
        break;
    }
  }
  return saturateReal(v, f);
}

/** Clamps a grid value to the format's real range. */
export function saturateReal(v: number, f: QFormat): number {
  const { qmin, qmax } = qRange(f);
  const lo = qmin * pow2(-f.fl);
  const hi = qmax * pow2(-f.fl);
  return v < lo ? lo : v > hi ? hi : v + 0;
}

/**
 * floor(t / d + 1/2) exactly, for a dyadic t and an integer d > 0 with
 * 2|t| + 3d < 2^53 (in units of t's finest step): y is the integer with
 * (y - 1/2) * d <= t < (y + 1/2) * d; the float quotient gives a first guess
 * and exact products fix it.
 */
export function roundRatioHalfUp(t: number, d: number): number {
  let y = roundHalfUp(t / d);
  while ((y - 0.5) * d > t) y--;
  while ((y + 0.5) * d <= t) y++;
  return y;
}

/** Element-wise fake quantization of a whole array to f (with an optional activation). */
export function fakeQuantArray(x: Float64Array, f: QFormat, act?: FxActivation): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = fakeQuantAct(x[i]!, f, act);
  return out;
}

/** Multi-index of flat index i in a row-major shape. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    idx[d] = i % n;
    i = Math.floor(i / n);
  }
  return idx;
}

/** Flat index of a multi-index in a row-major shape. */
export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let i = 0;
  for (let d = 0; d < shape.length; d++) i = i * shape[d]! + idx[d]!;
  return i;
}
