/**
 * ChannelAffine, integer reference: y = x * scale[c] + bias[c] over dim 1.
 * x [N, C, ...] in Q(fx); scale is an FxWeights of shape [C] (one fl per channel or
 * one); y in Q(fo). acc = b[c] + x * w[c], then the linear stage (linear-stage.ts).
 *
 * Accumulator: |acc| <= |w[c]| * maxAbs(fx) + |b[c]|, proven at prepare; computed
 * as an exact double (a single product and sum, both below 2^53).
 */
import { sizeOf } from '../../../tensor.js';
import { formatAt, inputAt, shapeAt, type RefKernel } from './kernel.js';
import { finishOne, prepareLinearStage } from './linear-stage.js';

export const channelAffineRef: RefKernel<'ChannelAffine'> = (node, io) => {
  const { weights, bias, activation } = node.attrs;
  const c = weights.data.length;
  const absSum = Float64Array.from(weights.data, (v) => Math.abs(v));
  const stage = prepareLinearStage(node, weights, bias, activation, formatAt(node, io, 0), io.outFormat, absSum);
  return {
    acc: stage.acc,
    bind: (inShapes) => {
      const xs = shapeAt(node, inShapes, 0);
      const n = xs[0] ?? 1;
      const inner = sizeOf(xs.slice(2));
      return {
        acc: stage.acc,
        run: (inputs, out) => {
          const x = inputAt(node, inputs, 0);
          for (let img = 0; img < n; img++) {
            for (let ch = 0; ch < c; ch++) {
              const w = weights.data[ch]!;
              const b = stage.bias[ch]!;
              const base = (img * c + ch) * inner;
              for (let i = base; i < base + inner; i++) out[i] = finishOne(stage, ch, b + x[i]! * w);
            }
          }
        },
      };
    },
  };
};
