/**
 * Which integer kernels the demo and codec pages run, chosen once per thread:
 * the WASM SIMD kernels on `navigator.hardwareConcurrency` threads (at most
 * MAX_THREADS) where the page is cross-origin isolated and this thread may block
 * (a Web Worker: the pages' engines run in one); one WASM thread on a page's main
 * thread; the reference kernels where there is no shared WASM memory (a page
 * served without COOP/COEP). Every choice gives the same integers.
 */
import { createWasmContext, threadCanBlock, wasmKernelsUnavailable, type EngineOptions, type WasmContext } from '../../src/browser.js';

export const MAX_THREADS = 4;

export interface KernelChoice {
  readonly options: EngineOptions;
  /** Undefined for the reference kernels. */
  readonly ctx: WasmContext | undefined;
  /** For the page, e.g. "WASM SIMD kernels, 4 threads" or "reference kernels (the page is not cross-origin isolated ...)". */
  readonly label: string;
}

function reference(reason: string): KernelChoice {
  return { options: { kernels: 'ref' }, ctx: undefined, label: `reference kernels (${reason})` };
}

/** The thread count to ask for: the cores, capped; 1 where Atomics.wait is not allowed. */
export function wantedThreads(max = MAX_THREADS): number {
  if (!threadCanBlock()) return 1;
  const cores = typeof navigator === 'object' ? navigator.hardwareConcurrency : 1;
  return Math.max(1, Math.min(max, Number.isInteger(cores) ? cores : 1));
}

/** A new kernel choice (a WASM context of its own when WASM runs); `threads` overrides wantedThreads(). */
export async function chooseKernels(threads = wantedThreads()): Promise<KernelChoice> {
  const why = wasmKernelsUnavailable();
  if (why !== undefined) return reference(why);
  let ctx: WasmContext | undefined;
  try {
    ctx = await createWasmContext(threads);
  } catch (err) {
    // e.g. a kernel worker that could not start: one thread still works.
    ctx = await createWasmContext(1);
    if (ctx !== undefined) return { options: { kernels: 'wasm', wasm: ctx }, ctx, label: `WASM SIMD kernels, 1 thread (workers failed: ${err instanceof Error ? err.message : String(err)})` };
  }
  if (ctx === undefined) return reference('no WASM kernels in this runtime');
  const n = ctx.threads;
  return { options: { kernels: 'wasm', wasm: ctx }, ctx, label: `WASM SIMD kernels, ${n} thread${n === 1 ? '' : 's'}` };
}
