/**
 * Loads kernels.wasm (built from kernels.c by build.sh; no Emscripten glue) once,
 * behind feature detection: the module needs SIMD128, threads (shared memory,
 * atomics) and bulk memory. `loadKernelModule` returns undefined where any is
 * missing, and callers fall back to the pure-TS reference kernels.
 */
import { readFileSync } from 'node:fs';

export const WASM_URL = new URL('./kernels.wasm', import.meta.url);

let cached: WebAssembly.Module | null | undefined;

function sharedMemoryWorks(): boolean {
  try {
    const m = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return m.buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

/** The compiled kernel module, or undefined where WASM SIMD/threads are unavailable. Compiled once. */
export function loadKernelModule(): WebAssembly.Module | undefined {
  if (cached !== undefined) return cached ?? undefined;
  cached = null;
  if (typeof WebAssembly !== 'object' || !sharedMemoryWorks()) return undefined;
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(readFileSync(WASM_URL));
  } catch {
    return undefined;
  }
  // validate() fails on engines without SIMD128 or atomics: that is the feature test.
  if (!WebAssembly.validate(bytes)) return undefined;
  cached = new WebAssembly.Module(bytes);
  return cached;
}

export function wasmKernelsSupported(): boolean {
  return loadKernelModule() !== undefined;
}
