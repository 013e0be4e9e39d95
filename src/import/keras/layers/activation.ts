/**
 * Activation functions: the `activation` field of Conv/Dense layers and the
 * Activation, ReLU, LeakyReLU and Softmax layers. Each becomes its own IR node
 * (the fusion pass folds them into the producer later).
 */
import type { KTensor, LayerContext } from '../context.js';
import { irAxis } from '../layout.js';

/** Keras activation names with an exact IR form; anything else is refused by name. */
const ACTIVATIONS: Readonly<Record<string, (ctx: LayerContext, x: KTensor, suffix: string | undefined) => number>> = {
  linear: (_ctx, x) => x.id,
  relu: (ctx, x, suffix) => ctx.node('Relu', {}, [x.id], suffix),
  relu6: (ctx, x, suffix) => ctx.node('Clip', { min: 0, max: 6 }, [x.id], suffix),
  sigmoid: (ctx, x, suffix) => ctx.node('Sigmoid', {}, [x.id], suffix),
  tanh: (ctx, x, suffix) => ctx.node('Tanh', {}, [x.id], suffix),
  softmax: (ctx, x, suffix) => ctx.node('Softmax', { axis: softmaxAxis(ctx, x, -1) }, [x.id], suffix),
};

function softmaxAxis(ctx: LayerContext, x: KTensor, axis: number): number {
  const a = irAxis(axis, x.shape.length);
  if (a === undefined || a === 0) ctx.fail(`softmax axis ${axis} is out of range (or the batch axis) for input rank ${x.shape.length}`);
  return a;
}

/**
 * Applies a Keras activation given by name. `suffix` names the helper node when the
 * activation belongs to another layer (Conv2D's `activation: 'relu'`); undefined
 * names the node after the layer itself (the Activation layer).
 */
export function kerasActivation(ctx: LayerContext, x: KTensor, activation: unknown, suffix: string | undefined): KTensor {
  if (activation === undefined || activation === null) return x;
  if (typeof activation !== 'string') ctx.fail(`unsupported activation ${JSON.stringify(activation)} (only named activations are supported)`);
  const fn = Object.prototype.hasOwnProperty.call(ACTIVATIONS, activation) ? ACTIVATIONS[activation] : undefined;
  if (fn === undefined) ctx.fail(`unsupported activation '${activation}' (supported: ${Object.keys(ACTIVATIONS).join(', ')})`);
  return { id: fn(ctx, x, suffix), shape: x.shape };
}

/** The `activation` field of a layer that computes something first (Conv2D, Dense). */
export function fieldActivation(ctx: LayerContext, x: KTensor): KTensor {
  const act = ctx.cfg.raw('activation');
  return kerasActivation(ctx, x, act, typeof act === 'string' ? act : 'activation');
}

export function convertActivation(ctx: LayerContext, inputs: readonly KTensor[]): KTensor {
  const x = ctx.one(inputs);
  const act = ctx.cfg.raw('activation');
  if (act === undefined) ctx.fail(`Activation layer has no 'activation'`);
  const y = kerasActivation(ctx, x, act, undefined);
  // A linear Activation layer still needs a node so the layer has an output of its own.
  return y.id === x.id ? { id: ctx.node('Identity', {}, [x.id]), shape: x.shape } : y;
}

/** ReLU(max_value, negative_slope, threshold): threshold must be 0. */
export function convertReLU(ctx: LayerContext, inputs: readonly KTensor[]): KTensor {
  const x = ctx.one(inputs);
  const max = ctx.cfg.optNum('max_value');
  const slope = ctx.cfg.num('negative_slope', 0);
  const threshold = ctx.cfg.num('threshold', 0);
  if (threshold !== 0) ctx.fail(`ReLU threshold ${threshold} is not supported (only 0)`);
  if (slope < 0) ctx.fail(`ReLU negative_slope ${slope} must be non-negative`);
  if (max !== undefined && max < 0) ctx.fail(`ReLU max_value ${max} must be non-negative`);
  let id: number;
  if (slope === 0) {
    id = max === undefined ? ctx.node('Relu', {}, [x.id]) : ctx.node('Clip', { min: 0, max }, [x.id]);
  } else if (max === undefined) {
    id = ctx.node('LeakyRelu', { alpha: slope }, [x.id]);
  } else {
    // slope >= 0, so slope*x <= 0 <= max for x < 0: clipping above only touches x > max.
    const leaky = ctx.node('LeakyRelu', { alpha: slope }, [x.id], 'leaky');
    id = ctx.node('Clip', { min: -Infinity, max }, [leaky]);
  }
  return { id, shape: x.shape };
}

/** LeakyReLU: `alpha` in Keras 2 and TF.js, `negative_slope` in Keras 3; default 0.3. */
export function convertLeakyReLU(ctx: LayerContext, inputs: readonly KTensor[]): KTensor {
  const x = ctx.one(inputs);
  const alpha = ctx.cfg.raw('alpha') !== undefined ? ctx.cfg.num('alpha') : ctx.cfg.num('negative_slope', 0.3);
  return { id: ctx.node('LeakyRelu', { alpha }, [x.id]), shape: x.shape };
}

export function convertSoftmax(ctx: LayerContext, inputs: readonly KTensor[]): KTensor {
  const x = ctx.one(inputs);
  const rawAxis = ctx.cfg.raw('axis');
  const axisValue = Array.isArray(rawAxis) && rawAxis.length === 1 ? rawAxis[0] : (rawAxis ?? -1);
  const axis = ctx.cfg.checkInt('axis', axisValue, -8);
  return { id: ctx.node('Softmax', { axis: softmaxAxis(ctx, x, axis) }, [x.id]), shape: x.shape };
}
