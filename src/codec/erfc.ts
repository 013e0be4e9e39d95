/**
 * The complementary error function and the standard normal distribution, in
 * float. EXPORT TIME ONLY: these build the Gaussian tables; nothing on the decode
 * path may call them (their results depend on Math.exp).
 *
 * erfc(x), x >= 0, to 1e-12 relative error and 1e-16 absolute (checked against
 * mpmath; the relative error peaks just below 2.5, elsewhere it is ~1e-14):
 *  - x < 2.5: erf by the series with positive terms (no cancellation)
 *      erf(x) = 2/sqrt(pi) exp(-x^2) sum_n (2x^2)^n x / (1*3*...*(2n+1)),
 *    and erfc = 1 - erf (erfc(2.5) ~ 4e-4, so the subtraction keeps ~12 digits);
 *  - x >= 2.5: the Laplace continued fraction
 *      erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))),
 *    evaluated backwards from depth 120.
 * erfc(-x) = 2 - erfc(x).
 */

const SQRT_PI = Math.sqrt(Math.PI);
const SERIES_LIMIT = 2.5;
const CF_DEPTH = 120;

export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < SERIES_LIMIT) {
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 0; term > 1e-17 * sum; n++) {
      term *= (2 * x2) / (2 * n + 3);
      sum += term;
    }
    return 1 - ((2 / SQRT_PI) * Math.exp(-x2) * sum);
  }
  if (x > 27) return 0; // erfc(27) < 1e-318: below the smallest double
  let f = x;
  for (let k = CF_DEPTH; k >= 1; k--) f = x + k / 2 / f;
  return Math.exp(-x * x) / (SQRT_PI * f);
}

/** Phi(x) = P(N(0,1) <= x), accurate in relative terms in the lower tail. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** Phi^-1(p) for 0 < p < 1, by bisection of normalCdf to double precision. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return NaN;
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 200 && hi - lo > 0; i++) {
    const mid = (lo + hi) / 2;
    if (mid === lo || mid === hi) break;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
