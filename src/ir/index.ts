export * from './ops.js';
export * from './graph.js';
export * from './padding.js';
export * from './shape.js';
export * from './verify.js';

export * from './stats.js';
