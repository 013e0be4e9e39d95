/**
 * Coding arrays of int32 values, each with the table its tableIndex names.
 *
 * Value v with table (offset o, length n, cdf): the symbol s = v - o is coded with
 * the cdf when 0 <= s < n. Otherwise the escape symbol n is coded, followed in
 * bypass bits by (like CompressAI's overflow coding, with a gamma code):
 *   1 bit   side: 1 when s >= n (above the table), 0 when s < 0 (below);
 *   e = s - n above, -1 - s below (e >= 0), and m = e + 1;
 *   Elias gamma of m: z = bitLength(m) - 1 zero bits and a one bit, each a 1-bit
 *   bypass symbol, then the low z bits of m as one z-bit bypass value.
 *
 * Bounds: o, v in int32 and 0 <= n < 2^16 give e <= 2^32 - 2, so m < 2^32 and
 * z <= 31. The decoder reads at most 32 prefix bits: a 32nd zero is a corrupt
 * bitstream, as is a decoded value outside int32. So one value costs at most
 * 1 + 1 + 32 + 2 rANS symbols, whatever the input bytes.
 */
import { FxpError, type ErrorContext } from '../errors.js';
import { RansDecoder, RansEncoder } from './rans.js';
import { validateTables, type CodingTables } from './tables.js';

/** Per-value table numbers. */
export type TableIndex = Uint8Array | Int32Array;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const MAX_PREFIX = 31;

function checkIndex(tableIndex: TableIndex, count: number, context: ErrorContext): void {
  for (let i = 0; i < tableIndex.length; i++) {
    const t = tableIndex[i]!;
    if (t < 0 || t >= count) throw new FxpError(`table index ${t} at position ${i} is outside the ${count} coding tables`, context);
  }
}

/** Puts values[i] with table tableIndex[i], for all i, in order. */
export function encodeSymbols(enc: RansEncoder, values: Int32Array, tableIndex: TableIndex, tables: CodingTables, context: ErrorContext = {}): void {
  validateTables(tables, context);
  if (values.length !== tableIndex.length) throw new FxpError(`${values.length} values but ${tableIndex.length} table indices`, context);
  checkIndex(tableIndex, tables.cdfs.length, context);
  for (let i = 0; i < values.length; i++) {
    const t = tableIndex[i]!;
    const n = tables.lengths[t]!;
    const cdf = tables.cdfs[t]!;
    const s = values[i]! - tables.offsets[t]!;
    if (s >= 0 && s < n) {
      enc.put(cdf, s);
      continue;
    }
    enc.put(cdf, n);
    const above = s >= n;
    enc.putBypass(above ? 1 : 0, 1);
    const m = (above ? s - n : -1 - s) + 1;
    const z = 31 - Math.clz32(m);
    for (let k = 0; k < z; k++) enc.putBypass(0, 1);
    enc.putBypass(1, 1);
    enc.putBypass(m - 2 ** z, z);
  }
}

/**
 * Gets tableIndex.length values, value i with table tableIndex[i]. Does not call
 * dec.finish(): a stream may hold more after them.
 */
export function decodeSymbols(dec: RansDecoder, tableIndex: TableIndex, tables: CodingTables, context: ErrorContext = {}): Int32Array {
  validateTables(tables, context);
  checkIndex(tableIndex, tables.cdfs.length, context);
  const out = new Int32Array(tableIndex.length);
  for (let i = 0; i < out.length; i++) {
    const t = tableIndex[i]!;
    const n = tables.lengths[t]!;
    const offset = tables.offsets[t]!;
    const s = dec.get(tables.cdfs[t]!);
    if (s < n) {
      out[i] = offset + s;
      continue;
    }
    const above = dec.getBypass(1) === 1;
    let z = 0;
    while (dec.getBypass(1) === 0) {
      if (++z > MAX_PREFIX) throw new FxpError(`corrupt bitstream: escape code of value ${i} is longer than 32 bits`, context);
    }
    const e = 2 ** z + dec.getBypass(z) - 1;
    const v = above ? offset + n + e : offset - 1 - e;
    if (v < INT32_MIN || v > INT32_MAX) throw new FxpError(`corrupt bitstream: escaped value ${v} at position ${i} is outside int32`, context);
    out[i] = v;
  }
  return out;
}
