/**
 * The last steps every computing op shares, on integers already rounded to the
 * output format's grid but not yet saturated:
 *
 *   activation (fx-graph.ts FxActivation):
 *     Relu  max(v, 0);  Clip  clamp(v, lo, hi);  LeakyRelu  v < 0 ? roundShift(v*m, shift) : v
 *   saturation to the output format [qmin, qmax].
 *
 * Relu and Clip fold into the saturation bounds: clamp(clamp(v, lo, hi), qmin, qmax)
 * = clamp(v, clamp(lo, qmin, qmax), clamp(hi, qmin, qmax)) for lo <= hi.
 *
 * `Requant` is the format conversion shared by data-movement and activation ops:
 * y = sat(act(roundShift(q, fi - fo))), an identity when the formats are equal.
 */
import type { QFormat } from '../../../fixed/format.js';
import { formatsEqual, qRange } from '../../../fixed/format.js';
import { pow2 } from '../../../fixed/pow2.js';
import { roundShift } from '../../../fixed/shift.js';
import type { FxActivation } from '../../fx-graph.js';
import { accInfo, maxAbsOf, nodeError, type AccInfo, type NodeRef } from './kernel.js';

export interface ActSat {
  readonly lo: number;
  readonly hi: number;
  readonly leaky: boolean;
  readonly m: number;
  readonly shift: number;
}

function checkInt(node: NodeRef, v: number, what: string): void {
  if (!Number.isSafeInteger(v)) throw nodeError(node, `${what} must be an integer, got ${v}`);
}

/**
 * Prepares activation + saturation for pre-activation values |v| <= preBound.
 * Returns the largest intermediate magnitude (LeakyRelu's product v*m and its
 * shifted value), checked against 2^53 by the caller through accInfo.
 */
export function prepareActSat(node: NodeRef, act: FxActivation | undefined, fo: QFormat, preBound: number): { st: ActSat; bound: number } {
  const { qmin, qmax } = qRange(fo);
  const clampQ = (v: number): number => (v < qmin ? qmin : v > qmax ? qmax : v);
  if (act === undefined) return { st: { lo: qmin, hi: qmax, leaky: false, m: 0, shift: 0 }, bound: preBound };
  switch (act.kind) {
    case 'Relu':
      return { st: { lo: clampQ(0), hi: qmax, leaky: false, m: 0, shift: 0 }, bound: preBound };
    case 'Clip':
      checkInt(node, act.lo, 'Clip lo');
      checkInt(node, act.hi, 'Clip hi');
      if (act.lo > act.hi) throw nodeError(node, `Clip lo ${act.lo} exceeds hi ${act.hi}`);
      return { st: { lo: clampQ(act.lo), hi: clampQ(act.hi), leaky: false, m: 0, shift: 0 }, bound: preBound };
    case 'LeakyRelu': {
      checkInt(node, act.m, 'LeakyRelu multiplier');
      checkInt(node, act.shift, 'LeakyRelu shift');
      const product = preBound * Math.abs(act.m);
      const shifted = act.shift < 0 ? product * pow2(-act.shift) : product;
      return { st: { lo: qmin, hi: qmax, leaky: true, m: act.m, shift: act.shift }, bound: Math.max(preBound, shifted) };
    }
  }
}

/** sat(act(v)) for an integer v within the prepared bound. */
export function actSat(st: ActSat, v: number): number {
  if (st.leaky && v < 0) v = roundShift(v * st.m, st.shift);
  return v < st.lo ? st.lo : v > st.hi ? st.hi : v;
}

export interface Requant {
  /** Right shift fi - fo (negative: left shift). */
  readonly s: number;
  readonly st: ActSat;
  /** True when y = q for every representable q (same format, no activation). */
  readonly identity: boolean;
  readonly acc: AccInfo;
}

/**
 * Prepares y = sat(act(roundShift(q, fi - fo))) for q in format fi.
 * Bound: |q| <= maxAbs(fi); a left shift multiplies it by 2^(fo - fi).
 */
export function prepareRequant(node: NodeRef, fi: QFormat, fo: QFormat, act?: FxActivation): Requant {
  const s = fi.fl - fo.fl;
  const inBound = maxAbsOf(fi);
  const pre = s < 0 ? inBound * pow2(-s) : inBound;
  const { st, bound } = prepareActSat(node, act, fo, pre);
  const acc = accInfo(node, bound, 'requantized value');
  const identity = act === undefined && formatsEqual(fi, fo);
  return { s, st, identity, acc };
}

export function requant(r: Requant, q: number): number {
  return actSat(r.st, roundShift(q, r.s));
}

/** out[i] = requant(x[i]) over a whole buffer. */
export function requantArray(r: Requant, x: Int32Array, out: Int32Array): void {
  if (r.identity) {
    out.set(x);
    return;
  }
  for (let i = 0; i < x.length; i++) out[i] = requant(r, x[i]!);
}
