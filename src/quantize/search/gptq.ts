/**
 * Error-compensating rounding of one layer's weights (the "rounding choice" of
 * FxP-QNet's self-distillation, done as OPTQ/GPTQ does it: Frantar et al. 2023,
 * "OPTQ: Accurate quantization for generative pre-trained transformers"). No
 * retraining: the weights of each output channel are rounded one input column
 * at a time, and each rounding error is spread over the columns not yet rounded
 * so that the layer's output on the calibration inputs X moves least:
 *
 *   H = X^T X / R + damp * I            (K x K, K = the layer's inputs per output)
 *   U = upper Cholesky factor of H^-1   (H^-1 = U^T U)
 *   for each column i (largest diag(H) first):
 *     q = round to the channel's grid (w_i); e = (w_i - q) / U_ii; w_j -= e * U_ij (j after i)
 *
 * The grid is the layer's own: an integer of wl bits times the channel's unit
 * (2^-fl for dynamic weights, range / 2^(wl-1) for range-adaptive ones), so
 * the result is exactly representable and lowering stores these integers.
 * Everything here is in doubles and runs in the calling thread.
 */
import { FxpError } from '../../errors.js';

/** Patch rows of one layer's input: `rows` rows of `k` values (im2col rows for Conv, input vectors for Dense). */
export interface LayerRows {
  readonly k: number;
  readonly rows: number;
  readonly data: Float32Array;
}

/** H = X^T X / R as a dense K x K matrix (doubles). */
export function gram(parts: readonly LayerRows[]): Float64Array {
  const k = parts[0]?.k ?? 0;
  const h = new Float64Array(k * k);
  let total = 0;
  const row = new Float64Array(k);
  for (const p of parts) {
    if (p.k !== k) throw new FxpError(`internal: layer rows of width ${p.k} and ${k}`);
    total += p.rows;
    for (let r = 0; r < p.rows; r++) {
      for (let i = 0; i < k; i++) row[i] = p.data[r * k + i]!;
      for (let i = 0; i < k; i++) {
        const xi = row[i]!;
        if (xi === 0) continue;
        const base = i * k;
        for (let j = i; j < k; j++) h[base + j]! += xi * row[j]!;
      }
    }
  }
  const inv = total > 0 ? 1 / total : 0;
  for (let i = 0; i < k; i++) {
    for (let j = i; j < k; j++) {
      const v = h[i * k + j]! * inv;
      h[i * k + j] = v;
      h[j * k + i] = v;
    }
  }
  return h;
}

/** In-place lower Cholesky factor of the symmetric matrix `a` (n x n); false if it is not positive definite. */
function cholesky(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!;
    for (let k = 0; k < j; k++) d -= a[j * n + k]! * a[j * n + k]!;
    if (!(d > 0)) return false;
    const l = Math.sqrt(d);
    a[j * n + j] = l;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= a[i * n + k]! * a[j * n + k]!;
      a[i * n + j] = s / l;
    }
    for (let k = j + 1; k < n; k++) a[j * n + k] = 0;
  }
  return true;
}

/**
 * U, upper triangular with H^-1 = U^T U, from the lower Cholesky factor L of H
 * (H = L L^T): H^-1 = L^-T L^-1, and U is the upper factor of that.
 */
function inverseUpperFactor(l: Float64Array, n: number): Float64Array | undefined {
  // Linv = L^-1 (lower triangular).
  const li = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    li[i * n + i] = 1 / l[i * n + i]!;
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let k = j; k < i; k++) s += l[i * n + k]! * li[k * n + j]!;
      li[i * n + j] = -s / l[i * n + i]!;
    }
  }
  // Hinv = Linv^T Linv.
  const hi = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = j; k < n; k++) s += li[k * n + i]! * li[k * n + j]!;
      hi[i * n + j] = s;
      hi[j * n + i] = s;
    }
  }
  // Upper factor: Hinv = L' L'^T (lower Cholesky), U = L'^T.
  if (!cholesky(hi, n)) return undefined;
  const u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) u[i * n + j] = hi[j * n + i]!;
  return u;
}

/** Input rows per layer that error-compensating rounding builds its H from (spread over the search set). */
export const GPTQ_ROWS = 4096;

/** One output channel's grid: integers in [lo, hi] times `unit`. */
export interface ChannelGrid {
  readonly unit: number;
  readonly lo: number;
  readonly hi: number;
}

/** The column order and the upper factor of H^-1 gptqRound needs, by H (the same array) and damping. */
interface Factor {
  readonly order: readonly number[];
  readonly u: Float64Array | undefined;
}

/**
 * Every candidate format of a layer is rounded over the same H, and the factor
 * (about 1.3 K^3 operations, 2 G for K = 1,152) does not depend on the weights or
 * the grid: it is computed once per H and damping. H arrays are never modified
 * after gram() returns them.
 */
const factors = new WeakMap<Float64Array, Map<number, Factor>>();

function factorOf(h: Float64Array, k: number, dampFraction: number): Factor {
  let byDamp = factors.get(h);
  if (byDamp === undefined) factors.set(h, (byDamp = new Map()));
  const known = byDamp.get(dampFraction);
  if (known !== undefined) return known;
  // Columns by decreasing diag(H) ("act order"); dead inputs (diag 0) last, plainly rounded.
  const order = Array.from({ length: k }, (_, i) => i).sort((a, b) => h[b * k + b]! - h[a * k + a]! || a - b);
  let mean = 0;
  for (let i = 0; i < k; i++) mean += h[i * k + i]!;
  mean /= Math.max(1, k);
  let u: Float64Array | undefined;
  for (let damp = dampFraction * (mean > 0 ? mean : 1), tries = 0; u === undefined && tries < 8; damp *= 10, tries++) {
    const a = new Float64Array(k * k);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) a[i * k + j] = h[order[i]! * k + order[j]!]!;
      a[i * k + i]! += damp + (a[i * k + i] === 0 ? 1 : 0);
    }
    if (cholesky(a, k)) u = inverseUpperFactor(a, k);
  }
  const f = { order, u };
  byDamp.set(dampFraction, f);
  return f;
}

/**
 * Row m's grid of M rows whose units are `units` (one for all rows, or one per
 * equal block of rows, e.g. per output channel): wl-bit signed integers times the unit.
 */
export function channelGrid(wl: number, units: readonly number[], rows: number): (row: number) => ChannelGrid {
  const lo = -(2 ** (wl - 1));
  const hi = 2 ** (wl - 1) - 1;
  const per = rows / units.length;
  return (row) => ({ unit: units[Math.floor(row / per)]!, lo, hi });
}

/**
 * The weights [M, K] (row m: output channel m) rounded with error feedback over
 * H; `grid(m)` is row m's grid. Returns the rounded weights (each exactly an
 * integer times its unit, in float32).
 */
export function gptqRound(w: Float32Array, m: number, k: number, h: Float64Array, grid: (row: number) => ChannelGrid, dampFraction = 0.01): Float32Array {
  if (w.length !== m * k || h.length !== k * k) throw new FxpError(`internal: gptq on ${w.length} weights as ${m} x ${k} with a ${Math.sqrt(h.length)}-wide H`);
  const { order, u } = factorOf(h, k, dampFraction);
  const out = new Float32Array(w.length);
  const row = new Float64Array(k);
  for (let r = 0; r < m; r++) {
    const g = grid(r);
    const q = (x: number): number => Math.max(g.lo, Math.min(g.hi, Math.floor(x / g.unit + 0.5))) * g.unit;
    for (let i = 0; i < k; i++) row[i] = w[r * k + order[i]!]!;
    for (let i = 0; i < k; i++) {
      const x = row[i]!;
      const v = q(x);
      row[i] = v;
      if (u === undefined) continue;
      const e = (x - v) / u[i * k + i]!;
      if (e === 0) continue;
      for (let j = i + 1; j < k; j++) row[j]! -= e * u[i * k + j]!;
    }
    for (let i = 0; i < k; i++) out[r * k + order[i]!] = row[i]!;
  }
  return out;
}

/** Mean over rows of ||(W - W') x||^2 per output value, from H: tr((W - W') H (W - W')^T) / M. */
export function outputError(w: Float32Array, wq: Float32Array, m: number, k: number, h: Float64Array): number {
  let total = 0;
  const d = new Float64Array(k);
  for (let r = 0; r < m; r++) {
    for (let i = 0; i < k; i++) d[i] = w[r * k + i]! - wq[r * k + i]!;
    for (let i = 0; i < k; i++) {
      if (d[i] === 0) continue;
      let s = 0;
      for (let j = 0; j < k; j++) s += h[i * k + j]! * d[j]!;
      total += d[i]! * s;
    }
  }
  return total / Math.max(1, m);
}
