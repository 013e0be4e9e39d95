/**
 * Rounding shifts and saturation: the power-of-two requantization of the numeric
 * contract, `(x + 2^(s-1)) >> s` with an arithmetic (floor) shift, then a clamp
 * to the output format.
 *
 * Rounding is half up (ties go toward +infinity): roundShift(-3, 1) = -1,
 * roundShift(3, 1) = 2. C port: `(x >> s) + ((x >> (s - 1)) & 1)` on int32 for
 * 1 <= s <= 31, or `(x + ((int64_t)1 << (s - 1))) >> s` on int64 for s <= 62.
 */
import { FxpError, type ErrorContext } from '../errors.js';
import { formatToString, type QFormat } from './format.js';
import { pow2 } from './pow2.js';

/**
 * floor((x + 2^(s-1)) / 2^s) for s >= 1; x for s = 0; x * 2^-s (a left shift)
 * for s < 0.
 *
 * Domain: x an integer with |x| < 2^53 (any safe integer), s an integer.
 * Exact on the whole domain for s >= 0. For s < 0 the product x * 2^-s is an exact
 * double, but a safe integer only while |x| * 2^-s < 2^53; use shiftSaturate when
 * it may not be.
 */
export function roundShift(x: number, s: number): number {
  if (s > 0) {
    // int32 path: x = a*2^s + b with 0 <= b < 2^s, a = x >> s, and
    // (x + 2^(s-1)) >> s = a + [b >= 2^(s-1)] = a + bit (s-1) of x. Nothing here
    // can overflow int32, unlike x + 2^(s-1) itself.
    if (s <= 31 && (x | 0) === x) return (x >> s) + ((x >> (s - 1)) & 1);
    return roundShiftWide(x, s);
  }
  return s === 0 ? x : x * pow2(-s);
}

/**
 * The wide path of roundShift, for any safe integer x and s >= 1.
 * q = floor(x / 2^s) is exact (division by a power of two, then floor); r = x - q*2^s
 * is an integer in [0, 2^s) and, for s <= 53, both operands and the result are
 * integers below 2^54 in magnitude whose difference is representable, so the
 * subtraction is exact. For s >= 54, |x| < 2^53 <= 2^(s-1) puts x + 2^(s-1) in
 * [0, 2^s): the result is 0.
 */
export function roundShiftWide(x: number, s: number): number {
  if (s >= 54) return 0;
  const d = pow2(s);
  const q = Math.floor(x / d);
  const r = x - q * d;
  return r >= pow2(s - 1) ? q + 1 : q + 0;
}

/** Clamps an integer to a format's range (no rounding). */
export function saturate(x: number, f: QFormat): number {
  const qmin = f.signed ? -pow2(f.wl - 1) : 0;
  const qmax = f.signed ? pow2(f.wl - 1) - 1 : pow2(f.wl) - 1;
  return x < qmin ? qmin : x > qmax ? qmax : x;
}

/**
 * saturate(roundShift(x, s), f): shift by any integer s (left shifts included)
 * and clamp. Exact for every safe integer x: a left shift's product is an exact
 * double (or ±Infinity), and clamping it lands on the right bound.
 */
export function shiftSaturate(x: number, s: number, f: QFormat): number {
  return saturate(roundShift(x, s), f);
}

/**
 * Converts q from format `from` to format `to`: rounding shift by from.fl - to.fl
 * (right when `to` is coarser, left when finer), then saturation to `to`.
 * This is how element-wise Add/Concat align operands.
 */
export function requantize(q: number, from: QFormat, to: QFormat): number {
  return shiftSaturate(q, from.fl - to.fl, to);
}

/**
 * shiftSaturate over an array. The output format must fit Int32Array (wl <= 32);
 * inputs are int32 or exact integers in a Float64Array (wide accumulators).
 */
export function shiftSaturateArray(
  src: Int32Array | Float64Array,
  s: number,
  f: QFormat,
  dst: Int32Array = new Int32Array(src.length),
  context: ErrorContext = {},
): Int32Array {
  if (f.wl > 32) throw new FxpError(`shiftSaturateArray: ${formatToString(f)} does not fit Int32Array`, context);
  if (dst.length !== src.length) throw new FxpError(`shiftSaturateArray: output length ${dst.length} != ${src.length}`, context);
  const qmin = f.signed ? -pow2(f.wl - 1) : 0;
  const qmax = f.signed ? pow2(f.wl - 1) - 1 : pow2(f.wl) - 1;
  for (let i = 0; i < src.length; i++) {
    const y = roundShift(src[i]!, s);
    dst[i] = y < qmin ? qmin : y > qmax ? qmax : y;
  }
  return dst;
}
