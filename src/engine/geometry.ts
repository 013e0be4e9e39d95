/**
 * Index geometry shared by the integer engine and the float64 simulation: valid
 * window ranges, broadcasting and padding maps. Pure integer bookkeeping computed
 * at bind time; window pads themselves always come from ir/padding.ts.
 */
import { stridesOf } from '../tensor.js';

/**
 * The indices i in [0, count) with 0 <= i*step + offset < limit, as [lo, hi)
 * (empty when lo >= hi). step >= 1.
 */
export function validRange(count: number, step: number, offset: number, limit: number): [number, number] {
  const lo = Math.max(0, Math.ceil(-offset / step));
  const hi = Math.min(count, Math.ceil((limit - offset) / step));
  return [lo, Math.max(lo, hi)];
}

/**
 * For numpy broadcasting of `inShape` to `outShape`: the flat input index read by
 * each flat output index, or undefined when the shapes are equal (identity).
 */
export function broadcastMap(inShape: readonly number[], outShape: readonly number[]): Int32Array | undefined {
  const r = outShape.length;
  if (inShape.length === r && inShape.every((d, i) => d === outShape[i])) return undefined;
  const padded = [...new Array<number>(r - inShape.length).fill(1), ...inShape];
  const inStrides = stridesOf(padded).map((s, i) => (padded[i] === 1 ? 0 : s));
  let total = 1;
  for (const d of outShape) total *= d;
  const map = new Int32Array(total);
  const idx = new Array<number>(r).fill(0);
  let src = 0;
  for (let o = 0; o < total; o++) {
    map[o] = src;
    for (let d = r - 1; d >= 0; d--) {
      src += inStrides[d]!;
      if (++idx[d]! < outShape[d]!) break;
      src -= inStrides[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return map;
}

export { padSourceIndex } from '../ir/padding.js';
