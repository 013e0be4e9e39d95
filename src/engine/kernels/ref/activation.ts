/**
 * Relu, Clip and LeakyRelu as standalone ops, integer reference. x in Q(fi), y in
 * Q(fo): the input is first converted to the output format, then the activation
 * acts exactly as the fused one does (fx-graph.ts FxActivation, in output-format
 * integers), then saturation:
 *
 *   y = sat(act(roundShift(q, fi - fo)))
 *
 * Relu/Clip need no wider intermediates than the conversion (maxAbs(fi), times
 * 2^(fo-fi) for a left shift); LeakyRelu's product v*m is bounded and checked at
 * prepare (output-stage.ts).
 */
import type { FxActivation } from '../../fx-graph.js';
import { formatAt, inputAt, type NodeIO, type PreparedKernel, type RefKernel, type NodeRef } from './kernel.js';
import { prepareRequant, requantArray } from './output-stage.js';

function elementwise(node: NodeRef, io: NodeIO, act: FxActivation): PreparedKernel {
  const rq = prepareRequant(node, formatAt(node, io, 0), io.outFormat, act);
  const bound = { acc: rq.acc, run: (inputs: readonly Int32Array[], out: Int32Array) => requantArray(rq, inputAt(node, inputs, 0), out) };
  return { acc: rq.acc, bind: () => bound };
}

export const reluRef: RefKernel<'Relu'> = (node, io) => elementwise(node, io, { kind: 'Relu' });

export const clipRef: RefKernel<'Clip'> = (node, io) => elementwise(node, io, { kind: 'Clip', lo: node.attrs.lo, hi: node.attrs.hi });

export const leakyReluRef: RefKernel<'LeakyRelu'> = (node, io) =>
  elementwise(node, io, { kind: 'LeakyRelu', m: node.attrs.m, shift: node.attrs.shift });
