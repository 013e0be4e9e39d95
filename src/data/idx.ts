/**
 * IDX files (the MNIST family's container), plain or gzipped.
 *
 * Layout (all multi-byte fields big-endian):
 *   bytes 0-1  zero
 *   byte  2    element type (table below)
 *   byte  3    rank r (>= 1)
 *   r x uint32 dims
 *   payload    prod(dims) elements, row-major
 * The payload must have exactly that length: a short file is truncated, a long one
 * is not an IDX file we understand; both are errors naming the file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { FxpError, MAX_TENSOR_ELEMENTS, wrapError } from '../errors.js';

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxFile {
  readonly dims: number[];
  readonly data: IdxData;
}

interface IdxType {
  readonly name: string;
  readonly bytes: number;
  /** Decodes `count` big-endian elements starting at `offset`. */
  readonly decode: (view: DataView, offset: number, count: number) => IdxData;
}

/** The element types IDX defines, by type byte. */
const IDX_TYPES: ReadonlyMap<number, IdxType> = new Map<number, IdxType>([
  [0x08, { name: 'uint8', bytes: 1, decode: (v, o, n) => new Uint8Array(v.buffer.slice(v.byteOffset + o, v.byteOffset + o + n)) }],
  [0x09, { name: 'int8', bytes: 1, decode: (v, o, n) => new Int8Array(v.buffer.slice(v.byteOffset + o, v.byteOffset + o + n)) }],
  [0x0b, { name: 'int16', bytes: 2, decode: (v, o, n) => fill(new Int16Array(n), (i) => v.getInt16(o + 2 * i, false)) }],
  [0x0c, { name: 'int32', bytes: 4, decode: (v, o, n) => fill(new Int32Array(n), (i) => v.getInt32(o + 4 * i, false)) }],
  [0x0d, { name: 'float32', bytes: 4, decode: (v, o, n) => fill(new Float32Array(n), (i) => v.getFloat32(o + 4 * i, false)) }],
  [0x0e, { name: 'float64', bytes: 8, decode: (v, o, n) => fill(new Float64Array(n), (i) => v.getFloat64(o + 8 * i, false)) }],
]);

/** IDX allows rank up to 255; no real file goes past a handful. */
const MAX_RANK = 16;
const HEADER_FIXED = 4;

function fill<T extends Exclude<IdxData, Uint8Array | Int8Array>>(out: T, at: (i: number) => number): T {
  for (let i = 0; i < out.length; i++) out[i] = at(i);
  return out;
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Parses IDX bytes (already gunzipped). `file` only names the source in errors. */
export function parseIdx(bytes: Uint8Array, file: string): IdxFile {
  if (bytes.length < HEADER_FIXED) {
    throw new FxpError(`IDX file too short for a header (${bytes.length} bytes)`, { file });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new FxpError(`not an IDX file: magic starts 0x${hex(bytes[0])} 0x${hex(bytes[1])}, expected 0x00 0x00`, { file });
  }
  const typeByte = bytes[2] ?? 0;
  const type = IDX_TYPES.get(typeByte);
  if (type === undefined) throw new FxpError(`unknown IDX element type 0x${hex(typeByte)}`, { file });
  const rank = bytes[3] ?? 0;
  if (rank < 1 || rank > MAX_RANK) throw new FxpError(`IDX rank ${rank} out of range 1..${MAX_RANK}`, { file });
  const headerBytes = HEADER_FIXED + 4 * rank;
  if (bytes.length < headerBytes) {
    throw new FxpError(`IDX file truncated inside its header (${bytes.length} of ${headerBytes} bytes)`, { file });
  }
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(HEADER_FIXED + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  // Compared before allocating, so a corrupt header cannot request a huge buffer.
  const expected = count * type.bytes;
  const payload = bytes.length - headerBytes;
  if (payload !== expected) {
    const what = payload < expected ? 'truncated' : 'has trailing bytes';
    throw new FxpError(
      `IDX file ${what}: dims [${dims.join(', ')}] of ${type.name} need ${expected} payload bytes, found ${payload}`,
      { file },
    );
  }
  if (count > MAX_TENSOR_ELEMENTS) {
    throw new FxpError(`IDX file holds ${count} elements, more than the limit ${MAX_TENSOR_ELEMENTS}`, { file });
  }
  return { dims, data: type.decode(view, headerBytes, count) };
}

/** Reads an IDX file, gunzipping it first when it starts with the gzip magic. */
export function readIdx(path: string): IdxFile {
  let raw: Uint8Array;
  try {
    raw = readFileSync(path);
  } catch (err) {
    throw wrapError(err, 'cannot read IDX file', { file: path });
  }
  let bytes = raw;
  if (isGzip(raw)) {
    try {
      bytes = gunzipSync(raw);
    } catch (err) {
      throw wrapError(err, 'corrupt or truncated gzip stream', { file: path });
    }
  }
  return parseIdx(bytes, path);
}

/** Serializes uint8 data as IDX (type 0x08) bytes. */
export function encodeIdxUint8(dims: readonly number[], data: Uint8Array): Uint8Array {
  if (dims.length < 1 || dims.length > MAX_RANK) throw new FxpError(`IDX rank ${dims.length} out of range 1..${MAX_RANK}`);
  let count = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) throw new FxpError(`IDX dim ${d} is not a uint32`);
    count *= d;
  }
  if (count !== data.length) {
    throw new FxpError(`IDX dims [${dims.join(', ')}] need ${count} elements, data has ${data.length}`);
  }
  const headerBytes = HEADER_FIXED + 4 * dims.length;
  const out = new Uint8Array(headerBytes + count);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(HEADER_FIXED + 4 * i, d, false));
  out.set(data, headerBytes);
  return out;
}

/** Writes uint8 data as a gzipped IDX file (as MNIST is distributed). */
export function writeIdxGz(path: string, dims: readonly number[], data: Uint8Array): void {
  const bytes = gzipSync(encodeIdxUint8(dims, data), { level: 9 });
  try {
    writeFileSync(path, bytes);
  } catch (err) {
    throw wrapError(err, 'cannot write IDX file', { file: path });
  }
}

function hex(b: number | undefined): string {
  return (b ?? 0).toString(16).padStart(2, '0');
}
