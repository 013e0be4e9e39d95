/**
 * Dense on the WASM kernels (kernels.c dense_rows), bit-exact with ../ref/dense.ts,
 * under the same conditions as conv.ts (int32 accumulation, int16 operands);
 * otherwise the reference kernel runs. Threads split the rows.
 */
import { qRange } from '../../../fixed/format.js';
import { denseRef } from '../ref/dense.js';
import { formatAt, inputAt, type RefKernel } from '../ref/kernel.js';
import { prepareLinearStage, rowAbsSums } from '../ref/linear-stage.js';
import type { WasmContext } from './context.js';
import { MAC_GRAIN } from './conv.js';
import { P, paddedK, paramBlock, roundUp, stageFitsWasm, uploadStage, writeStageParams } from './params.js';
import { finishOutput, stageInput, stageOutput } from './staging.js';

const TILE_ROWS = 64;

/** int16 [mp][kp]: rows padded to 4 and K to 8 with zeros. */
function packDense(w: Int32Array, m: number, k: number, mp: number, kp: number): Int16Array {
  const out = new Int16Array(mp * kp);
  for (let r = 0; r < m; r++) for (let i = 0; i < k; i++) out[r * kp + i] = w[r * k + i]!;
  return out;
}

export function denseWasm(ctx: WasmContext): RefKernel<'Dense'> {
  return (node, io) => {
    const ref = denseRef(node, io);
    const { weights, bias, activation } = node.attrs;
    const [m, k] = weights.shape as [number, number];
    const fx = formatAt(node, io, 0);
    const { qmin, qmax } = qRange(fx);
    const stage = prepareLinearStage(node, weights, bias, activation, fx, io.outFormat, rowAbsSums(weights.data, m, k));
    if (!stageFitsWasm(stage) || qmin < -32768 || qmax > 32767) return ref;
    const kp = paddedK(k);
    const mp = roundUp(m, 4);
    const tables = uploadStage(ctx, packDense(weights.data, m, k, mp, kp), stage, 1, mp);
    return {
      acc: ref.acc,
      bind: (inShapes, outShape) => {
        const bound = ref.bind(inShapes, outShape);
        const rows = inShapes[0]!.slice(0, -1).reduce((a, d) => a * d, 1);
        const tile = Math.max(1, Math.min(rows, TILE_ROWS));
        const p = paramBlock(ctx, P.COUNT, { [P.C]: k, [P.M]: m, [P.KP]: kp, [P.TILE]: tile, [P.MGP]: mp });
        writeStageParams(ctx.i32(), p, tables, stage.st);
        const b = p / 4;
        const rowGrain = Math.ceil(MAC_GRAIN / Math.max(1, mp * kp));
        const scratchBytes = Math.ceil((tile * kp) / 8) * 16 + (Math.ceil(tile / 4) * 4 + mp * tile) * 4;
        return {
          acc: bound.acc,
          run: (inputs, out) => {
            const x = inputAt(node, inputs, 0);
            ctx.resetArena();
            const xp = stageInput(ctx, x, rows * k);
            const op = stageOutput(ctx, out);
            const scratch: number[] = [];
            for (let t = 0; t < ctx.threads; t++) scratch.push(ctx.arena(scratchBytes));
            const mem = ctx.i32();
            mem[b + P.X] = xp;
            mem[b + P.OUT] = op;
            ctx.run('dense_rows', p, rows, scratch, rowGrain);
            finishOutput(ctx, out, op);
          },
        };
      },
    };
  };
}
