/**
 * Worker-thread entry of the scorer: one ShardHost per thread, driven by
 * messages from pool.ts. Every reply carries the request's id; a failure is
 * returned as its message (the main thread rethrows it as an FxpError).
 */
import { parentPort } from 'node:worker_threads';
import { ShardHost, type PoolReply, type PoolRequest } from './protocol.js';

const host = new ShardHost();

parentPort?.on('message', (msg: { id: number; req: PoolRequest }) => {
  let reply: PoolReply;
  try {
    reply = { id: msg.id, ok: true, result: host.handle(msg.req) };
  } catch (err) {
    reply = { id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage(reply);
});
