/**
 * Simulation of the data-movement ops in real values: each output element's
 * source is found from its own multi-index (unravel / ravel), then fake-quantized
 * to the output format (a no-op when the formats agree).
 *   Flatten, Reshape, Identity, Requantize: same element order.
 *   Transpose: out[idx] = x[idx permuted back by perm].
 *   Pad: per-dim source coordinate (geometry.ts padSourceIndex); the constant is
 *        value * 2^-fi (channelValues[c] * 2^-fi in channel c where given).
 *   DepthToSpace: y[n, c, h*b + by, w*b + bx] = x[n, ic, h, w] (DCR / CRD).
 *   Resize: the per-dim nearest maps shared with the engine and the float executor.
 */
import { pow2 } from '../../fixed/pow2.js';
import { sizeOf } from '../../tensor.js';
import { padSourceIndex } from '../geometry.js';
import { resizeDimMaps } from '../kernels/ref/resize.js';
import { fakeQuantAct, fakeQuantArray, ravel, unravel, type SimOp, type SimTensor } from './fake-quant.js';

type Source = (idx: number[]) => number | undefined;

/** `constant`: the real of a cell with no source, or a function of its multi-index. */
function gather(x: SimTensor, outShape: readonly number[], fo: Parameters<typeof fakeQuantAct>[1], source: Source, constant: number | ((idx: readonly number[]) => number) = 0): Float64Array {
  const out = new Float64Array(sizeOf(outShape));
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(i, outShape);
    const j = source(idx);
    out[i] = fakeQuantAct(j === undefined ? (typeof constant === 'number' ? constant : constant(idx)) : x.real[j]!, fo);
  }
  return out;
}

const copy: SimOp<'Flatten' | 'Reshape' | 'Identity' | 'Requantize'> = (_node, ins, _outShape, fo) => fakeQuantArray(ins[0]!.real, fo);

export const simFlatten: SimOp<'Flatten'> = copy;
export const simReshape: SimOp<'Reshape'> = copy;
export const simIdentity: SimOp<'Identity'> = copy;
export const simRequantize: SimOp<'Requantize'> = copy;

export const simTranspose: SimOp<'Transpose'> = (node, ins, outShape, fo) => {
  const x = ins[0]!;
  const { perm } = node.attrs;
  return gather(x, outShape, fo, (idx) => {
    const src = new Array<number>(idx.length);
    perm.forEach((p, d) => {
      src[p] = idx[d]!;
    });
    return ravel(src, x.shape);
  });
};

export const simPad: SimOp<'Pad'> = (node, ins, outShape, fo) => {
  const x = ins[0]!;
  const { pads, mode, value, channelValues } = node.attrs;
  const src = (idx: number[]): number | undefined => {
    const s = idx.map((o, d) => padSourceIndex(o, pads[d]!, x.shape[d]!, mode));
    return s.some((v) => v < 0) ? undefined : ravel(s, x.shape);
  };
  const lsb = pow2(-x.format.fl);
  if (channelValues === undefined) return gather(x, outShape, fo, src, value * lsb);
  // Shape inference checked one value per channel of dim 1, which is not padded.
  return gather(x, outShape, fo, src, (idx) => channelValues[idx[1]!]! * lsb);
};

export const simDepthToSpace: SimOp<'DepthToSpace'> = (node, ins, outShape, fo) => {
  const x = ins[0]!;
  const { blocksize: b, mode } = node.attrs;
  const co = outShape[1]!;
  return gather(x, outShape, fo, ([n, c, y, xx]) => {
    const by = y! % b;
    const bx = xx! % b;
    const ic = mode === 'DCR' ? (by * b + bx) * co + c! : (c! * b + by) * b + bx;
    return ravel([n!, ic, Math.floor(y! / b), Math.floor(xx! / b)], x.shape);
  });
};

export const simResize: SimOp<'Resize'> = (node, ins, outShape, fo) => {
  const x = ins[0]!;
  const maps = resizeDimMaps(node.attrs, x.shape, outShape);
  return gather(x, outShape, fo, (idx) => ravel(idx.map((o, d) => maps[d]![o]!), x.shape));
};
