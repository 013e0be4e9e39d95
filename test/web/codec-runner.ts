/**
 * Decodes codec bitstreams inside the browser with the library bundle: fetches
 * the `.fxpcm` models and the `.fxpc` files from the test server, decodes each
 * with decodeImage, hashes the RGB bytes and makes the PNG the codec page's
 * "save PNG" saves (the bundle's encodePng), returned base64. Bundled by
 * test/web/codec-decode.test.ts (scripts/build-web.ts extraEntries) next to
 * fxpnet.js, which it imports at run time.
 *
 * `decodeCases` runs where it is called, with `kernels: 'auto'` (on a page: WASM
 * on one thread where the page is cross-origin isolated, else the reference) or
 * with `threads` > 0 on one WASM context of that many threads; `decodeCasesInWorker`
 * runs it in a module Web Worker loading this file (`?worker`), where threads may block.
 */
import { createCodec, createWasmContext, decodeCodecModel, decodeImage, encodePng, fnv1a64, wasmKernelsSupported, wasmKernelsUnavailable, type Codec, type EngineOptions } from '../../src/browser.js';

export interface CodecRunnerCase {
  readonly name: string;
  readonly url: string;
}

export type CodecRunnerResult =
  | {
      readonly name: string;
      readonly width: number;
      readonly height: number;
      readonly hash: string;
      readonly ms: number;
      /** encodePng of the decoded pixels, base64. */
      readonly pngBase64: string;
    }
  | { readonly name: string; readonly error: string };

export interface CodecRunnerReport {
  readonly wasm: boolean;
  /** What ran, e.g. "auto: wasm 1 thread", "wasm 2 threads", "auto: reference (why)". */
  readonly kernels: string;
  readonly results: readonly CodecRunnerResult[];
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** `threads` 0: kernels 'auto'; else the WASM kernels on a context of that many threads (an error if there are none). */
export async function decodeCases(modelUrls: readonly string[], cases: readonly CodecRunnerCase[], threads = 0): Promise<CodecRunnerReport> {
  const ctx = threads > 0 ? await createWasmContext(threads) : undefined;
  if (threads > 0 && ctx === undefined) throw new Error(`no WASM kernels: ${wasmKernelsUnavailable() ?? '?'}`);
  const opts: EngineOptions = ctx === undefined ? { kernels: 'auto' } : { kernels: 'wasm', wasm: ctx };
  const kernels =
    ctx !== undefined ? `wasm ${ctx.threads} thread${ctx.threads === 1 ? '' : 's'}`
    : wasmKernelsSupported() ? 'auto: wasm 1 thread'
    : `auto: reference (${wasmKernelsUnavailable() ?? '?'})`;
  try {
    const codecs: Codec[] = [];
    for (const url of modelUrls) codecs.push(createCodec(decodeCodecModel(await fetchBytes(url), url), opts));
    const results: CodecRunnerResult[] = [];
    for (const c of cases) {
      try {
        const bytes = await fetchBytes(c.url);
        const start = performance.now();
        const img = decodeImage(codecs, bytes, c.name);
        const ms = performance.now() - start;
        const pngBase64 = base64(encodePng(img.data, img.width, img.height));
        results.push({ name: c.name, width: img.width, height: img.height, hash: fnv1a64(img.data), ms, pngBase64 });
      } catch (err) {
        results.push({ name: c.name, error: err instanceof Error ? err.message : String(err) });
      }
    }
    return { wasm: wasmKernelsSupported(), kernels, results };
  } finally {
    await ctx?.dispose();
  }
}

/** decodeCases in a module Web Worker running this file. */
export function decodeCasesInWorker(modelUrls: readonly string[], cases: readonly CodecRunnerCase[], threads: number): Promise<CodecRunnerReport> {
  const url = new URL(import.meta.url);
  url.searchParams.set('worker', '1');
  const w = new Worker(url, { type: 'module' });
  return new Promise<CodecRunnerReport>((resolve, reject) => {
    w.onmessage = (e: MessageEvent<CodecRunnerReport | { error: string }>) => ('error' in e.data ? reject(new Error(e.data.error)) : resolve(e.data));
    w.onerror = (e) => reject(new Error(`codec runner worker failed: ${e.message}`));
    w.postMessage({ modelUrls, cases, threads });
  }).finally(() => w.terminate());
}

if (new URL(import.meta.url).searchParams.has('worker')) {
  addEventListener('message', (e: MessageEvent<{ modelUrls: string[]; cases: CodecRunnerCase[]; threads: number }>) => {
    decodeCases(e.data.modelUrls, e.data.cases, e.data.threads).then(
      (r) => postMessage(r),
      (err: unknown) => postMessage({ error: err instanceof Error ? err.message : String(err) }),
    );
  });
}
