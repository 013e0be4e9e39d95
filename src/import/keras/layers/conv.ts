/**
 * Conv2D, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose (channels_last only).
 * Kernels move from Keras's HWIO layouts to ONNX layouts (weight-layout.ts).
 */
import type { ConvAttrs, ConvTransposeAttrs, Pads4, Pair } from '../../../ir/ops.js';
import { transposeGeometry } from '../../../ir/padding.js';
import type { KTensor, LayerContext } from '../context.js';
import { depthwiseToOihw, hwioToOihw, transposeKernelToIohw } from '../weight-layout.js';
import { fieldActivation } from './activation.js';
import { channelsOf, kerasPadding, NO_PADS, ONES, windowOutput } from './window.js';

function convAttrs(ctx: LayerContext, kernel: Pair, group: number): ConvAttrs {
  return {
    kernel,
    strides: ctx.cfg.pair('strides', ONES),
    dilations: ctx.cfg.pair('dilation_rate', ONES),
    pads: NO_PADS,
    autoPad: kerasPadding(ctx),
    group,
  };
}

function optionalBias(ctx: LayerContext, n: number): number[] {
  if (!ctx.cfg.bool('use_bias', true)) return [];
  return [ctx.constant('B', [n], ctx.weight('bias', [n]))];
}

export function convertConv2D(ctx: LayerContext, inputs: readonly KTensor[]): KTensor {
  const x = ctx.one(inputs, [4]);
  ctx.cfg.requireChannelsLast();
  const filters = ctx.cfg.posInt('filters');
  const [kh, kw] = ctx.cfg.pair('kernel_size');
  const groups = ctx.cfg.posInt('groups', 1);
  const c = channelsOf(ctx, x);
  if (c % groups !== 0 || filters % groups !== 0) ctx.fail(`groups ${groups} does not divide ${c} input channels and ${filters} filters`);
  const cg = c / groups;
  const attrs = convAttrs(ctx, [kh, kw], groups);
  const [oh, ow] = windowOutput(ctx, x.shape, attrs);
  const kernel = ctx.weight('kernel', [kh, kw, cg, filters]);
  const w = ctx.constant('W', [filters, cg, kh, kw], hwioToOihw(kernel, kh, kw, cg, filters));
  const y = ctx.node('Conv', attrs, [x.id, w, ...optionalBias(ctx, filters)]);
  return fieldActivation(ctx, ctx.tensor(y, [null, oh, ow, filters]));
}

/** The depthwise part shared by DepthwiseConv2D and SeparableConv2D: a grouped Conv, group = C. */
function depthwise(ctx: LayerContext, x: KTensor, withBias: boolean, suffix?: string): KTensor {
  const mult = ctx.cfg.posInt('depth_multiplier', 1);
  const [kh, kw] = ctx.cfg.pair('kernel_size');
  const c = channelsOf(ctx, x);
  const attrs = convAttrs(ctx, [kh, kw], c);
  const [oh, ow] = windowOutput(ctx, x.shape, attrs);
  const m = c * mult;
  const kernel = ctx.weight(['depthwise_kernel', 'kernel'], [kh, kw, c, mult]);
  const w = ctx.constant('depthwise_W', [m, 1, kh, kw], depthwiseToOihw(kernel, kh, kw, c, mult));
  const bias = withBias ? optionalBias(ctx, m) : [];
  return ctx.tensor(ctx.node('Conv', attrs, [x.id, w, ...bias], suffix), [null, oh, ow, m]);
}

export function convertDepthwiseConv2D(ctx: LayerContext, inputs: readonly KTensor[]): KTensor {
  const x = ctx.one(inputs, [4]);
  ctx.cfg.requireChannelsLast();
  return fieldActivation(ctx, depthwise(ctx, x, true));
}

/** Depthwise (strides, padding, dilation apply here) then a 1x1 pointwise Conv with the bias. */
export function convertSeparableConv2D(ctx: LayerContext, inputs: readonly KTensor[]): KTensor {
  const x = ctx.one(inputs, [4]);
  ctx.cfg.requireChannelsLast();
  const filters = ctx.cfg.posInt('filters');
  const d = depthwise(ctx, x, false, 'depthwise');
  const m = d.shape[3]!;
  const kernel = ctx.weight('pointwise_kernel', [1, 1, m, filters]);
  const w = ctx.constant('pointwise_W', [filters, m, 1, 1], hwioToOihw(kernel, 1, 1, m, filters));
  const attrs: ConvAttrs = { kernel: ONES, strides: ONES, dilations: ONES, pads: NO_PADS, autoPad: 'VALID', group: 1 };
  const y = ctx.node('Conv', attrs, [d.id, w, ...optionalBias(ctx, filters)]);
  return fieldActivation(ctx, ctx.tensor(y, [null, d.shape[1]!, d.shape[2]!, filters]));
}

/**
 * One spatial dim of Conv2DTranspose as explicit ONNX pads. TF computes the
 * transposed conv as the gradient of a forward conv from the output size back to
 * the input size; for 'same' that forward conv pads total = max((in-1)*s + kd - out, 0)
 * with floor(total/2) first, which here is independent of `in`:
 *   no output_padding: out = in*s                          -> total = max(kd - s, 0)
 *   output_padding op: out = (in-1)*s + kd - 2*floor(kd/2) + op -> total = max(2*floor(kd/2) - op, 0)
 * ONNX out = (in-1)*s + kd + outPad - begin - end, so outPad = out - (in-1)*s - kd + total.
 * 'valid' crops nothing; Keras's output size is (in-1)*s + kd + op, or in*s + max(kd - s, 0).
 */
function transposeDim(same: boolean, s: number, kd: number, op: number | undefined): { begin: number; end: number; outPad: number } {
  if (!same) return { begin: 0, end: 0, outPad: op ?? Math.max(s - kd, 0) };
  const half = Math.floor(kd / 2);
  const total = op === undefined ? Math.max(kd - s, 0) : Math.max(2 * half - op, 0);
  const begin = Math.floor(total / 2);
  const outPad = op === undefined ? Math.max(s - kd, 0) : Math.max(op - 2 * half, 0);
  return { begin, end: total - begin, outPad };
}

export function convertConv2DTranspose(ctx: LayerContext, inputs: readonly KTensor[]): KTensor {
  const x = ctx.one(inputs, [4]);
  ctx.cfg.requireChannelsLast();
  const filters = ctx.cfg.posInt('filters');
  const kernel: Pair = ctx.cfg.pair('kernel_size');
  const strides = ctx.cfg.pair('strides', ONES);
  const dilations = ctx.cfg.pair('dilation_rate', ONES);
  const same = kerasPadding(ctx) === 'SAME_UPPER';
  const rawOp = ctx.cfg.raw('output_padding');
  const op = rawOp === undefined ? undefined : outputPaddingOf(ctx, rawOp);
  if (op !== undefined && (op[0] >= strides[0] || op[1] >= strides[1])) ctx.fail(`output_padding ${JSON.stringify(op)} must be smaller than strides ${JSON.stringify(strides)}`);
  const dims = [0, 1].map((i) => transposeDim(same, strides[i]!, (kernel[i]! - 1) * dilations[i]! + 1, op?.[i]));
  const [dh, dw] = dims as [(typeof dims)[0], (typeof dims)[0]];
  const pads: Pads4 = [dh.begin, dw.begin, dh.end, dw.end];
  const attrs: ConvTransposeAttrs = { kernel, strides, dilations, pads, autoPad: 'NOTSET', outputPadding: [dh.outPad, dw.outPad], group: 1 };
  const c = channelsOf(ctx, x);
  const [h, w] = [x.shape[1] ?? null, x.shape[2] ?? null];
  const g = transposeGeometry(attrs, h ?? 1, w ?? 1);
  const k = ctx.weight('kernel', [kernel[0], kernel[1], filters, c]);
  const wId = ctx.constant('W', [c, filters, kernel[0], kernel[1]], transposeKernelToIohw(k, kernel[0], kernel[1], filters, c));
  const y = ctx.node('ConvTranspose', attrs, [x.id, wId, ...optionalBias(ctx, filters)]);
  return fieldActivation(ctx, ctx.tensor(y, [null, h === null ? null : g.outH, w === null ? null : g.outW, filters]));
}

/** output_padding: an int or two ints, each >= 0. */
function outputPaddingOf(ctx: LayerContext, v: unknown): Pair {
  if (typeof v === 'number') {
    const n = ctx.cfg.checkInt('output_padding', v, 0);
    return [n, n];
  }
  if (!Array.isArray(v) || v.length !== 2) ctx.fail(`config 'output_padding' must be an int or two ints, got ${JSON.stringify(v)}`);
  return [ctx.cfg.checkInt('output_padding', v[0], 0), ctx.cfg.checkInt('output_padding', v[1], 0)];
}
