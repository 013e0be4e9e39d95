/**
 * The kernel worker's body, as JavaScript source shared by the worker_threads and
 * the Web Worker pools (each wraps it in its own way of receiving `init` and
 * saying 'ready'). It expects `init` = { module, memory, ctrl, stackTop, index,
 * fns } and a function `ready()` in scope; it never returns until told to exit.
 * Control words: see pool.ts.
 */
export const WORKER_LOOP = `
const { module, memory, ctrl, stackTop, index, fns } = init;
const inst = new WebAssembly.Instance(module, { env: { memory } });
inst.exports.__stack_pointer.value = stackTop;
const table = fns.map((n) => inst.exports[n]);
const c = new Int32Array(ctrl);
const base = 8 + 4 * index;
let gen = 0;
ready();
for (;;) {
  Atomics.wait(c, 0, gen);
  const g = Atomics.load(c, 0);
  if (g === gen) continue;
  gen = g;
  const fn = c[2];
  if (fn < 0) break;
  try {
    table[fn](c[3], c[base], c[base + 1], c[base + 2]);
  } catch (e) {
    Atomics.store(c, 4, 1);
  } finally {
    if (Atomics.sub(c, 1, 1) === 1) Atomics.notify(c, 1);
  }
}
`;

/** What each worker receives: the module, the shared memory, the control words, its stack and index. */
export interface WorkerInit {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly ctrl: SharedArrayBuffer;
  readonly stackTop: number;
  readonly index: number;
  readonly fns: readonly string[];
}

/** A started worker: `ready` settles once it has instantiated the module and waits for jobs. */
export interface KernelWorker {
  readonly ready: Promise<void>;
  terminate(): Promise<void>;
}

export type SpawnWorker = (init: WorkerInit) => KernelWorker;
