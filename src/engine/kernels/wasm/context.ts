/**
 * One WASM kernel context: a shared memory, the main thread's instance, an
 * optional worker pool, and the memory plan.
 *
 * Memory plan: [0, heapBase) is the module's stack and data. Above it a
 * persistent region grows by bump allocation between node runs (packed int16
 * weights, biases, shifts, parameter blocks, worker stacks, and the value
 * buffers the runtime takes for intermediates, recycled by length). Above that is
 * the arena: reset before every node, it holds what one node needs for one run
 * (packed input, per-thread scratch, and copies of inputs and outputs that do not
 * live in this memory), so all nodes reuse the same bytes. Peak memory = the
 * memory's size.
 *
 * Value buffers are Int32Array views of the shared memory: a kernel reads and
 * writes them in place (`addressOf`), so consecutive WASM nodes pass values
 * without copies. Views stay valid when the memory grows (a shared memory's
 * buffer is never detached or moved).
 */
import { FxpError } from '../../../errors.js';
import { createThreadPool, KERNEL_FNS, type KernelFn, type ThreadPool } from '../../threads/pool.js';
import { loadKernelModule, threadCanBlock } from './loader.js';

const PAGE = 65536;
const MAX_PAGES = 32768;
const STACK_BYTES = 65536;
/** Value buffers stop here (half the 2 GiB limit), leaving the rest to the arena; beyond it the runtime uses JS arrays. */
const VALUE_LIMIT = 2 ** 30;

type RowsFn = (p: number, r0: number, r1: number, scratch: number) => void;
type KernelExports = { readonly [K in KernelFn]: RowsFn } & { readonly __heap_base: WebAssembly.Global };

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
  /**
   * Runs a kernel export over `rows` rows, split across the threads, each taking at
   * least `grain` rows (default 1): a small job runs on fewer threads.
   */
  run(fn: KernelFn, params: number, rows: number, scratch: readonly number[], grain?: number): void;
  /**
   * An Int32Array of n elements in this memory (contents unspecified), recycled from
   * `give` or newly allocated; undefined when value buffers would pass VALUE_LIMIT.
   * Call between node runs only (it may allocate persistent memory).
   */
  take(n: number): Int32Array | undefined;
  /** Returns a `take` buffer for reuse; false (and nothing done) for any other array. */
  give(a: Int32Array): boolean;
  /** Byte address of `a`'s first element when `a` lies in this memory, else undefined. */
  addressOf(a: Int32Array): number | undefined;
  /** Kernel calls run so far (tests check that the fast path was taken). */
  calls(): number;
  /** Largest memory size reached, in bytes. */
  peakBytes(): number;
  dispose(): Promise<void>;
}

/** n rounded up to 16 (arithmetic, not bitwise: sizes may pass 2^31). */
function align16(n: number): number {
  return Math.ceil(n / 16) * 16;
}

function isKernelExports(e: WebAssembly.Exports): e is WebAssembly.Exports & KernelExports {
  return KERNEL_FNS.every((f) => typeof e[f] === 'function') && e['__heap_base'] instanceof WebAssembly.Global;
}

export interface WasmContextOptions {
  /** Split every job over all threads whatever its size (ignore `grain`): for tests of the row split. */
  readonly splitAll?: boolean;
}

function makeContext(memory: WebAssembly.Memory, ex: KernelExports, state: { top: number }, pool: ThreadPool | undefined, opts: WasmContextOptions): WasmContext {
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
  const own = {
    conv_rows: ex.conv_rows, pack_rows: ex.pack_rows, dw_rows: ex.dw_rows, dense_rows: ex.dense_rows,
    add_rows: ex.add_rows, affine_rows: ex.affine_rows, d2s_rows: ex.d2s_rows, pool_rows: ex.pool_rows,
  } satisfies { [K in KernelFn]: RowsFn };
  const alloc = (bytes: number): number => {
    // Allocation happens between node runs (prepare, bind, value buffers): the arena holds nothing live.
    const p = persistTop;
    persistTop = align16(persistTop + bytes);
    arenaTop = persistTop;
    ensure(persistTop);
    return p;
  };
  // Every buffer object views were made on (one per memory size): membership = "lies in this memory".
  const owned = new WeakSet<ArrayBufferLike>();
  const free = new Map<number, Int32Array[]>();
  let valueBytes = 0;
  return {
    threads: pool?.size ?? 1,
    alloc,
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
    run: (fn, params, rows, scratch, grain = 1) => {
      const f = own[fn];
      calls++;
      if (pool === undefined) f(params, 0, rows, scratch[0]!);
      else pool.run(fn, params, rows, scratch, opts.splitAll === true ? pool.size : rows / Math.max(1, grain), (r0, r1, s) => f(params, r0, r1, s));
    },
    take: (n) => {
      const reused = free.get(n)?.pop();
      if (reused !== undefined) return reused;
      const bytes = align16(n * 4);
      if (valueBytes + bytes > VALUE_LIMIT) return undefined;
      valueBytes += bytes;
      const p = alloc(bytes);
      const buf = memory.buffer;
      owned.add(buf);
      return new Int32Array(buf, p, n);
    },
    give: (a) => {
      if (!owned.has(a.buffer)) return false;
      const list = free.get(a.length);
      if (list === undefined) free.set(a.length, [a]);
      else list.push(a);
      return true;
    },
    addressOf: (a) => (owned.has(a.buffer) ? a.byteOffset : undefined),
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
  if (!isKernelExports(ex)) throw new FxpError(`kernels.wasm does not export ${KERNEL_FNS.join('/')}/__heap_base`);
  const heapBase = Number(ex.__heap_base.value);
  return { memory, ex, top: align16(heapBase) };
}

/** A single-threaded context, or undefined where WASM SIMD/threads are unavailable. */
export function createWasmContextSync(): WasmContext | undefined {
  const module = loadKernelModule();
  if (module === undefined) return undefined;
  const { memory, ex, top } = instantiate(module);
  return makeContext(memory, ex, { top }, undefined, {});
}

/**
 * A context with `threads` threads (the caller's included), or undefined where
 * unsupported. Where the calling thread may not block in Atomics.wait (a
 * browser page's main thread) it gets one thread whatever `threads` says: run
 * the engine in a Web Worker for more (`ctx.threads` tells what it got).
 */
export async function createWasmContext(threads = 1, opts: WasmContextOptions = {}): Promise<WasmContext | undefined> {
  const module = loadKernelModule();
  if (module === undefined) return undefined;
  const { memory, ex, top } = instantiate(module);
  if (threads <= 1 || !threadCanBlock()) return makeContext(memory, ex, { top }, undefined, opts);
  const stacks: number[] = [];
  let t = top;
  for (let i = 0; i < threads - 1; i++) {
    t += STACK_BYTES;
    stacks.push(t);
  }
  const need = t;
  if (need > memory.buffer.byteLength) memory.grow(Math.ceil((need - memory.buffer.byteLength) / PAGE));
  const pool = await createThreadPool(module, memory, threads, stacks);
  return makeContext(memory, ex, { top: align16(t) }, pool, opts);
}
