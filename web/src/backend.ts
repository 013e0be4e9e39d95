/**
 * Where the demo runs the engine: a module Web Worker when the browser has one
 * (the page stays responsive), else the page's own thread. Both run the same
 * library code, so they produce the same integers.
 *
 * Never a hang: a model load that gets no reply within LOAD_TIMEOUT_MS stops the
 * worker and fails with a message; a worker that dies fails every pending request.
 */
import type { Tensor } from '../../src/browser.js';
import { errorMessage, openModel, type Session } from './inference.js';
import { chooseKernels } from './kernels.js';
import type { ModelInfo, RunResult, WorkerReply, WorkerRequest } from './protocol.js';

export const LOAD_TIMEOUT_MS = 30_000;

export interface Backend {
  readonly kind: string;
  load(bytes: ArrayBuffer, file: string): Promise<ModelInfo>;
  run(input: Tensor): Promise<RunResult>;
}

interface Pending {
  readonly resolve: (r: WorkerReply) => void;
  readonly reject: (e: Error) => void;
  readonly timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Requests go to the worker; a worker that fails (script error, unsupported module
 * workers, a dead thread) is stopped and the backend continues on the page thread,
 * with the model to be loaded again. A load timeout stops the worker and starts a
 * fresh one.
 */
class WorkerBackend implements Backend {
  private worker: Worker | undefined;
  private fallback: PageBackend | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly url: URL) {
    this.worker = this.start();
  }

  get kind(): string {
    return this.fallback === undefined ? 'Web Worker' : this.fallback.kind;
  }

  private start(): Worker {
    const w = new Worker(this.url, { type: 'module' });
    w.addEventListener('message', (e: MessageEvent<WorkerReply>) => this.settle(e.data.id, (p) => p.resolve(e.data)));
    w.addEventListener('error', (e: ErrorEvent) => this.stop(`the inference worker failed (${e.message || 'script error'}); load the model again to run it on the page thread`, false));
    w.addEventListener('messageerror', () => this.stop('the inference worker sent an unreadable message', false));
    return w;
  }

  private settle(id: number, f: (p: Pending) => void): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    if (p.timer !== undefined) clearTimeout(p.timer);
    f(p);
  }

  /** Stops the worker and fails everything pending; then a fresh worker, or the page thread for good. */
  private stop(message: string, restart: boolean): void {
    this.worker?.terminate();
    this.worker = undefined;
    for (const id of [...this.pending.keys()]) this.settle(id, (p) => p.reject(new Error(message)));
    if (restart) this.worker = this.start();
    else this.fallback = new PageBackend();
  }

  private request(req: WorkerRequest, transfer: Transferable[], timeoutMs?: number): Promise<WorkerReply> {
    const worker = this.worker;
    if (worker === undefined) return Promise.reject(new Error('the inference worker is not running'));
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs === undefined ? undefined : setTimeout(() => this.stop(`no answer from the inference worker within ${timeoutMs / 1000} s; it was stopped`, true), timeoutMs);
      this.pending.set(req.id, { resolve, reject, timer });
      worker.postMessage(req, transfer);
    });
  }

  async load(bytes: ArrayBuffer, file: string): Promise<ModelInfo> {
    if (this.fallback !== undefined) return this.fallback.load(bytes, file);
    const r = await this.request({ type: 'load', id: this.nextId++, file, bytes }, [bytes], LOAD_TIMEOUT_MS);
    if (r.type === 'loaded') return r.info;
    throw new Error(r.type === 'error' ? r.message : `unexpected reply '${r.type}'`);
  }

  async run(input: Tensor): Promise<RunResult> {
    if (this.fallback !== undefined) return this.fallback.run(input);
    const data = input.data.slice();
    const r = await this.request({ type: 'run', id: this.nextId++, shape: input.shape, data }, [data.buffer]);
    if (r.type === 'result') return r.result;
    throw new Error(r.type === 'error' ? r.message : `unexpected reply '${r.type}'`);
  }
}

class PageBackend implements Backend {
  readonly kind = 'page thread (no Web Worker)';
  private session: Session | undefined;

  async load(bytes: ArrayBuffer, file: string): Promise<ModelInfo> {
    const old = this.session;
    this.session = undefined;
    await old?.dispose();
    // On the page thread: one WASM thread where the page is cross-origin isolated, else the reference kernels.
    const kernels = await chooseKernels();
    try {
      this.session = openModel(new Uint8Array(bytes), file, kernels);
    } catch (err) {
      await kernels.ctx?.dispose();
      throw new Error(errorMessage(err), { cause: err });
    }
    return this.session.info;
  }

  async run(input: Tensor): Promise<RunResult> {
    if (this.session === undefined) throw new Error('no model loaded');
    try {
      return this.session.run(input);
    } catch (err) {
      throw new Error(errorMessage(err), { cause: err });
    }
  }
}

/** A worker backend where Workers exist (and `preferWorker`), else the page thread. */
export function createBackend(workerUrl: URL, preferWorker = true): Backend {
  if (preferWorker && typeof Worker !== 'undefined') {
    try {
      return new WorkerBackend(workerUrl);
    } catch {
      // e.g. module workers unsupported: fall through to the page thread
    }
  }
  return new PageBackend();
}
