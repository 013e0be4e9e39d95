/**
 * Conditional Gaussian coding tables of the mean-scale hyperprior (Ballé et al.
 * 2018, Minnen et al. 2018; CompressAI's GaussianConditional). EXPORT TIME ONLY:
 * built in float, then stored as integer cdfs; the decoder only looks tables up.
 *
 * For scale s the residual y - mu, rounded, takes the symbols -L..L with
 *   L = ceil(s * Q),  Q = -Phi^-1(TAIL_MASS / 2) = 6.1094102048693975,
 *   pmf(k) = Phi((0.5 - |k|) / s) - Phi((-0.5 - |k|) / s)   (lower tail: accurate),
 *   tail   = 2 Phi((-0.5 - L) / s) = 1 - sum_k pmf(k)       (the escape symbol),
 * quantized with quantizedCdf to precision 16.
 */
import { FxpError } from '../errors.js';
import { quantizedCdf } from './cdf.js';
import { normalCdf, normalQuantile } from './erfc.js';
import { PRECISION } from './rans.js';
import type { CodingTables } from './tables.js';

/** Probability mass outside -L..L that the tables leave to the escape symbol. */
export const TAIL_MASS = 1e-9;

/** CompressAI's get_scale_table: `levels` scales log-spaced from `min` to `max`. */
export function scaleTable(min = 0.11, max = 256, levels = 64): number[] {
  if (!(min > 0 && max > min && Number.isFinite(max)) || !Number.isInteger(levels) || levels < 2) {
    throw new FxpError(`scale table needs 0 < min < max and at least 2 levels, got min ${min}, max ${max}, levels ${levels}`);
  }
  const a = Math.log(min);
  const step = (Math.log(max) - a) / (levels - 1);
  return Array.from({ length: levels }, (_, i) => (i === 0 ? min : i === levels - 1 ? max : Math.exp(a + step * i)));
}

/** Q = -Phi^-1(tailMass / 2): half-width of a table in units of its scale. */
export function tailMultiplier(tailMass = TAIL_MASS): number {
  if (!(tailMass > 0 && tailMass < 1)) throw new FxpError(`tail mass must be in (0, 1), got ${tailMass}`);
  return -normalQuantile(tailMass / 2);
}

/** One table per scale, symbol k + L for the residual k in -L..L (offset -L). */
export function gaussianTables(scales: readonly number[], tailMass = TAIL_MASS): CodingTables {
  const q = tailMultiplier(tailMass);
  const count = scales.length;
  if (count === 0) throw new FxpError('gaussian tables need at least one scale');
  const offsets = new Int32Array(count);
  const lengths = new Int32Array(count);
  const cdfs: Uint32Array[] = [];
  // 2L + 2 symbols (with the escape) must fit the 2^16 frequency units.
  const maxHalf = (2 ** PRECISION - 2) / 2 - 1;
  for (let i = 0; i < count; i++) {
    const s = scales[i]!;
    if (!(s > 0) || !Number.isFinite(s)) throw new FxpError(`scale ${i} must be positive and finite, got ${s}`);
    const half = Math.ceil(s * q);
    if (half > maxHalf) throw new FxpError(`scale ${s} needs ${2 * half + 1} symbols, more than a 16-bit table holds`);
    const pmf = new Float64Array(2 * half + 1);
    for (let k = -half; k <= half; k++) {
      const a = Math.abs(k);
      pmf[k + half] = normalCdf((0.5 - a) / s) - normalCdf((-0.5 - a) / s);
    }
    offsets[i] = -half;
    lengths[i] = pmf.length;
    cdfs.push(quantizedCdf(pmf, 2 * normalCdf((-0.5 - half) / s), PRECISION));
  }
  return { offsets, lengths, cdfs };
}

// The integer table lookup of the decode path lives beside its export-time
// thresholds; re-exported here for callers that think of it as part of the prior.
export { scaleIndex, scaleThresholds } from './scale-index.js';
