/**
 * Loads kernels.wasm (built from kernels.c by build.sh; no Emscripten glue) once,
 * behind feature detection: the module needs SIMD128, threads (shared memory,
 * atomics) and bulk memory. `loadKernelModule` returns undefined where any is
 * missing, and callers fall back to the pure-TS reference kernels;
 * `wasmKernelsUnavailable` says why.
 *
 * Browsers: shared memory exists only on cross-origin-isolated pages and their
 * workers (COOP: same-origin + COEP: require-corp, see docs/browser.md), so
 * elsewhere the reference kernels run. The bytes come inlined in the bundle
 * (kernel-bytes.ts), so loading is synchronous everywhere.
 */
import { kernelBytes } from './kernel-bytes.js';

export { WASM_URL } from './kernel-bytes.js';

let cached: { module: WebAssembly.Module } | { reason: string } | undefined;

function sharedMemoryWorks(): boolean {
  try {
    const m = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return typeof SharedArrayBuffer === 'function' && m.buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

function load(): { module: WebAssembly.Module } | { reason: string } {
  if (typeof WebAssembly !== 'object') return { reason: 'no WebAssembly in this runtime' };
  // Browsers (crossOriginIsolated defined) hand out shared memory only to isolated pages.
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  if (isolated === false) return { reason: 'the page is not cross-origin isolated (needs COOP: same-origin and COEP: require-corp), so there is no shared WASM memory' };
  if (!sharedMemoryWorks()) return { reason: 'no shared WebAssembly.Memory (SharedArrayBuffer) in this runtime' };
  const bytes = kernelBytes();
  if (bytes === undefined) return { reason: 'kernels.wasm could not be read' };
  // validate() fails on engines without SIMD128 or atomics: that is the feature test.
  if (!WebAssembly.validate(bytes)) return { reason: 'this WebAssembly engine lacks SIMD128 or threads (kernels.wasm does not validate)' };
  return { module: new WebAssembly.Module(bytes) };
}

/** The compiled kernel module, or undefined where WASM SIMD/threads are unavailable. Compiled once. */
export function loadKernelModule(): WebAssembly.Module | undefined {
  cached ??= load();
  return 'module' in cached ? cached.module : undefined;
}

export function wasmKernelsSupported(): boolean {
  return loadKernelModule() !== undefined;
}

/** Why the WASM kernels cannot run here (the reference kernels run instead), or undefined when they can. */
export function wasmKernelsUnavailable(): string | undefined {
  cached ??= load();
  return 'reason' in cached ? cached.reason : undefined;
}

/**
 * Whether this thread may block in Atomics.wait (a page's main thread may not;
 * Node's threads and Web Workers may): the thread pool's caller must, so a page's
 * main thread runs the kernels on one thread.
 */
export function threadCanBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}
