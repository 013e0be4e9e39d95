/**
 * Keras window parameters (padding, pool/conv geometry) in IR terms. Output sizes
 * come from the IR's own windowGeometry, so import-time shapes agree with what
 * every executor computes.
 */
import type { AutoPad, Pair } from '../../../ir/ops.js';
import { windowGeometry, type Window } from '../../../ir/padding.js';
import { fmtShape, type KShape, type KTensor, type LayerContext } from '../context.js';

/** Keras 'same' pads like TF: the odd cell at the bottom/right, i.e. ONNX SAME_UPPER. */
export function kerasPadding(ctx: LayerContext): AutoPad {
  const p = ctx.cfg.str('padding', 'valid');
  if (p === 'same') return 'SAME_UPPER';
  if (p === 'valid') return 'VALID';
  return ctx.fail(`padding '${p}' is not supported (only 'same' and 'valid')`);
}

/** The known channel count (last Keras dim) of a rank-4 input. */
export function channelsOf(ctx: LayerContext, x: KTensor): number {
  const c = x.shape[x.shape.length - 1];
  if (c === null || c === undefined) ctx.fail(`input shape ${fmtShape(x.shape)} has an unknown channel dim`);
  return c;
}

/** Spatial output size [H, W] of a window over an NHWC Keras shape; null stays null. */
export function windowOutput(ctx: LayerContext, x: KShape, w: Window): [number | null, number | null] {
  const [h, wd] = [x[1] ?? null, x[2] ?? null];
  // Unknown dims get a placeholder; their results are discarded.
  const g = windowGeometry(w, h ?? w.kernel[0], wd ?? w.kernel[1]);
  const oh = h === null ? null : g.outH;
  const ow = wd === null ? null : g.outW;
  if ((oh !== null && oh < 1) || (ow !== null && ow < 1)) {
    ctx.fail(`window ${fmtShape(w.kernel)} with strides ${fmtShape(w.strides)} does not fit input ${fmtShape(x)}`);
  }
  return [oh, ow];
}

export const NO_PADS = [0, 0, 0, 0] as const;
export const ONES: Pair = [1, 1];
