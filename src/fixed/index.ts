/** Scalar fixed-point math: formats, conversion, rounding, requantization, integer nonlinearities. */
export * from './pow2.js';
export * from './format.js';
export * from './convert.js';
export * from './shift.js';
export * from './multiplier.js';
export * from './lut.js';
export * from './nonlinear.js';
export * from './exp.js';
export * from './softmax.js';
export * from './normalize.js';
