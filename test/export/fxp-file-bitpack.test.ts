/** Bit packing at every width and the CRC-32 that `.fxp` files use. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { firstOutOfRange, minimalWidth, packBits, packedByteLength, unpackBits, widthRange, type BitWidth } from '../../src/export/bitpack.js';
import { crc32 } from '../../src/export/crc32.js';
import { randInts, rng } from './fxp-file-fixtures.js';

function roundTrip(data: Int32Array, w: BitWidth): Uint8Array {
  const bytes = new Uint8Array(packedByteLength(data.length, w.bits) + 2).fill(0xaa);
  packBits(data, w, bytes, 1);
  assert.equal(bytes[0], 0xaa, 'byte before the blob untouched');
  assert.equal(bytes[bytes.length - 1], 0xaa, 'byte after the blob untouched');
  const { data: back, paddingBits } = unpackBits(bytes, 1, data.length, w);
  assert.deepEqual(back, data);
  assert.equal(paddingBits, 0);
  return bytes.subarray(1, bytes.length - 1);
}

test('crc32 matches the standard check value and zlib', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  const rand = rng(3);
  for (const n of [1, 7, 64, 1000]) {
    const buf = Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
    assert.equal(crc32(buf), zlibCrc32(buf));
    assert.equal(crc32(buf, 1, n), zlibCrc32(buf.subarray(1)));
  }
});

test('every width 1..32, signed and unsigned, round-trips its extremes and random values', () => {
  const rand = rng(11);
  for (let bits = 1; bits <= 32; bits++) {
    for (const signed of [true, false]) {
      if (!signed && bits === 32) continue; // an unsigned 32-bit value does not fit an Int32Array
      const w = { bits, signed };
      const [lo, hi] = widthRange(w);
      for (const n of [1, 2, 3, 7, 8, 9, 61]) {
        const data = randInts(rand, n, lo, hi);
        const packed = roundTrip(data, w);
        assert.equal(packed.length, Math.ceil((n * bits) / 8), `${bits} bits x ${n}`);
      }
      // Alternating extremes exercise every bit of every element.
      roundTrip(Int32Array.from({ length: 17 }, (_, i) => (i % 2 === 0 ? lo : hi)), w);
      if (signed) roundTrip(Int32Array.of(-1, 0, -1, 0), w);
    }
  }
});

test('the bit layout is LSB-first two\'s complement, as documented', () => {
  // 4-bit signed [1, -1, 7, -8]: nibbles 0x1, 0xF, 0x7, 0x8, low nibble first.
  assert.deepEqual([...roundTrip(Int32Array.of(1, -1, 7, -8), { bits: 4, signed: true })], [0xf1, 0x87]);
  // 3-bit unsigned [5, 3, 6]: stream bits 101 110 011 (LSB first) = 0b10_011_101, 0b1.
  assert.deepEqual([...roundTrip(Int32Array.of(5, 3, 6), { bits: 3, signed: false })], [0b10011101, 0b1]);
  // 12-bit signed [-2048, 2047]: 0x800, 0x7FF -> bytes 00 F8 7F.
  assert.deepEqual([...roundTrip(Int32Array.of(-2048, 2047), { bits: 12, signed: true })], [0x00, 0xf8, 0x7f]);
  // 32-bit signed is plain little-endian int32.
  assert.deepEqual([...roundTrip(Int32Array.of(-2), { bits: 32, signed: true })], [0xfe, 0xff, 0xff, 0xff]);
});

test('packBits refuses values outside the width; unpackBits reports stray padding bits', () => {
  for (const [w, bad] of [
    [{ bits: 4, signed: true }, 8],
    [{ bits: 4, signed: true }, -9],
    [{ bits: 4, signed: false }, 16],
    [{ bits: 4, signed: false }, -1],
    [{ bits: 1, signed: true }, 1],
  ] as const) {
    assert.throws(() => packBits(Int32Array.of(0, bad), w, new Uint8Array(8), 0), RangeError);
    assert.equal(firstOutOfRange(Int32Array.of(0, bad), w), 1);
  }
  assert.equal(unpackBits(Uint8Array.of(0b1000_0101), 0, 1, { bits: 3, signed: false }).paddingBits, 0b10000);
});

test('minimalWidth picks the narrowest width', () => {
  const cases: [number[], BitWidth][] = [
    [[], { bits: 1, signed: false }],
    [[0], { bits: 1, signed: false }],
    [[1], { bits: 1, signed: false }],
    [[2], { bits: 2, signed: false }],
    [[255, 3], { bits: 8, signed: false }],
    [[256], { bits: 9, signed: false }],
    [[-1], { bits: 1, signed: true }],
    [[-2, 1], { bits: 2, signed: true }],
    [[-1, 1], { bits: 2, signed: true }],
    [[-128, 127], { bits: 8, signed: true }],
    [[-129], { bits: 9, signed: true }],
    [[2 ** 30], { bits: 31, signed: false }],
    [[2 ** 31 - 1], { bits: 31, signed: false }],
    [[-(2 ** 31)], { bits: 32, signed: true }],
    [[-1, 2 ** 31 - 1], { bits: 32, signed: true }],
  ];
  for (const [values, want] of cases) {
    const data = Int32Array.from(values);
    assert.deepEqual(minimalWidth(data), want, `[${values.join(', ')}]`);
    roundTrip(data, want);
  }
});
