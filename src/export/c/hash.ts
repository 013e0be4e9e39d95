/**
 * The output fingerprint shared by the generated C harness and every other
 * execution is src/engine/hash.ts (FNV-1a 64 over the little-endian bytes of the
 * int32 outputs, concatenated in graph output order); the harness computes the same
 * in C. This module adds the byte layout of the harness's input and output files.
 */
export { fnv1a64, hashInt32 as outputHash } from '../../engine/hash.js';

/** Little-endian bytes of int32 arrays, concatenated: the harness's file format. */
export function int32LeBytes(arrays: readonly Int32Array[]): Uint8Array {
  const total = arrays.reduce((a, x) => a + x.length, 0);
  const out = new Uint8Array(4 * total);
  const view = new DataView(out.buffer);
  let o = 0;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++, o += 4) view.setInt32(o, a[i]!, true);
  }
  return out;
}
