/**
 * Resize (nearest), integer reference, as a gather (gather.ts). The per-dim index
 * maps are the float executor's (float/kernels/resize.ts resizeIndexMap, ONNX
 * coordinate and nearest modes in float32 steps), computed once at bind time, so
 * both paths read the same cells; then y = sat(roundShift(q, fi - fo)).
 */
import { resizeIndexMap } from '../../../float/kernels/resize.js';
import { sizeOf, stridesOf } from '../../../tensor.js';
import type { ResizeAttrs } from '../../../ir/ops.js';
import type { RefKernel } from './kernel.js';
import { prepareGather } from './gather.js';

/** Per-dim input index maps of a nearest resize (shared with the simulation). */
export function resizeDimMaps(attrs: ResizeAttrs, inShape: readonly number[], outShape: readonly number[]): Int32Array[] {
  return outShape.map((lenOut, d) => {
    const lenIn = inShape[d]!;
    const scale = attrs.sizes !== undefined ? Math.fround(lenOut / lenIn) : Math.fround(attrs.scales[d]!);
    return resizeIndexMap(attrs.coordinateMode, attrs.nearestMode, scale, lenIn, lenOut);
  });
}

export function resizeMap(attrs: ResizeAttrs, inShape: readonly number[], outShape: readonly number[]): Int32Array {
  const maps = resizeDimMaps(attrs, inShape, outShape);
  const inStrides = stridesOf(inShape);
  const r = outShape.length;
  const total = sizeOf(outShape);
  const map = new Int32Array(total);
  const idx = new Array<number>(r).fill(0);
  for (let o = 0; o < total; o++) {
    let src = 0;
    for (let d = 0; d < r; d++) src += maps[d]![idx[d]!]! * inStrides[d]!;
    map[o] = src;
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d]! < outShape[d]!) break;
      idx[d] = 0;
    }
  }
  return map;
}

export const resizeRef: RefKernel<'Resize'> = (node, io) =>
  prepareGather(node, io, (inShapes, outShape) => resizeMap(node.attrs, inShapes[0] ?? [], outShape));
