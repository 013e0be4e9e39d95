/**
 * The threads the scorer runs on: `threads` worker threads (node:worker_threads),
 * each with its own ShardRunner, or, with threads = 0, one ShardRunner in the
 * calling thread (tests, tiny models). Requests and replies are plain data.
 *
 * Under tsx (the sources run directly), a worker first registers tsx's loader
 * and then imports worker.ts; from the compiled package it loads worker.js.
 */
import { Worker } from 'node:worker_threads';
import { FxpError } from '../../errors.js';
import { ShardHost, type PoolReply, type PoolRequest, type PoolResults } from './protocol.js';

export interface Pool {
  /** Number of shards (worker threads, or 1 in-thread). */
  readonly size: number;
  call<R extends PoolRequest>(shard: number, req: R): Promise<PoolResults[R['type']]>;
  close(): Promise<void>;
}

function spawn(): Worker {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return new Worker(new URL('./worker.js', self));
  const tsx = import.meta.resolve('tsx/esm/api');
  const target = new URL('./worker.ts', self).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); });`, { eval: true });
}

class ThreadPool implements Pool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private next = 0;

  constructor(readonly size: number) {
    this.workers = Array.from({ length: size }, () => {
      const w = spawn();
      w.on('message', (r: PoolReply) => {
        const p = this.pending.get(r.id);
        if (p === undefined) return;
        this.pending.delete(r.id);
        if (r.ok) p.resolve(r.result);
        else p.reject(new FxpError(`search worker: ${r.error}`));
      });
      w.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(new FxpError(`search worker failed: ${e.message}`));
        this.pending.clear();
      });
      return w;
    });
  }

  call<R extends PoolRequest>(shard: number, req: R): Promise<PoolResults[R['type']]> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.workers[shard]!.postMessage({ id, req });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

class LocalPool implements Pool {
  readonly size = 1;
  private readonly host = new ShardHost();

  call<R extends PoolRequest>(_shard: number, req: R): Promise<PoolResults[R['type']]> {
    try {
      return Promise.resolve(this.host.handle(req) as PoolResults[R['type']]);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** `threads` worker threads, or the calling thread when threads is 0. */
export function createPool(threads: number): Pool {
  if (!Number.isInteger(threads) || threads < 0) throw new FxpError(`threads must be a non-negative integer, got ${threads}`);
  return threads === 0 ? new LocalPool() : new ThreadPool(threads);
}
