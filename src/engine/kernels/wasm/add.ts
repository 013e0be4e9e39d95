/**
 * Add on the WASM kernels (elementwise.c add_rows, SIMD, threads split the
 * elements), bit-exact with ../ref/add.ts for operands of the same shape whose
 * whole computation the reference proves int32 (aligned sum, shifted sum,
 * LeakyRelu product all < 2^31):
 *   v = (a << (F - fa)) + (b << (F - fb));  y = sat(act(roundShift(v, F - fo)))
 * roundShift on int32 as in src/fixed/shift.ts: (v >> s) + ((v >> (s-1)) & 1).
 * Broadcasting, a wide bound or a shift beyond 31 runs the reference kernel.
 */
import { addRef } from '../ref/add.js';
import { formatAt, inputAt, type RefKernel } from '../ref/kernel.js';
import { prepareActSat } from '../ref/output-stage.js';
import type { WasmContext } from './context.js';
import { ADD, actSatFitsWasm, paramBlock } from './params.js';
import { finishOutput, stageInput, stageOutput } from './staging.js';

/** Elements per thread below which a worker is not worth waking. */
export const ELEMENT_GRAIN = 16384;

export function addWasm(ctx: WasmContext): RefKernel<'Add'> {
  return (node, io) => {
    const ref = addRef(node, io);
    if (ref.acc?.width !== 'int32') return ref;
    const fa = formatAt(node, io, 0);
    const fb = formatAt(node, io, 1);
    const f = Math.max(fa.fl, fb.fl);
    const sa = f - fa.fl;
    const sb = f - fb.fl;
    const s = f - io.outFormat.fl;
    // The bound argument only sizes intermediates; the reference already checked them.
    const { st } = prepareActSat(node, node.attrs.activation, io.outFormat, 0);
    if (sa > 30 || sb > 30 || s < -30 || s > 31 || !actSatFitsWasm(st)) return ref;
    return {
      acc: ref.acc,
      bind: (inShapes, outShape) => {
        const bound = ref.bind(inShapes, outShape);
        const same = inShapes.every((sh) => sh.length === outShape.length && sh.every((d, i) => d === outShape[i]));
        if (!same) return bound;
        const p = paramBlock(ctx, ADD.COUNT, {
          [ADD.SA]: sa, [ADD.SB]: sb, [ADD.S]: s, [ADD.LO]: st.lo, [ADD.HI]: st.hi, [ADD.LEAKY]: st.leaky ? 1 : 0, [ADD.LM]: st.m, [ADD.LS]: st.shift,
        });
        const scratch = new Array<number>(ctx.threads).fill(0);
        return {
          acc: bound.acc,
          run: (inputs, out) => {
            const n = out.length;
            ctx.resetArena();
            const pa = stageInput(ctx, inputAt(node, inputs, 0), n);
            const pb = stageInput(ctx, inputAt(node, inputs, 1), n);
            const po = stageOutput(ctx, out);
            const mem = ctx.i32();
            mem[p / 4 + ADD.A] = pa;
            mem[p / 4 + ADD.B] = pb;
            mem[p / 4 + ADD.OUT] = po;
            ctx.run('add_rows', p, n, scratch, ELEMENT_GRAIN);
            finishOutput(ctx, out, po);
          },
        };
      },
    };
  };
}
