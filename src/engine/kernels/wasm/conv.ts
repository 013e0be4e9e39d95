/**
 * Conv on the WASM kernels, bit-exact with ../ref/conv.ts. Taken only where the
 * reference proves int32 accumulation and the input format fits int16 (the
 * dot_i16x8 operands; weights are <= 16 bits by validation); everything else runs
 * the reference kernel, which is also prepared here so every validation error is
 * the reference's.
 *
 * Depthwise (group == C == M) runs direct int32 loops (dw_rows) on the NCHW input.
 * Other convs run two threaded jobs: pack_rows (input -> int16 NHWC over the
 * padded window, conv-pack.ts) then conv_rows (implicit GEMM on the packed
 * window, output stage), both split over rows. The input and output are used in
 * place when they live in WASM memory (staging.ts).
 */
import { qRange } from '../../../fixed/format.js';
import { windowGeometry } from '../../../ir/padding.js';
import { convRef } from '../ref/conv.js';
import { formatAt, inputAt, type RefKernel } from '../ref/kernel.js';
import { prepareLinearStage, rowAbsSums } from '../ref/linear-stage.js';
import { ELEMENT_GRAIN } from './add.js';
import type { WasmContext } from './context.js';
import { PACK_SLACK_BYTES, packConvWeights, runLayout, runOffsets } from './conv-pack.js';
import { P, paddedK, paramBlock, stageFitsWasm, uploadI32, uploadStage, writeStageParams } from './params.js';
import { finishOutput, stageInput, stageOutput } from './staging.js';

/** Output pixels per GEMM tile: the tile's input window stays in L1/L2, its accumulators in L1. */
const TILE_PIXELS = 64;

/** Multiply-accumulates per thread below which a worker is not worth waking (~20 us of GEMM). */
export const MAC_GRAIN = 2 ** 20;

/** int16 [M][kp] (kp = kh*kw padded to 8): the depthwise kernel's layout. */
function packDepthwise(w: Int32Array, m: number, k: number): Int16Array {
  const kp = paddedK(k);
  const out = new Int16Array(m * kp);
  for (let r = 0; r < m; r++) for (let i = 0; i < k; i++) out[r * kp + i] = w[r * k + i]!;
  return out;
}

export function convWasm(ctx: WasmContext): RefKernel<'Conv'> {
  return (node, io) => {
    const ref = convRef(node, io);
    const { weights, bias, activation, group, strides, dilations } = node.attrs;
    const [m, cg, kh, kw] = weights.shape as [number, number, number, number];
    const [sh, sw] = strides;
    const [dh, dw] = dilations;
    const k = cg * kh * kw;
    const fx = formatAt(node, io, 0);
    const { qmin, qmax } = qRange(fx);
    const stage = prepareLinearStage(node, weights, bias, activation, fx, io.outFormat, rowAbsSums(weights.data, m, k));
    if (!stageFitsWasm(stage) || qmin < -32768 || qmax > 32767) return ref;
    const depthwise = cg === 1 && group === m;
    const mg = m / group;
    const layout = runLayout(cg, kh, kw, dw, mg);
    const tables = depthwise
      ? uploadStage(ctx, packDepthwise(weights.data, m, kh * kw), stage, m, 1)
      : uploadStage(ctx, packConvWeights(weights.data, m, cg, kh, kw, group, layout), stage, group, layout.mgp);
    return {
      acc: ref.acc,
      bind: (inShapes, outShape) => {
        const bound = ref.bind(inShapes, outShape);
        const [n, c, h, w] = inShapes[0] as [number, number, number, number];
        const [, , oh, ow] = outShape as [number, number, number, number];
        const [pt, pl] = windowGeometry(node.attrs, h, w).pads;
        // The padded window the output pixels read (empty when there are none).
        const hp = oh === 0 ? 0 : (oh - 1) * sh + (kh - 1) * dh + 1;
        const wp = ow === 0 ? 0 : (ow - 1) * sw + (kw - 1) * dw + 1;
        const tile = Math.max(1, Math.min(TILE_PIXELS, oh * ow));
        const off = depthwise ? 0 : uploadI32(ctx, runOffsets(layout, cg, kw, dh, dw, wp));
        const p = paramBlock(ctx, P.COUNT, {
          [P.C]: c, [P.H]: h, [P.W]: w, [P.M]: m, [P.CG]: cg, [P.KH]: kh, [P.KW]: kw, [P.OH]: oh, [P.OW]: ow,
          [P.SH]: sh, [P.SW]: sw, [P.DH]: dh, [P.DW]: dw, [P.PT]: pt, [P.PL]: pl, [P.GROUP]: group,
          [P.KP]: paddedK(kh * kw), [P.TILE]: tile, [P.MGP]: layout.mgp, [P.NRUN]: layout.nrun, [P.LP]: layout.lp,
          [P.OFF]: off, [P.HP]: hp, [P.WP]: wp,
        });
        writeStageParams(ctx.i32(), p, tables, stage.st);
        const b = p / 4;
        const scratchBytes = depthwise ? 16 : (Math.ceil(tile / 4) * 4 + layout.mgp * tile) * 4;
        const packBytes = n * group * hp * wp * cg * 2 + PACK_SLACK_BYTES;
        const inLen = n * c * h * w;
        const rowGrain = Math.ceil(MAC_GRAIN / Math.max(1, ow * m * (depthwise ? kh * kw : layout.nrun * layout.lp)));
        const packGrain = Math.ceil(ELEMENT_GRAIN / Math.max(1, wp * cg));
        return {
          acc: bound.acc,
          run: (inputs, out) => {
            const x = inputAt(node, inputs, 0);
            ctx.resetArena();
            const xp = stageInput(ctx, x, inLen);
            const op = stageOutput(ctx, out);
            const xs = depthwise ? 0 : ctx.arena(packBytes);
            const scratch: number[] = [];
            for (let t = 0; t < ctx.threads; t++) scratch.push(ctx.arena(scratchBytes));
            const mem = ctx.i32();
            mem[b + P.X] = xp;
            mem[b + P.OUT] = op;
            mem[b + P.XS] = xs;
            if (depthwise) {
              ctx.run('dw_rows', p, n * oh, scratch, rowGrain);
            } else {
              ctx.run('pack_rows', p, n * group * hp, scratch, packGrain);
              ctx.run('conv_rows', p, n * oh, scratch, rowGrain);
            }
            finishOutput(ctx, out, op);
          },
        };
      },
    };
  };
}
