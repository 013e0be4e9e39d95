/**
 * The output fingerprint every execution agrees on (Node, browsers, the generated
 * C harness): FNV-1a 64 over the little-endian bytes of the int32 integers of the
 * output tensors, concatenated in graph output order, as 16 lowercase hex digits.
 *
 * FNV-1a 64: h = 0xcbf29ce484222325; for each byte: h ^= byte; h *= 0x100000001b3
 * (mod 2^64). Formats and shapes are not hashed: two runs agree when their integers do.
 * Pure (no Node or DOM APIs), so the browser bundle computes the same string.
 */
import type { FxTensor } from './fx-graph.js';

const TWO32 = 2 ** 32;
/** The FNV prime 0x100000001b3 = 2^40 + PRIME_LOW. */
const PRIME_LOW = 0x1b3;

/**
 * Incremental FNV-1a 64. The state is two uint32 halves (hi, lo). One step:
 *   h * prime = h * 0x1b3 + (h << 40)  (mod 2^64)
 *   lo * 0x1b3 < 2^41 is exact in a double; its high part carries into hi;
 *   h << 40 adds lo << 8 (mod 2^32) to hi. Every sum below is an exact integer < 2^53.
 */
export class Fnv1a64 {
  private hi = 0xcbf29ce4;
  private lo = 0x84222325;

  update(bytes: Uint8Array): this {
    let hi = this.hi;
    let lo = this.lo;
    for (let i = 0; i < bytes.length; i++) {
      lo = (lo ^ bytes[i]!) >>> 0;
      const t = lo * PRIME_LOW;
      hi = (Math.imul(hi, PRIME_LOW) + Math.floor(t / TWO32) + (lo << 8)) >>> 0;
      lo = t >>> 0;
    }
    this.hi = hi;
    this.lo = lo;
    return this;
  }

  /** Feeds each integer as 4 little-endian bytes (two's complement). */
  updateInt32(data: Int32Array): this {
    const bytes = new Uint8Array(4 * Math.min(data.length, 16384));
    const view = new DataView(bytes.buffer);
    for (let start = 0; start < data.length; start += 16384) {
      const n = Math.min(16384, data.length - start);
      for (let i = 0; i < n; i++) view.setInt32(4 * i, data[start + i]!, true);
      this.update(n === 16384 ? bytes : bytes.subarray(0, 4 * n));
    }
    return this;
  }

  hex(): string {
    return this.hi.toString(16).padStart(8, '0') + this.lo.toString(16).padStart(8, '0');
  }
}

/** FNV-1a 64 of `bytes` as 16 lowercase hex digits. */
export function fnv1a64(bytes: Uint8Array): string {
  return new Fnv1a64().update(bytes).hex();
}

/** The fingerprint of int32 arrays: FNV-1a 64 of their little-endian bytes, concatenated. */
export function hashInt32(arrays: readonly Int32Array[]): string {
  const h = new Fnv1a64();
  for (const a of arrays) h.updateInt32(a);
  return h.hex();
}

/** The fingerprint of one output tensor, or of all outputs of a run in graph output order. */
export function hashTensor(t: FxTensor | readonly FxTensor[]): string {
  return hashInt32(isTensorList(t) ? t.map((x) => x.data) : [t.data]);
}

function isTensorList(t: FxTensor | readonly FxTensor[]): t is readonly FxTensor[] {
  return Array.isArray(t);
}
