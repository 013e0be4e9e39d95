/**
 * DepthToSpace, integer reference, as a gather (gather.ts):
 * y[n, c, h*b + by, w*b + bx] = x[n, ic, h, w] with ic = (by*b + bx)*C' + c (DCR)
 * or ic = (c*b + by)*b + bx (CRD), then y = sat(roundShift(q, fi - fo)).
 */
import type { RefKernel } from './kernel.js';
import { prepareGather } from './gather.js';

export function depthToSpaceMap(inShape: readonly number[], b: number, mode: 'DCR' | 'CRD'): Int32Array {
  const [n = 0, c = 0, h = 0, w = 0] = inShape;
  const co = c / (b * b);
  const oh = h * b;
  const ow = w * b;
  const map = new Int32Array(n * c * h * w);
  let o = 0;
  for (let img = 0; img < n; img++) {
    for (let ch = 0; ch < co; ch++) {
      for (let y = 0; y < oh; y++) {
        const by = y % b;
        const iy = (y - by) / b;
        for (let x = 0; x < ow; x++, o++) {
          const bx = x % b;
          const ix = (x - bx) / b;
          const ic = mode === 'DCR' ? (by * b + bx) * co + ch : (ch * b + by) * b + bx;
          map[o] = ((img * c + ic) * h + iy) * w + ix;
        }
      }
    }
  }
  return map;
}

export const depthToSpaceRef: RefKernel<'DepthToSpace'> = (node, io) =>
  prepareGather(node, io, (inShapes) => depthToSpaceMap(inShapes[0] ?? [], node.attrs.blocksize, node.attrs.mode));
