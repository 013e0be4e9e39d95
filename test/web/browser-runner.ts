/**
 * Runs identity cases inside the browser with the library bundle: fetches each
 * `.fxp` and its integer inputs from the test server, decodes, runs the engine,
 * hashes the outputs. Bundled by the test (scripts/build-web.ts extraEntries)
 * next to fxpnet.js, which it imports at run time.
 */
import { createEngine, decodeFxp, hashTensor, type FxTensor, type QFormat } from '../../src/browser.js';

export interface RunnerInput {
  readonly shape: readonly number[];
  readonly format: QFormat;
  /** int32 little-endian */
  readonly url: string;
}

export interface RunnerCase {
  readonly name: string;
  readonly fxpUrl: string;
  readonly inputs: readonly RunnerInput[];
}

export type RunnerResult =
  | { readonly name: string; readonly hash: string; readonly shapes: readonly (readonly number[])[]; readonly ms: number }
  | { readonly name: string; readonly error: string };

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function fetchInput(input: RunnerInput): Promise<FxTensor> {
  const bytes = await fetchBytes(input.url);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = new Int32Array(bytes.length / 4);
  for (let i = 0; i < data.length; i++) data[i] = view.getInt32(4 * i, true);
  return { shape: input.shape, format: input.format, data };
}

export async function runCases(cases: readonly RunnerCase[]): Promise<RunnerResult[]> {
  const out: RunnerResult[] = [];
  for (const c of cases) {
    try {
      const fx = decodeFxp(await fetchBytes(c.fxpUrl), `${c.name}.fxp`);
      const inputs = await Promise.all(c.inputs.map(fetchInput));
      const start = performance.now();
      const outputs = createEngine(fx).run(inputs).outputs;
      const ms = performance.now() - start;
      out.push({ name: c.name, hash: hashTensor(outputs), shapes: outputs.map((t) => t.shape), ms });
    } catch (err) {
      out.push({ name: c.name, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return out;
}
