import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { FxpError } from '../../src/errors.js';
import { encodeIdxUint8, parseIdx, readIdx, writeIdxGz } from '../../src/data/idx.js';

const dir = mkdtempSync(join(tmpdir(), 'fxp-idx-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Builds an IDX file by hand: header bytes then big-endian payload bytes. */
function idxBytes(type: number, dims: number[], payload: number[]): Uint8Array {
  const head = [0, 0, type, dims.length];
  for (const d of dims) head.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255);
  return Uint8Array.from([...head, ...payload]);
}

function rejects(fn: () => unknown, pattern: RegExp, file: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof FxpError, `expected FxpError, got ${String(err)}`);
    assert.match(err.message, pattern);
    assert.equal(err.file, file);
    return true;
  });
}

describe('IDX', () => {
  it('round-trips uint8 data through writeIdxGz / readIdx', () => {
    const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 29) & 255);
    const path = join(dir, 'rt-idx3-ubyte.gz');
    writeIdxGz(path, [2, 3, 4], data);
    const bytes = readFileSync(path);
    assert.deepEqual([bytes[0], bytes[1]], [0x1f, 0x8b], 'written gzipped');
    const back = readIdx(path);
    assert.deepEqual(back.dims, [2, 3, 4]);
    assert.ok(back.data instanceof Uint8Array);
    assert.deepEqual(Array.from(back.data), Array.from(data));
  });

  it('reads uncompressed files too', () => {
    const path = join(dir, 'plain-idx1-ubyte');
    writeFileSync(path, encodeIdxUint8([5], Uint8Array.from([9, 8, 7, 6, 5])));
    const back = readIdx(path);
    assert.deepEqual(back.dims, [5]);
    assert.deepEqual(Array.from(back.data), [9, 8, 7, 6, 5]);
  });

  it('decodes big-endian int16, int32, float32, float64 and int8', () => {
    const i16 = parseIdx(idxBytes(0x0b, [2], [0xff, 0xfe, 0x01, 0x00]), 'x');
    assert.ok(i16.data instanceof Int16Array);
    assert.deepEqual(Array.from(i16.data), [-2, 256]);
    const i32 = parseIdx(idxBytes(0x0c, [1], [0x80, 0, 0, 1]), 'x');
    assert.deepEqual(Array.from(i32.data), [-2147483647]);
    const f32 = parseIdx(idxBytes(0x0d, [1], [0x3f, 0xc0, 0, 0]), 'x');
    assert.ok(f32.data instanceof Float32Array);
    assert.deepEqual(Array.from(f32.data), [1.5]);
    const f64 = parseIdx(idxBytes(0x0e, [1], [0xc0, 0x04, 0, 0, 0, 0, 0, 0]), 'x');
    assert.deepEqual(Array.from(f64.data), [-2.5]);
    const i8 = parseIdx(idxBytes(0x09, [1, 2], [0xff, 0x7f]), 'x');
    assert.ok(i8.data instanceof Int8Array);
    assert.deepEqual(Array.from(i8.data), [-1, 127]);
  });

  it('rejects a truncated payload, naming the file', () => {
    const path = join(dir, 'trunc');
    writeFileSync(path, idxBytes(0x08, [2, 2], [1, 2, 3]));
    rejects(() => readIdx(path), /truncated: dims \[2, 2\] of uint8 need 4 payload bytes, found 3/, path);
  });

  it('rejects trailing bytes, a bad magic, an unknown type, a bad rank and a cut header', () => {
    rejects(() => parseIdx(idxBytes(0x08, [2], [1, 2, 3]), 'f'), /trailing bytes/, 'f');
    rejects(() => parseIdx(Uint8Array.from([0x12, 0, 8, 1, 0, 0, 0, 0]), 'f'), /not an IDX file/, 'f');
    rejects(() => parseIdx(idxBytes(0x0a, [1], [0]), 'f'), /unknown IDX element type 0x0a/, 'f');
    rejects(() => parseIdx(Uint8Array.from([0, 0, 8, 0]), 'f'), /rank 0/, 'f');
    rejects(() => parseIdx(Uint8Array.from([0, 0, 8, 2, 0, 0, 0, 1]), 'f'), /truncated inside its header/, 'f');
    rejects(() => parseIdx(Uint8Array.from([0, 0]), 'f'), /too short/, 'f');
  });

  it('rejects a huge declared size without allocating it', () => {
    rejects(() => parseIdx(idxBytes(0x0e, [0xffffffff, 0xffffffff], [0]), 'f'), /truncated/, 'f');
  });

  it('rejects a truncated gzip stream and a missing file', () => {
    const full = gzipSync(encodeIdxUint8([100], new Uint8Array(100).fill(7)));
    const path = join(dir, 'cut.gz');
    writeFileSync(path, full.subarray(0, full.length - 6));
    rejects(() => readIdx(path), /corrupt or truncated gzip/, path);
    const missing = join(dir, 'nope.gz');
    rejects(() => readIdx(missing), /cannot read IDX file/, missing);
  });

  it('refuses to write data that does not match its dims', () => {
    assert.throws(() => writeIdxGz(join(dir, 'bad.gz'), [2, 2], new Uint8Array(3)), FxpError);
  });
});
