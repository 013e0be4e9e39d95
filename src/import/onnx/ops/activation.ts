/**
 * Relu, Clip, LeakyRelu, Sigmoid, Tanh, Softmax.
 */
import { canonicalAxis, scalarValue, type NodeContext } from '../context.js';

function unary(n: NodeContext): { x: number; rank: number | undefined } {
  const x = n.input(0, 'input');
  return { x, rank: n.knownDims(x)?.length };
}

export function convertRelu(n: NodeContext): void {
  const { x, rank } = unary(n);
  n.emit('Relu', {}, [x], rank);
}

export function convertSigmoid(n: NodeContext): void {
  const { x, rank } = unary(n);
  n.emit('Sigmoid', {}, [x], rank);
}

export function convertTanh(n: NodeContext): void {
  const { x, rank } = unary(n);
  n.emit('Tanh', {}, [x], rank);
}

export function convertLeakyRelu(n: NodeContext): void {
  const { x, rank } = unary(n);
  n.emit('LeakyRelu', { alpha: n.attrs.float('alpha', 0.01) }, [x], rank);
}

/** Opset 11+: min and max are optional constant scalar inputs (Relu6 is Clip(0, 6)). */
export function convertClip11(n: NodeContext): void {
  const { x, rank } = unary(n);
  const lo = n.constant(1, 'min');
  const hi = n.constant(2, 'max');
  const min = lo === undefined ? -Infinity : scalarValue(n, lo, 'min');
  const max = hi === undefined ? Infinity : scalarValue(n, hi, 'max');
  n.emit('Clip', { min, max }, [x], rank);
}

/** Opset 13+: softmax along one axis (default -1). */
export function convertSoftmax13(n: NodeContext): void {
  const { x } = unary(n);
  const rank = n.rank(x, 'the Softmax input');
  n.emit('Softmax', { axis: canonicalAxis(n, n.attrs.int('axis', -1), rank) }, [x], rank);
}

/**
 * Before opset 13, Softmax flattens the input to 2-D at `axis` (default 1) and
 * normalizes over all dims from `axis` on. That equals a softmax along a single
 * axis when every other dim from `axis` on is statically 1.
 */
export function convertSoftmax11(n: NodeContext): void {
  const { x } = unary(n);
  const rank = n.rank(x, 'the Softmax input');
  const axis = canonicalAxis(n, n.attrs.int('axis', 1), rank);
  if (axis === rank - 1) {
    n.emit('Softmax', { axis }, [x], rank);
    return;
  }
  const dims = n.knownDims(x) ?? [];
  const free = [];
  for (let i = axis; i < rank; i++) if (dims[i] !== 1) free.push(i);
  if (free.length > 1) {
    n.fail(`Softmax before opset 13 normalizes over dims ${axis}..${rank - 1} together, which is only supported when all but one of them are statically 1`);
  }
  n.emit('Softmax', { axis: free[0] ?? axis }, [x], rank);
}
