/**
 * Exact powers of two and exact binary logarithms of doubles. Everything else in
 * src/fixed scales by 2^e through these helpers, so no result depends on how a
 * platform's `Math.pow` rounds.
 */

/** Smallest and largest e for which 2^e is a finite, non-zero double. */
export const MIN_POW2 = -1074;
export const MAX_POW2 = 1023;

// POW2[e - MIN_POW2] = 2^e, built by repeated doubling/halving from 1, which is
// exact (a power of two times or over 2 is a power of two, subnormals included).
const POW2 = new Float64Array(MAX_POW2 - MIN_POW2 + 1);
{
  let v = 1;
  for (let e = 0; e <= MAX_POW2; e++, v *= 2) POW2[e - MIN_POW2] = v;
  v = 1;
  for (let e = 0; e >= MIN_POW2; e--, v /= 2) POW2[e - MIN_POW2] = v;
}

/** 2^e exactly, for integer e; 0 below MIN_POW2 and Infinity above MAX_POW2. */
export function pow2(e: number): number {
  if (e < MIN_POW2) return 0;
  if (e > MAX_POW2) return Infinity;
  return POW2[e - MIN_POW2]!;
}

/**
 * floor(log2 x) exactly, for finite x > 0. Math.log2 only gives the first guess:
 * near a power of two it may be off by one, which the exact comparisons fix.
 */
export function floorLog2(x: number): number {
  let e = Math.floor(Math.log2(x));
  if (e < MIN_POW2) e = MIN_POW2;
  if (e > MAX_POW2) e = MAX_POW2;
  while (e > MIN_POW2 && pow2(e) > x) e--;
  while (e < MAX_POW2 && pow2(e + 1) <= x) e++;
  return e;
}

/** ceil(log2 x) exactly, for finite x > 0 (exact powers of two give their exponent). */
export function ceilLog2(x: number): number {
  const e = floorLog2(x);
  return pow2(e) === x ? e : e + 1;
}

/**
 * floor(y + 1/2) exactly for any double y (round half up). `Math.floor(y + 0.5)`
 * is not exact: for y = 0.49999999999999994 the sum rounds to 1. Here y - floor(y)
 * is exact (it is y's own fractional bits), so the comparison decides exactly.
 * Non-finite y is returned unchanged (±Infinity; NaN stays NaN).
 */
export function roundHalfUp(y: number): number {
  const f = Math.floor(y);
  // + 0 turns -0 into 0, so callers never see a negative zero.
  return y - f >= 0.5 ? f + 1 : f + 0;
}
