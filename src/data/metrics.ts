/**
 * Evaluation metrics. These run in float64 on the host, after inference; they are
 * not part of the integer evaluation path.
 *
 * Classification outputs are read as rows: a tensor [n, ...] is n rows of
 * size/n scores (logits or probabilities; argmax does not care which).
 */
import { FxpError } from '../errors.js';
import { sizeOf, tensor, type Tensor } from '../tensor.js';

export { msSsim } from './ms-ssim.js';

function rowsOf(t: Tensor): { rows: number; cols: number } {
  const rows = t.shape[0] ?? 0;
  const size = sizeOf(t.shape);
  if (t.shape.length < 1 || rows < 1 || size === 0) throw new FxpError(`expected a batch of score rows, got [${t.shape.join(', ')}]`);
  return { rows, cols: size / rows };
}

/** Index of the largest score in each row; the first one on ties. */
export function argmax(t: Tensor): Int32Array {
  const { rows, cols } = rowsOf(t);
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let bestV = t.data[r * cols]!;
    for (let j = 1; j < cols; j++) {
      const v = t.data[r * cols + j]!;
      if (v > bestV) {
        best = j;
        bestV = v;
      }
    }
    out[r] = best;
  }
  return out;
}

/** Fraction of rows whose argmax equals the label. */
export function top1(scores: Tensor, labels: ArrayLike<number>): number {
  const pred = argmax(scores);
  if (labels.length !== pred.length) throw new FxpError(`${pred.length} score rows but ${labels.length} labels`);
  let hits = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) hits++;
  return hits / pred.length;
}

function sameShape(a: Tensor, b: Tensor, what: string): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new FxpError(`${what}: shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] differ`);
  }
}

/** Fraction of rows where two models' outputs have the same argmax (top-1 agreement). */
export function agreement(a: Tensor, b: Tensor): number {
  sameShape(a, b, 'agreement');
  const pa = argmax(a);
  const pb = argmax(b);
  let same = 0;
  for (let i = 0; i < pa.length; i++) if (pa[i] === pb[i]) same++;
  return same / pa.length;
}

/** Row-wise softmax (max subtracted first, so large logits do not overflow). */
export function softmaxRows(t: Tensor): Tensor {
  const { rows, cols } = rowsOf(t);
  const out = tensor(t.shape);
  for (let r = 0; r < rows; r++) {
    const row = t.data.subarray(r * cols, (r + 1) * cols);
    let max = -Infinity;
    for (const v of row) max = Math.max(max, v);
    let sum = 0;
    for (const v of row) sum += Math.exp(v - max);
    for (let j = 0; j < cols; j++) out.data[r * cols + j] = Math.exp(row[j]! - max) / sum;
  }
  return out;
}

/** Floor applied to both probabilities inside log(), so a zero entry gives a finite, large KL. */
export const KL_EPSILON = 1e-10;
/** How far a row may sum from 1 and still count as probabilities (float32 softmax output). */
const ROW_SUM_TOLERANCE = 1e-3;

function checkProbabilities(t: Tensor, rows: number, cols: number, which: string): void {
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const v = t.data[r * cols + j]!;
      if (!(v >= 0)) throw new FxpError(`klDivergence: ${which} row ${r} has entry ${v}; pass probabilities (softmaxRows)`);
      sum += v;
    }
    if (Math.abs(sum - 1) > ROW_SUM_TOLERANCE) {
      throw new FxpError(`klDivergence: ${which} row ${r} sums to ${sum}, not 1; pass probabilities (softmaxRows)`);
    }
  }
}

/**
 * Mean over rows of KL(p || q) = sum_j p_j (ln max(p_j, eps) - ln max(q_j, eps)),
 * in nats, eps = KL_EPSILON. Both tensors must already hold probability rows
 * (non-negative, summing to 1 within 1e-3); logits are rejected, not silently
 * normalized. Terms with p_j = 0 contribute 0, their limit.
 */
export function klDivergence(p: Tensor, q: Tensor): number {
  sameShape(p, q, 'klDivergence');
  const { rows, cols } = rowsOf(p);
  checkProbabilities(p, rows, cols, 'p');
  checkProbabilities(q, rows, cols, 'q');
  let total = 0;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      const pj = p.data[r * cols + j]!;
      if (pj === 0) continue;
      const qj = q.data[r * cols + j]!;
      total += pj * (Math.log(Math.max(pj, KL_EPSILON)) - Math.log(Math.max(qj, KL_EPSILON)));
    }
  }
  return total / rows;
}

/** Mean squared error over all elements (pixels and channels). */
export function mse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new FxpError(`mse: ${a.length} and ${b.length} elements`);
  if (a.length === 0) throw new FxpError('mse of empty arrays');
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  return sum / a.length;
}

/**
 * PSNR in dB over all pixels and channels: 10 log10(peak^2 / mse), as in the LRS
 * protocol (one value per image; average over images outside). Identical images
 * give Infinity.
 */
export function psnr(a: Uint8Array, b: Uint8Array, peak = 255): number {
  const m = mse(a, b);
  return m === 0 ? Infinity : 10 * Math.log10((peak * peak) / m);
}
