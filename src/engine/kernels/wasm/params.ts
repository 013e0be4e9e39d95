/**
 * The int32 parameter blocks the C kernels read (kernels.h enums, same order),
 * and the per-node integer tables the linear kernels copy into WASM memory.
 */
import type { ActSat } from '../ref/output-stage.js';
import type { LinearStage } from '../ref/linear-stage.js';
import type { WasmContext } from './context.js';

/** Linear kernels: conv_rows, pack_rows, dw_rows, dense_rows. */
export const P = {
  C: 0, H: 1, W: 2, M: 3, CG: 4, KH: 5, KW: 6, OH: 7, OW: 8, SH: 9, SW: 10, DH: 11, DW: 12, PT: 13, PL: 14,
  GROUP: 15, KP: 16, TILE: 17, X: 18, WT: 19, BIAS: 20, RANGE: 21, SHIFT: 22, LO: 23, HI: 24, LEAKY: 25, LM: 26, LS: 27, OUT: 28,
  MGP: 29, NRUN: 30, LP: 31, OFF: 32, HP: 33, WP: 34, XS: 35,
  COUNT: 36,
} as const;

/** add_rows. */
export const ADD = { A: 0, B: 1, OUT: 2, SA: 3, SB: 4, S: 5, LO: 6, HI: 7, LEAKY: 8, LM: 9, LS: 10, COUNT: 11 } as const;

/** affine_rows. */
export const AFFINE = { X: 0, OUT: 1, C: 2, INNER: 3, W: 4, BIAS: 5, RANGE: 6, SHIFT: 7, LO: 8, HI: 9, LEAKY: 10, LM: 11, LS: 12, COUNT: 13 } as const;

/** d2s_rows. */
export const D2S = { X: 0, OUT: 1, C: 2, H: 3, W: 4, B: 5, DCR: 6, COUNT: 7 } as const;

/** pool_rows (mode: POOL_MODE). */
export const POOL = {
  X: 0, OUT: 1, MODE: 2, H: 3, W: 4, OH: 5, OW: 6, KH: 7, KW: 8, SH: 9, SW: 10, DH: 11, DW: 12, PT: 13, PL: 14,
  RY: 15, RX: 16, CNT: 17, S: 18, LO: 19, HI: 20, EMPTY: 21, A: 22, B: 23, WIDE: 24, IX0: 25, IX1: 26, SIZE: 27,
  COUNT: 28,
} as const;

/** pool.c modes. */
export const POOL_MODE = { MaxPool: 0, AveragePool: 1, GlobalMaxPool: 2, GlobalAveragePool: 3 } as const;

const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;

export function isI32(v: number): boolean {
  return Number.isInteger(v) && v >= I32_MIN && v <= I32_MAX;
}

/** Whether activation + saturation words fit the C output stage's int32 words. */
export function actSatFitsWasm(st: ActSat): boolean {
  return isI32(st.lo) && isI32(st.hi) && isI32(st.m) && isI32(st.shift);
}

/**
 * Whether the C output stage can run this stage: int32 accumulation (the MAC loop
 * wraps modulo 2^32, exact because the plan bounds every sum below 2^31) and every
 * per-channel integer representable in an int32 word.
 */
export function stageFitsWasm(stage: LinearStage): boolean {
  if (stage.accum.width !== 'int32' || !actSatFitsWasm(stage.st)) return false;
  for (let c = 0; c < stage.channels; c++) {
    if (!isI32(stage.bias[c]!) || !isI32(stage.shift[c]!)) return false;
    if (stage.range !== undefined && !isI32(stage.range[c]!)) return false;
  }
  return true;
}

export function roundUp(n: number, k: number): number {
  return Math.ceil(n / k) * k;
}

/** K rounded up to the SIMD width (8 int16 lanes). */
export function paddedK(k: number): number {
  return roundUp(k, 8);
}

/** Copies int16 data into persistent memory; returns its address. */
export function uploadI16(ctx: WasmContext, data: Int16Array): number {
  const p = ctx.alloc(data.length * 2);
  ctx.i16().set(data, p / 2);
  return p;
}

/** Copies int32 data (integers checked by the caller) into persistent memory; returns its address. */
export function uploadI32(ctx: WasmContext, data: ArrayLike<number>): number {
  const p = ctx.alloc(data.length * 4);
  ctx.i32().set(data, p / 4);
  return p;
}

export interface StageTables {
  readonly wt: number;
  readonly bias: number;
  /** 0: no range table (dynamic weights, a factor 1). */
  readonly range: number;
  readonly shift: number;
}

/**
 * Uploads packed int16 weights and the stage tables. The bias table is laid out
 * [group][mgp] for the GEMM (rows j >= M/group zero); range and shift stay [M].
 */
export function uploadStage(ctx: WasmContext, wt: Int16Array, stage: LinearStage, group: number, mgp: number): StageTables {
  const mg = stage.channels / group;
  const bias = new Int32Array(group * mgp);
  for (let g = 0; g < group; g++) for (let j = 0; j < mg; j++) bias[g * mgp + j] = stage.bias[g * mg + j]!;
  return {
    wt: uploadI16(ctx, wt),
    bias: uploadI32(ctx, bias),
    range: stage.range === undefined ? 0 : uploadI32(ctx, stage.range),
    shift: uploadI32(ctx, stage.shift),
  };
}

/** Writes the tables and output-stage words of a linear parameter block. */
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

/** Allocates a parameter block of `words` int32 and writes `values` (by index) into it. */
export function paramBlock(ctx: WasmContext, words: number, values: Readonly<Record<number, number>>): number {
  const p = ctx.alloc(words * 4);
  const i32 = ctx.i32();
  for (const [i, v] of Object.entries(values)) i32[p / 4 + Number(i)] = v;
  return p;
}
