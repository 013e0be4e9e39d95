/**
 * DepthToSpace on the WASM kernels (elementwise.c d2s_rows, threads split the
 * output rows), bit-exact with ../ref/depth-to-space.ts: the same element
 * permutation
 *   y[n, c, h*b + by, w*b + bx] = x[n, ic, h, w],
 *   ic = (by*b + bx)*C' + c (DCR) or (c*b + by)*b + bx (CRD),
 * as a copy when the formats agree; otherwise the reference kernel (its gather
 * with the format conversion) runs.
 */
import { depthToSpaceRef } from '../ref/depth-to-space.js';
import { formatAt, type RefKernel } from '../ref/kernel.js';
import { prepareRequant } from '../ref/output-stage.js';
import { ELEMENT_GRAIN } from './add.js';
import type { WasmContext } from './context.js';
import { D2S, paramBlock } from './params.js';
import { unaryJob } from './staging.js';

export function depthToSpaceWasm(ctx: WasmContext): RefKernel<'DepthToSpace'> {
  return (node, io) => {
    const ref = depthToSpaceRef(node, io);
    if (!prepareRequant(node, formatAt(node, io, 0), io.outFormat).identity) return ref;
    const { blocksize: b, mode } = node.attrs;
    return {
      acc: ref.acc,
      bind: (inShapes, outShape) => {
        const bound = ref.bind(inShapes, outShape);
        const [n, c, h, w] = inShapes[0] as [number, number, number, number];
        const p = paramBlock(ctx, D2S.COUNT, { [D2S.C]: c, [D2S.H]: h, [D2S.W]: w, [D2S.B]: b, [D2S.DCR]: mode === 'DCR' ? 1 : 0 });
        const rows = n * (c / (b * b)) * h * b;
        const grain = Math.ceil(ELEMENT_GRAIN / Math.max(1, w * b));
        return unaryJob(ctx, node, bound.acc, { fn: 'd2s_rows', p, xWord: D2S.X, outWord: D2S.OUT, rows, grain });
      },
    };
  };
}
