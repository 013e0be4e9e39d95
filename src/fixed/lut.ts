/**
 * Integer lookup tables for monotone non-decreasing scalar functions (sigmoid,
 * tanh). Built once at prepare time with float math; evaluated with int32 integer
 * operations only. Tables are plan data: a C or WASM engine must use the same
 * table integers, never rebuild them with its own libm.
 *
 * Two kinds, chosen at prepare time:
 *
 * - direct (segBits = 0): one entry per input integer in [lo, hi], holding the
 *   exactly rounded, saturated output clamp(floor(f(x) * 2^flOut + 1/2)).
 *   Max error 0.5 output LSB.
 * - interpolated (segBits = k >= 1): breakpoints every 2^k inputs, values in units
 *   of 2^-(flOut + G) (G guard bits), linear interpolation with a rounding shift,
 *   then a rounding shift by G and saturation. Max error (output LSBs)
 *     0.5 + 3 * 2^-(G+1) + curvature * h^2 / 8 * 2^flOut,   h = 2^(k - flIn)
 *   (final rounding; table rounding; interpolation rounding; tail clamping;
 *   the linear-interpolation error of a function with |f''| <= curvature).
 *
 * Inputs below lo (above hi) are clamped to lo (hi): lo and hi are chosen where f
 * is flat to within the error budget (direct: same rounded output; interpolated:
 * within 2^-(G+1) LSB of f at the end of the input range), after clipping f to
 * the output range.
 */
import { FxpError, type ErrorContext } from '../errors.js';
import { formatToString, qRange, validateFormat, type QFormat } from './format.js';
import { pow2, roundHalfUp } from './pow2.js';

export interface LutFunction {
  readonly name: string;
  /** Monotone non-decreasing, finite on the input range. */
  readonly f: (x: number) => number;
  /** An upper bound of |f''| over the reals. */
  readonly curvature: number;
}

export interface LutOptions {
  /** Largest direct table; bigger input spans are interpolated. Default 1024. */
  readonly maxDirectEntries?: number;
  /** Largest interpolated table. Default 4097. */
  readonly maxEntries?: number;
  /** Interpolation error to aim for, in output LSBs. Default 1/8. */
  readonly targetInterpLsb?: number;
  /** Guard bits G of interpolated tables, 1..8. Default 4. */
  readonly guardBits?: number;
}

export interface Lut {
  readonly name: string;
  readonly inFormat: QFormat;
  readonly outFormat: QFormat;
  /** Inputs are clamped to [lo, hi] (input integers); hi - lo < 2^31. */
  readonly lo: number;
  readonly hi: number;
  /** k: a breakpoint every 2^k inputs; 0 means direct. */
  readonly segBits: number;
  /** G: interpolated table values are in units of 2^-(outFormat.fl + G). */
  readonly guardBits: number;
  /** direct: hi - lo + 1 outputs; interpolated: floor((hi - lo) / 2^k) + 2 values, |v| <= 2^30. */
  readonly table: Int32Array;
  /** Output saturation bounds. */
  readonly qmin: number;
  readonly qmax: number;
  /** Documented maximum |output - clip(f(input))| in output LSBs. */
  readonly errorBoundLsb: number;
}

const TWO30 = 2 ** 30;
const TWO31 = 2 ** 31;

/** Builds the table of `fn` from inFormat (any accumulator format) to outFormat (wl <= 16). Prepare time only. */
export function prepareLut(
  fn: LutFunction,
  inFormat: QFormat,
  outFormat: QFormat,
  options: LutOptions = {},
  context: ErrorContext = {},
): Lut {
  validateFormat(inFormat, 'accumulator', context);
  validateFormat(outFormat, 'activation', context);
  const maxDirect = options.maxDirectEntries ?? 1024;
  const maxEntries = options.maxEntries ?? 4097;
  const target = options.targetInterpLsb ?? 1 / 8;
  const G = options.guardBits ?? 4;
  if (!Number.isInteger(G) || G < 1 || G > 8 || !(maxEntries >= 3) || !(maxDirect >= 1) || !(target > 0)) {
    throw new FxpError(`prepareLut(${fn.name}): invalid options ${JSON.stringify(options)}`, context);
  }
  const inRange = qRange(inFormat);
  const { qmin, qmax } = qRange(outFormat);
  const inStep = pow2(-inFormat.fl);
  const outScale = pow2(outFormat.fl);
  const x = (q: number): number => q * inStep;

  // Direct: exactly rounded, saturated output of every input in the varying range.
  const direct = (q: number): number => {
    const v = roundHalfUp(fn.f(x(q)) * outScale);
    if (Number.isNaN(v)) throw new FxpError(`prepareLut(${fn.name}): f(${x(q)}) is NaN`, context);
    return v < qmin ? qmin : v > qmax ? qmax : v;
  };
  const dFirst = direct(inRange.qmin);
  const dLast = direct(inRange.qmax);
  let lo = lastWhere(inRange.qmin, inRange.qmax, (q) => direct(q) === dFirst);
  let hi = firstWhere(inRange.qmin, inRange.qmax, (q) => direct(q) === dLast);
  if (hi < lo) hi = lo; // constant over the whole input range
  if (hi - lo + 1 <= maxDirect) {
    const table = new Int32Array(hi - lo + 1);
    for (let i = 0; i < table.length; i++) table[i] = direct(lo + i);
    return { name: fn.name, inFormat, outFormat, lo, hi, segBits: 0, guardBits: 0, table, qmin, qmax, errorBoundLsb: 0.5 };
  }

  // Interpolated: tails where f (clipped to the output range) is within tol of
  // its value at the end of the input range, in output LSBs.
  const tol = pow2(-(G + 1));
  const clipped = (q: number): number => Math.min(qmax, Math.max(qmin, fn.f(x(q)) * outScale));
  const cFirst = clipped(inRange.qmin);
  const cLast = clipped(inRange.qmax);
  lo = lastWhere(inRange.qmin, inRange.qmax, (q) => clipped(q) - cFirst <= tol);
  hi = firstWhere(inRange.qmin, inRange.qmax, (q) => cLast - clipped(q) <= tol);
  if (hi < lo) hi = lo;
  const span = hi - lo;
  if (span >= TWO31) {
    throw new FxpError(`prepareLut(${fn.name}): input range of ${formatToString(inFormat)} too wide for a table`, context);
  }
  const interpLsb = (k: number): number => (fn.curvature * pow2(2 * (k - inFormat.fl)) * outScale) / 8;
  let k = 1;
  while (k < 30 && interpLsb(k + 1) <= target && pow2(k + 1) <= span) k++;
  while (k < 30 && Math.floor(span / pow2(k)) + 2 > maxEntries) k++;
  const seg = pow2(k);
  const table = new Int32Array(Math.floor(span / seg) + 2);
  const tableScale = pow2(outFormat.fl + G);
  let maxDiff = 0;
  for (let j = 0; j < table.length; j++) {
    const v = roundHalfUp(fn.f(x(lo + j * seg)) * tableScale);
    if (!(Math.abs(v) <= TWO30)) {
      throw new FxpError(`prepareLut(${fn.name}): table value ${v} exceeds 2^30 for ${formatToString(outFormat)}`, context);
    }
    table[j] = v;
    if (j > 0) maxDiff = Math.max(maxDiff, Math.abs(v - table[j - 1]!));
  }
  // (T[i+1] - T[i]) * r + 2^(k-1) with r < 2^k must stay an int32.
  if (maxDiff * (seg - 1) + seg / 2 >= TWO31) {
    throw new FxpError(`prepareLut(${fn.name}): interpolation would overflow int32 (${formatToString(inFormat)} -> ${formatToString(outFormat)})`, context);
  }
  const errorBoundLsb = 0.5 + 3 * tol + interpLsb(k);
  return { name: fn.name, inFormat, outFormat, lo, hi, segBits: k, guardBits: G, table, qmin, qmax, errorBoundLsb };
}

/**
 * Evaluates a table at input integer q (any integer; clamped to [lo, hi]).
 * Interpolated: t = q - lo, i = t >> k, r = t & (2^k - 1),
 *   y = T[i] + (((T[i+1] - T[i]) * r + 2^(k-1)) >> k)     (int32: checked at prepare)
 *   out = clamp((y + 2^(G-1)) >> G, qmin, qmax)          (|y| <= 2^30 + 1)
 */
export function lutQ(lut: Lut, q: number): number {
  const t = (q < lut.lo ? lut.lo : q > lut.hi ? lut.hi : q) - lut.lo;
  const T = lut.table;
  const k = lut.segBits;
  if (k === 0) return T[t]!;
  const i = t >> k;
  const a = T[i]!;
  const y = a + (((T[i + 1]! - a) * (t & ((1 << k) - 1)) + (1 << (k - 1))) >> k);
  const G = lut.guardBits;
  const v = (y + (1 << (G - 1))) >> G;
  return v < lut.qmin ? lut.qmin : v > lut.qmax ? lut.qmax : v;
}

/** lutQ over an array. */
export function lutArrayQ(lut: Lut, src: Int32Array, dst: Int32Array = new Int32Array(src.length)): Int32Array {
  if (dst.length !== src.length) throw new FxpError(`lut ${lut.name}: output length ${dst.length} != ${src.length}`);
  for (let i = 0; i < src.length; i++) dst[i] = lutQ(lut, src[i]!);
  return dst;
}

/** Largest q in [a, b] with pred(q), for pred true on a prefix and pred(a) true. */
function lastWhere(a: number, b: number, pred: (q: number) => boolean): number {
  let lo = a;
  let hi = b;
  while (lo < hi) {
    const mid = lo + Math.ceil((hi - lo) / 2);
    if (pred(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Smallest q in [a, b] with pred(q), for pred true on a suffix and pred(b) true. */
function firstWhere(a: number, b: number, pred: (q: number) => boolean): number {
  let lo = a;
  let hi = b;
  while (lo < hi) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (pred(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
