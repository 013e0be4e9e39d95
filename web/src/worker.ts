/**
 * The demo's inference worker (a module worker): keeps one model session and
 * answers every request with exactly one reply. It runs the same library code as
 * the page would, so its integers are the page's integers.
 */
import type { WorkerReply, WorkerRequest } from './protocol.js';
import { errorMessage, openModel, type Session } from './inference.js';
import { chooseKernels } from './kernels.js';

let session: Session | undefined;

function reply(msg: WorkerReply, transfer: Transferable[] = []): void {
  postMessage(msg, { transfer });
}

/** Requests run one at a time, in order (a load awaits its kernel threads). */
let queue: Promise<void> = Promise.resolve();

async function handle(req: WorkerRequest): Promise<void> {
  try {
    if (req.type === 'load') {
      // Each model gets a fresh WASM context (its memory holds that model's weights).
      const old = session;
      session = undefined;
      await old?.dispose();
      const kernels = await chooseKernels();
      try {
        session = openModel(new Uint8Array(req.bytes), req.file, kernels);
      } catch (err) {
        await kernels.ctx?.dispose();
        throw err;
      }
      reply({ type: 'loaded', id: req.id, info: session.info });
      return;
    }
    if (session === undefined) throw new Error('no model loaded');
    const result = session.run({ shape: req.shape, data: req.data });
    reply({ type: 'result', id: req.id, result }, [result.data.buffer]);
  } catch (err) {
    reply({ type: 'error', id: req.id, message: errorMessage(err) });
  }
}

addEventListener('message', (e: MessageEvent<WorkerRequest>) => {
  queue = queue.then(() => handle(e.data));
});
