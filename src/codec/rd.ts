/**
 * Bjøntegaard delta rate (VCEG-M33; the form of JCTVC/JVET common test
 * conditions): each rate-distortion curve is fitted by a cubic polynomial
 * log(rate) = p(D) (least squares; the exact interpolant for four points), both
 * fits are integrated over the quality interval the two curves share, and
 *   BD-rate = exp((integral of p_test - integral of p_anchor) / (D_hi - D_lo)) - 1,
 * the average relative rate difference of `test` against `anchor` at equal
 * quality (negative: test needs fewer bits). Report-time float math only.
 */
import { FxpError } from '../errors.js';

export interface RdPoint {
  /** Rate, e.g. bits per pixel (> 0). */
  readonly rate: number;
  /** Quality, e.g. PSNR in dB or MS-SSIM in dB. */
  readonly quality: number;
}

/** Least-squares polynomial coefficients c[0] + c[1] x + ... of the given degree. */
export function polyfit(xs: readonly number[], ys: readonly number[], degree: number): number[] {
  const n = degree + 1;
  if (xs.length < n) throw new FxpError(`a degree-${degree} fit needs at least ${n} points, got ${xs.length}`);
  // Normal equations A c = b with x centred and scaled for conditioning.
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const spread = Math.max(...xs.map((x) => Math.abs(x - mean))) || 1;
  const u = xs.map((x) => (x - mean) / spread);
  const a = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => u.reduce((s, v) => s + v ** (i + j), 0)));
  const b = Array.from({ length: n }, (_, i) => u.reduce((s, v, k) => s + v ** i * ys[k]!, 0));
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[piv]![col]!)) piv = r;
    if (Math.abs(a[piv]![col]!) < 1e-12) throw new FxpError('rate-distortion points are degenerate (repeated qualities)');
    [a[col], a[piv]] = [a[piv]!, a[col]!];
    [b[col], b[piv]] = [b[piv]!, b[col]!];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r]![col]! / a[col]![col]!;
      for (let k = col; k < n; k++) a[r]![k]! -= f * a[col]![k]!;
      b[r]! -= f * b[col]!;
    }
  }
  const cu = b.map((v, i) => v / a[i]![i]!);
  // Back from u = (x - mean) / spread to powers of x: expand sum cu_i ((x - mean)/spread)^i.
  const c = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k <= i; k++) c[k]! += cu[i]! * binom(i, k) * (-mean) ** (i - k) / spread ** i;
  }
  return c;
}

function binom(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/** Integral of the polynomial from lo to hi. */
function integrate(c: readonly number[], lo: number, hi: number): number {
  return c.reduce((s, ci, i) => s + (ci * (hi ** (i + 1) - lo ** (i + 1))) / (i + 1), 0);
}

function check(points: readonly RdPoint[], what: string): void {
  if (points.length < 4) throw new FxpError(`BD-rate needs at least 4 points per curve, ${what} has ${points.length}`);
  for (const p of points) {
    if (!(p.rate > 0) || !Number.isFinite(p.quality)) throw new FxpError(`${what} has an invalid point (rate ${p.rate}, quality ${p.quality})`);
  }
}

/**
 * BD-rate of `test` against `anchor`, as a fraction (-0.1 = 10% fewer bits), or
 * undefined when the curves' quality ranges do not overlap.
 */
export function bdRate(anchor: readonly RdPoint[], test: readonly RdPoint[]): number | undefined {
  check(anchor, 'the anchor');
  check(test, 'the test curve');
  const fit = (ps: readonly RdPoint[]): number[] =>
    polyfit(
      ps.map((p) => p.quality),
      ps.map((p) => Math.log(p.rate)),
      3,
    );
  const lo = Math.max(Math.min(...anchor.map((p) => p.quality)), Math.min(...test.map((p) => p.quality)));
  const hi = Math.min(Math.max(...anchor.map((p) => p.quality)), Math.max(...test.map((p) => p.quality)));
  if (!(hi > lo)) return undefined;
  const diff = (integrate(fit(test), lo, hi) - integrate(fit(anchor), lo, hi)) / (hi - lo);
  return Math.exp(diff) - 1;
}

/** MS-SSIM as decibels, -10 log10(1 - msssim): the usual axis for BD-rate on MS-SSIM. */
export function msSsimDb(v: number): number {
  return -10 * Math.log10(Math.max(1e-12, 1 - v));
}
