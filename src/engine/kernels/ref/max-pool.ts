/**
 * MaxPool, integer reference. x [N, C, H, W] in Q(fi), y in Q(fo) (normally the
 * same format). Padding cells are ignored: y = sat(roundShift(max over the window's
 * input cells, fi - fo)); roundShift is monotone, so this is also the max of the
 * converted cells. A window with no input cell gives qmin(fo) (the float executor
 * gives the lowest float, which saturates to qmin). No accumulation: bound maxAbs(fi)
 * (times 2^(fo - fi) for a left shift).
 */
import { qRange } from '../../../fixed/format.js';
import { windowGeometry } from '../../../ir/padding.js';
import { validRange } from '../../geometry.js';
import { formatAt, inputAt, shapeAt, type RefKernel } from './kernel.js';
import { prepareRequant, requant } from './output-stage.js';

/** Per output index: the [lo, hi) range of kernel taps that land inside the input. */
export function tapRanges(out: number, stride: number, pad: number, k: number, dil: number, size: number): Int32Array {
  const r = new Int32Array(2 * out);
  for (let o = 0; o < out; o++) {
    const [lo, hi] = validRange(k, dil, o * stride - pad, size);
    r[2 * o] = lo;
    r[2 * o + 1] = hi;
  }
  return r;
}

export const maxPoolRef: RefKernel<'MaxPool'> = (node, io) => {
  const rq = prepareRequant(node, formatAt(node, io, 0), io.outFormat);
  const empty = qRange(io.outFormat).qmin;
  const [kh, kw] = node.attrs.kernel;
  const [sh, sw] = node.attrs.strides;
  const [dh, dw] = node.attrs.dilations;
  return {
    acc: rq.acc,
    bind: (inShapes, outShape) => {
      const [n, c, h, w] = shapeAt(node, inShapes, 0) as [number, number, number, number];
      const [, , oh, ow] = outShape as [number, number, number, number];
      const [pt, pl] = windowGeometry(node.attrs, h, w).pads;
      const ry = tapRanges(oh, sh, pt, kh, dh, h);
      const rx = tapRanges(ow, sw, pl, kw, dw, w);
      return {
        acc: rq.acc,
        run: (inputs, out) => {
          const x = inputAt(node, inputs, 0);
          let o = 0;
          for (let p = 0; p < n * c; p++) {
            const base = p * h * w;
            for (let oy = 0; oy < oh; oy++) {
              const y0 = oy * sh - pt;
              for (let ox = 0; ox < ow; ox++, o++) {
                const x0 = ox * sw - pl;
                let max = -Infinity;
                for (let ky = ry[2 * oy]!; ky < ry[2 * oy + 1]!; ky++) {
                  const row = base + (y0 + ky * dh) * w + x0;
                  for (let kx = rx[2 * ox]!; kx < rx[2 * ox + 1]!; kx++) {
                    const v = x[row + kx * dw]!;
                    if (v > max) max = v;
                  }
                }
                out[o] = max === -Infinity ? empty : requant(rq, max);
              }
            }
          }
        },
      };
    },
  };
};
