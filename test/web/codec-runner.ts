/**
 * Decodes codec bitstreams inside the browser with the library bundle: fetches
 * the `.fxpcm` models and the `.fxpc` files from the test server, decodes each
 * with decodeImage, hashes the RGB bytes. Bundled by test/web/codec-decode.test.ts
 * (scripts/build-web.ts extraEntries) next to fxpnet.js, which it imports at run time.
 */
import { createCodec, decodeCodecModel, decodeImage, fnv1a64, wasmKernelsSupported, type Codec } from '../../src/browser.js';

export interface CodecRunnerCase {
  readonly name: string;
  readonly url: string;
}

export type CodecRunnerResult =
  | { readonly name: string; readonly width: number; readonly height: number; readonly hash: string; readonly ms: number }
  | { readonly name: string; readonly error: string };

export interface CodecRunnerReport {
  readonly wasm: boolean;
  readonly results: readonly CodecRunnerResult[];
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

export async function decodeCases(modelUrls: readonly string[], cases: readonly CodecRunnerCase[]): Promise<CodecRunnerReport> {
  const codecs: Codec[] = [];
  for (const url of modelUrls) codecs.push(createCodec(decodeCodecModel(await fetchBytes(url), url), { kernels: 'auto' }));
  const results: CodecRunnerResult[] = [];
  for (const c of cases) {
    try {
      const bytes = await fetchBytes(c.url);
      const start = performance.now();
      const img = decodeImage(codecs, bytes, c.name);
      const ms = performance.now() - start;
      results.push({ name: c.name, width: img.width, height: img.height, hash: fnv1a64(img.data), ms });
    } catch (err) {
      results.push({ name: c.name, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return { wasm: wasmKernelsSupported(), results };
}
