/** Add, Multiply (n-ary in Keras, a chain of binary IR nodes) and Concatenate. */
import { fmtShape, type KShape, type KTensor, type LayerContext } from '../context.js';
import { irAxis } from '../layout.js';

function sameRank(ctx: LayerContext, inputs: readonly KTensor[], min: number): number {
  if (inputs.length < min) ctx.fail(`takes at least ${min} inputs, got ${inputs.length}`);
  const rank = inputs[0]!.shape.length;
  for (const t of inputs) {
    if (t.shape.length !== rank) ctx.fail(`inputs ${inputs.map((i) => fmtShape(i.shape)).join(', ')} differ in rank`);
  }
  return rank;
}

/** Numpy broadcasting of two Keras shapes of equal rank; null (unknown) matches anything. */
function broadcast(ctx: LayerContext, a: KShape, b: KShape): KShape {
  return a.map((x, i) => {
    const y = b[i] ?? null;
    if (x === null) return y === 1 ? null : y;
    if (y === null) return x === 1 ? null : x;
    if (x === y || y === 1) return x;
    if (x === 1) return y;
    return ctx.fail(`cannot broadcast ${fmtShape(a)} with ${fmtShape(b)}`);
  });
}

function elementwise(ctx: LayerContext, inputs: readonly KTensor[], op: 'Add' | 'Mul'): KTensor {
  sameRank(ctx, inputs, 2);
  let acc = inputs[0]!;
  for (let i = 1; i < inputs.length; i++) {
    const t = inputs[i]!;
    const shape = broadcast(ctx, acc.shape, t.shape);
    // The last node carries the layer's name; earlier partial results get a suffix.
    const suffix = i === inputs.length - 1 ? undefined : `partial${i}`;
    acc = ctx.tensor(ctx.node(op, {}, [acc.id, t.id], suffix), shape);
  }
  return acc;
}

export function convertAdd(ctx: LayerContext, inputs: readonly KTensor[]): KTensor {
  return elementwise(ctx, inputs, 'Add');
}

export function convertMultiply(ctx: LayerContext, inputs: readonly KTensor[]): KTensor {
  return elementwise(ctx, inputs, 'Mul');
}

export function convertConcatenate(ctx: LayerContext, inputs: readonly KTensor[]): KTensor {
  const rank = sameRank(ctx, inputs, 1);
  const axis = ctx.cfg.int('axis', -1);
  const ir = irAxis(axis, rank);
  if (ir === undefined || ir === 0) ctx.fail(`concat axis ${axis} is out of range (or the batch axis) for rank ${rank}`);
  const k = axis < 0 ? axis + rank : axis;
  const first = inputs[0]!.shape;
  for (const t of inputs) {
    if (t.shape.some((d, i) => i !== k && i !== 0 && d !== null && first[i] !== null && d !== first[i])) {
      ctx.fail(`inputs ${inputs.map((x) => fmtShape(x.shape)).join(', ')} differ outside axis ${axis}`);
    }
  }
  const total = inputs.reduce<number | null>((s, t) => (s === null || t.shape[k] === null ? null : s + t.shape[k]!), 0);
  const shape = first.map((d, i) => (i === k ? total : (d ?? inputs.map((t) => t.shape[i] ?? null).find((x) => x !== null) ?? null)));
  return ctx.tensor(ctx.node('Concat', { axis: ir }, inputs.map((t) => t.id)), shape);
}
