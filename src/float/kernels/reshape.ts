/**
 * Ops that only relabel the shape: Flatten, Reshape, Identity. The output shares
 * the input's buffer, which is safe because tensors are never written after
 * they are produced.
 */
import type { Node } from '../../ir/ops.js';
import { input, type FloatKernel, type NodeRun } from '../kernel.js';

function relabel(node: Node): NodeRun {
  return (inputs, outShape) => ({ shape: [...outShape], data: input(node, inputs, 0).data });
}

export const prepareFlatten: FloatKernel<'Flatten'> = relabel;
export const prepareReshape: FloatKernel<'Reshape'> = relabel;
export const prepareIdentity: FloatKernel<'Identity'> = (node) => (inputs) => input(node, inputs, 0);
