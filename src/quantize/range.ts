/**
 * Formats from ranges.
 *
 * Goyal's starting rule: the integer part must hold max|x|, so for a signed word
 * of wl bits F = wl - 1 - ceil(log2 max|x|) (unsigned: wl - ceil(log2 max|x|)).
 * This follows rishgoyal/FXPQuantCNN: an exact power of two (max|x| = 4) gets
 * F = wl - 3, so 4 * 2^F = 2^(wl-1) saturates to qmax by one LSB, as there.
 *
 * Clipping ("activation range pre-processing" done post-training): the histogram
 * of |x| gives the expected squared error of each candidate format, rounding noise
 * (step^2 / 12 per value inside the range) plus clipping error outside it; 'mse'
 * picks the F with the least error among F0 .. F0 + 8. 'kl' does the same with
 * the KL divergence between the histogram and its quantized, clipped version.
 */
import { quantize } from '../fixed/convert.js';
import type { QFormat } from '../fixed/format.js';
import type { Histogram } from './histogram.js';
import { isNonNegative, type TensorStats } from './calibrate.js';

export type RangeMethod = 'max' | 'mse' | 'kl' | 'percentile';
export const RANGE_METHODS: readonly RangeMethod[] = ['max', 'mse', 'kl', 'percentile'];

export function fracLength(maxAbs: number, wl: number, signed: boolean): number {
  if (!(maxAbs > 0)) return wl - (signed ? 1 : 0);
  return wl - (signed ? 1 : 0) - Math.ceil(Math.log2(maxAbs));
}

/** Largest representable magnitude of a format. */
function formatMax(wl: number, fl: number, signed: boolean): number {
  return (2 ** (signed ? wl - 1 : wl) - 1) * 2 ** -fl;
}

/** Expected squared error over the histogram of |x| for clip value c and step. */
export function histMse(h: Histogram, clip: number, step: number): number {
  const w = h.binWidth;
  let err = 0;
  for (let i = 0; i < h.nBins; i++) {
    const n = h.bins[i]!;
    if (n === 0) continue;
    const center = (i + 0.5) * w;
    err += center > clip ? n * (center - clip) ** 2 : (n * step * step) / 12;
  }
  return err / Math.max(1, h.count);
}

/** KL(P || Q) between |x| histogram P and its quantized version Q at the given step and clip. */
function histKl(h: Histogram, clip: number, step: number): number {
  const w = h.binWidth;
  // Q: mass of each quantization cell spread uniformly over the histogram bins that fall in it.
  const cellMass = new Map<number, { mass: number; bins: number }>();
  const cellOf = (i: number): number => Math.min(Math.floor(((i + 0.5) * w) / step + 0.5), Math.floor(clip / step + 1e-9));
  for (let i = 0; i < h.nBins; i++) {
    const k = cellOf(i);
    const c = cellMass.get(k) ?? { mass: 0, bins: 0 };
    c.mass += h.bins[i]!;
    c.bins += h.bins[i]! > 0 ? 1 : 0;
    cellMass.set(k, c);
  }
  let kl = 0;
  const total = Math.max(1, h.count);
  for (let i = 0; i < h.nBins; i++) {
    const p = h.bins[i]! / total;
    if (p === 0) continue;
    const c = cellMass.get(cellOf(i))!;
    const q = c.mass / c.bins / total;
    kl += p * Math.log(p / q);
  }
  return kl;
}

/** Format of an activation tensor with word length wl. */
export function chooseFormat(stats: TensorStats, wl: number, method: RangeMethod, opts: { percentile?: number } = {}): QFormat {
  const signed = !isNonNegative(stats);
  const h = stats.hist;
  const f0 = fracLength(h.maxAbs, wl, signed);
  if (method === 'max' || h.count === 0 || h.maxAbs === 0) return { signed, wl, fl: f0 };
  if (method === 'percentile') {
    const p = h.percentile(opts.percentile ?? 0.9999);
    return { signed, wl, fl: Math.max(f0, fracLength(p, wl, signed)) };
  }
  let best = f0;
  let bestErr = Infinity;
  for (let f = f0; f <= f0 + 8; f++) {
    const clip = formatMax(wl, f, signed);
    const err = method === 'mse' ? histMse(h, clip, 2 ** -f) : histKl(h, clip, 2 ** -f);
    if (err < bestErr) {
      bestErr = err;
      best = f;
    }
  }
  return { signed, wl, fl: best };
}

/** Exact squared quantization error of data in a format. */
export function quantError(data: ArrayLike<number>, f: QFormat, from = 0, to = data.length): number {
  const step = 2 ** -f.fl;
  let err = 0;
  for (let i = from; i < to; i++) {
    const x = data[i]!;
    err += (quantize(x, f) * step - x) ** 2;
  }
  return err;
}

function maxAbsOf(data: ArrayLike<number>, from = 0, to = data.length): number {
  let m = 0;
  for (let i = from; i < to; i++) m = Math.max(m, Math.abs(data[i]!));
  return m;
}

/**
 * Fractional lengths of a weight tensor (signed): one for the layer, or one per
 * output channel (the leading `channels` slices). 'mse' tries F0 .. F0 + 4 with the
 * exact error of the real weights.
 */
export function weightFracLengths(data: Float32Array, wl: number, method: 'max' | 'mse', channels = 1): number[] {
  const per = data.length / channels;
  return Array.from({ length: channels }, (_, c) => {
    const from = c * per;
    const to = from + per;
    const f0 = fracLength(maxAbsOf(data, from, to), wl, true);
    if (method === 'max') return f0;
    let best = f0;
    let bestErr = Infinity;
    for (let f = f0; f <= f0 + 4; f++) {
      const err = quantError(data, { signed: true, wl, fl: f }, from, to);
      if (err < bestErr) {
        bestErr = err;
        best = f;
      }
    }
    return best;
  });
}

/**
 * Range-adaptive ranges: max|w| per layer or output channel, or (mse) the clip
 * value among 100 candidates in [0.5, 1] * max|w| with least exact error.
 */
export function weightRanges(data: Float32Array, wl: number, method: 'max' | 'mse', channels = 1): number[] {
  const per = data.length / channels;
  const half = 2 ** (wl - 1);
  return Array.from({ length: channels }, (_, c) => {
    const from = c * per;
    const to = from + per;
    const m = maxAbsOf(data, from, to) || 1e-8;
    if (method === 'max') return m;
    let best = m;
    let bestErr = Infinity;
    for (let k = 0; k <= 100; k++) {
      const r = m * (1 - k * 0.005);
      let err = 0;
      for (let i = from; i < to; i++) {
        const x = data[i]!;
        const q = Math.max(-half, Math.min(half - 1, Math.floor((x / r) * half + 0.5)));
        err += ((q / half) * r - x) ** 2;
      }
      if (err < bestErr) {
        bestErr = err;
        best = r;
      }
    }
    return best;
  });
}
