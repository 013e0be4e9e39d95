/**
 * Moving between Keras's channels-last order and the IR layout (see the invariant
 * in context.ts: rank-4 tensors are NCHW in the IR, other ranks keep Keras order).
 */
import type { KTensor, LayerContext } from './context.js';

export const NHWC_TO_NCHW = [0, 3, 1, 2] as const;
export const NCHW_TO_NHWC = [0, 2, 3, 1] as const;

/** Where Keras axis `axis` (negative counts from the end) sits in the IR tensor, or undefined if out of range. */
export function irAxis(axis: number, rank: number): number | undefined {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) return undefined;
  if (rank !== 4) return a;
  return NHWC_TO_NCHW.indexOf(a as 0 | 1 | 2 | 3);
}

/** An IR value holding `x` in Keras (channels-last) order. */
export function toKerasOrder(ctx: LayerContext, x: KTensor, suffix = 'to_nhwc'): number {
  return x.shape.length === 4 ? ctx.node('Transpose', { perm: NCHW_TO_NHWC }, [x.id], suffix) : x.id;
}

/** An IR value holding, in IR layout, the rank-`rank` tensor that `id` holds in Keras order. */
export function fromKerasOrder(ctx: LayerContext, id: number, rank: number, suffix = 'to_nchw'): number {
  return rank === 4 ? ctx.node('Transpose', { perm: NHWC_TO_NCHW }, [id], suffix) : id;
}
