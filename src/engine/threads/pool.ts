/**
 * A thread pool for the WASM kernels (worker_threads in Node, Web Workers in
 * browsers: the same loop, worker-loop.ts). Every worker instantiates the same
 * compiled module on the same shared WebAssembly.Memory, with its own stack, and
 * waits on a control word; a job is "run export `fn` on parameter block `params`
 * over rows [r0, r1) with this scratch", one row range per thread. The caller's
 * thread takes the first range itself and then blocks (Atomics.wait) until every
 * worker is done, so `run` is synchronous like the reference kernels. A job of
 * few rows uses fewer threads (`used`); the others get an empty range.
 *
 * Determinism: each output element is computed by exactly one thread with the
 * same integer code, so results do not depend on the thread count.
 *
 * Control words (Int32Array over a SharedArrayBuffer):
 *   [0] generation (bumped per job)  [1] workers still running  [2] function id (-1: exit)
 *   [3] parameter block pointer      [4] error flag
 *   [8 + 4t ...] worker t: r0, r1, scratch pointer
 */
import { FxpError } from '../../errors.js';
import { spawnNodeWorker } from './node-workers.js';
import { spawnWebWorker } from './web-workers.js';
import type { KernelWorker, SpawnWorker } from './worker-loop.js';

export const KERNEL_FNS = ['conv_rows', 'pack_rows', 'dw_rows', 'dense_rows', 'add_rows', 'affine_rows', 'd2s_rows', 'pool_rows'] as const;
export type KernelFn = (typeof KERNEL_FNS)[number];

/** worker_threads in Node, Web Workers elsewhere (browsers; the bundle stubs node:worker_threads). */
function defaultSpawn(): SpawnWorker {
  const isNode = typeof process === 'object' && typeof process.versions === 'object' && typeof process.versions.node === 'string';
  return isNode ? spawnNodeWorker : spawnWebWorker;
}

export interface ThreadPool {
  /** Threads in all, the caller's included. */
  readonly size: number;
  /**
   * Runs fn(params, r0, r1, scratch[t]) over `rows` split into `used` (1..size)
   * contiguous ranges; `own` runs the caller's range on its own instance.
   */
  run(fn: KernelFn, params: number, rows: number, scratch: readonly number[], used: number, own: (r0: number, r1: number, scratch: number) => void): void;
  dispose(): Promise<void>;
}

/** Row range of thread t of n over `rows`: contiguous, disjoint, covering. */
export function rowRange(rows: number, t: number, n: number): [number, number] {
  return [Math.floor((rows * t) / n), Math.floor((rows * (t + 1)) / n)];
}

/**
 * Starts `threads - 1` workers on `memory`. `stackTops[t]` is the stack top of
 * worker t (regions the caller reserved in the shared memory).
 */
export async function createThreadPool(module: WebAssembly.Module, memory: WebAssembly.Memory, threads: number, stackTops: readonly number[]): Promise<ThreadPool> {
  if (!Number.isInteger(threads) || threads < 1) throw new FxpError(`thread count must be a positive integer, got ${threads}`);
  const ctrlBuf = new SharedArrayBuffer(4 * (8 + 4 * threads));
  const ctrl = new Int32Array(ctrlBuf);
  const workers: KernelWorker[] = [];
  const spawn = defaultSpawn();
  try {
    for (let t = 0; t < threads - 1; t++) workers.push(spawn({ module, memory, ctrl: ctrlBuf, stackTop: stackTops[t]!, index: t, fns: KERNEL_FNS }));
    await Promise.all(workers.map((w) => w.ready));
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  }
  const nw = workers.length;
  return {
    size: threads,
    run: (fn, params, rows, scratch, used, own) => {
      const n = Math.max(1, Math.min(threads, Math.floor(used)));
      if (n === 1) {
        own(0, rows, scratch[0]!);
        return;
      }
      if (nw > 0) {
        for (let t = 0; t < nw; t++) {
          const [r0, r1] = t + 1 < n ? rowRange(rows, t + 1, n) : [rows, rows];
          ctrl[8 + 4 * t] = r0;
          ctrl[9 + 4 * t] = r1;
          ctrl[10 + 4 * t] = t + 1 < n ? scratch[t + 1]! : 0;
        }
        ctrl[2] = KERNEL_FNS.indexOf(fn);
        ctrl[3] = params;
        Atomics.store(ctrl, 4, 0);
        Atomics.store(ctrl, 1, nw);
        Atomics.add(ctrl, 0, 1);
        Atomics.notify(ctrl, 0);
      }
      const [r0, r1] = rowRange(rows, 0, n);
      try {
        own(r0, r1, scratch[0]!);
      } finally {
        for (let p = Atomics.load(ctrl, 1); p !== 0; p = Atomics.load(ctrl, 1)) Atomics.wait(ctrl, 1, p);
      }
      if (Atomics.load(ctrl, 4) !== 0) throw new FxpError(`a kernel worker trapped in ${fn}`);
    },
    dispose: async () => {
      ctrl[2] = -1;
      Atomics.add(ctrl, 0, 1);
      Atomics.notify(ctrl, 0);
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
