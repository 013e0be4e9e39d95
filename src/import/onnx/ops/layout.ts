/**
 * Ops that move data without arithmetic: Flatten, Reshape, Transpose, DepthToSpace.
 */
import { canonicalAxis, integerValues, type NodeContext } from '../context.js';

export function convertFlatten(n: NodeContext): void {
  const x = n.input(0, 'input');
  const axis = n.attrs.int('axis', 1);
  // Only a negative axis needs the rank; 0..rank are valid.
  const a = axis < 0 ? canonicalAxis(n, axis, n.rank(x, 'the Flatten input'), 'axis', 1) : axis;
  const r = n.knownDims(x)?.length;
  if (r !== undefined && a > r) n.fail(`axis ${axis} is out of range for rank ${r}`);
  n.emit('Flatten', { axis: a }, [x], 2);
}

/** The target shape must be a constant. allowzero=1 (opset 14+) is accepted only when the shape has no 0. */
export function convertReshape(n: NodeContext): void {
  const x = n.input(0, 'input');
  const c = n.constant(1, 'shape');
  if (c === undefined) n.fail('missing shape (input 1)');
  if (c.dims.length !== 1) n.fail(`shape must be 1-D, got dims [${c.dims.join(', ')}]`);
  const shape = integerValues(n, c, 'shape');
  if (n.attrs.int('allowzero', 0) !== 0 && shape.includes(0)) {
    n.fail('allowzero=1 with a 0 in the shape (an empty dim) is not supported');
  }
  n.emit('Reshape', { shape }, [x], shape.length);
}

/** perm defaults to reversing the dims. */
export function convertTranspose(n: NodeContext): void {
  const x = n.input(0, 'input');
  const given = n.attrs.optInts('perm');
  const rank = given?.length ?? n.rank(x, 'the Transpose input');
  const perm = given ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  n.emit('Transpose', { perm }, [x], rank);
}

export function convertDepthToSpace(n: NodeContext): void {
  const x = n.input(0, 'input');
  const mode = n.attrs.string('mode', 'DCR');
  if (mode !== 'DCR' && mode !== 'CRD') n.fail(`mode '${mode}' must be DCR or CRD`);
  if (!n.attrs.has('blocksize')) n.fail("attribute 'blocksize' is required");
  n.emit('DepthToSpace', { blocksize: n.attrs.int('blocksize', 1), mode }, [x], 4);
}
