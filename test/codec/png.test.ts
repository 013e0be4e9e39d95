/**
 * src/codec/png.ts: the deterministic PNG of the codec decoders. A 1x1 file
 * byte for byte (computed independently with Python's zlib); sharp and
 * node:zlib read larger files back to the same pixels, across the 65535-byte
 * stored-block boundary; Adler-32 against node:zlib's trailer; bad sizes are FxpErrors.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deflateSync, inflateSync } from 'node:zlib';
import sharp from 'sharp';
import { adler32, encodePng, pngSize, PNG_STORED_BLOCK } from '../../src/codec/png.js';
import { FxpError } from '../../src/errors.js';
import { randInt, rng } from './helpers.js';

/** encodePng(Uint8Array.of(0x12, 0x34, 0x56), 1, 1), from Python: zlib.crc32 and zlib.adler32 over the same layout. */
const ONE_PIXEL = [
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a,
  0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53, 0xde,
  0x00, 0x00, 0x00, 0x0f, 0x49, 0x44, 0x41, 0x54,
  0x78, 0x01, 0x01, 0x04, 0x00, 0xfb, 0xff, 0x00, 0x12, 0x34, 0x56, 0x00, 0xf8, 0x00, 0x9d,
  0xf8, 0xd7, 0x64, 0x8c,
  0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

interface Chunk {
  readonly type: string;
  readonly data: Uint8Array;
}

function chunks(png: Uint8Array): Chunk[] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: Chunk[] = [];
  for (let at = 8; at < png.length; ) {
    const len = view.getUint32(at);
    out.push({ type: String.fromCharCode(...png.subarray(at + 4, at + 8)), data: png.subarray(at + 8, at + 8 + len) });
    at += 12 + len;
  }
  return out;
}

test('encodePng: a 1x1 image, exact bytes', () => {
  assert.deepEqual([...encodePng(Uint8Array.of(0x12, 0x34, 0x56), 1, 1)], ONE_PIXEL);
  assert.equal(pngSize(1, 1), ONE_PIXEL.length);
});

test('adler32 matches node:zlib over more than NMAX bytes', () => {
  const rand = rng(3);
  const bytes = Uint8Array.from({ length: 20_000 }, () => randInt(rand, 0, 255));
  // A zlib stream ends with the Adler-32 of its content (big-endian).
  const zlibAdler = (b: Uint8Array): number => {
    const z = deflateSync(b);
    return z.readUInt32BE(z.length - 4);
  };
  assert.equal(adler32(new Uint8Array(0)), 1);
  assert.equal(adler32(Uint8Array.of(0, 0x12, 0x34, 0x56)), 0x00f8009d);
  const ones = new Uint8Array(10_000).fill(255);
  assert.equal(adler32(ones), zlibAdler(ones));
  assert.equal(adler32(bytes), zlibAdler(bytes));
  assert.equal(adler32(bytes, 100, 19_000), zlibAdler(bytes.subarray(100, 19_000)));
});

test('encodePng: sharp and node:zlib read back the pixels; one IDAT of stored blocks', async () => {
  const rand = rng(11);
  // 28x771: the scanlines fill exactly one 65535-byte block; 200x120: two blocks; 1456x15: exactly one (3w+1 = 4369).
  for (const [w, h] of [[3, 2], [37, 53], [28, 771], [200, 120], [1456, 15], [1, 300]] as const) {
    const rgb = Uint8Array.from({ length: w * h * 3 }, () => randInt(rand, 0, 255));
    const png = encodePng(rgb, w, h);
    assert.equal(png.length, pngSize(w, h), `${w}x${h}: size`);
    const list = chunks(png);
    assert.deepEqual(list.map((c) => c.type), ['IHDR', 'IDAT', 'IEND'], `${w}x${h}: chunks`);
    const raw = h * (3 * w + 1);
    const idat = list[1]!.data;
    assert.equal(idat.length, 2 + raw + 5 * Math.ceil(raw / PNG_STORED_BLOCK) + 4, `${w}x${h}: IDAT length`);
    const lines = new Uint8Array(inflateSync(idat));
    assert.equal(lines.length, raw);
    for (let y = 0; y < h; y++) assert.equal(lines[y * (3 * w + 1)], 0, `${w}x${h}: row ${y} filter type`);
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height, info.channels], [w, h, 3], `${w}x${h}: sharp's view`);
    assert.ok(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.length).equals(data), `${w}x${h}: pixels differ`);
  }
});

test('encodePng refuses sizes PNG cannot hold and buffers of the wrong length', () => {
  assert.throws(() => encodePng(new Uint8Array(3), 0, 1), (e: unknown) => e instanceof FxpError && /width must be an integer/.test(e.message));
  assert.throws(() => encodePng(new Uint8Array(3), 1, 1.5), (e: unknown) => e instanceof FxpError && /height must be an integer/.test(e.message));
  assert.throws(() => encodePng(new Uint8Array(3), 2 ** 31, 1), FxpError);
  assert.throws(() => encodePng(new Uint8Array(5), 1, 2), (e: unknown) => e instanceof FxpError && /needs 6 RGB bytes, got 5/.test(e.message));
});
