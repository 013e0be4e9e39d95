/**
 * The output fingerprint (src/engine/hash.ts): FNV-1a 64 test vectors, a BigInt
 * reference on random bytes, and the int32 little-endian byte order that the
 * generated C harness hashes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fnv1a64, hashInt32, hashTensor } from '../../src/engine/hash.js';
import { Rng } from '../engine/random-graph.js';

function fnvReference(bytes: Uint8Array): string {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}

test('FNV-1a 64: published test vectors', () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  assert.equal(fnv1a64(enc('')), 'cbf29ce484222325');
  assert.equal(fnv1a64(enc('a')), 'af63dc4c8601ec8c');
  assert.equal(fnv1a64(enc('foobar')), '85944171f73967e8');
});

test('FNV-1a 64 equals a BigInt reference on random bytes of every length up to 300', () => {
  const rng = new Rng(1);
  for (let n = 0; n <= 300; n++) {
    const bytes = Uint8Array.from({ length: n }, () => rng.int(0, 255));
    assert.equal(fnv1a64(bytes), fnvReference(bytes), `length ${n}`);
  }
});

test('int32 outputs hash as little-endian two\'s-complement bytes, outputs concatenated in order', () => {
  const a = Int32Array.from([1, -1, 2 ** 31 - 1, -(2 ** 31), 0x01020304]);
  const b = Int32Array.from({ length: 40000 }, (_, i) => (i * 2654435761) | 0);
  const bytes = (x: Int32Array): number[] => Array.from(x).flatMap((v) => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255]);
  assert.deepEqual(bytes(Int32Array.from([0x01020304])), [4, 3, 2, 1]);
  const want = fnvReference(Uint8Array.from([...bytes(a), ...bytes(b)]));
  assert.equal(hashInt32([a, b]), want);
  const f = { signed: true, wl: 16, fl: 0 };
  assert.equal(hashTensor([{ shape: [5], data: a, format: f }, { shape: [40000], data: b, format: f }]), want);
  assert.equal(hashTensor({ shape: [5], data: a, format: f }), fnvReference(Uint8Array.from(bytes(a))));
  assert.notEqual(hashInt32([b, a]), want, 'order matters');
});
