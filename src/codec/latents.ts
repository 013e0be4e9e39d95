/**
 * The integer steps between the four networks of the codec, shared by the encoder
 * and the decoder (and mirrored one for one by a C or browser decoder). No float:
 * every value is an int32 and every operation an integer add, multiply, shift or
 * compare on operands below 2^31.
 *
 * Formats (model-file.ts stores them):
 *   y, mu, sigma, y_hat: one format Fy = Q(s, wy, fy) with 1 <= fy <= 24, wy <= 16;
 *   z (hyper-analysis output): Fz = Q(s, wz, fzl), any fzl;
 *   z_hat (hyper-synthesis input): Q(s, wzh, 0), integers;
 *   x_hat (synthesis output): Fx = Q(s, wx, fx) with wx <= 16.
 */
import { qRange, type QFormat } from '../fixed/format.js';
import { scaleIndex } from './scale-index.js';

/** floor((v + 2^(s-1)) / 2^s) for int32 v and 1 <= s <= 30: round half up. */
function roundShift32(v: number, s: number): number {
  return (v >> s) + ((v >> (s - 1)) & 1);
}

/**
 * z_hat = clamp(round(z), z_hat range): z_q in Fz, rounded half up to integers.
 * fzl <= 0: z_q * 2^-fzl (already an integer; |z_q| < 2^15 keeps it below 2^31
 * for -fzl <= 15). The clamp keeps z_hat inside the hyper-synthesis input format,
 * so an out-of-range value is never fed to the engine; the encoder codes the
 * clamped value, so both sides agree.
 */
export function zHatFromZ(zq: Int32Array, fz: QFormat, zHat: QFormat): Int32Array {
  const { qmin, qmax } = qRange(zHat);
  const out = new Int32Array(zq.length);
  for (let i = 0; i < zq.length; i++) {
    const v = fz.fl > 0 ? roundShift32(zq[i]!, fz.fl) : zq[i]! * 2 ** -fz.fl;
    out[i] = v < qmin ? qmin : v > qmax ? qmax : v;
  }
  return out;
}

/** Clamps decoded integers into a format's range (a corrupt stream may decode anything). */
export function clampTo(values: Int32Array, f: QFormat): Int32Array {
  const { qmin, qmax } = qRange(f);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < qmin) values[i] = qmin;
    else if (v > qmax) values[i] = qmax;
  }
  return values;
}

/**
 * Coding table of every y element: scaleIndex(sigma_q, thresholds), where
 * params = [mu (M channels), sigma (M channels)] per image, NCHW, batch 1, and
 * sigma_q is in Fy (the thresholds were built for fy). sigma below the smallest
 * scale's upper midpoint gets table 0, which is the max(sigma, 0.11) of the float
 * model.
 */
export function tableIndices(params: Int32Array, m: number, plane: number, thresholds: Int32Array): Uint8Array {
  const count = m * plane;
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = scaleIndex(params[count + i]!, thresholds);
  return out;
}

/**
 * Encoder: the symbols sym = round(y - mu) = floor((y_q - mu_q + 2^(fy-1)) / 2^fy).
 * |y_q - mu_q| < 2^17 for wy <= 16, so every step is int32.
 */
export function ySymbols(yq: Int32Array, params: Int32Array, fy: QFormat): Int32Array {
  const out = new Int32Array(yq.length);
  for (let i = 0; i < yq.length; i++) out[i] = roundShift32(yq[i]! - params[i]!, fy.fl);
  return out;
}

/**
 * Both sides: y_hat_q = clamp(sym * 2^fy + mu_q) in Fy, the synthesis input.
 * A symbol from a corrupt stream may be any int32: it is clamped to +-2^16 first,
 * so sym * 2^fy + mu_q stays below 2^41 (exact), then to Fy.
 */
export function yHat(symbols: Int32Array, params: Int32Array, fy: QFormat): Int32Array {
  const { qmin, qmax } = qRange(fy);
  const step = 2 ** fy.fl;
  const out = new Int32Array(symbols.length);
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i]!;
    const v = (s < -65536 ? -65536 : s > 65536 ? 65536 : s) * step + params[i]!;
    out[i] = v < qmin ? qmin : v > qmax ? qmax : v;
  }
  return out;
}

/**
 * 8-bit pixels from the synthesis output x_q in Fx (NCHW, batch 1, 3 channels),
 * cropped to width x height, interleaved RGB:
 *   p = clamp(floor((x_q * 255 + 2^(fx-1)) / 2^fx), 0, 255)   (round half up),
 * for fx >= 1; fx <= 0: x_q * 255 * 2^-fx. |x_q| < 2^15 gives |x_q * 255| < 2^23.
 */
export function pixelsFromXhat(xq: Int32Array, fx: QFormat, padW: number, padH: number, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  const plane = padW * padH;
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const q = xq[c * plane + y * padW + x]! * 255;
        const p = fx.fl > 0 ? roundShift32(q, fx.fl) : q * 2 ** -fx.fl;
        out[(y * width + x) * 3 + c] = p < 0 ? 0 : p > 255 ? 255 : p;
      }
    }
  }
  return out;
}

/** The padded size: the next multiple of 64 (the codec downsamples by 64). */
export function paddedSize(n: number): number {
  return ((n + 63) >> 6) << 6;
}

/**
 * Interleaved RGB to planar NCHW integers padded to multiples of 64 by edge
 * replication (the last row and column repeat), the analysis input in UQ(8,0).
 */
export function paddedPlanes(rgb: Uint8Array, width: number, height: number): { data: Int32Array; padW: number; padH: number } {
  const padW = paddedSize(width);
  const padH = paddedSize(height);
  const plane = padW * padH;
  const data = new Int32Array(3 * plane);
  for (let y = 0; y < padH; y++) {
    const sy = y < height ? y : height - 1;
    for (let x = 0; x < padW; x++) {
      const sx = x < width ? x : width - 1;
      const s = (sy * width + sx) * 3;
      const d = y * padW + x;
      data[d] = rgb[s]!;
      data[plane + d] = rgb[s + 1]!;
      data[2 * plane + d] = rgb[s + 2]!;
    }
  }
  return { data, padW, padH };
}
