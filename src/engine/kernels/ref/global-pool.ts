/**
 * GlobalMaxPool and GlobalAveragePool, integer reference. x [N, C, ...spatial] in
 * Q(fi), y [N, C, 1, ...] in Q(fo).
 *
 * Max: y = sat(roundShift(max, fi - fo)); bound maxAbs(fi) (left shifts scaled).
 * Average: the mean of the S = prod(spatial) cells with the exact rounding division
 * of average-pool.ts. Its bound depends on S, so it is proven at bind time.
 */
import { sizeOf } from '../../../tensor.js';
import { formatAt, inputAt, shapeAt, type RefKernel } from './kernel.js';
import { prepareMean, roundMean } from './average-pool.js';
import { prepareRequant, requant } from './output-stage.js';

function planes(shape: readonly number[]): { count: number; size: number } {
  return { count: (shape[0] ?? 1) * (shape[1] ?? 1), size: sizeOf(shape.slice(2)) };
}

export const globalMaxPoolRef: RefKernel<'GlobalMaxPool'> = (node, io) => {
  const rq = prepareRequant(node, formatAt(node, io, 0), io.outFormat);
  return {
    acc: rq.acc,
    bind: (inShapes) => {
      const { count, size } = planes(shapeAt(node, inShapes, 0));
      return {
        acc: rq.acc,
        run: (inputs, out) => {
          const x = inputAt(node, inputs, 0);
          for (let p = 0; p < count && size > 0; p++) {
            let max = x[p * size]!;
            for (let i = p * size + 1; i < (p + 1) * size; i++) if (x[i]! > max) max = x[i]!;
            out[p] = requant(rq, max);
          }
        },
      };
    },
  };
};

export const globalAveragePoolRef: RefKernel<'GlobalAveragePool'> = (node, io) => {
  const fi = formatAt(node, io, 0);
  return {
    acc: undefined,
    bind: (inShapes) => {
      const { count, size } = planes(shapeAt(node, inShapes, 0));
      const mean = prepareMean(node, fi, io.outFormat, size);
      return {
        acc: mean.acc,
        run: (inputs, out) => {
          const x = inputAt(node, inputs, 0);
          for (let p = 0; p < count; p++) {
            let sum = 0;
            for (let i = p * size; i < (p + 1) * size; i++) sum += x[i]!;
            out[p] = roundMean(mean, sum, size);
          }
        },
      };
    },
  };
};
