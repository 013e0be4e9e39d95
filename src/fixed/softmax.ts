/**
 * Integer softmax over one row: subtract the row maximum, exponentiate with expQ
 * into E fractional bits, sum, and divide with divQ (round half up), then
 * saturate to the output format.
 *
 *   e_i = expQ(q_i - max) in [0, 2^E]        (the maximum gives exactly 2^E)
 *   S   = sum e_i in [2^E, n * 2^E]          (< 2^52: n < 2^21, E <= 30)
 *   y_i = clamp(round(e_i * 2^outFl / S))    (e_i * 2^outFl <= 2^(E + outFl) <= 2^51)
 *
 * E = min(30, 51 - outFl). In C, S and the numerators need int64.
 *
 * Error (output LSBs, against the true softmax clipped to the output range): with
 * eps the exp error in units of 2^-E and U = sum exp(x_i - max) >= 1,
 *   |e_i/S - u_i/U| <= eps (U + n u_i) / (S U) <= eps (n + 1) / (2^E - n eps)
 * so |y_i - softmax_i * 2^outFl| <= 0.5 + 2^outFl * eps (n + 1) / (2^E - n eps)
 * (softmaxErrorBoundLsb). For n = 1000 the second term is below 0.001 LSB for
 * outFl <= 8 and 0.22 LSB for outFl = 16; measured errors stay at 0.5 LSB
 * (test/fixed/exp-softmax.test.ts).
 */
import { FxpError, type ErrorContext } from '../errors.js';
import { prepareExp, expQ, type ExpTable } from './exp.js';
import { formatToString, qRange, validateFormat, type QFormat } from './format.js';
import { divQ } from './normalize.js';
import { pow2 } from './pow2.js';

/** Longest row softmaxQ accepts (keeps the sum below 2^52). */
export const MAX_SOFTMAX_ROW = 2 ** 21;

export interface SoftmaxPlan {
  readonly inFormat: QFormat;
  readonly outFormat: QFormat;
  /** exp of the shifted inputs, into E = exp.outFl fractional bits. */
  readonly exp: ExpTable;
  readonly qmin: number;
  readonly qmax: number;
}

export function prepareSoftmax(inFormat: QFormat, outFormat: QFormat, context: ErrorContext = {}): SoftmaxPlan {
  validateFormat(inFormat, 'accumulator', context);
  validateFormat(outFormat, 'activation', context);
  if (outFormat.fl > 30) {
    throw new FxpError(`prepareSoftmax: output ${formatToString(outFormat)} has more than 30 fractional bits`, context);
  }
  const E = Math.min(30, 51 - outFormat.fl);
  const { qmin, qmax } = qRange(outFormat);
  return { inFormat, outFormat, exp: prepareExp(inFormat.fl, E, context), qmin, qmax };
}

/** Softmax of one row of integers in plan.inFormat into plan.outFormat. */
export function softmaxQ(row: Int32Array, plan: SoftmaxPlan, dst: Int32Array = new Int32Array(row.length)): Int32Array {
  const n = row.length;
  if (dst.length !== n) throw new FxpError(`softmaxQ: output length ${dst.length} != ${n}`);
  if (n > MAX_SOFTMAX_ROW) throw new FxpError(`softmaxQ: row of ${n} exceeds ${MAX_SOFTMAX_ROW}`);
  if (n === 0) return dst;
  let max = row[0]!;
  for (let i = 1; i < n; i++) if (row[i]! > max) max = row[i]!;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = expQ(row[i]! - max, plan.exp);
    dst[i] = e;
    sum += e;
  }
  const outFl = plan.outFormat.fl;
  for (let i = 0; i < n; i++) {
    const y = divQ(dst[i]!, sum, outFl);
    dst[i] = y < plan.qmin ? plan.qmin : y > plan.qmax ? plan.qmax : y;
  }
  return dst;
}

/** The documented error bound of softmaxQ for rows of length n, in output LSBs. */
export function softmaxErrorBoundLsb(plan: SoftmaxPlan, n: number): number {
  const E = plan.exp.outFl;
  const eps = plan.exp.errorBoundLsb;
  return 0.5 + (pow2(plan.outFormat.fl) * eps * (n + 1)) / (pow2(E) - n * eps);
}
