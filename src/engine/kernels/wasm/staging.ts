/**
 * Where a kernel finds its inputs and puts its output in WASM memory. A value the
 * runtime took from the context (ctx.take) is used in place; any other Int32Array
 * (graph inputs and outputs, keepAll runs, values beyond the context's limit) is
 * copied into the arena, and an output copied back after the run. Call after
 * ctx.resetArena(), in the order the kernel needs them.
 */
import type { KernelFn } from '../../threads/pool.js';
import { inputAt, type BoundKernel, type NodeRef } from '../ref/kernel.js';
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

/** One WASM job of a one-input kernel: its parameter block and how it splits. */
export interface UnaryJob {
  readonly fn: KernelFn;
  /** Byte address of the parameter block. */
  readonly p: number;
  /** Words of the block that receive the input and output addresses. */
  readonly xWord: number;
  readonly outWord: number;
  /** Elements of the input the kernel reads (default: as many as the output). */
  readonly inLen?: number;
  readonly rows: number;
  readonly grain: number;
  /** False: stage only, no kernel call (a job with nothing to do). Default true. */
  readonly active?: boolean;
}

/** A bound kernel that stages a one-input node's input and output, runs `job` and copies the output back. */
export function unaryJob(ctx: WasmContext, node: NodeRef, acc: BoundKernel['acc'], job: UnaryJob): BoundKernel {
  const scratch = new Array<number>(ctx.threads).fill(0);
  return {
    acc,
    run: (inputs, out) => {
      ctx.resetArena();
      const px = stageInput(ctx, inputAt(node, inputs, 0), job.inLen ?? out.length);
      const po = stageOutput(ctx, out);
      const mem = ctx.i32();
      mem[job.p / 4 + job.xWord] = px;
      mem[job.p / 4 + job.outWord] = po;
      if (job.active !== false) ctx.run(job.fn, job.p, job.rows, scratch, job.grain);
      finishOutput(ctx, out, po);
    },
  };
}
