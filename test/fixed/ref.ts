/**
 * BigInt / exact-rational references and a seeded PRNG for the src/fixed tests.
 * Everything here is deliberately naive: exactness over speed.
 */
import type { QFormat } from '../../src/fixed/format.js';

export { rng } from '../util/random.js';

/** Uniform integer in [lo, hi] (both safe integers, hi - lo < 2^53). */
export function randInt(r: () => number, lo: number, hi: number): number {
  // two draws give 53 random bits
  const u = Math.floor(r() * 2 ** 26) * 2 ** 27 + Math.floor(r() * 2 ** 27);
  return lo + (u % (hi - lo + 1));
}

/** x = mant * 2^exp exactly, for a finite double x. */
export function toRational(x: number): { mant: bigint; exp: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const sign = hi >>> 31 ? -1n : 1n;
  const e = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (e === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = e - 1075;
  }
  return { mant: sign * mant, exp };
}

/** floor(n / d) for d > 0. */
export function floorDiv(n: bigint, d: bigint): bigint {
  return n >= 0n ? n / d : -((-n + d - 1n) / d);
}

/** floor(n * 2^e + 1/2) for integer n and any integer e. */
export function roundScaled(n: bigint, e: number): bigint {
  if (e >= 0) return n << BigInt(e);
  const s = BigInt(-e);
  return (n + (1n << (s - 1n))) >> s;
}

/** quantize per the contract, in exact rational arithmetic. */
export function quantizeRef(x: number, f: QFormat): number {
  const { mant, exp } = toRational(x);
  const q = roundScaled(mant, exp + f.fl);
  const qmin = f.signed ? -(1n << BigInt(f.wl - 1)) : 0n;
  const qmax = f.signed ? (1n << BigInt(f.wl - 1)) - 1n : (1n << BigInt(f.wl)) - 1n;
  return Number(q < qmin ? qmin : q > qmax ? qmax : q);
}

/** roundShift per the contract: floor((x + 2^(s-1)) / 2^s), or x * 2^-s for s <= 0. */
export function roundShiftRef(x: bigint, s: number): bigint {
  return roundScaled(x, -s);
}

/** floor(sqrt(n)) for n >= 0. */
export function isqrtBig(n: bigint): bigint {
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}

/** Largest y >= 0 with (2y - 1)^2 <= N, for integer N >= 0. */
export function halfUpFromSquareBound(N: bigint): bigint {
  return (isqrtBig(N) + 1n) >> 1n;
}

export function lsbError(q: number, exact: number, f: QFormat): number {
  const step = 2 ** -f.fl;
  const lo = f.signed ? -(2 ** (f.wl - 1)) * step : 0;
  const hi = (f.signed ? 2 ** (f.wl - 1) - 1 : 2 ** f.wl - 1) * step;
  const clipped = Math.min(hi, Math.max(lo, exact));
  return Math.abs(q * step - clipped) / step;
}
