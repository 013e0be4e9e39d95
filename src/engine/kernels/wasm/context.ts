/**
 * One WASM kernel context: a shared memory, the main thread's instance, an
 * optional worker pool, and the memory plan.
 *
 * Memory plan: [0, heapBase) is the module's stack and data. Above it a
 * persistent region grows by bump allocation at prepare/bind time (packed int16
 * weights, biases, shifts, parameter blocks, worker stacks). Above that is the
 * arena: reset before every node, it holds the node's input, output and per-thread
 * scratch, so all nodes reuse the same bytes. Peak memory = the memory's size.
 */
import { FxpError } from '../../../errors.js';
import { createThreadPool, type KernelFn, type ThreadPool } from '../../threads/pool.js';
import { loadKernelModule } from './loader.js';

const PAGE = 65536;
const MAX_PAGES = 32768;
const STACK_BYTES = 65536;

interface KernelExports {
  readonly conv_rows: (p: number, r0: number, r1: number, scratch: number) => void;
  readonly dw_rows: (p: number, r0: number, r1: number, scratch: number) => void;
  readonly dense_rows: (p: number, r0: number, r1: number, scratch: number) => void;
  readonly __heap_base: WebAssembly.Global;
}

export interface WasmContext {
  readonly threads: number;
  /** Persistent allocation (16-byte aligned), never freed while the context lives. */
  alloc(bytes: number): number;
  /** Arena allocation (16-byte aligned); valid until the next resetArena. */
  arena(bytes: number): number;
  resetArena(): void;
  /** Views of the current buffer (re-take them after any alloc: memory may grow). */
  i32(): Int32Array;
  i16(): Int16Array;
  /** Runs a kernel export over `rows` rows, split across the threads. */
  run(fn: KernelFn, params: number, rows: number, scratch: readonly number[]): void;
  /** Kernel calls run so far (tests check that the fast path was taken). */
  calls(): number;
  /** Largest memory size reached, in bytes. */
  peakBytes(): number;
  dispose(): Promise<void>;
}

function align16(n: number): number {
  return (n + 15) & ~15;
}

function isKernelExports(e: WebAssembly.Exports): e is WebAssembly.Exports & KernelExports {
  return typeof e['conv_rows'] === 'function' && typeof e['dw_rows'] === 'function' && typeof e['dense_rows'] === 'function' && e['__heap_base'] instanceof WebAssembly.Global;
}

function makeContext(memory: WebAssembly.Memory, ex: KernelExports, state: { top: number }, pool: ThreadPool | undefined): WasmContext {
  let persistTop = state.top;
  let arenaTop = persistTop;
  let calls = 0;
  const ensure = (end: number): void => {
    const have = memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES) throw new FxpError(`WASM kernels need ${end} bytes of memory, more than the 2 GiB limit`);
    memory.grow(pages);
  };
  const own = { conv_rows: ex.conv_rows, dw_rows: ex.dw_rows, dense_rows: ex.dense_rows } satisfies { [K in KernelFn]: KernelExports[K] };
  return {
    threads: pool?.size ?? 1,
    alloc: (bytes) => {
      // Allocation happens at prepare/bind time, between node runs: the arena holds nothing live.
      const p = persistTop;
      persistTop = align16(persistTop + bytes);
      arenaTop = persistTop;
      ensure(persistTop);
      return p;
    },
    arena: (bytes) => {
      const p = arenaTop;
      arenaTop = align16(arenaTop + bytes);
      ensure(arenaTop);
      return p;
    },
    resetArena: () => {
      arenaTop = persistTop;
    },
    i32: () => new Int32Array(memory.buffer),
    i16: () => new Int16Array(memory.buffer),
    run: (fn, params, rows, scratch) => {
      const f = own[fn];
      calls++;
      if (pool === undefined) f(params, 0, rows, scratch[0]!);
      else pool.run(fn, params, rows, scratch, (r0, r1, s) => f(params, r0, r1, s));
    },
    calls: () => calls,
    peakBytes: () => memory.buffer.byteLength,
    dispose: async () => {
      await pool?.dispose();
    },
  };
}

function instantiate(module: WebAssembly.Module): { memory: WebAssembly.Memory; ex: KernelExports; top: number } {
  const memory = new WebAssembly.Memory({ initial: 32, maximum: MAX_PAGES, shared: true });
  const inst = new WebAssembly.Instance(module, { env: { memory } });
  const ex = inst.exports;
  if (!isKernelExports(ex)) throw new FxpError('kernels.wasm does not export conv_rows/dw_rows/dense_rows/__heap_base');
  const heapBase = Number(ex.__heap_base.value);
  return { memory, ex, top: align16(heapBase) };
}

/** A single-threaded context, or undefined where WASM SIMD/threads are unavailable. */
export function createWasmContextSync(): WasmContext | undefined {
  const module = loadKernelModule();
  if (module === undefined) return undefined;
  const { memory, ex, top } = instantiate(module);
  return makeContext(memory, ex, { top }, undefined);
}

/** A context with `threads` threads (the caller's included), or undefined where unsupported. */
export async function createWasmContext(threads = 1): Promise<WasmContext | undefined> {
  const module = loadKernelModule();
  if (module === undefined) return undefined;
  const { memory, ex, top } = instantiate(module);
  if (threads <= 1) return makeContext(memory, ex, { top }, undefined);
  const stacks: number[] = [];
  let t = top;
  for (let i = 0; i < threads - 1; i++) {
    t += STACK_BYTES;
    stacks.push(t);
  }
  const need = t;
  if (need > memory.buffer.byteLength) memory.grow(Math.ceil((need - memory.buffer.byteLength) / PAGE));
  const pool = await createThreadPool(module, memory, threads, stacks);
  return makeContext(memory, ex, { top: align16(t) }, pool);
}
