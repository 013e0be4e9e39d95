/**
 * Transpose, integer reference: out[i0..ir] = x[index permuted by perm], as a
 * gather (gather.ts) with the format conversion y = sat(roundShift(q, fi - fo)).
 */
import { stridesOf, sizeOf } from '../../../tensor.js';
import type { RefKernel } from './kernel.js';
import { prepareGather } from './gather.js';

export function transposeMap(inShape: readonly number[], perm: readonly number[]): Int32Array {
  const outShape = perm.map((p) => inShape[p]!);
  const inStrides = stridesOf(inShape);
  const s = perm.map((p) => inStrides[p]!);
  const total = sizeOf(outShape);
  const map = new Int32Array(total);
  const r = outShape.length;
  const idx = new Array<number>(r).fill(0);
  let src = 0;
  for (let o = 0; o < total; o++) {
    map[o] = src;
    for (let d = r - 1; d >= 0; d--) {
      src += s[d]!;
      if (++idx[d]! < outShape[d]!) break;
      src -= s[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return map;
}

export const transposeRef: RefKernel<'Transpose'> = (node, io) =>
  prepareGather(node, io, (inShapes) => transposeMap(inShapes[0] ?? [], node.attrs.perm));
