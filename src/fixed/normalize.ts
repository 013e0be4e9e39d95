/**
 * Integer square roots and division for normalizations (GDN/IGDN, softmax).
 *
 * Every result is the exactly rounded value, defined by an integer inequality, so
 * it does not depend on how it is computed: here Math.sqrt / a float division give
 * a first guess and exact integer comparisons correct it; a C target without an
 * FPU may use integer Newton iterations and must land on the same integer.
 * Rounding is half up (ties toward +infinity), as everywhere in the contract.
 */
import { FxpError, type ErrorContext } from '../errors.js';
import { pow2 } from './pow2.js';

const TWO53 = 2 ** 53;

/**
 * floor(sqrt(n)) exactly, for integer 0 <= n < 2^53.
 * r*r is exact while r*r < 2^53; when (r+1)^2 >= 2^53 its rounded value is still
 * >= 2^53 > n, so the comparison still decides correctly.
 */
export function isqrt(n: number): number {
  if (!(n >= 0 && n < TWO53) || !Number.isInteger(n)) throw new FxpError(`isqrt: ${n} is not an integer in [0, 2^53)`);
  let r = Math.floor(Math.sqrt(n));
  while (r * r > n) r--;
  while ((r + 1) * (r + 1) <= n) r++;
  return r;
}

/**
 * round(sqrt(x * 2^-inFrac) * 2^outFrac), half up: the largest y >= 0 with
 * (2y - 1)^2 <= x * 2^e, e = 2*outFrac - inFrac + 2. The left side is an integer,
 * so the right side may be floored to N = floor(x * 2^e), and then
 * y = (isqrt(N) + 1) >> 1 (the largest odd 2y - 1 <= isqrt(N)).
 *
 * Domain: x an integer >= 0 with x * 2^e < 2^53 (FxpError otherwise); N is x
 * times a power of two, floored: exact. C: uint64 N and any exact isqrt.
 */
export function sqrtQ(x: number, inFrac: number, outFrac: number, context: ErrorContext = {}): number {
  const N = Math.floor(x * pow2(2 * outFrac - inFrac + 2));
  if (!(x >= 0) || !Number.isInteger(x) || !(N < TWO53)) {
    throw new FxpError(`sqrtQ: input ${x} (frac ${inFrac} -> ${outFrac}) outside the exact domain`, context);
  }
  return (isqrt(N) + 1) >> 1;
}

/**
 * round(2^outFrac / sqrt(x * 2^-inFrac)), half up: the largest y >= 0 with
 * x * (2y - 1)^2 <= 2^(p+2), p = 2*outFrac + inFrac; as for sqrtQ this is
 * y = (isqrt(N) + 1) >> 1 with N = floor(2^(p+2) / x). Error <= 0.5 output LSB
 * (it is the exactly rounded value).
 *
 * Domain: x an integer in [1, 2^53), p <= 50 (FxpError otherwise; x = 0 has no
 * reciprocal). N: for x > 2^(p+2) it is 0; otherwise x <= 2^(p+2) <= 2^52, the
 * float quotient's floor is within one of N, and q * x <= 2^53 keeps the
 * remainder exact (same argument as divQ). C: uint64 division and any exact isqrt.
 */
export function rsqrtQ(x: number, inFrac: number, outFrac: number, context: ErrorContext = {}): number {
  const p = 2 * outFrac + inFrac;
  if (!(x >= 1 && x < TWO53) || !Number.isInteger(x) || !Number.isInteger(p) || p > 50) {
    throw new FxpError(`rsqrtQ: input ${x} (frac ${inFrac} -> ${outFrac}) outside the domain (x >= 1, 2*outFrac + inFrac <= 50)`, context);
  }
  const P = pow2(p + 2);
  if (x > P) return 0;
  let N = Math.floor(P / x);
  const r = P - N * x;
  if (r < 0) N -= 1;
  else if (r >= x) N += 1;
  return (isqrt(N) + 1) >> 1;
}

/**
 * round(a * 2^frac / b), half up (floor(a * 2^frac / b + 1/2)), exactly.
 *
 * Domain: integers a, b with |a * 2^frac| < 2^52 and 0 < |b * 2^-min(frac, 0)| < 2^52.
 * b = 0 is an FxpError (never a silent saturation). The float quotient is within
 * one of the true floor; with |q * b| < 2^53 the remainder r = num - q*b is exact
 * and the two correction loops run at most once.
 */
export function divQ(a: number, b: number, frac: number, context: ErrorContext = {}): number {
  if (b === 0) throw new FxpError(`divQ: division of ${a} by zero`, context);
  let num = frac >= 0 ? a * pow2(frac) : a;
  let den = frac >= 0 ? b : b * pow2(-frac);
  if (den < 0) {
    num = -num;
    den = -den;
  }
  let q = Math.floor(num / den);
  let r = num - q * den;
  while (r < 0) {
    q -= 1;
    r += den;
  }
  while (r >= den) {
    q += 1;
    r -= den;
  }
  return 2 * r >= den ? q + 1 : q + 0;
}
