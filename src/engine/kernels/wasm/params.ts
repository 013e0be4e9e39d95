/**
 * The int32 parameter block the C kernels read (kernels.c enum, same order), and
 * the per-node integer tables both conv and dense copy into WASM memory.
 */
import type { ActSat } from '../ref/output-stage.js';
import type { LinearStage } from '../ref/linear-stage.js';
import type { WasmContext } from './context.js';

export const P = {
  C: 0, H: 1, W: 2, M: 3, CG: 4, KH: 5, KW: 6, OH: 7, OW: 8, SH: 9, SW: 10, DH: 11, DW: 12, PT: 13, PL: 14,
  GROUP: 15, KP: 16, TILE: 17, X: 18, WT: 19, BIAS: 20, RANGE: 21, SHIFT: 22, LO: 23, HI: 24, LEAKY: 25, LM: 26, LS: 27, OUT: 28,
  COUNT: 29,
} as const;

const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;

function isI32(v: number): boolean {
  return Number.isInteger(v) && v >= I32_MIN && v <= I32_MAX;
}

/**
 * Whether the C output stage can run this stage: int32 accumulation (the MAC loop
 * wraps modulo 2^32, exact because the plan bounds every sum below 2^31) and every
 * per-channel integer representable in an int32 word.
 */
export function stageFitsWasm(stage: LinearStage): boolean {
  if (stage.accum.width !== 'int32') return false;
  const st: ActSat = stage.st;
  if (!isI32(st.lo) || !isI32(st.hi) || !isI32(st.m) || !isI32(st.shift)) return false;
  for (let c = 0; c < stage.channels; c++) {
    if (!isI32(stage.bias[c]!) || !isI32(stage.shift[c]!)) return false;
    if (stage.range !== undefined && !isI32(stage.range[c]!)) return false;
  }
  return true;
}

/** K rounded up to the SIMD width (8 int16 lanes). */
export function paddedK(k: number): number {
  return (k + 7) & ~7;
}

export interface StageTables {
  readonly wt: number;
  readonly bias: number;
  readonly range: number;
  readonly shift: number;
}

/** Copies packed int16 weights [rows][kp] (zero-padded) and the stage tables into persistent memory. */
export function uploadStage(ctx: WasmContext, w: Int32Array, rows: number, k: number, stage: LinearStage): StageTables {
  const kp = paddedK(k);
  const wt = ctx.alloc(rows * kp * 2);
  const bias = ctx.alloc(stage.channels * 4);
  const range = stage.range === undefined ? 0 : ctx.alloc(stage.channels * 4);
  const shift = ctx.alloc(stage.channels * 4);
  const i16 = ctx.i16();
  for (let r = 0; r < rows; r++) {
    const dst = wt / 2 + r * kp;
    for (let i = 0; i < k; i++) i16[dst + i] = w[r * k + i]!;
  }
  const i32 = ctx.i32();
  for (let c = 0; c < stage.channels; c++) {
    i32[bias / 4 + c] = stage.bias[c]!;
    i32[shift / 4 + c] = stage.shift[c]!;
    if (stage.range !== undefined) i32[range / 4 + c] = stage.range[c]!;
  }
  return { wt, bias, range, shift };
}

/** Writes the tables and output-stage words of a parameter block. */
export function writeStageParams(i32: Int32Array, p: number, t: StageTables, st: ActSat): void {
  const b = p / 4;
  i32[b + P.WT] = t.wt;
  i32[b + P.BIAS] = t.bias;
  i32[b + P.RANGE] = t.range;
  i32[b + P.SHIFT] = t.shift;
  i32[b + P.LO] = st.lo;
  i32[b + P.HI] = st.hi;
  i32[b + P.LEAKY] = st.leaky ? 1 : 0;
  i32[b + P.LM] = st.m;
  i32[b + P.LS] = st.shift;
}
