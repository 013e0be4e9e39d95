/**
 * Integer sigmoid and tanh: table lookups (see lut.ts for the table kinds and
 * their error bounds). prepare* runs at prepare time (float math); sigmoidQ and
 * tanhQ are integer-only.
 *
 * Maximum errors in output LSBs against float64 Math functions, over every input
 * integer, with the true value clipped to the output range (asserted in
 * test/fixed/nonlinear.test.ts; "bound" is lut.errorBoundLsb, proven per table):
 *   any 8-bit input (direct table, exactly rounded)   0.5
 *   Q(s,16,12) -> sigmoid UQ(8,8)    0.587 (bound 0.642, 107 entries)
 *   Q(s,16,12) -> sigmoid Q(s,8,7)   0.627 (bound 0.690,  51 entries)
 *   Q(s,16,12) -> sigmoid UQ(16,16)  0.599 (bound 0.642, 2049 entries)
 *   Q(s,16,12) -> tanh Q(s,8,7)      0.588 (bound 0.642, 118 entries)
 *   Q(s,16,12) -> tanh Q(s,16,15)    0.590 (bound 0.642, 3253 entries)
 */
import { FxpError, type ErrorContext } from '../errors.js';
import { lutArrayQ, prepareLut, type Lut, type LutFunction, type LutOptions } from './lut.js';
import type { QFormat } from './format.js';

/** max |sigmoid''| = 1/(6*sqrt(3)) = 0.09623.. */
export const SIGMOID: LutFunction = {
  name: 'sigmoid',
  f: (x) => 1 / (1 + Math.exp(-x)),
  curvature: 0.0963,
};

/** max |tanh''| = 4/(3*sqrt(3)) = 0.7698.. */
export const TANH: LutFunction = {
  name: 'tanh',
  f: Math.tanh,
  curvature: 0.7699,
};

export function prepareSigmoid(inFormat: QFormat, outFormat: QFormat, options?: LutOptions, context?: ErrorContext): Lut {
  return prepareLut(SIGMOID, inFormat, outFormat, options, context);
}

export function prepareTanh(inFormat: QFormat, outFormat: QFormat, options?: LutOptions, context?: ErrorContext): Lut {
  return prepareLut(TANH, inFormat, outFormat, options, context);
}

/** Sigmoid of every element of src (in lut.inFormat) into lut.outFormat. */
export function sigmoidQ(src: Int32Array, lut: Lut, dst?: Int32Array): Int32Array {
  if (lut.name !== SIGMOID.name) throw new FxpError(`sigmoidQ: given a '${lut.name}' table`);
  return lutArrayQ(lut, src, dst);
}

/** Tanh of every element of src (in lut.inFormat) into lut.outFormat. */
export function tanhQ(src: Int32Array, lut: Lut, dst?: Int32Array): Int32Array {
  if (lut.name !== TANH.name) throw new FxpError(`tanhQ: given a '${lut.name}' table`);
  return lutArrayQ(lut, src, dst);
}
