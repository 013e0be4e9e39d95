/**
 * Streaming statistics of one tensor: min, max, max|x|, count, and a histogram of
 * |x| over [0, limit) with a fixed number of bins. When a batch exceeds the current
 * limit, the limit doubles (as often as needed) and pairs of bins merge, so the
 * result does not depend on how the data was split into batches, as long as the
 * batches arrive in the same order. (onnxruntime's HistogramCalibrater re-bins by
 * interpolation instead; doubling keeps bin edges exact.)
 */
export const DEFAULT_BINS = 2048;

export class Histogram {
  min = Infinity;
  max = -Infinity;
  count = 0;
  sum = 0;
  /** Upper edge of the last bin; a power of two once data has arrived. */
  limit = 0;
  readonly bins: Float64Array;

  constructor(readonly nBins = DEFAULT_BINS) {
    this.bins = new Float64Array(nBins);
  }

  get maxAbs(): number {
    return this.count === 0 ? 0 : Math.max(Math.abs(this.min), Math.abs(this.max));
  }

  get binWidth(): number {
    return this.limit / this.nBins;
  }

  private grow(to: number): void {
    if (this.limit === 0) {
      this.limit = 2 ** Math.ceil(Math.log2(to));
      if (this.limit <= to) this.limit *= 2;
      return;
    }
    while (this.limit <= to) {
      const b = this.bins;
      const half = this.nBins / 2;
      for (let i = 0; i < half; i++) b[i] = b[2 * i]! + b[2 * i + 1]!;
      b.fill(0, half);
      this.limit *= 2;
    }
  }

  add(data: ArrayLike<number>): void {
    let lo = this.min;
    let hi = this.max;
    let s = 0;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      s += v;
    }
    if (data.length === 0) return;
    this.min = lo;
    this.max = hi;
    this.sum += s;
    this.count += data.length;
    const m = Math.max(Math.abs(lo), Math.abs(hi));
    if (m > 0 && m >= this.limit) this.grow(m);
    if (this.limit === 0) {
      // All zeros so far: keep them in bin 0 of a nominal [0, 1) range.
      this.limit = 1;
    }
    const scale = this.nBins / this.limit;
    const bins = this.bins;
    const last = this.nBins - 1;
    for (let i = 0; i < data.length; i++) {
      const k = Math.floor(Math.abs(data[i]!) * scale);
      bins[k > last ? last : k]!++;
    }
  }

  get mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /** Smallest bin upper edge below which at least fraction p of |x| lies. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const target = p * this.count;
    let acc = 0;
    for (let i = 0; i < this.nBins; i++) {
      acc += this.bins[i]!;
      if (acc >= target) return Math.min((i + 1) * this.binWidth, this.maxAbs);
    }
    return this.maxAbs;
  }
}
