/**
 * A set of coding tables for integer values (one per scale level, or one per
 * channel of a factorized prior): table t codes the values offset_t .. offset_t +
 * length_t - 1 as symbols 0 .. length_t - 1, and symbol length_t is the escape for
 * any other value (symbols.ts).
 */
import { FxpError, type ErrorContext } from '../errors.js';
import { validateCdf } from './cdf.js';
import { PRECISION } from './rans.js';

export interface CodingTables {
  /** Per table: the value coded by symbol 0. */
  readonly offsets: Int32Array;
  /** Per table: the number n of in-range symbols; symbol n is the escape. */
  readonly lengths: Int32Array;
  /** Per table: n + 2 cdf entries (n symbols and the escape), precision 16. */
  readonly cdfs: readonly Uint32Array[];
}

const INT32_MAX = 2 ** 31 - 1;

/**
 * Checks tables before coding with them (once per decode call, so decoders can
 * trust every cdf): equal counts, at least one table, lengths 0..2^16-2, the value
 * range inside int32, and each cdf valid with n + 2 entries.
 */
export function validateTables(tables: CodingTables, context: ErrorContext = {}): void {
  const { offsets, lengths, cdfs } = tables;
  const count = cdfs.length;
  if (count === 0) throw new FxpError('coding tables are empty', context);
  if (offsets.length !== count || lengths.length !== count) {
    throw new FxpError(`coding tables disagree on their count: ${offsets.length} offsets, ${lengths.length} lengths, ${count} cdfs`, context);
  }
  for (let t = 0; t < count; t++) {
    const n = lengths[t]!;
    const offset = offsets[t]!;
    if (n < 0 || n > 2 ** PRECISION - 2) throw new FxpError(`coding table ${t} has length ${n}, must be in 0..${2 ** PRECISION - 2}`, context);
    if (offset + n - 1 > INT32_MAX) throw new FxpError(`coding table ${t} covers values up to ${offset + n - 1}, beyond int32`, context);
    const cdf = cdfs[t]!;
    if (cdf.length !== n + 2) throw new FxpError(`coding table ${t} has ${cdf.length} cdf entries, expected length + 2 = ${n + 2}`, context);
    validateCdf(cdf, PRECISION, context, `cdf of coding table ${t}`);
  }
}
