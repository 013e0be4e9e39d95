/**
 * The bytes of kernels.wasm. In Node they are read from the file beside this
 * module; the browser build (scripts/build-web.ts) replaces this module with one
 * that carries the same bytes inlined (esbuild's binary loader), so the bundle
 * needs no second request and no URL configuration. Undefined when unreadable.
 */
import { readFileSync } from 'node:fs';

export const WASM_URL = new URL('./kernels.wasm', import.meta.url);

export function kernelBytes(): Uint8Array<ArrayBuffer> | undefined {
  try {
    return new Uint8Array(readFileSync(WASM_URL));
  } catch {
    return undefined;
  }
}
