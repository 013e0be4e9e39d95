/** Kernel workers on Node's worker_threads (the loop of worker-loop.ts, eval'd). */
import { Worker } from 'node:worker_threads';
import { FxpError } from '../../errors.js';
import { WORKER_LOOP, type KernelWorker, type WorkerInit } from './worker-loop.js';

const SOURCE = `
const { workerData: init, parentPort } = require('node:worker_threads');
const ready = () => parentPort.postMessage('ready');
${WORKER_LOOP}`;

export function spawnNodeWorker(init: WorkerInit): KernelWorker {
  const w = new Worker(SOURCE, { eval: true, workerData: { ...init, fns: [...init.fns] } });
  const ready = new Promise<void>((resolve, reject) => {
    w.once('message', () => {
      // Idle workers block in Atomics.wait; they must not keep the process alive.
      w.unref();
      resolve();
    });
    w.once('error', (e) => reject(new FxpError(`kernel worker failed to start: ${e.message}`)));
  });
  return { ready, terminate: async () => void (await w.terminate()) };
}
