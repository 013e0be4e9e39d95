export { createFloatExecutor, runFloat, type FloatExecutor, type RunOptions, type RunResult } from './executor.js';
export type { FloatKernel, FloatKernelTable, NodeRun } from './kernel.js';
export { FLOAT_KERNELS } from './kernels/table.js';
export { MR, NR, gemmPacked, packA, packB, packedASize, packedBSize } from './gemm.js';
