import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readBitstream, writeBitstream, type CodecHeader } from '../../src/codec/bitstream.js';
import { gaussianTables, scaleTable } from '../../src/codec/gaussian.js';
import { RansDecoder, RansEncoder } from '../../src/codec/rans.js';
import { decodeSymbols, encodeSymbols } from '../../src/codec/symbols.js';
import { FxpError } from '../../src/errors.js';
import { crc32 } from '../../src/export/crc32.js';
import { randInt, rng } from './helpers.js';

const FILE = 'image.fxpc';
const HEADER: CodecHeader = { modelId: 'mbt2018-mean-q3', modelHash: '0123456789abcdef', quality: 3, width: 64, height: 48 };
const TABLES = gaussianTables(scaleTable());

interface Stream {
  index: Uint8Array;
  values: Int32Array;
  bytes: Uint8Array;
}

function stream(seed: number, n: number): Stream {
  const rand = rng(seed);
  const index = Uint8Array.from({ length: n }, () => randInt(rand, 0, 40));
  const values = Int32Array.from(index, (t) => Math.round((rand() - 0.5) * 3 * (t + 1)) + (rand() < 0.02 ? 5000 : 0));
  const enc = new RansEncoder();
  encodeSymbols(enc, values, index, TABLES);
  return { index, values, bytes: enc.finish() };
}

const Z = stream(41, 48);
const Y = stream(42, 192);
const GOOD = writeBitstream(HEADER, [Z.bytes, Y.bytes]);

/** Recomputes the CRC, so that a forged file reaches the structural and field checks. */
function withCrc(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  if (out.length >= 4) new DataView(out.buffer).setUint32(out.length - 4, crc32(out, 0, out.length - 4), true);
  return out;
}

/** GOOD with the bytes at `at` replaced, CRC fixed. */
function forge(at: number, patch: number[]): Uint8Array {
  const out = GOOD.slice();
  out.set(patch, at);
  return withCrc(out);
}

const K = new TextEncoder().encode(HEADER.modelId).length; // model id bytes
const AT_QUALITY = 6 + K + 8;
const AT_COUNT = AT_QUALITY + 5;

test('round trip: header, sections as views, and the sections decode', () => {
  const { header, sections } = readBitstream(GOOD, FILE);
  assert.deepEqual(header, HEADER);
  assert.equal(sections.length, 2);
  assert.deepEqual(sections[0], Z.bytes);
  assert.deepEqual(sections[1], Y.bytes);
  assert.equal(sections[1]!.buffer, GOOD.buffer);
  assert.equal(GOOD.length, 20 + K + 8 + Z.bytes.length + Y.bytes.length + 4);
  for (const [s, i] of [[Z, 0], [Y, 1]] as const) {
    const dec = new RansDecoder(sections[i]!);
    assert.deepEqual(decodeSymbols(dec, s.index, TABLES), s.values);
    dec.finish();
  }
  const wide = { ...HEADER, modelId: 'é'.repeat(32), modelHash: 'FFFFFFFFFFFFFFFF', quality: 255, width: 65535, height: 4096 };
  assert.deepEqual(readBitstream(writeBitstream(wide, [new Uint8Array(0)])).header, { ...wide, modelHash: 'ffffffffffffffff' });
});

test('each kind of damage is one FxpError naming the file and the problem', () => {
  const cases: [Uint8Array, RegExp][] = [
    [GOOD.subarray(0, 3), /truncated bitstream: 3 bytes end inside the magic/],
    [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 1, 5]), /not an FXPC bitstream: bad magic bytes 89504e47/],
    [forge(4, [2]), /unsupported FXPC version 2/],
    [forge(5, [0]), /model id length 0/],
    [forge(5, [65]), /model id length 65/],
    [GOOD.subarray(0, 20), /truncated bitstream: 20 bytes end inside the header/],
    [forge(AT_COUNT, [0]), /1\.\.16 sections, got 0/],
    [forge(AT_COUNT, [17]), /got 17/],
    [GOOD.subarray(0, GOOD.length - 1), /truncated bitstream: section lengths \d+ \+ \d+ = \d+ exceed the \d+ bytes present/],
    [forge(AT_COUNT + 1, [0xff, 0xff, 0xff, 0xff]), /section lengths 4294967295 \+/],
    [withCrc(Uint8Array.from([...GOOD, 0, 0])), /2 trailing bytes/],
    [forge(AT_COUNT + 1, [0, 0, 0, 0]), /trailing bytes/],
    [Uint8Array.from(GOOD, (b, i) => (i === 30 ? b ^ 4 : b)), /CRC mismatch: stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}/],
    [forge(6, [0xc3, 0x28]), /model id is not valid UTF-8/],
    [forge(AT_QUALITY, [0]), /quality must be an integer in 1\.\.255, got 0/],
    [forge(AT_QUALITY + 1, [0, 0]), /image width must be .* got 0/],
    [forge(AT_QUALITY + 3, [0, 0]), /image height must be .* got 0/],
    [forge(AT_QUALITY + 1, [0xff, 0xff, 0xff, 0xff]), /65535 x 65535 pixels is larger than the limit of 2\^28/],
  ];
  for (const [bytes, want] of cases) {
    assert.throws(
      () => readBitstream(bytes, FILE),
      (err: unknown) => err instanceof FxpError && want.test(err.message) && err.file === FILE && err.message.endsWith(`(file '${FILE}')`),
      `expected ${want}`,
    );
  }
});

test('writeBitstream refuses headers it could not read back', () => {
  const bad: [Partial<CodecHeader>, RegExp][] = [
    [{ modelId: '' }, /1\.\.64 bytes/],
    [{ modelId: 'é'.repeat(33) }, /got 66/],
    [{ modelHash: '0123' }, /16 hex digits/],
    [{ modelHash: '0123456789abcdeg' }, /16 hex digits/],
    [{ quality: 0 }, /quality/],
    [{ quality: 256 }, /quality/],
    [{ quality: 2.5 }, /quality/],
    [{ width: 0 }, /width/],
    [{ height: 65536 }, /height/],
    [{ width: 65535, height: 65535 }, /2\^28/],
  ];
  for (const [patch, want] of bad) assert.throws(() => writeBitstream({ ...HEADER, ...patch }, [Z.bytes]), (e: unknown) => e instanceof FxpError && want.test(e.message));
  assert.throws(() => writeBitstream(HEADER, []), /1\.\.16 sections, got 0/);
  assert.throws(() => writeBitstream(HEADER, Array.from({ length: 17 }, () => Z.bytes)), /got 17/);
});

/** The kinds of error the fuzzer provoked: each message up to its first colon or digit. */
const SEEN = new Set<string>();

/** Reads and decodes as a decoder would; returns whether it succeeded. Any non-FxpError fails the test. */
function tryDecode(bytes: Uint8Array, what: string): boolean {
  try {
    const { header, sections } = readBitstream(bytes, FILE);
    assert.ok(header.width * header.height <= 2 ** 28);
    assert.ok(sections.reduce((a, s) => a + s.length, 0) <= bytes.length, `${what}: sections larger than the input`);
    if (sections.length !== 2) return true;
    for (const [s, i] of [[Z, 0], [Y, 1]] as const) {
      const dec = new RansDecoder(sections[i]!, 0, sections[i]!.length, { file: FILE });
      const values = decodeSymbols(dec, s.index, TABLES, { file: FILE });
      assert.equal(values.length, s.index.length);
      dec.finish();
    }
    return true;
  } catch (err) {
    if (!(err instanceof FxpError)) throw new Error(`${what}: ${String(err)}`, { cause: err });
    assert.equal(err.file, FILE, `${what}: ${err.message}`);
    SEEN.add(err.detail.replace(/[:\d].*$/s, '').trim());
    return false;
  }
}

test('fuzz: truncation at every length, and 2,000 random mutations, give FxpError or a decode', () => {
  const started = Date.now();
  for (let n = 0; n < GOOD.length; n++) assert.equal(tryDecode(GOOD.subarray(0, n), `truncated to ${n}`), false);
  const rand = rng(43);
  const counts = { decoded: 0, rejected: 0 };
  const mutations: ((b: Uint8Array) => Uint8Array)[] = [
    (b) => {
      // 1..8 bit flips anywhere
      for (let k = randInt(rand, 1, 8); k > 0; k--) {
        const i = randInt(rand, 0, b.length - 1);
        b[i] = b[i]! ^ (1 << randInt(rand, 0, 7));
      }
      return b;
    },
    (b) => {
      // bit flips with a recomputed CRC: the decoders must catch them
      const i = randInt(rand, 0, b.length - 5);
      b[i] = b[i]! ^ (1 << randInt(rand, 0, 7));
      return withCrc(b);
    },
    (b) => {
      // a run of random bytes in the sections, CRC fixed
      const at = randInt(rand, AT_COUNT + 9, b.length - 5);
      for (let i = at; i < Math.min(b.length - 4, at + randInt(rand, 1, 16)); i++) b[i] = randInt(rand, 0, 255);
      return withCrc(b);
    },
    (b) => {
      // huge or shifted declared section lengths, CRC fixed
      const view = new DataView(b.buffer);
      const at = AT_COUNT + 1 + 4 * randInt(rand, 0, 1);
      const v = rand() < 0.5 ? randInt(rand, 0, 0xffffffff) : view.getUint32(at, true) + randInt(rand, -8, 8);
      view.setUint32(at, Math.max(0, Math.min(0xffffffff, v)), true);
      return withCrc(b);
    },
    (b) => {
      // huge, zero or odd dimensions and quality, CRC fixed
      const view = new DataView(b.buffer);
      view.setUint16(AT_QUALITY + 1 + 2 * randInt(rand, 0, 1), [0, 1, 65535, randInt(rand, 0, 65535)][randInt(rand, 0, 3)]!, true);
      b[AT_QUALITY] = randInt(rand, 0, 255);
      return withCrc(b);
    },
    (b) => {
      // bytes inserted or removed inside, CRC fixed
      const at = randInt(rand, 0, b.length - 4);
      const ins = Array.from({ length: randInt(rand, 0, 4) }, () => randInt(rand, 0, 255));
      const out = Uint8Array.from([...b.subarray(0, at), ...ins, ...b.subarray(at + randInt(rand, 0, 4))]);
      return rand() < 0.5 ? withCrc(out) : out;
    },
    () => Uint8Array.from({ length: randInt(rand, 0, 200) }, (_, i) => (i < 4 && rand() < 0.7 ? [0x46, 0x58, 0x50, 0x43][i]! : randInt(rand, 0, 255))),
  ];
  for (let trial = 0; trial < 2000; trial++) {
    const kind = trial % mutations.length;
    const ok = tryDecode(mutations[kind]!(GOOD.slice()), `mutation ${trial} (kind ${kind})`);
    counts[ok ? 'decoded' : 'rejected']++;
  }
  // The mutations reach every layer: container, CRC, header fields, rANS streams.
  for (const kind of ['CRC mismatch', 'bitstream has', 'corrupt bitstream', 'truncated bitstream', 'image width must be an integer in', 'not an FXPC bitstream']) {
    assert.ok(SEEN.has(kind), `no mutation provoked '${kind}' (seen: ${[...SEEN].join('; ')})`);
  }
  assert.ok(counts.rejected > 1500, `only ${counts.rejected} of 2000 mutations were rejected`);
  assert.ok(Date.now() - started < 10_000, 'fuzzing took too long');
});
