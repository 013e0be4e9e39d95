/**
 * Add, Mul (numpy broadcasting; either operand may be a constant) and Concat.
 */
import { canonicalAxis, type NodeContext } from '../context.js';

function binary(n: NodeContext): { a: number; b: number; rank: number | undefined } {
  const a = n.input(0, 'input A');
  const b = n.input(1, 'input B');
  const ra = n.knownDims(a)?.length;
  const rb = n.knownDims(b)?.length;
  return { a, b, rank: ra === undefined || rb === undefined ? undefined : Math.max(ra, rb) };
}

export function convertAdd(n: NodeContext): void {
  const { a, b, rank } = binary(n);
  n.emit('Add', {}, [a, b], rank);
}

export function convertMul(n: NodeContext): void {
  const { a, b, rank } = binary(n);
  n.emit('Mul', {}, [a, b], rank);
}

export function convertConcat(n: NodeContext): void {
  if (n.inputCount === 0) n.fail('Concat needs at least one input');
  const ins = Array.from({ length: n.inputCount }, (_, i) => n.input(i, `input ${i}`));
  const rank = n.rank(ins[0]!, 'the first Concat input');
  if (!n.attrs.has('axis')) n.fail("attribute 'axis' is required");
  n.emit('Concat', { axis: canonicalAxis(n, n.attrs.int('axis', 0), rank) }, ins, rank);
}
