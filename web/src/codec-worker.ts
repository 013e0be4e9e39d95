/**
 * The codec page's decode worker (a module worker): keeps the loaded models and
 * answers every request with exactly one reply. It runs the same library code as
 * the page would, so its pixels are the page's pixels.
 */
import type { CodecReply, CodecRequest } from './codec-protocol.js';
import { CodecSession } from './codec-session.js';
import { errorMessage } from './inference.js';

const session = new CodecSession();

function reply(msg: CodecReply, transfer: Transferable[] = []): void {
  postMessage(msg, { transfer });
}

/** Requests run one at a time, in order (the first load awaits the kernel threads). */
let queue: Promise<void> = Promise.resolve();

async function handle(req: CodecRequest): Promise<void> {
  try {
    if (req.type === 'load') {
      reply({ type: 'loaded', id: req.id, info: await session.load(new Uint8Array(req.bytes), req.file) });
      return;
    }
    const result = session.decode(new Uint8Array(req.bytes), req.file);
    reply({ type: 'decoded', id: req.id, result }, [result.rgb.buffer]);
  } catch (err) {
    reply({ type: 'error', id: req.id, message: errorMessage(err) });
  }
}

addEventListener('message', (e: MessageEvent<CodecRequest>) => {
  queue = queue.then(() => handle(e.data));
});
