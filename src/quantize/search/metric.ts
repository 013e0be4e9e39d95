/**
 * What a candidate costs, measured on the search set against the float network.
 * Each metric gives, per chunk of images:
 *   drop  — the budgeted quantity (see `normalizer`): the accuracy drop, its
 *           label-free estimate, the PSNR drop, or the output MSE;
 *   dropSq — the sum of squared image terms, for the scorer's confidence bounds;
 *   rank  — a smooth error for ranking candidates (FxP-QNet's cost per bit).
 * The scorer leaves out images the float network gets wrong for 'top1' (they
 * could only turn right), so every per-image term of 'top1', 'kl' and 'mse' is
 * >= 0, as are those of 'soft' and 'agree', and a partial sum bounds the final
 * one from below; 'psnr' is not bounded.
 *
 * 'agree' (label-free): drop = sum max(0, p_f[top_f] - q[top_f]), normalized by
 *                   sum p_f[top_f]: how much probability the quantized network
 *                   takes from the float network's answer, relative (soft top-1
 *                   agreement); rank = KL(p_f || q). Smooth: every image counts,
 *                   not just the ones that flip. An image whose answer gets
 *                   surer counts 0, not as a gain: a sharper output is not a
 *                   more accurate one, and a search would spend such gains.
 * 'soft' (labels):  the same with the label: sum max(0, p_f[y] - q[y]) over
 *                   sum p_f[y], a relative loss of expected accuracy; rank =
 *                   cross-entropy.
 * 'top1' (labels):  drop = #(float right, quantized wrong) - #(float wrong,
 *                   quantized right); normalized by #(float right) this is the
 *                   relative top-1 loss (acc_f - acc_q) / acc_f;
 *                   rank = cross-entropy against the labels.
 * 'kl' (label-free): the float network's probabilities p are the teacher:
 *                   drop = sum p[top_f] - p[top_q] (each term >= 0), normalized by
 *                   sum p[top_f]: the relative top-1 loss expected if p were
 *                   calibrated; rank = KL(p || q).
 * 'psnr' (targets): drop = sum PSNR_f - PSNR_q over images (the LRS protocol:
 *                   clamp to [0, 1], * 255, truncate), mean dB; not bounded
 *                   (an image can improve); rank = output MSE vs float.
 * 'mse' (label-free): drop = rank = output MSE against the float network in
 *                   8-bit pixel units (clamped, * 255, no truncation), per image.
 */
import { FxpError } from '../../errors.js';
import { psnr } from '../../data/metrics.js';
import type { Uint8Image } from '../../data/images.js';
import { tensorToImage } from '../../data/preprocess.js';
import type { Tensor } from '../../tensor.js';

export type SearchMetric = 'agree' | 'soft' | 'top1' | 'kl' | 'psnr' | 'mse';
export const SEARCH_METRICS: readonly SearchMetric[] = ['agree', 'soft', 'top1', 'kl', 'psnr', 'mse'];

export const METRIC_NEEDS = { agree: 'nothing', soft: 'labels', top1: 'labels', kl: 'nothing', psnr: 'targets', mse: 'nothing' } as const satisfies { [M in SearchMetric]: string };

/** Metrics on class scores (the scorer samples the search set for these). */
export function isClassMetric(m: SearchMetric): boolean {
  return m !== 'psnr' && m !== 'mse';
}

export interface ChunkSums {
  readonly n: number;
  /** Sum of the images' weighted drop terms u_i. */
  readonly drop: number;
  /** Sum of u_i^2 (the scorer's confidence bounds). */
  readonly dropSq: number;
  readonly rank: number;
}

/** Per chunk: what the metric compares against, computed once from the float network. */
export interface ChunkRef {
  readonly labels?: Int32Array | undefined;
  readonly targets?: readonly Uint8Image[] | undefined;
  /** The float network's output for the chunk. */
  readonly ref: Tensor;
  /** 'psnr': the float network's PSNR per image. */
  readonly refPsnr?: Float64Array | undefined;
  /** Classifiers: how many images of the whole set each image stands for (scorer.ts sampling; default 1). */
  readonly weights?: Float64Array | undefined;
}

const EPS = 1e-10;

function rows(t: Tensor): { n: number; k: number } {
  const n = t.shape[0] ?? 0;
  return { n, k: n === 0 ? 0 : t.data.length / n };
}

/** Row r of a classifier output as probabilities (softmax of logits, or renormalized probabilities). */
function probs(t: Tensor, r: number, k: number, isProb: boolean, out: Float64Array): void {
  const row = t.data.subarray(r * k, (r + 1) * k);
  if (isProb) {
    let s = 0;
    for (let j = 0; j < k; j++) s += Math.max(0, row[j]!);
    for (let j = 0; j < k; j++) out[j] = s > 0 ? Math.max(0, row[j]!) / s : 1 / k;
    return;
  }
  let m = -Infinity;
  for (let j = 0; j < k; j++) m = Math.max(m, row[j]!);
  let s = 0;
  for (let j = 0; j < k; j++) s += out[j] = Math.exp(row[j]! - m);
  for (let j = 0; j < k; j++) out[j]! /= s;
}

function argmaxRow(t: Tensor, r: number, k: number): number {
  let best = 0;
  let v = t.data[r * k]!;
  for (let j = 1; j < k; j++) {
    const x = t.data[r * k + j]!;
    if (x > v) {
      best = j;
      v = x;
    }
  }
  return best;
}

/** Mean squared difference of two images' pixels in 8-bit units (clamped to [0, 1] first). */
function imageMse(a: Tensor, b: Tensor, i: number): number {
  const per = a.data.length / (a.shape[0] ?? 1);
  let s = 0;
  for (let j = i * per; j < (i + 1) * per; j++) {
    const x = Math.min(1, Math.max(0, a.data[j]!));
    const y = Math.min(1, Math.max(0, b.data[j]!));
    s += (x - y) * (x - y);
  }
  return (s * 255 * 255) / per;
}

/** PSNR of each image of an output batch against its target (the LRS protocol). */
export function imagePsnrs(out: Tensor, targets: readonly Uint8Image[]): Float64Array {
  return Float64Array.from(targets, (t, i) => {
    const img = tensorToImage(out, i, { round: 'truncate', layout: 'NCHW' });
    if (img.data.length !== t.data.length) throw new FxpError(`output image ${img.width}x${img.height}x${img.channels} does not match its target ${t.width}x${t.height}x${t.channels}`);
    return Math.min(psnr(img.data, t.data), 100);
  });
}

/** KL(p || q) of one row of k probabilities (the rank of 'agree' and 'kl'). */
function klRow(p: Float64Array, q: Float64Array, k: number): number {
  let s = 0;
  for (let j = 0; j < k; j++) if (p[j]! > 0) s += p[j]! * (Math.log(Math.max(p[j]!, EPS)) - Math.log(Math.max(q[j]!, EPS)));
  return s;
}

class Sums {
  private drop = 0;
  private dropSq = 0;
  private rank = 0;
  add(u: number, rank: number): void {
    this.drop += u;
    this.dropSq += u * u;
    this.rank += rank;
  }
  done(n: number): ChunkSums {
    return { n, drop: this.drop, dropSq: this.dropSq, rank: this.rank };
  }
}

/** The sums of one chunk. `isProb`: the output rows are probabilities (the graph ends in Softmax). */
export function chunkSums(metric: SearchMetric, out: Tensor, ref: ChunkRef, isProb: boolean): ChunkSums {
  const { n, k } = rows(out);
  switch (metric) {
    case 'soft':
    case 'agree': {
      const labels = ref.labels;
      if (metric === 'soft' && labels === undefined) throw new FxpError("metric 'soft' needs labels");
      const acc = new Sums();
      const p = new Float64Array(k);
      const q = new Float64Array(k);
      for (let r = 0; r < n; r++) {
        const w = ref.weights?.[r] ?? 1;
        probs(ref.ref, r, k, isProb, p);
        probs(out, r, k, isProb, q);
        const t = metric === 'soft' ? labels![r]! : argmaxRow(ref.ref, r, k);
        const rank = metric === 'soft' ? -Math.log(Math.max(q[t]!, EPS)) : klRow(p, q, k);
        acc.add(w * Math.max(0, p[t]! - q[t]!), w * rank);
      }
      return acc.done(n);
    }
    case 'top1': {
      const labels = ref.labels;
      if (labels === undefined) throw new FxpError("metric 'top1' needs labels");
      const acc = new Sums();
      const q = new Float64Array(k);
      for (let r = 0; r < n; r++) {
        const w = ref.weights?.[r] ?? 1;
        const fRight = argmaxRow(ref.ref, r, k) === labels[r];
        const qRight = argmaxRow(out, r, k) === labels[r];
        probs(out, r, k, isProb, q);
        acc.add(w * ((fRight && !qRight ? 1 : 0) - (!fRight && qRight ? 1 : 0)), -w * Math.log(Math.max(q[labels[r]!]!, EPS)));
      }
      return acc.done(n);
    }
    case 'kl': {
      const acc = new Sums();
      const p = new Float64Array(k);
      const q = new Float64Array(k);
      for (let r = 0; r < n; r++) {
        const w = ref.weights?.[r] ?? 1;
        probs(ref.ref, r, k, isProb, p);
        probs(out, r, k, isProb, q);
        acc.add(w * (p[argmaxRow(ref.ref, r, k)]! - p[argmaxRow(out, r, k)]!), w * klRow(p, q, k));
      }
      return acc.done(n);
    }
    case 'psnr': {
      const targets = ref.targets;
      const refPsnr = ref.refPsnr;
      if (targets === undefined || refPsnr === undefined) throw new FxpError("metric 'psnr' needs target images");
      const ps = imagePsnrs(out, targets);
      const acc = new Sums();
      for (let i = 0; i < ps.length; i++) acc.add(refPsnr[i]! - ps[i]!, imageMse(out, ref.ref, i));
      return acc.done(ps.length);
    }
    case 'mse': {
      const m = out.shape[0] ?? 0;
      const acc = new Sums();
      for (let i = 0; i < m; i++) {
        const e = imageMse(out, ref.ref, i);
        acc.add(e, e);
      }
      return acc.done(m);
    }
  }
}

/** What `drop` sums are divided by: the float network's total for relative metrics, else the image count. */
export function normalizer(metric: SearchMetric, ref: ChunkRef, isProb: boolean): number {
  const { n, k } = rows(ref.ref);
  if (metric === 'soft' || metric === 'agree') {
    let s = 0;
    const p = new Float64Array(k);
    for (let r = 0; r < n; r++) {
      probs(ref.ref, r, k, isProb, p);
      s += p[metric === 'soft' ? ref.labels![r]! : argmaxRow(ref.ref, r, k)]!;
    }
    return s;
  }
  if (metric === 'top1') {
    let right = 0;
    for (let r = 0; r < n; r++) if (argmaxRow(ref.ref, r, k) === ref.labels?.[r]) right++;
    return right;
  }
  if (metric === 'kl') {
    let s = 0;
    const p = new Float64Array(k);
    for (let r = 0; r < n; r++) {
      probs(ref.ref, r, k, isProb, p);
      s += p[argmaxRow(ref.ref, r, k)]!;
    }
    return s;
  }
  return n;
}

/** How far a chunk could still lower the drop: 'psnr' is unbounded, every other term is >= 0. */
export function chunkSlack(metric: SearchMetric): number {
  return metric === 'psnr' ? Infinity : 0;
}

/** Float probability margin (top minus runner-up) of row r: the change a prediction needs to flip is at least half of it. */
export function margin(ref: Tensor, r: number, isProb: boolean): number {
  const { k } = rows(ref);
  const p = new Float64Array(k);
  probs(ref, r, k, isProb, p);
  const top = argmaxRow(ref, r, k);
  let second = 0;
  for (let j = 0; j < k; j++) if (j !== top) second = Math.max(second, p[j]!);
  return p[top]! - second;
}
