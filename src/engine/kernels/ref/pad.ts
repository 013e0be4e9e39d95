/**
 * Pad, integer reference (ONNX: constant, reflect, edge; negative pads crop), as a
 * gather (gather.ts). The constant `value` is already an integer in the input
 * format; like every element it is converted by y = sat(roundShift(q, fi - fo)).
 */
import { stridesOf, sizeOf } from '../../../tensor.js';
import { padSourceIndex } from '../../geometry.js';
import { qRange } from '../../../fixed/format.js';
import { formatAt, nodeError, type RefKernel } from './kernel.js';
import { prepareGather } from './gather.js';

export function padMap(inShape: readonly number[], outShape: readonly number[], pads: readonly number[], mode: 'constant' | 'reflect' | 'edge'): Int32Array {
  const r = outShape.length;
  const inStrides = stridesOf(inShape);
  const maps = outShape.map((d, k) => Int32Array.from({ length: d }, (_, o) => padSourceIndex(o, pads[k]!, inShape[k]!, mode)));
  const total = sizeOf(outShape);
  const map = new Int32Array(total);
  const idx = new Array<number>(r).fill(0);
  for (let o = 0; o < total; o++) {
    let src = 0;
    for (let d = 0; d < r; d++) {
      const i = maps[d]![idx[d]!]!;
      if (i < 0) {
        src = -1;
        break;
      }
      src += i * inStrides[d]!;
    }
    map[o] = src;
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d]! < outShape[d]!) break;
      idx[d] = 0;
    }
  }
  return map;
}

export const padRef: RefKernel<'Pad'> = (node, io) => {
  const { pads, mode, value } = node.attrs;
  const { qmin, qmax } = qRange(formatAt(node, io, 0));
  if (!Number.isSafeInteger(value) || value < qmin || value > qmax) throw nodeError(node, `pad value ${value} must be an integer in the input format [${qmin}, ${qmax}]`);
  return prepareGather(node, io, (inShapes, outShape) => padMap(inShapes[0] ?? [], outShape, pads, mode), value);
};
