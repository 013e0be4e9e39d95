/**
 * The linear scaling layer: a positive real scale s becomes an integer multiplier
 * m < 2^31 and a right shift n, s ~= m * 2^-n, and requantization computes
 *
 *   y = floor((acc * m + 2^(n-1)) / 2^n)        (round half up, exact)
 *
 * then saturates. Unlike TFLite's SaturatingRoundingDoublingHighMul + rounding
 * divide, there is a single rounding, of the exact product.
 *
 * C port: for |acc| < 2^32 the product fits int64: `(p + ((int64_t)1 << (n-1))) >> n`
 * for 1 <= n <= 62 (n >= 63 gives 0). Wider accumulators need the split of
 * applyMultiplierWide or __int128.
 */
import { FxpError, type ErrorContext } from '../errors.js';
import { formatToString, type QFormat } from './format.js';
import { floorLog2, pow2, roundHalfUp } from './pow2.js';
import { roundShift } from './shift.js';

export interface Multiplier {
  /** 0 <= m < 2^bits; m >= 2^(bits-1) unless m = 0. */
  readonly m: number;
  /** Right shift, >= 0. */
  readonly shift: number;
}

const TWO53 = 2 ** 53;

/**
 * Represents scale >= 0 as m * 2^-shift with m normalized to [2^(bits-1), 2^bits),
 * m = floor(scale * 2^shift + 1/2) (exact: scale * 2^shift is an exact double).
 *
 * Error: |m * 2^-shift - scale| <= 2^-(shift+1) <= 2^-bits * scale (half a step of
 * m, and m >= 2^(bits-1)). When rounding carries m to 2^bits it is renormalized to
 * 2^(bits-1) with shift - 1, the same value.
 *
 * scale < 2^-55 gives {m: 0, shift: 0}: for every |acc| < 2^53, |acc * scale| < 1/4,
 * so the exactly rounded product is 0 as well. scale >= 2^bits - 1/2 would need a
 * negative shift and is an FxpError (no requantization scales up that much).
 */
export function quantizeMultiplier(scale: number, bits = 31, context: ErrorContext = {}): Multiplier {
  if (!Number.isInteger(bits) || bits < 2 || bits > 31) {
    throw new FxpError(`quantizeMultiplier: bits must be an integer in 2..31, got ${bits}`, context);
  }
  if (!(scale >= 0) || !Number.isFinite(scale)) {
    throw new FxpError(`quantizeMultiplier: scale must be finite and >= 0, got ${scale}`, context);
  }
  if (scale < pow2(-55)) return { m: 0, shift: 0 };
  let shift = bits - 1 - floorLog2(scale);
  let m = roundHalfUp(scale * pow2(shift));
  if (m === pow2(bits)) {
    m = pow2(bits - 1);
    shift -= 1;
  }
  if (shift < 0) {
    throw new FxpError(`quantizeMultiplier: scale ${scale} is too large for a ${bits}-bit multiplier`, context);
  }
  return { m, shift };
}

/**
 * floor((acc * m + 2^(shift-1)) / 2^shift) (acc * m for shift = 0), exactly.
 *
 * Domain: acc a safe integer (|acc| < 2^53), m an integer in [0, 2^31), shift an
 * integer >= 0. The result is exact whenever it is itself below 2^53 in magnitude,
 * which holds for every shift >= 32 (|acc * m| < 2^84); with bits = 31,
 * quantizeMultiplier gives shift >= 32 for every scale below 1/2.
 *
 * Fast path: when the double product is below 2^53 in magnitude it is exact
 * (rounding is monotone and 2^53 is a double), and roundShift is exact on it.
 */
export function applyMultiplier(acc: number, m: number, shift: number): number {
  const p = acc * m + 0; // + 0: -1 * 0 is -0, never returned
  if (p < TWO53 && p > -TWO53) return roundShift(p, shift);
  return applyMultiplierWide(acc, m, shift);
}

/**
 * applyMultiplier without the fast path: the exact product as G * 2^37 + Cl from
 * partial products that each fit 53 bits.
 *
 *   acc = aH * 2^21 + aL       0 <= aL < 2^21, |aH| <= 2^32
 *   m   = mH * 2^16 + mL       mH < 2^15, mL < 2^16
 *   aH*mH < 2^47, aH*mL < 2^48           (exact)
 *   aH*m  = H * 2^16 + Bl      Bl = (aH*mL) mod 2^16, |H| < 2^47 + 2^32
 *   acc*m = H * 2^37 + C       C = Bl * 2^21 + aL * m in [0, 2^37 + 2^52)  (exact)
 *         = G * 2^37 + Cl      Cl = C mod 2^37, |G| < 2^48
 *
 * Then for shift > 37 the fraction Cl / 2^37 < 1 cannot change the floor:
 * result = roundShift(G, shift - 37); for shift = 37 it decides the tie bit; for
 * shift < 37 the result is G * 2^(37-shift) + roundShift(Cl, shift).
 */
export function applyMultiplierWide(acc: number, m: number, shift: number): number {
  const aH = Math.floor(acc / 2097152); // 2^21
  const aL = acc - aH * 2097152;
  const mH = Math.floor(m / 65536);
  const mL = m - mH * 65536;
  const B = aH * mL;
  const Bh = Math.floor(B / 65536);
  const Bl = B - Bh * 65536;
  const H = aH * mH + Bh;
  const C = Bl * 2097152 + aL * m;
  const Ch = Math.floor(C / 137438953472); // 2^37
  const Cl = C - Ch * 137438953472;
  const G = H + Ch;
  if (shift > 37) return roundShift(G, shift - 37);
  if (shift === 37) return Cl >= 68719476736 ? G + 1 : G + 0; // 2^36
  return G * pow2(37 - shift) + roundShift(Cl, shift);
}

/** applyMultiplier in BigInt: the reference the double paths are tested against. */
export function applyMultiplierRef(acc: bigint, m: bigint, shift: number): bigint {
  const p = acc * m;
  if (shift === 0) return p;
  const s = BigInt(shift);
  return (p + (1n << (s - 1n))) >> s; // BigInt >> is a floor shift
}

/** saturate(applyMultiplier(acc, m, shift), f). */
export function requantizeMultiplier(acc: number, m: number, shift: number, f: QFormat): number {
  const y = applyMultiplier(acc, m, shift);
  const qmin = f.signed ? -pow2(f.wl - 1) : 0;
  const qmax = f.signed ? pow2(f.wl - 1) - 1 : pow2(f.wl) - 1;
  return y < qmin ? qmin : y > qmax ? qmax : y;
}

/**
 * Per-channel requantization. `acc` is laid out [outer, C, inner] (NCHW with
 * inner = H*W, or [N, C] with inner = 1); channel c uses multiplier[c], shift[c].
 * Every output is saturated to `out`, which must fit Int32Array (wl <= 32).
 */
export function requantizePerChannel(
  acc: Int32Array | Float64Array,
  multiplier: ArrayLike<number>,
  shift: ArrayLike<number>,
  inner: number,
  out: QFormat,
  dst: Int32Array = new Int32Array(acc.length),
  context: ErrorContext = {},
): Int32Array {
  const channels = multiplier.length;
  if (channels === 0 || shift.length !== channels) {
    throw new FxpError(`requantizePerChannel: ${channels} multipliers but ${shift.length} shifts`, context);
  }
  if (!Number.isInteger(inner) || inner < 1 || acc.length % (channels * inner) !== 0) {
    throw new FxpError(`requantizePerChannel: ${acc.length} values do not split into [outer, ${channels}, ${inner}]`, context);
  }
  if (out.wl > 32) throw new FxpError(`requantizePerChannel: ${formatToString(out)} does not fit Int32Array`, context);
  if (dst.length !== acc.length) throw new FxpError(`requantizePerChannel: output length ${dst.length} != ${acc.length}`, context);
  for (let c = 0; c < channels; c++) {
    const m = multiplier[c]!;
    const s = shift[c]!;
    if (!Number.isInteger(m) || m < 0 || m >= 2 ** 31 || !Number.isInteger(s) || s < 0) {
      throw new FxpError(`requantizePerChannel: channel ${c} has invalid multiplier ${m} / shift ${s}`, context);
    }
  }
  const qmin = out.signed ? -pow2(out.wl - 1) : 0;
  const qmax = out.signed ? pow2(out.wl - 1) - 1 : pow2(out.wl) - 1;
  let i = 0;
  while (i < acc.length) {
    for (let c = 0; c < channels; c++) {
      const m = multiplier[c]!;
      const s = shift[c]!;
      for (let k = 0; k < inner; k++, i++) {
        const y = applyMultiplier(acc[i]!, m, s);
        dst[i] = y < qmin ? qmin : y > qmax ? qmax : y;
      }
    }
  }
  return dst;
}
