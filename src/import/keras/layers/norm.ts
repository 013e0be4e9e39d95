/**
 * BatchNormalization at inference: (x - mean) / sqrt(var + eps) * gamma + beta over
 * the channel axis, which must be the last Keras axis (IR dim 1 for rank 2 and 4).
 */
import { fmtShape, type KTensor, type LayerContext } from '../context.js';

export function convertBatchNormalization(ctx: LayerContext, inputs: readonly KTensor[]): KTensor {
  const x = ctx.one(inputs, [2, 4]);
  const rank = x.shape.length;
  const rawAxis = ctx.cfg.raw('axis');
  const axisValue = Array.isArray(rawAxis) && rawAxis.length === 1 ? rawAxis[0] : (rawAxis ?? -1);
  const axis = ctx.cfg.checkInt('axis', axisValue, -rank);
  if (axis !== -1 && axis !== rank - 1) ctx.fail(`BatchNormalization axis ${JSON.stringify(rawAxis)} is not supported (only the last axis, channels_last)`);
  const c = x.shape[rank - 1];
  if (c === null || c === undefined) ctx.fail(`input shape ${fmtShape(x.shape)} has an unknown channel dim`);
  const epsilon = ctx.cfg.num('epsilon', 1e-3);
  if (epsilon < 0) ctx.fail(`epsilon ${epsilon} must be non-negative`);
  const gamma = ctx.cfg.bool('scale', true) ? ctx.weight('gamma', [c]) : new Float32Array(c).fill(1);
  const beta = ctx.cfg.bool('center', true) ? ctx.weight('beta', [c]) : new Float32Array(c);
  const mean = ctx.weight('moving_mean', [c]);
  const variance = ctx.weight('moving_variance', [c]);
  const params = [
    ctx.constant('gamma', [c], gamma),
    ctx.constant('beta', [c], beta),
    ctx.constant('moving_mean', [c], mean),
    ctx.constant('moving_variance', [c], variance),
  ];
  return { id: ctx.node('BatchNormalization', { epsilon }, [x.id, ...params]), shape: x.shape };
}
