/**
 * Bit packing of integer arrays at an arbitrary width of 1..32 bits.
 *
 * Layout (the one `.fxp` files use): element i occupies stream bits
 * [i*bits, (i+1)*bits), least significant bit first; stream bit k is bit k % 8 of
 * byte floor(k / 8). Signed elements are stored as their low `bits` bits in two's
 * complement. The unused high bits of the last byte are zero. A packed array of n
 * elements takes ceil(n * bits / 8) bytes.
 *
 * The loops keep a bit accumulator in a double: it never holds more than
 * 7 + 32 = 39 bits, well inside the 53 exact bits, so the arithmetic is exact.
 */

export interface BitWidth {
  /** 1..32; an unsigned width is at most 31 bits, so every value fits an Int32Array. */
  readonly bits: number;
  readonly signed: boolean;
}

/** 2^k for k = 0..40, the accumulator's bit positions. */
const POW2: readonly number[] = Array.from({ length: 41 }, (_, k) => 2 ** k);

export function isValidWidth(w: BitWidth): boolean {
  return Number.isInteger(w.bits) && w.bits >= 1 && w.bits <= (w.signed ? 32 : 31);
}

/** Smallest and largest integer a width holds. */
export function widthRange(w: BitWidth): readonly [number, number] {
  return w.signed ? [-(2 ** (w.bits - 1)), 2 ** (w.bits - 1) - 1] : [0, 2 ** w.bits - 1];
}

export function packedByteLength(count: number, bits: number): number {
  return Math.ceil((count * bits) / 8);
}

/**
 * The narrowest width that holds every element: unsigned when none is negative
 * (at least 1 bit), otherwise the smallest two's-complement width.
 */
export function minimalWidth(data: Int32Array): BitWidth {
  let min = 0;
  let max = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min >= 0) {
    let bits = 1;
    while (bits < 31 && max > 2 ** bits - 1) bits++;
    return { bits, signed: false };
  }
  let bits = 1;
  while (bits < 32 && (min < -(2 ** (bits - 1)) || max > 2 ** (bits - 1) - 1)) bits++;
  return { bits, signed: true };
}

/** Index of the first element outside the width's range, or -1. */
export function firstOutOfRange(data: Int32Array, w: BitWidth): number {
  const [lo, hi] = widthRange(w);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < lo || v > hi) return i;
  }
  return -1;
}

/**
 * Writes `data` packed at width `w` into out[offset, offset + packedByteLength).
 * Every element must lie in widthRange(w) (callers check; a value outside throws).
 */
export function packBits(data: Int32Array, w: BitWidth, out: Uint8Array, offset: number): void {
  const bad = firstOutOfRange(data, w);
  if (bad >= 0) throw new RangeError(`element ${bad} (${data[bad]}) does not fit ${w.signed ? 'signed' : 'unsigned'} ${w.bits} bits`);
  const mod = 2 ** w.bits;
  let acc = 0;
  let nacc = 0;
  let pos = offset;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    acc += (v < 0 ? v + mod : v) * POW2[nacc]!;
    nacc += w.bits;
    while (nacc >= 8) {
      const byte = acc % 256;
      out[pos++] = byte;
      acc = (acc - byte) / 256;
      nacc -= 8;
    }
  }
  if (nacc > 0) out[pos] = acc;
}

/**
 * Reads `count` elements packed at width `w` from bytes[offset, ...). The caller
 * guarantees packedByteLength(count, w.bits) bytes are present. `paddingBits` is
 * the value of the unused bits of the last byte (zero in a well-formed stream).
 */
export function unpackBits(bytes: Uint8Array, offset: number, count: number, w: BitWidth): { data: Int32Array; paddingBits: number } {
  const out = new Int32Array(count);
  const mod = 2 ** w.bits;
  const half = w.signed ? mod / 2 : Infinity;
  let acc = 0;
  let nacc = 0;
  let pos = offset;
  for (let i = 0; i < count; i++) {
    while (nacc < w.bits) {
      acc += bytes[pos++]! * POW2[nacc]!;
      nacc += 8;
    }
    const u = acc % mod;
    acc = (acc - u) / mod;
    nacc -= w.bits;
    out[i] = u >= half ? u - mod : u;
  }
  return { data: out, paddingBits: acc };
}
