/**
 * Where the codec page decodes: a module Web Worker when the browser has one (the
 * page stays responsive during a decode), else the page's own thread. Both run
 * the same library code, so they produce the same pixels.
 *
 * Never a hang: a request without a reply within its time limit stops the worker
 * and fails with a message; a worker that fails hands over to the page thread,
 * which loads again every model the worker had (the backend keeps their bytes).
 */
import type { CodecModelInfo, CodecReply, CodecRequest, DecodeResult } from './codec-protocol.js';
import { CodecSession } from './codec-session.js';
import { errorMessage } from './inference.js';

export const LOAD_TIMEOUT_MS = 30_000;
export const DECODE_TIMEOUT_MS = 300_000;

export interface CodecBackend {
  readonly kind: string;
  load(bytes: Uint8Array, file: string): Promise<CodecModelInfo>;
  decode(bytes: Uint8Array, file: string): Promise<DecodeResult>;
}

/** The page thread: a CodecSession called directly, errors turned into page messages. */
class PageCodecBackend implements CodecBackend {
  readonly kind = 'page thread (no Web Worker)';
  private readonly session = new CodecSession();
  /** Requests run in order: a decode waits for the loads before it (a load awaits the kernel choice). */
  private queue: Promise<unknown> = Promise.resolve();

  private serial<T>(f: () => Promise<T> | T): Promise<T> {
    const p = this.queue.then(async () => {
      try {
        return await f();
      } catch (err) {
        throw new Error(errorMessage(err), { cause: err });
      }
    });
    this.queue = p.catch(() => undefined);
    return p;
  }

  load(bytes: Uint8Array, file: string): Promise<CodecModelInfo> {
    return this.serial(() => this.session.load(bytes, file));
  }

  decode(bytes: Uint8Array, file: string): Promise<DecodeResult> {
    return this.serial(() => this.session.decode(bytes, file));
  }
}

interface Pending {
  readonly resolve: (r: CodecReply) => void;
  readonly reject: (e: Error) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

class WorkerCodecBackend implements CodecBackend {
  private worker: Worker | undefined;
  private fallback: PageCodecBackend | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Every model loaded successfully, by file name, for a hand-over to the page thread. */
  private readonly loaded = new Map<string, Uint8Array>();

  constructor(private readonly url: URL) {
    this.worker = this.start();
  }

  get kind(): string {
    return this.fallback === undefined ? 'Web Worker' : this.fallback.kind;
  }

  private start(): Worker {
    const w = new Worker(this.url, { type: 'module' });
    w.addEventListener('message', (e: MessageEvent<CodecReply>) => this.settle(e.data.id, (p) => p.resolve(e.data)));
    w.addEventListener('error', (e: ErrorEvent) => this.stop(`the decode worker failed (${e.message || 'script error'}); decoding continues on the page thread`));
    w.addEventListener('messageerror', () => this.stop('the decode worker sent an unreadable message; decoding continues on the page thread'));
    return w;
  }

  private settle(id: number, f: (p: Pending) => void): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    f(p);
  }

  /** Stops the worker, fails everything pending, and continues on the page thread with the models loaded again. */
  private stop(message: string): void {
    this.worker?.terminate();
    this.worker = undefined;
    for (const id of [...this.pending.keys()]) this.settle(id, (p) => p.reject(new Error(message)));
    if (this.fallback === undefined) {
      const page = new PageCodecBackend();
      for (const [file, bytes] of this.loaded) void page.load(bytes, file).catch(() => undefined);
      this.fallback = page;
    }
  }

  private request(req: CodecRequest, timeoutMs: number): Promise<CodecReply> {
    const worker = this.worker;
    if (worker === undefined) return Promise.reject(new Error('the decode worker is not running'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.stop(`no answer from the decode worker within ${timeoutMs / 1000} s; it was stopped`), timeoutMs);
      this.pending.set(req.id, { resolve, reject, timer });
      worker.postMessage(req, [req.bytes]);
    });
  }

  async load(bytes: Uint8Array, file: string): Promise<CodecModelInfo> {
    if (this.fallback !== undefined) return this.fallback.load(bytes, file);
    const r = await this.request({ type: 'load', id: this.nextId++, file, bytes: bytes.slice().buffer }, LOAD_TIMEOUT_MS);
    if (r.type === 'loaded') {
      this.loaded.set(file, bytes);
      return r.info;
    }
    throw new Error(r.type === 'error' ? r.message : `unexpected reply '${r.type}'`);
  }

  async decode(bytes: Uint8Array, file: string): Promise<DecodeResult> {
    if (this.fallback !== undefined) return this.fallback.decode(bytes, file);
    const r = await this.request({ type: 'decode', id: this.nextId++, file, bytes: bytes.slice().buffer }, DECODE_TIMEOUT_MS);
    if (r.type === 'decoded') return r.result;
    throw new Error(r.type === 'error' ? r.message : `unexpected reply '${r.type}'`);
  }
}

/** A worker backend where Workers exist (and `preferWorker`), else the page thread. */
export function createCodecBackend(workerUrl: URL, preferWorker = true): CodecBackend {
  if (preferWorker && typeof Worker !== 'undefined') {
    try {
      return new WorkerCodecBackend(workerUrl);
    } catch {
      // e.g. module workers unsupported: fall through to the page thread
    }
  }
  return new PageCodecBackend();
}
