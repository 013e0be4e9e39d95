/**
 * ChannelAffine on the WASM kernels (elementwise.c affine_rows, SIMD, threads
 * split the elements), bit-exact with ../ref/channel-affine.ts when the reference
 * proves every intermediate int32 (accumulator b[c] + x*w[c], range product,
 * shifted value, LeakyRelu product: `acc.post.width`). Per element, channel c:
 *   v = (b[c] + x*w[c]) * r[c]   (int32, exact: |v| < 2^31)
 *   y = sat(act(roundShift(v, s[c])))   roundShift as src/fixed/shift.ts int32 path
 * Otherwise, or for shifts outside -31..31, the reference kernel runs.
 */
import { sizeOf } from '../../../tensor.js';
import { channelAffineRef } from '../ref/channel-affine.js';
import { formatAt, type RefKernel } from '../ref/kernel.js';
import { prepareLinearStage } from '../ref/linear-stage.js';
import { ELEMENT_GRAIN } from './add.js';
import type { WasmContext } from './context.js';
import { AFFINE, paramBlock, stageFitsWasm, uploadI32 } from './params.js';
import { unaryJob } from './staging.js';

export function channelAffineWasm(ctx: WasmContext): RefKernel<'ChannelAffine'> {
  return (node, io) => {
    const ref = channelAffineRef(node, io);
    const { weights, bias, activation } = node.attrs;
    const c = weights.data.length;
    const stage = prepareLinearStage(node, weights, bias, activation, formatAt(node, io, 0), io.outFormat, Float64Array.from(weights.data, (v) => Math.abs(v)));
    const post = stage.acc.post;
    if (!stageFitsWasm(stage) || post === undefined || post.width !== 'int32') return ref;
    if (stage.shift.some((s) => s < -31 || s > 31)) return ref;
    const { st } = stage;
    const tables = {
      [AFFINE.C]: c,
      [AFFINE.W]: uploadI32(ctx, weights.data),
      [AFFINE.BIAS]: uploadI32(ctx, stage.bias),
      [AFFINE.RANGE]: stage.range === undefined ? 0 : uploadI32(ctx, stage.range),
      [AFFINE.SHIFT]: uploadI32(ctx, stage.shift),
      [AFFINE.LO]: st.lo, [AFFINE.HI]: st.hi, [AFFINE.LEAKY]: st.leaky ? 1 : 0, [AFFINE.LM]: st.m, [AFFINE.LS]: st.shift,
    };
    return {
      acc: ref.acc,
      bind: (inShapes, outShape) => {
        const bound = ref.bind(inShapes, outShape);
        const inner = sizeOf(inShapes[0]!.slice(2));
        const p = paramBlock(ctx, AFFINE.COUNT, { ...tables, [AFFINE.INNER]: inner });
        // inner = 0 means no elements; the kernel's channel index divides by it.
        return unaryJob(ctx, node, bound.acc, { fn: 'affine_rows', p, xWord: AFFINE.X, outWord: AFFINE.OUT, rows: sizeOf(outShape), grain: ELEMENT_GRAIN, active: inner > 0 });
      },
    };
  };
}
