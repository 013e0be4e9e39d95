/**
 * Where a kernel finds its inputs and puts its output in WASM memory. A value the
 * runtime took from the context (ctx.take) is used in place; any other Int32Array
 * (graph inputs and outputs, keepAll runs, values beyond the context's limit) is
 * copied into the arena, and an output copied back after the run. Call after
 * ctx.resetArena(), in the order the kernel needs them.
 */
import type { WasmContext } from './context.js';

/** Byte address of the first `len` elements of `a` for the kernels. */
export function stageInput(ctx: WasmContext, a: Int32Array, len: number): number {
  const own = ctx.addressOf(a);
  if (own !== undefined) return own;
  const p = ctx.arena(len * 4);
  ctx.i32().set(a.subarray(0, len), p / 4);
  return p;
}

/** Byte address the kernel writes `out` to: its own, or an arena block (see finishOutput). */
export function stageOutput(ctx: WasmContext, out: Int32Array): number {
  return ctx.addressOf(out) ?? ctx.arena(out.length * 4);
}

/** Copies the kernel's result back into `out` when it was written to the arena. */
export function finishOutput(ctx: WasmContext, out: Int32Array, p: number): void {
  if (ctx.addressOf(out) === p) return;
  out.set(ctx.i32().subarray(p / 4, p / 4 + out.length));
}
