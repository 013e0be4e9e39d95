/**
 * Quantized cumulative frequency tables for the rANS coder.
 *
 * quantizedCdf runs when a model is exported (float allowed); validateCdf checks
 * tables loaded from files before a decoder trusts them.
 */
import { FxpError, type ErrorContext } from '../errors.js';

function checkPrecision(precision: number, context: ErrorContext): void {
  if (!Number.isInteger(precision) || precision < 1 || precision > 16) {
    throw new FxpError(`cdf precision must be an integer in 1..16, got ${precision}`, context);
  }
}

/**
 * The cdf of symbols 0..n-1 with probabilities pmf, plus a final escape symbol n
 * with probability `tail`, scaled to total = 2^precision. Length n + 2, cdf[0] = 0,
 * cdf[n+1] = 2^precision, every frequency >= 1 (so strictly increasing).
 *
 * Allocation (deterministic, the inputs need not sum to 1):
 *  1. Proportional shares x_i = p_i * B / P over the "free" symbols, where B is the
 *     total minus one unit per "pinned" symbol and P the free symbols' mass.
 *     Symbols with x_i < 1 are pinned at frequency 1 and the shares are recomputed
 *     until none is below 1 (at most n + 1 rounds; the free set never empties,
 *     because the free shares sum to B >= number of free symbols).
 *  2. Largest remainders: f_i = floor(x_i) >= 1, then the units still missing
 *     (fewer than the free count) go one each to the largest fractional parts,
 *     ties to the lower index.
 * So the units a pinned symbol gains are taken from all others in proportion to
 * their probability (largest frequencies give most), which keeps the cross-entropy
 * loss second-order, instead of from one symbol.
 */
export function quantizedCdf(pmf: Float64Array | readonly number[], tail: number, precision = 16, context: ErrorContext = {}): Uint32Array {
  checkPrecision(precision, context);
  const n = pmf.length + 1;
  const total = 2 ** precision;
  if (n > total) throw new FxpError(`${n} symbols (with the escape) do not fit a cdf of precision ${precision}`, context);
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = i < n - 1 ? pmf[i]! : tail;
    if (!Number.isFinite(v) || v < 0) throw new FxpError(`probability ${i === n - 1 ? 'of the escape symbol' : `of symbol ${i}`} must be finite and >= 0, got ${v}`, context);
    p[i] = v;
  }

  const pinned = new Uint8Array(n);
  const share = new Float64Array(n);
  let pinnedCount = 0;
  for (let changed = true; changed; ) {
    changed = false;
    let mass = 0;
    for (let i = 0; i < n; i++) if (!pinned[i]) mass += p[i]!;
    if (!(mass > 0)) throw new FxpError('probabilities sum to zero', context);
    const budget = total - pinnedCount;
    for (let i = 0; i < n; i++) {
      if (pinned[i]) continue;
      share[i] = (p[i]! * budget) / mass;
      if (share[i]! < 1) {
        pinned[i] = 1;
        pinnedCount++;
        changed = true;
      }
    }
  }

  const freq = new Uint32Array(n);
  const free: number[] = [];
  let used = 0;
  for (let i = 0; i < n; i++) {
    freq[i] = pinned[i] ? 1 : Math.floor(share[i]!);
    used += freq[i]!;
    if (!pinned[i]) free.push(i);
  }
  free.sort((a, b) => share[b]! - Math.floor(share[b]!) - (share[a]! - Math.floor(share[a]!)) || a - b);
  // In exact arithmetic 0 <= total - used < free.length (each floor loses less than
  // one unit); the cyclic walks also absorb a float rounding of the shares' sum.
  for (let k = 0; used < total; k = (k + 1) % free.length) {
    const i = free[k]!;
    freq[i] = freq[i]! + 1;
    used++;
  }
  for (let k = free.length - 1; used > total; k = (k + free.length - 1) % free.length) {
    const i = free[k]!;
    if (freq[i]! > 1) {
      freq[i] = freq[i]! - 1;
      used--;
    }
  }

  const cdf = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) cdf[i + 1] = cdf[i]! + freq[i]!;
  return cdf;
}

/**
 * Checks a table from a file: at least one symbol, integer entries, cdf[0] = 0,
 * strictly increasing (every frequency >= 1), last entry 2^precision.
 */
export function validateCdf(cdf: Uint32Array | Int32Array | readonly number[], precision = 16, context: ErrorContext = {}, what = 'cdf'): void {
  checkPrecision(precision, context);
  const total = 2 ** precision;
  if (cdf.length < 2) throw new FxpError(`${what} has ${cdf.length} entries, needs at least 2`, context);
  if (cdf[0] !== 0) throw new FxpError(`${what} must start at 0, starts at ${cdf[0]}`, context);
  for (let i = 1; i < cdf.length; i++) {
    const v = cdf[i]!;
    if (!Number.isInteger(v) || v <= cdf[i - 1]!) throw new FxpError(`${what} is not strictly increasing at entry ${i} (${cdf[i - 1]} then ${v})`, context);
  }
  const last = cdf[cdf.length - 1]!;
  if (last !== total) throw new FxpError(`${what} must end at 2^${precision} = ${total}, ends at ${last}`, context);
}
