/**
 * Decoding TF.js weight bytes (little-endian) to float32, including TF.js weight
 * quantization: uint8/uint16 affine (value = q * scale + min, computed in double
 * and stored as float32, as tfjs does) and float16.
 */

export type TfjsStoredType = 'float32' | 'int32' | 'bool' | 'uint8' | 'uint16' | 'float16';

export const BYTES_PER_ELEMENT = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
} as const satisfies { [K in TfjsStoredType]: number };

/** IEEE 754 binary16 -> number (exact: every half is a float32). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

export interface Affine {
  readonly scale: number;
  readonly min: number;
}

/** `n` elements of `type` starting at `bytes[0]`; affine applies to uint8/uint16 only. */
export function decodeWeights(bytes: Uint8Array, type: TfjsStoredType, n: number, affine: Affine | undefined): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  const scale = affine?.scale ?? 1;
  const min = affine?.min ?? 0;
  switch (type) {
    case 'float32':
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      break;
    case 'int32':
      for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, true);
      break;
    case 'bool':
      for (let i = 0; i < n; i++) out[i] = view.getUint8(i) === 0 ? 0 : 1;
      break;
    case 'uint8':
      for (let i = 0; i < n; i++) out[i] = view.getUint8(i) * scale + min;
      break;
    case 'uint16':
      for (let i = 0; i < n; i++) out[i] = view.getUint16(2 * i, true) * scale + min;
      break;
    case 'float16':
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      break;
  }
  return out;
}
