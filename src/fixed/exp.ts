/**
 * Integer exp(x) for x <= 0 (softmax's exponentials), by splitting the input into
 * base-256 digits:
 *
 *   x = -j * 2^-inFl,  j = sum_c j_c * 256^c,  exp(x) = prod_c exp(-j_c * 256^c * 2^-inFl)
 *
 * Each factor comes from a 256-entry table of Q30 values (round(v * 2^30), all in
 * [0, 2^30]); factors are multiplied with applyMultiplier(acc, T, 30), an exact
 * Q30 * Q30 -> Q30 product rounded half up (both operands <= 2^30 < 2^31). The
 * result is rounded half up from Q30 to 2^-outFl.
 *
 * Error (output LSBs), with L table digits: each table entry and each product
 * rounding is off by <= 1/2 unit of 2^-30, and the factors are <= 1, so the Q30
 * value is off by < L units; the final rounding adds 1/2:
 *     |expQ(d) - exp(x) * 2^outFl| <= 0.5 + L * 2^(outFl - 30)
 * For j > jMax the true value is < 1/4 LSB and the result is 0.
 *
 * Tables are built at prepare time with Math.exp and are plan data: C/WASM use
 * the same integers.
 */
import { FxpError, type ErrorContext } from '../errors.js';
import { MAX_FL, MIN_FL } from './format.js';
import { applyMultiplier } from './multiplier.js';
import { pow2, roundHalfUp } from './pow2.js';
import { roundShift } from './shift.js';

/** Fractional bits of the table entries. */
export const EXP_TABLE_FRAC = 30;

export interface ExpTable {
  readonly inFl: number;
  /** Output is exp(x) in units of 2^-outFl; outFl <= 30. */
  readonly outFl: number;
  /** j = -d above jMax gives 0. */
  readonly jMax: number;
  /** tables[c][i] = round(exp(-i * 256^c * 2^-inFl) * 2^30). */
  readonly tables: readonly Int32Array[];
  readonly errorBoundLsb: number;
}

export function prepareExp(inFl: number, outFl: number, context: ErrorContext = {}): ExpTable {
  if (!Number.isInteger(inFl) || inFl < MIN_FL || inFl > MAX_FL) {
    throw new FxpError(`prepareExp: input fractional length ${inFl} outside ${MIN_FL}..${MAX_FL}`, context);
  }
  if (!Number.isInteger(outFl) || outFl < MIN_FL || outFl > EXP_TABLE_FRAC) {
    throw new FxpError(`prepareExp: output fractional length ${outFl} outside ${MIN_FL}..${EXP_TABLE_FRAC}`, context);
  }
  // exp(-jMax * 2^-inFl) <= 2^-(outFl + 2): beyond it the true value is < 1/4 LSB.
  const jMax = Math.max(0, Math.ceil((outFl + 2) * Math.LN2 * pow2(inFl)));
  const tables: Int32Array[] = [];
  let digitWeight = 1;
  do {
    const t = new Int32Array(256);
    for (let i = 0; i < 256; i++) t[i] = roundHalfUp(Math.exp(-i * digitWeight * pow2(-inFl)) * 2 ** EXP_TABLE_FRAC);
    tables.push(t);
    digitWeight *= 256;
  } while (digitWeight <= jMax);
  const errorBoundLsb = 0.5 + tables.length * pow2(outFl - EXP_TABLE_FRAC);
  return { inFl, outFl, jMax, tables, errorBoundLsb };
}

/**
 * round(exp(d * 2^-inFl) * 2^outFl) within table.errorBoundLsb, for an integer
 * d <= 0 (|d| < 2^53). d > 0 is an FxpError: softmax subtracts the row maximum.
 */
export function expQ(d: number, table: ExpTable): number {
  if (d > 0) throw new FxpError(`expQ: input ${d} > 0 (exp is tabulated for x <= 0 only)`);
  let j = -d;
  if (j > table.jMax) return 0;
  const tables = table.tables;
  let acc = tables[0]![j % 256]!;
  for (let c = 1; c < tables.length; c++) {
    j = Math.floor(j / 256);
    acc = applyMultiplier(acc, tables[c]![j % 256]!, EXP_TABLE_FRAC);
  }
  return roundShift(acc, EXP_TABLE_FRAC - table.outFl);
}
