/**
 * Kernel workers as Web Workers (browsers): a classic worker from a Blob URL runs
 * the loop of worker-loop.ts; the module and the shared memory arrive by
 * postMessage, which needs a cross-origin-isolated context (the loader checks it
 * before any context exists). The caller blocks in Atomics.wait, so the pool runs
 * inside a Web Worker (a page's main thread may not block: context.ts uses one
 * thread there). Workers nest: a worker may start these.
 */
import { FxpError } from '../../errors.js';
import { WORKER_LOOP, type KernelWorker, type WorkerInit } from './worker-loop.js';

const SOURCE = `
self.onmessage = (e) => {
  self.onmessage = null;
  const init = e.data;
  const ready = () => self.postMessage('ready');
  ${WORKER_LOOP}
};`;

let url: string | undefined;

export function spawnWebWorker(init: WorkerInit): KernelWorker {
  url ??= URL.createObjectURL(new Blob([SOURCE], { type: 'text/javascript' }));
  const w = new Worker(url, { name: `fxpnet-kernels-${init.index}` });
  const ready = new Promise<void>((resolve, reject) => {
    w.onmessage = () => resolve();
    w.onerror = (e) => reject(new FxpError(`kernel worker failed to start: ${e.message || 'script error'}`));
    w.onmessageerror = () => reject(new FxpError('kernel worker could not receive the shared memory'));
  });
  w.postMessage({ ...init, fns: [...init.fns] });
  return {
    ready,
    terminate: async () => {
      w.terminate();
    },
  };
}
