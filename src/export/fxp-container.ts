/**
 * The `.fxp` byte container (format version 1; docs/fxp-format.md is the spec):
 *
 *   offset        size  field (little-endian)
 *   0             4     magic "FXPN"
 *   4             2     u16 format version (1)
 *   6             2     u16 flags (0; reserved)
 *   8             4     u32 J, JSON section length in bytes
 *   12            4     u32 B, blob count
 *   16            4     u32 D, blob data length in bytes
 *   20            J     JSON (UTF-8): the graph, integer arrays as {"blob": i}
 *   20+J          8*B   blob table: u32 count, u8 bits (1..32), u8 signed (0|1), u16 0
 *   20+J+8B       D     blobs in index order, each ceil(count*bits/8) bytes, bit-packed
 *   20+J+8B+D     4     u32 CRC-32 (IEEE) of every byte before it
 *
 * Pure functions on bytes (no file system), so browsers can use them too.
 * The decoder checks lengths and the checksum before parsing, sizes every blob
 * from the blob table before unpacking it, and runs verifyFxGraph on the result:
 * any bad input gives one FxpError naming the file, never a hang, a huge
 * allocation or a foreign exception.
 */
import { FxpError, MAX_TENSOR_ELEMENTS, wrapError } from '../errors.js';
import type { FxGraph } from '../engine/fx-graph.js';
import { isValidWidth, packBits, packedByteLength, unpackBits, type BitWidth } from './bitpack.js';
import { crc32 } from './crc32.js';
import { decodeGraphJson, encodeGraphJson, type BlobKind, type FxpDecodeContext, type FxpEncodeContext, type NodeContext } from './fxp-schema.js';
import { verifyFxGraph } from './fxp-verify.js';
import type { Json } from './json-codec.js';

export const FXP_MAGIC = 'FXPN';
export const FXP_VERSION = 1;
export const FXP_HEADER_BYTES = 20;
export const FXP_BLOB_ENTRY_BYTES = 8;
export const FXP_CRC_BYTES = 4;
const MAGIC_BYTES = [0x46, 0x58, 0x50, 0x4e];
const U32_MAX = 2 ** 32 - 1;

interface Blob {
  readonly data: Int32Array;
  readonly width: BitWidth;
  readonly kind: BlobKind;
}

class Encoder implements FxpEncodeContext {
  readonly blobs: Blob[] = [];
  private node: NodeContext | undefined;

  constructor(private readonly file: string | undefined) {}

  error(path: string, message: string): FxpError {
    return new FxpError(`cannot encode .fxp: ${path}: ${message}`, { file: this.file, node: this.node?.name, op: this.node?.op });
  }

  setNode(node: NodeContext | undefined): void {
    this.node = node;
  }

  blob(data: Int32Array, width: BitWidth, kind: BlobKind, path: string): Json {
    if (!isValidWidth(width)) throw this.error(path, `invalid bit width ${width.bits} (${width.signed ? 'signed' : 'unsigned'})`);
    this.blobs.push({ data, width, kind });
    return { blob: this.blobs.length - 1 };
  }
}

interface Encoded {
  readonly bytes: Uint8Array;
  readonly blobs: readonly Blob[];
  readonly blobBytes: number;
}

function encode(fx: FxGraph, file: string | undefined): Encoded {
  verifyFxGraph(fx, file);
  const enc = new Encoder(file);
  const json = new TextEncoder().encode(JSON.stringify(encodeGraphJson(fx, enc)));
  const blobs = enc.blobs;
  const sizes = blobs.map((b) => packedByteLength(b.data.length, b.width.bits));
  const blobBytes = sizes.reduce((a, b) => a + b, 0);
  const tableBytes = FXP_BLOB_ENTRY_BYTES * blobs.length;
  const total = FXP_HEADER_BYTES + json.length + tableBytes + blobBytes + FXP_CRC_BYTES;
  if (json.length > U32_MAX || blobBytes > U32_MAX || total > U32_MAX) {
    throw new FxpError(`graph '${fx.name}' is too large for an .fxp file (${total} bytes; the limit is 4 GiB)`, { file });
  }
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC_BYTES, 0);
  view.setUint16(4, FXP_VERSION, true);
  view.setUint16(6, 0, true);
  view.setUint32(8, json.length, true);
  view.setUint32(12, blobs.length, true);
  view.setUint32(16, blobBytes, true);
  bytes.set(json, FXP_HEADER_BYTES);
  let entry = FXP_HEADER_BYTES + json.length;
  let pos = entry + tableBytes;
  blobs.forEach((b, i) => {
    view.setUint32(entry, b.data.length, true);
    view.setUint8(entry + 4, b.width.bits);
    view.setUint8(entry + 5, b.width.signed ? 1 : 0);
    view.setUint16(entry + 6, 0, true);
    entry += FXP_BLOB_ENTRY_BYTES;
    // verifyFxGraph checked every value against its declared width; tables use their own minimal width.
    packBits(b.data, b.width, bytes, pos);
    pos += sizes[i]!;
  });
  view.setUint32(total - FXP_CRC_BYTES, crc32(bytes, 0, total - FXP_CRC_BYTES), true);
  return { bytes, blobs, blobBytes };
}

/** Serializes a fixed-point graph; deterministic (the same graph gives the same bytes). */
export function encodeFxp(fx: FxGraph): Uint8Array {
  return encode(fx, undefined).bytes;
}

/** Same as encodeFxp, with `file` named in errors. */
export function encodeFxpFor(fx: FxGraph, file: string): Uint8Array {
  return encode(fx, file).bytes;
}

export interface FxpSizeReport {
  /** Size of the encoded file. */
  readonly totalBytes: number;
  /** Packed weight integers: sum of wl * count over every weights tensor. */
  readonly weightBits: number;
  /** Packed bias integers. */
  readonly biasBits: number;
  /** Packed lookup tables (sigmoid, tanh, softmax exp). */
  readonly tableBits: number;
  /** Packed range-adaptive channel ranges. */
  readonly rangeBits: number;
  /** Everything that is not blob data: fixed header, JSON, blob table, checksum. */
  readonly headerBytes: number;
}

export function fxpSizeReport(fx: FxGraph): FxpSizeReport {
  const { bytes, blobs, blobBytes } = encode(fx, undefined);
  const bits: Record<BlobKind, number> = { weights: 0, range: 0, bias: 0, table: 0 };
  for (const b of blobs) bits[b.kind] += b.data.length * b.width.bits;
  return {
    totalBytes: bytes.length,
    weightBits: bits.weights,
    biasBits: bits.bias,
    tableBits: bits.table,
    rangeBits: bits.range,
    headerBytes: bytes.length - blobBytes,
  };
}

interface BlobEntry {
  readonly count: number;
  readonly width: BitWidth;
  readonly offset: number;
}

class Decoder implements FxpDecodeContext {
  private node: NodeContext | undefined;
  private readonly used: boolean[];

  constructor(
    private readonly file: string,
    private readonly bytes: Uint8Array,
    private readonly entries: readonly BlobEntry[],
  ) {
    this.used = entries.map(() => false);
  }

  error(path: string, message: string): FxpError {
    return new FxpError(`invalid .fxp file: ${path}: ${message}`, { file: this.file, node: this.node?.name, op: this.node?.op });
  }

  setNode(node: NodeContext | undefined): void {
    this.node = node;
  }

  blob(ref: unknown, path: string, count: number | undefined): Int32Array {
    const isRef = typeof ref === 'object' && ref !== null && !Array.isArray(ref) && Object.keys(ref).length === 1 && 'blob' in ref;
    const index: unknown = isRef ? ref.blob : undefined;
    if (typeof index !== 'number' || !Number.isSafeInteger(index)) throw this.error(path, 'expected a blob reference {"blob": index}');
    const entry = this.entries[index];
    if (entry === undefined) throw this.error(path, `blob index ${index} out of range (the file has ${this.entries.length} blobs)`);
    if (this.used[index]) throw this.error(path, `blob ${index} is referenced twice`);
    this.used[index] = true;
    if (count !== undefined && entry.count !== count) throw this.error(path, `blob ${index} holds ${entry.count} elements, the declared shape needs ${count}`);
    const { data, paddingBits } = unpackBits(this.bytes, entry.offset, entry.count, entry.width);
    if (paddingBits !== 0) throw this.error(path, `blob ${index} has non-zero padding bits`);
    return data;
  }

  unusedBlob(): number {
    return this.used.indexOf(false);
  }
}

function readBlobTable(bytes: Uint8Array, view: DataView, tableStart: number, count: number, dataStart: number, dataBytes: number, file: string): BlobEntry[] {
  const entries: BlobEntry[] = [];
  let offset = dataStart;
  for (let i = 0; i < count; i++) {
    const at = tableStart + i * FXP_BLOB_ENTRY_BYTES;
    const n = view.getUint32(at, true);
    const width = { bits: bytes[at + 4]!, signed: bytes[at + 5] === 1 };
    const bad: (msg: string) => never = (msg) => {
      throw new FxpError(`invalid .fxp file: blob table entry ${i}: ${msg}`, { file });
    };
    if (bytes[at + 5]! > 1) bad(`signed flag ${bytes[at + 5]} is not 0 or 1`);
    if (!isValidWidth(width)) bad(`invalid width ${width.bits} bits (${width.signed ? 'signed' : 'unsigned'}; 1..32 signed, 1..31 unsigned)`);
    if (view.getUint16(at + 6, true) !== 0) bad('reserved bytes are not zero');
    if (n > MAX_TENSOR_ELEMENTS) bad(`${n} elements exceed the limit of ${MAX_TENSOR_ELEMENTS}`);
    const size = packedByteLength(n, width.bits);
    if (offset + size > dataStart + dataBytes) bad(`${n} elements at ${width.bits} bits need ${size} bytes, past the end of the blob section (${dataBytes} bytes)`);
    entries.push({ count: n, width, offset });
    offset += size;
  }
  if (offset !== dataStart + dataBytes) {
    throw new FxpError(`invalid .fxp file: the blob section holds ${dataBytes} bytes but the blob table accounts for ${offset - dataStart}`, { file });
  }
  return entries;
}

/**
 * Parses and validates an `.fxp` file. `file` is named in every error.
 * The returned graph satisfies verifyFxGraph.
 */
export function decodeFxp(bytes: Uint8Array, file: string): FxGraph {
  function fail(msg: string): never {
    throw new FxpError(msg, { file });
  }
  const magicLength = Math.min(bytes.length, MAGIC_BYTES.length);
  for (let i = 0; i < magicLength; i++) {
    if (bytes[i] !== MAGIC_BYTES[i]) {
      const got = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
      fail(`not an .fxp file: the first bytes are ${got}, expected "${FXP_MAGIC}" (46 58 50 4e)`);
    }
  }
  const truncatedHeader = (): never => fail(`truncated .fxp file: ${bytes.length} bytes, shorter than the ${FXP_HEADER_BYTES}-byte header and checksum`);
  if (bytes.length < 6) truncatedHeader();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(4, true);
  if (version !== FXP_VERSION) fail(`unsupported .fxp format version ${version} (this reader supports version ${FXP_VERSION})`);
  if (bytes.length < FXP_HEADER_BYTES + FXP_CRC_BYTES) truncatedHeader();
  const flags = view.getUint16(6, true);
  if (flags !== 0) fail(`unsupported .fxp flags 0x${flags.toString(16)} (version ${FXP_VERSION} defines none)`);
  const jsonBytes = view.getUint32(8, true);
  const blobCount = view.getUint32(12, true);
  const dataBytes = view.getUint32(16, true);
  const tableStart = FXP_HEADER_BYTES + jsonBytes;
  const dataStart = tableStart + FXP_BLOB_ENTRY_BYTES * blobCount;
  const total = dataStart + dataBytes + FXP_CRC_BYTES;
  if (bytes.length < total) fail(`truncated .fxp file: ${bytes.length} bytes, the header declares ${total}`);
  if (bytes.length > total) fail(`invalid .fxp file: ${bytes.length - total} unexpected bytes after the checksum (the header declares ${total} bytes)`);
  const stored = view.getUint32(total - FXP_CRC_BYTES, true);
  const actual = crc32(bytes, 0, total - FXP_CRC_BYTES);
  if (stored !== actual) fail(`corrupt .fxp file: checksum mismatch (stored 0x${stored.toString(16).padStart(8, '0')}, computed 0x${actual.toString(16).padStart(8, '0')})`);

  const entries = readBlobTable(bytes, view, tableStart, blobCount, dataStart, dataBytes, file);
  let json: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(FXP_HEADER_BYTES, tableStart));
    json = JSON.parse(text);
  } catch (err) {
    throw wrapError(err, 'invalid .fxp file: the JSON section does not parse', { file });
  }
  const dec = new Decoder(file, bytes, entries);
  const fx = decodeGraphJson(json, dec);
  const unused = dec.unusedBlob();
  if (unused >= 0) fail(`invalid .fxp file: blob ${unused} is not referenced by the graph`);
  verifyFxGraph(fx, file);
  return fx;
}
