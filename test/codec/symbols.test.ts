import assert from 'node:assert/strict';
import { test } from 'node:test';
import { quantizedCdf } from '../../src/codec/cdf.js';
import { gaussianTables, scaleTable } from '../../src/codec/gaussian.js';
import { RansDecoder, RansEncoder } from '../../src/codec/rans.js';
import { decodeSymbols, encodeSymbols, type TableIndex } from '../../src/codec/symbols.js';
import { validateTables, type CodingTables } from '../../src/codec/tables.js';
import { randInt, rng, toHex } from './helpers.js';

const GAUSS = gaussianTables(scaleTable());

function roundTrip(values: Int32Array, index: TableIndex, tables: CodingTables): Uint8Array {
  const enc = new RansEncoder();
  encodeSymbols(enc, values, index, tables);
  const bytes = enc.finish();
  const dec = new RansDecoder(bytes);
  assert.deepEqual(decodeSymbols(dec, index, tables), values);
  dec.finish();
  return bytes;
}

test('values inside the tables round trip, at about the entropy of the tables', () => {
  const rand = rng(31);
  const n = 20_000;
  const index = Uint8Array.from({ length: n }, () => randInt(rand, 0, 63));
  const values = new Int32Array(n);
  let info = 0;
  for (let i = 0; i < n; i++) {
    const t = index[i]!;
    const cdf = GAUSS.cdfs[t]!;
    const u = Math.floor(rand() * 65536);
    let s = 0;
    while (cdf[s + 1]! <= u) s++;
    if (s === GAUSS.lengths[t]) s = 0; // not the escape here
    values[i] = GAUSS.offsets[t]! + s;
    info -= Math.log2((cdf[s + 1]! - cdf[s]!) / 65536);
  }
  const bytes = roundTrip(values, index, GAUSS);
  assert.ok(bytes.length <= (info / 8) * 1.01 + 8, `${bytes.length} bytes for ${(info / 8).toFixed(0)} bytes of information`);
});

test('values far outside the tables escape and round trip, up to +-2^30 and the int32 limits', () => {
  const rand = rng(32);
  const n = 5000;
  const index = Int32Array.from({ length: n }, () => randInt(rand, 0, 63));
  const values = Int32Array.from({ length: n }, () => {
    const r = rand();
    if (r < 0.3) return randInt(rand, -3, 3);
    if (r < 0.6) return randInt(rand, -2000, 2000); // just inside and just outside wide tables
    return (rand() < 0.5 ? -1 : 1) * Math.floor(2 ** (30 * rand()));
  });
  values.set([2 ** 30, -(2 ** 30), 2 ** 31 - 1, -(2 ** 31), 0, 2, -2, 3, -3]);
  index.set([0, 0, 0, 0, 63, 0, 0, 0, 0]);
  roundTrip(values, index, GAUSS);
});

test('escape cost: the escape symbol, a side bit and 2 * bitLength(excess + 1) - 1 gamma bits', () => {
  const cdf = quantizedCdf([0.25, 0.25, 0.25], 0.25, 16); // the escape costs exactly 2 bits
  const tables: CodingTables = { offsets: Int32Array.from([10]), lengths: Int32Array.from([3]), cdfs: [cdf] };
  // 13 is 0 above the table (m = 1: 1 gamma bit); 9 is 0 below; 2^20 + 12 gives m = 2^20 (41 gamma bits).
  const sizes = [13, 9, 2 ** 20 + 12].map((v) => roundTrip(Int32Array.from(Array(64).fill(v)), new Uint8Array(64), tables).length);
  assert.deepEqual(sizes, [4 + (64 * 4) / 8, 4 + (64 * 4) / 8, 4 + (64 * 44) / 8]);
});

test('golden stream of a small escape case', () => {
  const cdf = quantizedCdf([0.1, 0.6, 0.3], 0.001, 16);
  const tables: CodingTables = { offsets: Int32Array.from([-1, 5]), lengths: Int32Array.from([3, 3]), cdfs: [cdf, cdf] };
  const bytes = roundTrip(Int32Array.from([0, 1, -1, 40, -7, 6, 5, 2 ** 31 - 1]), Uint8Array.from([0, 0, 0, 0, 0, 1, 1, 1]), tables);
  assert.equal(toHex(bytes), GOLDEN);
});
const GOLDEN = '2422a8008bbfd3ff43b600800100f8fffcff';

test('hostile escape codes: a 32-bit gamma prefix, or a value beyond int32, is a corrupt bitstream', () => {
  const cdf = quantizedCdf([0.5, 0.5], 0.01, 16);
  const tables: CodingTables = { offsets: Int32Array.from([2 ** 31 - 10]), lengths: Int32Array.from([2]), cdfs: [cdf] };
  const forged = (write: (enc: RansEncoder) => void): RansDecoder => {
    const enc = new RansEncoder();
    enc.put(cdf, 2);
    write(enc);
    return new RansDecoder(enc.finish());
  };
  const longPrefix = forged((enc) => {
    enc.putBypass(1, 1);
    for (let i = 0; i < 40; i++) enc.putBypass(0, 1);
  });
  assert.throws(() => decodeSymbols(longPrefix, new Uint8Array(1), tables), /corrupt bitstream: escape code of value 0 is longer than 32 bits/);
  const tooBig = forged((enc) => {
    enc.putBypass(1, 1); // above: offset + 2 + e
    for (let i = 0; i < 9; i++) enc.putBypass(0, 1);
    enc.putBypass(1, 1);
    enc.putBypass(0, 9); // m = 2^9, e = 511
  });
  assert.throws(() => decodeSymbols(tooBig, new Uint8Array(1), tables), /escaped value 2147484151 at position 0 is outside int32/);
});

test('bad arguments and tables are one FxpError', () => {
  const enc = new RansEncoder();
  const one = Int32Array.from([1]);
  assert.throws(() => encodeSymbols(enc, one, Uint8Array.from([64]), GAUSS), /table index 64 at position 0 is outside the 64 coding tables/);
  assert.throws(() => encodeSymbols(enc, one, new Uint8Array(2), GAUSS), /1 values but 2 table indices/);
  assert.throws(() => decodeSymbols(new RansDecoder(new Uint8Array([0, 0, 1, 0])), Int32Array.from([-1]), GAUSS), /table index -1/);
  const cdf = Uint32Array.from([0, 100, 65536]);
  const good: CodingTables = { offsets: Int32Array.from([0]), lengths: Int32Array.from([1]), cdfs: [cdf] };
  validateTables(good);
  const ctx = { file: 't.fxp' };
  assert.throws(() => validateTables({ ...good, cdfs: [] }, ctx), /empty.*t\.fxp/);
  assert.throws(() => validateTables({ ...good, lengths: Int32Array.from([1, 1]) }), /disagree/);
  assert.throws(() => validateTables({ ...good, lengths: Int32Array.from([2]) }), /expected length \+ 2 = 4/);
  assert.throws(() => validateTables({ ...good, lengths: Int32Array.from([-1]) }), /length -1/);
  validateTables({ ...good, offsets: Int32Array.from([2 ** 31 - 1]) });
  const two = { lengths: Int32Array.from([2]), cdfs: [Uint32Array.from([0, 1, 2, 65536])] };
  assert.throws(() => validateTables({ ...two, offsets: Int32Array.from([2 ** 31 - 1]) }), /values up to 2147483648, beyond int32/);
  assert.throws(() => validateTables({ ...good, cdfs: [Uint32Array.from([0, 100, 65535])] }), /cdf of coding table 0 must end/);
  assert.throws(() => validateTables({ offsets: Int32Array.from([0]), lengths: Int32Array.from([2]), cdfs: [Uint32Array.from([0, 0, 1, 65536])] }), /not strictly increasing/);
});
