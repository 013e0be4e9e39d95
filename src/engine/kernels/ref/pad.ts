/**
 * Pad, integer reference (ONNX: constant, reflect, edge; negative pads crop), as a
 * gather (gather.ts). The constant `value` is already an integer in the input
 * format; like every element it is converted by y = sat(roundShift(q, fi - fo)).
 * With channelValues (constant mode, dim 1 not padded), a padded cell of channel c
 * reads channelValues[c] instead: its map entry is -1 - c.
 */
import { stridesOf, sizeOf } from '../../../tensor.js';
import { padSourceIndex } from '../../geometry.js';
import { padChannelsProblem } from '../../../ir/shape.js';
import { qRange } from '../../../fixed/format.js';
import { formatAt, nodeError, type RefKernel } from './kernel.js';
import { prepareGather } from './gather.js';

/**
 * Input offset of every output element, or -1 for the constant. With `perChannel`
 * (rank >= 2), a constant cell is -1 - c instead, c its coordinate on dim 1.
 */
export function padMap(inShape: readonly number[], outShape: readonly number[], pads: readonly number[], mode: 'constant' | 'reflect' | 'edge', perChannel = false): Int32Array {
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
        src = perChannel ? -1 - idx[1]! : -1;
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
  const { pads, mode, value, channelValues } = node.attrs;
  const { qmin, qmax } = qRange(formatAt(node, io, 0));
  if (!Number.isSafeInteger(value) || value < qmin || value > qmax) throw nodeError(node, `pad value ${value} must be an integer in the input format [${qmin}, ${qmax}]`);
  if (channelValues === undefined) return prepareGather(node, io, (inShapes, outShape) => padMap(inShapes[0] ?? [], outShape, pads, mode), value);
  // Refused when the kernel is built; the shape-dependent rest when it is bound.
  if (mode !== 'constant') throw nodeError(node, `channelValues need mode 'constant', got '${mode}'`);
  channelValues.forEach((v, c) => {
    if (!Number.isSafeInteger(v) || v < qmin || v > qmax) throw nodeError(node, `pad channel value ${c} = ${v} must be an integer in the input format [${qmin}, ${qmax}]`);
  });
  return prepareGather(
    node,
    io,
    (inShapes, outShape) => {
      const inShape = inShapes[0] ?? [];
      const problem = padChannelsProblem(node.attrs, inShape);
      if (problem !== undefined) throw nodeError(node, problem);
      return padMap(inShape, outShape, pads, mode, true);
    },
    channelValues,
  );
};
