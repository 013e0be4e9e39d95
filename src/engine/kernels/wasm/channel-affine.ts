/**
 * ChannelAffine fast path (plain TS int32 loops), bit-exact with
 * ../ref/channel-affine.ts when the reference proves every intermediate int32
 * (accumulator b[c] + x*w[c], range product, shifted value, LeakyRelu product:
 * `acc.post.width`). Per element, channel c:
 *   v = (b[c] + x*w[c]) * r[c]   (Math.imul: exact, |v| < 2^31)
 *   y = sat(act(roundShift(v, s[c])))   roundShift as src/fixed/shift.ts int32 path
 * Otherwise, or for shifts outside -31..31, the reference kernel runs.
 */
import { sizeOf } from '../../../tensor.js';
import { channelAffineRef } from '../ref/channel-affine.js';
import { formatAt, inputAt, type RefKernel } from '../ref/kernel.js';
import { prepareLinearStage } from '../ref/linear-stage.js';
import { actSat } from '../ref/output-stage.js';

export const channelAffineFast: RefKernel<'ChannelAffine'> = (node, io) => {
  const ref = channelAffineRef(node, io);
  const { weights, bias, activation } = node.attrs;
  const c = weights.data.length;
  const stage = prepareLinearStage(node, weights, bias, activation, formatAt(node, io, 0), io.outFormat, Float64Array.from(weights.data, (v) => Math.abs(v)));
  const post = stage.acc.post;
  if (stage.accum.width !== 'int32' || post === undefined || post.width !== 'int32') return ref;
  if (stage.shift.some((s) => s < -31 || s > 31)) return ref;
  const bias32 = Int32Array.from(stage.bias);
  const range32 = stage.range === undefined ? undefined : Int32Array.from(stage.range);
  const { st } = stage;
  const { lo, hi, leaky } = st;
  return {
    acc: ref.acc,
    bind: (inShapes, outShape) => {
      const bound = ref.bind(inShapes, outShape);
      const xs = inShapes[0]!;
      const n = xs[0] ?? 1;
      const inner = sizeOf(xs.slice(2));
      return {
        acc: bound.acc,
        run: (inputs, out) => {
          const x = inputAt(node, inputs, 0);
          for (let img = 0; img < n; img++) {
            for (let ch = 0; ch < c; ch++) {
              const w = weights.data[ch]!;
              const b = bias32[ch]!;
              const r = range32 === undefined ? 1 : range32[ch]!;
              const s = stage.shift[ch]!;
              const base = (img * c + ch) * inner;
              for (let i = base; i < base + inner; i++) {
                const v = Math.imul((b + Math.imul(x[i]!, w)) | 0, r);
                let y = s > 0 ? (v >> s) + ((v >> (s - 1)) & 1) : v << -s;
                if (leaky) y = actSat(st, y);
                out[i] = y < lo ? lo : y > hi ? hi : y;
              }
            }
          }
        },
      };
    },
  };
};
