/**
 * Dense: y = x K + b over the last (Keras) axis. On a rank-4 input the last Keras
 * axis is C, which the IR holds at dim 1, so the input goes to NHWC, Dense runs on
 * the last dim, and the result comes back to NCHW.
 */
import { fmtShape, type KTensor, type LayerContext } from '../context.js';
import { fromKerasOrder, toKerasOrder } from '../layout.js';
import { denseKernelToMk } from '../weight-layout.js';
import { fieldActivation } from './activation.js';

export function convertDense(ctx: LayerContext, inputs: readonly KTensor[]): KTensor {
  const x = ctx.one(inputs, [2, 3, 4]);
  const units = ctx.cfg.posInt('units');
  const k = x.shape[x.shape.length - 1];
  if (k === null || k === undefined) ctx.fail(`input shape ${fmtShape(x.shape)} has an unknown last dim`);
  const kernel = ctx.weight('kernel', [k, units]);
  const w = ctx.constant('W', [units, k], denseKernelToMk(kernel, k, units));
  const params = [w];
  if (ctx.cfg.bool('use_bias', true)) params.push(ctx.constant('B', [units], ctx.weight('bias', [units])));
  const rank = x.shape.length;
  const y = ctx.node('Dense', {}, [toKerasOrder(ctx, x), ...params]);
  const out = ctx.tensor(fromKerasOrder(ctx, y, rank), [...x.shape.slice(0, -1), units]);
  return fieldActivation(ctx, out);
}
