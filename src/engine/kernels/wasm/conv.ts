/**
 * Conv on the WASM kernels (kernels.c conv_rows / dw_rows), bit-exact with
 * ../ref/conv.ts. Taken only where the reference proves int32 accumulation and
 * the input format fits int16 (the dot_i16x8 operands; weights are <= 16 bits by
 * validation); everything else runs the reference kernel, which is also prepared
 * here so every validation error is the reference's.
 *
 * Depthwise (group == C == M) runs direct int32 loops; other convs run
 * im2col (int16, K padded to 8) x packed weights, tiles of whole output rows.
 * Threads split the flattened (image, output row) range.
 */
import { qRange } from '../../../fixed/format.js';
import { windowGeometry } from '../../../ir/padding.js';
import { convRef } from '../ref/conv.js';
import { formatAt, inputAt, type RefKernel } from '../ref/kernel.js';
import { prepareLinearStage, rowAbsSums } from '../ref/linear-stage.js';
import type { WasmContext } from './context.js';
import { P, paddedK, stageFitsWasm, uploadStage, writeStageParams } from './params.js';

const TILE_PIXELS = 128;

export function convWasm(ctx: WasmContext): RefKernel<'Conv'> {
  return (node, io) => {
    const ref = convRef(node, io);
    const { weights, bias, activation, group, strides, dilations } = node.attrs;
    const [m, cg, kh, kw] = weights.shape as [number, number, number, number];
    const k = cg * kh * kw;
    const fx = formatAt(node, io, 0);
    const { qmin, qmax } = qRange(fx);
    const stage = prepareLinearStage(node, weights, bias, activation, fx, io.outFormat, rowAbsSums(weights.data, m, k));
    if (!stageFitsWasm(stage) || qmin < -32768 || qmax > 32767) return ref;
    const tables = uploadStage(ctx, weights.data, m, k, stage);
    const kp = paddedK(k);
    const depthwise = cg === 1 && group === m;
    return {
      acc: ref.acc,
      bind: (inShapes, outShape) => {
        const bound = ref.bind(inShapes, outShape);
        const [n, c, h, w] = inShapes[0] as [number, number, number, number];
        const [, , oh, ow] = outShape as [number, number, number, number];
        const [pt, pl] = windowGeometry(node.attrs, h, w).pads;
        const tile = Math.max(1, Math.min(oh, Math.floor(TILE_PIXELS / ow)));
        const p = ctx.alloc(P.COUNT * 4);
        const i32 = ctx.i32();
        const b = p / 4;
        const words = [c, h, w, m, cg, kh, kw, oh, ow, strides[0], strides[1], dilations[0], dilations[1], pt, pl, group, kp, tile];
        words.forEach((v, i) => (i32[b + i] = v));
        writeStageParams(i32, p, tables, stage.st);
        const scratchBytes = depthwise ? 16 : Math.ceil((tile * ow * kp) / 8) * 16 + (m / group) * tile * ow * 4;
        const inLen = n * c * h * w;
        return {
          acc: bound.acc,
          run: (inputs, out) => {
            const x = inputAt(node, inputs, 0);
            ctx.resetArena();
            const xp = ctx.arena(inLen * 4);
            const op = ctx.arena(out.length * 4);
            const scratch: number[] = [];
            for (let t = 0; t < ctx.threads; t++) scratch.push(ctx.arena(scratchBytes));
            const mem = ctx.i32();
            mem.set(x.subarray(0, inLen), xp / 4);
            mem[b + P.X] = xp;
            mem[b + P.OUT] = op;
            ctx.run(depthwise ? 'dw_rows' : 'conv_rows', p, n * oh, scratch);
            out.set(ctx.i32().subarray(op / 4, op / 4 + out.length));
          },
        };
      },
    };
  };
}
