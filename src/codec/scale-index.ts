/**
 * Choosing the coding table for a predicted scale, on the decode path in integers.
 *
 * The hyper-synthesis network predicts a scale as a fixed-point integer q (value
 * q * 2^-fl). The table to use is the scale nearest to it in the log domain, so
 * the boundary between tables i and i+1 is the geometric midpoint
 * m_i = sqrt(s_i * s_{i+1}). scaleThresholds turns the midpoints into integers once
 * at export (float allowed); scaleIndex is a pure integer binary search.
 */
import { FxpError, type ErrorContext } from '../errors.js';

const INT32_MAX = 2 ** 31 - 1;

/**
 * thresholds[i] = ceil(m_i * 2^fl), i = 0 .. n-2, for strictly increasing positive
 * scales. With ceil, for every integer q: q >= thresholds[i] exactly when
 * q * 2^-fl >= m_i, so the integer choice equals the float nearest-in-log choice
 * (a tie, q * 2^-fl = m_i, goes to the larger scale).
 */
export function scaleThresholds(scales: readonly number[], fl: number): Int32Array {
  if (!Number.isInteger(fl) || fl < 0 || fl > 30) throw new FxpError(`scale fraction length must be an integer in 0..30, got ${fl}`);
  if (scales.length === 0) throw new FxpError('scale table is empty');
  const thresholds = new Int32Array(scales.length - 1);
  for (let i = 0; i + 1 < scales.length; i++) {
    const a = scales[i]!;
    const b = scales[i + 1]!;
    if (!(a > 0 && b > a && Number.isFinite(b))) throw new FxpError(`scales must be positive, finite and strictly increasing; entries ${i} and ${i + 1} are ${a}, ${b}`);
    const t = Math.ceil(Math.sqrt(a * b) * 2 ** fl);
    if (t > INT32_MAX) throw new FxpError(`scale midpoint ${Math.sqrt(a * b)} does not fit int32 with ${fl} fraction bits`);
    thresholds[i] = t;
  }
  return thresholds;
}

/** Checks thresholds loaded from a file: non-decreasing (scaleIndex's precondition). */
export function validateScaleThresholds(thresholds: Int32Array, context: ErrorContext = {}): void {
  for (let i = 1; i < thresholds.length; i++) {
    if (thresholds[i]! < thresholds[i - 1]!) throw new FxpError(`scale thresholds decrease at entry ${i} (${thresholds[i - 1]} then ${thresholds[i]})`, context);
  }
}

/**
 * The table index for the fixed-point scale q: the number of thresholds <= q, in
 * 0 .. thresholds.length (below the first midpoint: 0; above the last: the last
 * table). Integer compares only; at most ceil(log2(n + 1)) steps.
 */
export function scaleIndex(q: number, thresholds: Int32Array): number {
  let lo = 0;
  let hi = thresholds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (thresholds[mid]! <= q) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
