/**
 * Float <-> fixed conversion (prepare time and the float fake-quant simulation).
 *
 *   quantize:   q = clamp(floor(x * 2^fl + 1/2), qmin, qmax)   (round half up)
 *   dequantize: x = q * 2^-fl
 *
 * Both are exact for every double x: 2^fl is an exact power of two, so x * 2^fl
 * is exact unless it overflows (then it saturates, as it should) or falls into the
 * subnormal range (then |x * 2^fl| < 2^-1022 and the result is 0 either way), and
 * roundHalfUp is exact where `Math.floor(y + 0.5)` is not.
 */
import { FxpError, type ErrorContext } from '../errors.js';
import { formatToString, MAX_FL, MIN_FL, qRange, type QFormat } from './format.js';
import { ceilLog2, pow2, roundHalfUp } from './pow2.js';

/** Float -> fixed for one value. NaN is an FxpError (no integer represents it). */
export function quantize(x: number, f: QFormat, context: ErrorContext = {}): number {
  if (Number.isNaN(x)) throw new FxpError(`cannot quantize NaN to ${formatToString(f)}`, context);
  const { qmin, qmax } = qRange(f);
  const q = roundHalfUp(x * pow2(f.fl));
  return q < qmin ? qmin : q > qmax ? qmax : q;
}

/**
 * Float -> fixed for an array. The output is Int32Array, which holds every
 * format with wl <= 32 (the weight/activation/bias roles); wider formats need
 * quantize() per element. Throws an FxpError naming the first NaN's index.
 */
export function quantizeArray(
  src: Float32Array | Float64Array,
  f: QFormat,
  dst: Int32Array = new Int32Array(src.length),
  context: ErrorContext = {},
): Int32Array {
  if (f.wl > 32) throw new FxpError(`quantizeArray: ${formatToString(f)} does not fit Int32Array`, context);
  if (dst.length !== src.length) throw new FxpError(`quantizeArray: output length ${dst.length} != ${src.length}`, context);
  const { qmin, qmax } = qRange(f);
  const scale = pow2(f.fl);
  for (let i = 0; i < src.length; i++) {
    const x = src[i]!;
    if (Number.isNaN(x)) throw new FxpError(`cannot quantize NaN (element ${i}) to ${formatToString(f)}`, context);
    const q = roundHalfUp(x * scale);
    dst[i] = q < qmin ? qmin : q > qmax ? qmax : q;
  }
  return dst;
}

/** Fixed -> float: q * 2^-fl, exact in float64 for every |q| <= 2^53. */
export function dequantize(q: number, f: QFormat): number {
  return q * pow2(-f.fl);
}

/**
 * Fixed -> float32 for an array. Exact when wl <= 24 (every such q * 2^-fl with
 * fl in MIN_FL..MAX_FL is a normal float32); wider formats round to nearest.
 */
export function dequantizeArray(
  src: Int32Array | Int16Array | Int8Array | Uint8Array | Uint16Array,
  f: QFormat,
  dst: Float32Array = new Float32Array(src.length),
): Float32Array {
  const step = pow2(-f.fl);
  for (let i = 0; i < src.length; i++) dst[i] = src[i]! * step;
  return dst;
}

/**
 * quantize then dequantize, in float64: the value the fixed-point tensor
 * represents, exactly.
 */
export function fakeQuantize(x: number, f: QFormat): number {
  return dequantize(quantize(x, f), f);
}

/**
 * Float32 fake quantization, the float simulation's view of a fixed-point tensor.
 * Each element is computed in float64 exactly as fakeQuantize and then stored as
 * float32, which is exact for wl <= 24 (see dequantizeArray); the simulation and
 * the integer engine therefore agree on every value they share.
 */
export function fakeQuantizeArray(
  src: Float32Array,
  f: QFormat,
  dst: Float32Array = new Float32Array(src.length),
  context: ErrorContext = {},
): Float32Array {
  if (dst.length !== src.length) throw new FxpError(`fakeQuantizeArray: output length ${dst.length} != ${src.length}`, context);
  const { qmin, qmax } = qRange(f);
  const scale = pow2(f.fl);
  const step = pow2(-f.fl);
  for (let i = 0; i < src.length; i++) {
    const x = src[i]!;
    if (Number.isNaN(x)) throw new FxpError(`cannot quantize NaN (element ${i}) to ${formatToString(f)}`, context);
    const q = roundHalfUp(x * scale);
    dst[i] = (q < qmin ? qmin : q > qmax ? qmax : q) * step;
  }
  return dst;
}

/**
 * Goyal et al.'s starting fractional length for a tensor with largest magnitude
 * maxAbs: enough integer bits for maxAbs, the rest fractional.
 *
 *   signed:   fl = wl - 1 - ceil(log2 maxAbs)
 *   unsigned: fl = wl     - ceil(log2 maxAbs)
 *
 * ceil(log2) is exact (an exact power of two 2^k gives k, so maxAbs = 2^k itself
 * saturates to qmax = 2^k - 2^-fl, as in the paper). maxAbs = 0 carries no range
 * information and is treated like maxAbs = 1 (ceil(log2) = 0). The result is
 * clamped to MIN_FL..MAX_FL so it always forms a valid format.
 */
export function fracLengthFromRange(maxAbs: number, wl: number, signed: boolean, context: ErrorContext = {}): number {
  if (!(maxAbs >= 0) || !Number.isFinite(maxAbs)) {
    throw new FxpError(`fracLengthFromRange: maxAbs must be finite and >= 0, got ${maxAbs}`, context);
  }
  const intBits = maxAbs === 0 ? 0 : ceilLog2(maxAbs);
  const fl = (signed ? wl - 1 : wl) - intBits;
  return Math.min(MAX_FL, Math.max(MIN_FL, fl));
}
