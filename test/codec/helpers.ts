/** Shared fixtures of the codec tests: random cdfs and symbol streams. */
import { PROB_SCALE } from '../../src/codec/rans.js';

export { rng } from '../util/random.js';

/** A uniformly random integer in [lo, hi]. */
export function randInt(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

/** A random cdf of n symbols (1 <= n <= 2^16): n - 1 distinct cut points in 1..2^16-1. */
export function randomCdf(rand: () => number, n: number): Uint32Array {
  const cuts = new Set<number>();
  while (cuts.size < n - 1) cuts.add(randInt(rand, 1, PROB_SCALE - 1));
  return Uint32Array.from([0, ...[...cuts].sort((a, b) => a - b), PROB_SCALE]);
}

/** A symbol drawn from the cdf's own distribution. */
export function sampleSymbol(rand: () => number, cdf: Uint32Array): number {
  const u = Math.floor(rand() * PROB_SCALE);
  let lo = 0;
  let hi = cdf.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid]! <= u) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Lower-case hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
