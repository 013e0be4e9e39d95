/**
 * Pooling. Keras 'same' max pooling pads with cells that never win (ONNX MaxPool);
 * 'same' average pooling divides by the number of real cells (countIncludePad false).
 * Global pooling without keepdims gives [N, C]: GlobalPool then Flatten.
 */
import type { PoolAttrs } from '../../../ir/ops.js';
import type { KTensor, LayerContext } from '../context.js';
import { channelsOf, kerasPadding, NO_PADS, ONES, windowOutput } from './window.js';

function poolAttrs(ctx: LayerContext): PoolAttrs {
  ctx.cfg.requireChannelsLast();
  const kernel = ctx.cfg.pair('pool_size', [2, 2]);
  return { kernel, strides: ctx.cfg.pair('strides', kernel), dilations: ONES, pads: NO_PADS, autoPad: kerasPadding(ctx), ceilMode: false };
}

export function convertMaxPooling2D(ctx: LayerContext, inputs: readonly KTensor[]): KTensor {
  const x = ctx.one(inputs, [4]);
  const attrs = poolAttrs(ctx);
  const [oh, ow] = windowOutput(ctx, x.shape, attrs);
  return ctx.tensor(ctx.node('MaxPool', attrs, [x.id]), [null, oh, ow, x.shape[3]!]);
}

export function convertAveragePooling2D(ctx: LayerContext, inputs: readonly KTensor[]): KTensor {
  const x = ctx.one(inputs, [4]);
  const attrs = { ...poolAttrs(ctx), countIncludePad: false };
  const [oh, ow] = windowOutput(ctx, x.shape, attrs);
  return ctx.tensor(ctx.node('AveragePool', attrs, [x.id]), [null, oh, ow, x.shape[3]!]);
}

function globalPool(ctx: LayerContext, inputs: readonly KTensor[], op: 'GlobalMaxPool' | 'GlobalAveragePool'): KTensor {
  const x = ctx.one(inputs, [4]);
  ctx.cfg.requireChannelsLast();
  const c = channelsOf(ctx, x);
  const pooled = ctx.node(op, {}, [x.id]);
  // IR result is [N, C, 1, 1], which is the NCHW form of Keras's keepdims [N, 1, 1, C].
  if (ctx.cfg.bool('keepdims', false)) return ctx.tensor(pooled, [null, 1, 1, c]);
  return ctx.tensor(ctx.node('Flatten', { axis: 1 }, [pooled], 'flatten'), [null, c]);
}

export function convertGlobalMaxPooling2D(ctx: LayerContext, inputs: readonly KTensor[]): KTensor {
  return globalPool(ctx, inputs, 'GlobalMaxPool');
}

export function convertGlobalAveragePooling2D(ctx: LayerContext, inputs: readonly KTensor[]): KTensor {
  return globalPool(ctx, inputs, 'GlobalAveragePool');
}
