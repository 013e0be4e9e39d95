/**
 * DepthToSpace fast path (plain TS loops, no index map), bit-exact with
 * ../ref/depth-to-space.ts: the same element permutation
 *   y[n, c, h*b + by, w*b + bx] = x[n, ic, h, w],
 *   ic = (by*b + bx)*C' + c (DCR) or (c*b + by)*b + bx (CRD),
 * as a copy when the formats agree; otherwise the reference kernel (its gather
 * with the format conversion) runs.
 */
import { depthToSpaceRef } from '../ref/depth-to-space.js';
import { formatAt, inputAt, type RefKernel } from '../ref/kernel.js';
import { prepareRequant } from '../ref/output-stage.js';

export const depthToSpaceFast: RefKernel<'DepthToSpace'> = (node, io) => {
  const ref = depthToSpaceRef(node, io);
  if (!prepareRequant(node, formatAt(node, io, 0), io.outFormat).identity) return ref;
  const { blocksize: b, mode } = node.attrs;
  return {
    acc: ref.acc,
    bind: (inShapes, outShape) => {
      const bound = ref.bind(inShapes, outShape);
      const [n, c, h, w] = inShapes[0] as [number, number, number, number];
      const co = c / (b * b);
      const ow = w * b;
      return {
        acc: bound.acc,
        run: (inputs, out) => {
          const x = inputAt(node, inputs, 0);
          for (let img = 0; img < n; img++) {
            for (let ch = 0; ch < co; ch++) {
              for (let by = 0; by < b; by++) {
                for (let bx = 0; bx < b; bx++) {
                  const ic = mode === 'DCR' ? (by * b + bx) * co + ch : (ch * b + by) * b + bx;
                  const src = (img * c + ic) * h * w;
                  const dst = (img * co + ch) * h * b * ow + by * ow + bx;
                  for (let iy = 0; iy < h; iy++) {
                    const s = src + iy * w;
                    const d = dst + iy * b * ow;
                    for (let ix = 0; ix < w; ix++) out[d + ix * b] = x[s + ix]!;
                  }
                }
              }
            }
          }
        },
      };
    },
  };
};
