/**
 * Dense, integer reference. x [..., K] in Q(fx), weights [M, K], y [..., M] in
 * Q(fo): y[r, m] = stage(b[m] + sum_k x[r, k] * w[m, k]). Rounding and bias/range
 * handling: linear-stage.ts.
 *
 * Accumulator: |acc| <= sum_k |w[m, k]| * maxAbs(fx) + |b[m]| (proven at prepare);
 * int32 (Math.imul, |0) when that bound is below 2^31, else exact doubles. The rows
 * of x are already the contiguous [rows][K] operand of gemm-int.ts.
 */
import { gemmInt } from './gemm-int.js';
import { formatAt, inputAt, nodeError, shapeAt, type RefKernel } from './kernel.js';
import { finishOne, prepareLinearStage, rowAbsSums } from './linear-stage.js';

const TILE_ROWS = 256;

export const denseRef: RefKernel<'Dense'> = (node, io) => {
  const { weights, bias, activation } = node.attrs;
  if (weights.shape.length !== 2) throw nodeError(node, `weights must be 2-D [M, K], got [${weights.shape.join(', ')}]`);
  const [m, k] = weights.shape as [number, number];
  const stage = prepareLinearStage(node, weights, bias, activation, formatAt(node, io, 0), io.outFormat, rowAbsSums(weights.data, m, k));
  const wide = stage.accum.width === 'wide';
  return {
    acc: stage.acc,
    bind: (inShapes) => {
      const rows = shapeAt(node, inShapes, 0).slice(0, -1).reduce((a, d) => a * d, 1);
      const tile = Math.max(1, Math.min(rows, TILE_ROWS));
      return {
        acc: stage.acc,
        run: (inputs, out) => {
          const x = inputAt(node, inputs, 0);
          const acc = wide ? new Float64Array(m * tile) : new Int32Array(m * tile);
          for (let r0 = 0; r0 < rows; r0 += tile) {
            const tr = Math.min(tile, rows - r0);
            gemmInt(weights.data, k, m, x.subarray(r0 * k, (r0 + tr) * k), tr, stage.bias, acc, tr);
            for (let oc = 0; oc < m; oc++) {
              for (let r = 0; r < tr; r++) out[(r0 + r) * m + oc] = finishOne(stage, oc, acc[oc * tr + r]!);
            }
          }
        },
      };
    },
  };
};
