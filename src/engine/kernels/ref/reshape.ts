/**
 * Flatten, Reshape, Identity and Requantize, integer reference: the elements keep
 * their order; each becomes y = sat(roundShift(q, fi - fo)) (a copy when the input
 * and output formats agree). Requantize exists for exactly that conversion.
 */
import type { RefKernel } from './kernel.js';
import { prepareCopy } from './gather.js';

export const flattenRef: RefKernel<'Flatten'> = (node, io) => prepareCopy(node, io);
export const reshapeRef: RefKernel<'Reshape'> = (node, io) => prepareCopy(node, io);
export const identityRef: RefKernel<'Identity'> = (node, io) => prepareCopy(node, io);
export const requantizeRef: RefKernel<'Requantize'> = (node, io) => prepareCopy(node, io);
