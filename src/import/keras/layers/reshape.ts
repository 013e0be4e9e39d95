/**
 * Layers that move data without arithmetic: Flatten, Reshape, ZeroPadding2D,
 * UpSampling2D, and the inference-time identities (Dropout and friends).
 *
 * Flatten and Reshape act on the Keras (channels-last) element order, so a rank-4
 * input is first transposed to NHWC; the layout pass folds such transposes into
 * the neighbouring Dense weights where it can.
 */
import { fmtShape, knownSize, type KShape, type KTensor, type LayerContext } from '../context.js';
import { fromKerasOrder, toKerasOrder } from '../layout.js';

export function convertFlatten(ctx: LayerContext, inputs: readonly KTensor[]): KTensor {
  const x = ctx.one(inputs, [2, 3, 4]);
  ctx.cfg.requireChannelsLast();
  if (x.shape.length === 2) return x;
  const rest = x.shape.slice(1);
  const n = rest.includes(null) ? null : knownSize(rest);
  return ctx.tensor(ctx.node('Flatten', { axis: 1 }, [toKerasOrder(ctx, x)]), [null, n]);
}

export function convertReshape(ctx: LayerContext, inputs: readonly KTensor[]): KTensor {
  const x = ctx.one(inputs);
  const target = ctx.cfg.intList('target_shape', -1);
  if (target.length === 0 || target.length > 3) ctx.fail(`target_shape ${fmtShape(target)} must have 1 to 3 dims`);
  if (target.some((d) => d === 0)) ctx.fail(`target_shape ${fmtShape(target)} has a zero dim`);
  if (target.filter((d) => d === -1).length > 1) ctx.fail(`target_shape ${fmtShape(target)} has more than one -1`);
  const rest = x.shape.slice(1);
  const shape: KShape = [null, ...target.map((d): number | null => (d === -1 ? null : d))];
  if (!rest.includes(null)) {
    const total = knownSize(rest);
    const known = knownSize(target.filter((d) => d !== -1));
    const free = target.indexOf(-1);
    if (free >= 0 ? total % known !== 0 : total !== known) {
      ctx.fail(`cannot reshape ${fmtShape(x.shape)} to target_shape ${fmtShape(target)}`);
    }
    if (free >= 0) return reshapeTo(ctx, x, target, shape.map((d, i) => (i === free + 1 ? total / known : d)));
  }
  return reshapeTo(ctx, x, target, shape);
}

function reshapeTo(ctx: LayerContext, x: KTensor, target: readonly number[], shape: KShape): KTensor {
  // Reshape dim 0 = 0 copies the batch size from the input.
  const r = ctx.node('Reshape', { shape: [0, ...target] }, [toKerasOrder(ctx, x)]);
  return ctx.tensor(fromKerasOrder(ctx, r, shape.length), shape);
}

/** ZeroPadding2D padding: p, [ph, pw] or [[top, bottom], [left, right]]. */
function zeroPads(ctx: LayerContext): [number, number, number, number] {
  const v = ctx.cfg.raw('padding') ?? 1;
  const nn = (x: unknown): number => ctx.cfg.checkInt('padding', x, 0);
  if (typeof v === 'number') return [nn(v), nn(v), nn(v), nn(v)];
  if (Array.isArray(v) && v.length === 2) {
    const [a, b] = v as unknown[];
    if (Array.isArray(a) && Array.isArray(b) && a.length === 2 && b.length === 2) return [nn(a[0]), nn(a[1]), nn(b[0]), nn(b[1])];
    if (!Array.isArray(a) && !Array.isArray(b)) return [nn(a), nn(a), nn(b), nn(b)];
  }
  return ctx.fail(`config 'padding' must be an int, two ints or two pairs, got ${JSON.stringify(v)}`);
}

export function convertZeroPadding2D(ctx: LayerContext, inputs: readonly KTensor[]): KTensor {
  const x = ctx.one(inputs, [4]);
  ctx.cfg.requireChannelsLast();
  const [top, bottom, left, right] = zeroPads(ctx);
  const grow = (d: number | null | undefined, a: number, b: number): number | null => (d === null || d === undefined ? null : d + a + b);
  const id = ctx.node('Pad', { pads: [0, 0, top, left, 0, 0, bottom, right], mode: 'constant', value: 0 }, [x.id]);
  return ctx.tensor(id, [null, grow(x.shape[1], top, bottom), grow(x.shape[2], left, right), x.shape[3] ?? null]);
}

/** Nearest-neighbour upsampling by integer factors: out[i] = in[floor(i / s)] (asymmetric, floor). */
export function convertUpSampling2D(ctx: LayerContext, inputs: readonly KTensor[]): KTensor {
  const x = ctx.one(inputs, [4]);
  ctx.cfg.requireChannelsLast();
  const [sh, sw] = ctx.cfg.pair('size', [2, 2]);
  const interpolation = ctx.cfg.str('interpolation', 'nearest');
  if (interpolation !== 'nearest') ctx.fail(`UpSampling2D interpolation '${interpolation}' is not supported (only nearest)`);
  const id = ctx.node('Resize', { scales: [1, 1, sh, sw], coordinateMode: 'asymmetric', nearestMode: 'floor' }, [x.id]);
  const mul = (d: number | null | undefined, s: number): number | null => (d === null || d === undefined ? null : d * s);
  return ctx.tensor(id, [null, mul(x.shape[1], sh), mul(x.shape[2], sw), x.shape[3] ?? null]);
}

/** Dropout and other training-only layers are the identity at inference. */
export function convertPassThrough(ctx: LayerContext, inputs: readonly KTensor[]): KTensor {
  return ctx.one(inputs);
}
