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
import { P, paddedK, stageFitsWasm, uploadStage, writeStageParams } from './params.js';

const TILE_ROWS = 64;

export function denseWasm(ctx: WasmContext): RefKernel<'Dense'> {
  return (node, io) => {
    const ref = denseRef(node, io);
    const { weights, bias, activation } = node.attrs;
    const [m, k] = weights.shape as [number, number];
    const fx = formatAt(node, io, 0);
    const { qmin, qmax } = qRange(fx);
    const stage = prepareLinearStage(node, weights, bias, activation, fx, io.outFormat, rowAbsSums(weights.data, m, k));
    if (!stageFitsWasm(stage) || qmin < -32768 || qmax > 32767) return ref;
    const tables = uploadStage(ctx, weights.data, m, k, stage);
    const kp = paddedK(k);
    return {
      acc: ref.acc,
      bind: (inShapes, outShape) => {
        const bound = ref.bind(inShapes, outShape);
        const rows = inShapes[0]!.slice(0, -1).reduce((a, d) => a * d, 1);
        const tile = Math.max(1, Math.min(rows, TILE_ROWS));
        const p = ctx.alloc(P.COUNT * 4);
        const i32 = ctx.i32();
        const b = p / 4;
        i32[b + P.C] = k;
        i32[b + P.M] = m;
        i32[b + P.KP] = kp;
        i32[b + P.TILE] = tile;
        writeStageParams(i32, p, tables, stage.st);
        const scratchBytes = Math.ceil((tile * kp) / 8) * 16 + m * tile * 4;
        return {
          acc: bound.acc,
          run: (inputs, out) => {
            const x = inputAt(node, inputs, 0);
            ctx.resetArena();
            const xp = ctx.arena(rows * k * 4);
            const op = ctx.arena(out.length * 4);
            const scratch: number[] = [];
            for (let t = 0; t < ctx.threads; t++) scratch.push(ctx.arena(scratchBytes));
            const mem = ctx.i32();
            mem.set(x.subarray(0, rows * k), xp / 4);
            mem[b + P.X] = xp;
            mem[b + P.OUT] = op;
            ctx.run('dense_rows', p, rows, scratch);
            out.set(ctx.i32().subarray(op / 4, op / 4 + out.length));
          },
        };
      },
    };
  };
}
