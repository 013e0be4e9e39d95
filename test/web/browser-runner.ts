/**
 * Runs identity cases inside the browser with the library bundle: fetches each
 * `.fxp` and its integer inputs from the test server, decodes, runs the engine,
 * hashes the outputs. Bundled by the test (scripts/build-web.ts extraEntries)
 * next to fxpnet.js, which it imports at run time.
 *
 * `runCases` runs where it is called (the page's main thread: reference kernels,
 * or one WASM thread); `runCasesInWorker` runs them in a module Web Worker that
 * loads this same file (`?worker`), where the WASM kernels may use threads.
 */
import { createEngine, createWasmContext, decodeFxp, hashTensor, wasmKernelsSupported, wasmKernelsUnavailable, type EngineOptions, type FxTensor, type QFormat } from '../../src/browser.js';

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

/**
 * Reference kernels; 'auto' (createEngine's own choice: WASM on one thread where
 * available, else reference); or the WASM kernels on one context of `threads`
 * threads, `splitAll` splitting every job over all of them (else small jobs run on fewer).
 */
export type RunnerKernels = { readonly kernels: 'ref' | 'auto' } | { readonly kernels: 'wasm'; readonly threads: number; readonly splitAll?: boolean };

export type RunnerResult =
  | { readonly name: string; readonly hash: string; readonly shapes: readonly (readonly number[])[]; readonly ms: number }
  | { readonly name: string; readonly error: string };

export interface RunnerReport {
  /** What ran: "reference", "wasm N threads", or why WASM could not run. */
  readonly kernels: string;
  /** Threads the WASM context got (0: reference kernels). */
  readonly threads: number;
  readonly crossOriginIsolated: boolean;
  /** Kernel calls made by the WASM context (0 for the reference kernels). */
  readonly wasmCalls: number;
  readonly results: readonly RunnerResult[];
}

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

export async function runCases(cases: readonly RunnerCase[], mode: RunnerKernels = { kernels: 'ref' }): Promise<RunnerReport> {
  const isolated = globalThis.crossOriginIsolated;
  let opts: EngineOptions = { kernels: 'ref' };
  let kernels = 'reference';
  let threads = 0;
  if (mode.kernels === 'auto') {
    opts = { kernels: 'auto' };
    kernels = wasmKernelsSupported() ? 'auto: wasm 1 thread' : `auto: reference (${wasmKernelsUnavailable() ?? '?'})`;
  }
  const ctx = mode.kernels === 'wasm' ? await createWasmContext(mode.threads, { splitAll: mode.splitAll === true }) : undefined;
  if (mode.kernels === 'wasm') {
    if (ctx === undefined) return { kernels: `no WASM: ${wasmKernelsUnavailable() ?? '?'}`, threads, crossOriginIsolated: isolated, wasmCalls: 0, results: [] };
    opts = { kernels: 'wasm', wasm: ctx };
    threads = ctx.threads;
    kernels = `wasm ${threads} thread${threads === 1 ? '' : 's'}`;
  }
  const out: RunnerResult[] = [];
  try {
    for (const c of cases) {
      try {
        const fx = decodeFxp(await fetchBytes(c.fxpUrl), `${c.name}.fxp`);
        const inputs = await Promise.all(c.inputs.map(fetchInput));
        const engine = createEngine(fx, opts);
        const start = performance.now();
        const outputs = engine.run(inputs).outputs;
        const ms = performance.now() - start;
        out.push({ name: c.name, hash: hashTensor(outputs), shapes: outputs.map((t) => t.shape), ms });
      } catch (err) {
        out.push({ name: c.name, error: err instanceof Error ? err.message : String(err) });
      }
    }
    return { kernels, threads, crossOriginIsolated: isolated, wasmCalls: ctx?.calls() ?? 0, results: out };
  } finally {
    await ctx?.dispose();
  }
}

/** runCases in a module Web Worker running this file; resolves with its report. */
export function runCasesInWorker(cases: readonly RunnerCase[], mode: RunnerKernels): Promise<RunnerReport> {
  const url = new URL(import.meta.url);
  url.searchParams.set('worker', '1');
  const w = new Worker(url, { type: 'module' });
  return new Promise<RunnerReport>((resolve, reject) => {
    w.onmessage = (e: MessageEvent<RunnerReport>) => resolve(e.data);
    w.onerror = (e) => reject(new Error(`runner worker failed: ${e.message}`));
    w.postMessage({ cases, mode });
  }).finally(() => w.terminate());
}

if (new URL(import.meta.url).searchParams.has('worker')) {
  addEventListener('message', (e: MessageEvent<{ cases: RunnerCase[]; mode: RunnerKernels }>) => {
    void runCases(e.data.cases, e.data.mode).then((r) => postMessage(r));
  });
}
