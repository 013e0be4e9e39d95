/**
 * The container of one encoded image (".fxpc"). Layout, little-endian:
 *
 *   offset     size  field
 *   0          4     magic "FXPC"
 *   4          1     format version = 1
 *   5          1     k = byte length of the model id, 1..64
 *   6          k     model id, UTF-8
 *   6+k        8     model hash: its 16 hex digits as 8 bytes, in order
 *   14+k       1     quality, 1..255
 *   15+k       2     image width, 1..65535
 *   17+k       2     image height, 1..65535 (width * height <= 2^28)
 *   19+k       1     c = number of sections, 1..16 (the codec writes 2: z, then y)
 *   20+k       4c    section lengths, u32 each
 *   20+k+4c    ...   the sections, concatenated
 *   end-4      4     CRC-32 (zlib) of every byte before it
 *
 * readBitstream checks the structure (magic, version, lengths, no trailing bytes)
 * before the CRC, and the field values after it, so a damaged file is reported as
 * a CRC mismatch rather than by whatever field the damage hit. It allocates
 * nothing sized by the input: the sections are views into `bytes`, and the
 * dimensions are checked before any caller allocates an image.
 */
import { FxpError, type ErrorContext } from '../errors.js';
import { crc32 } from '../export/crc32.js';

export const FXPC_MAGIC = 'FXPC';
export const FXPC_VERSION = 1;
export const MAX_MODEL_ID_BYTES = 64;
export const MAX_SECTIONS = 16;
/** Largest image, in pixels. */
export const MAX_PIXELS = 2 ** 28;

export interface CodecHeader {
  /** Which model encoded the image, 1..64 bytes of UTF-8. */
  readonly modelId: string;
  /** 64-bit hash of the model file, 16 hex digits (read back in lower case). */
  readonly modelHash: string;
  /** Quality level, 1..255. */
  readonly quality: number;
  readonly width: number;
  readonly height: number;
}

export interface CodecBitstream {
  readonly header: CodecHeader;
  /** Views into the input bytes, not copies. */
  readonly sections: Uint8Array[];
}

const MAGIC = [0x46, 0x58, 0x50, 0x43];
const HASH_BYTES = 8;

function checkFields(h: CodecHeader, idBytes: number, context: ErrorContext): void {
  if (idBytes < 1 || idBytes > MAX_MODEL_ID_BYTES) throw new FxpError(`model id must be 1..${MAX_MODEL_ID_BYTES} bytes of UTF-8, got ${idBytes}`, context);
  if (!/^[0-9a-fA-F]{16}$/.test(h.modelHash)) throw new FxpError(`model hash must be 16 hex digits, got '${h.modelHash}'`, context);
  if (!Number.isInteger(h.quality) || h.quality < 1 || h.quality > 255) throw new FxpError(`quality must be an integer in 1..255, got ${h.quality}`, context);
  for (const [name, v] of [['width', h.width], ['height', h.height]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 65535) throw new FxpError(`image ${name} must be an integer in 1..65535, got ${v}`, context);
  }
  if (h.width * h.height > MAX_PIXELS) throw new FxpError(`image of ${h.width} x ${h.height} pixels is larger than the limit of 2^28 pixels`, context);
}

function checkSectionCount(c: number, context: ErrorContext): void {
  if (c < 1 || c > MAX_SECTIONS) throw new FxpError(`bitstream must have 1..${MAX_SECTIONS} sections, got ${c}`, context);
}

/** Serializes a header and its sections (in the order the decoder needs them). */
export function writeBitstream(h: CodecHeader, sections: readonly Uint8Array[]): Uint8Array {
  const id = new TextEncoder().encode(h.modelId);
  checkFields(h, id.length, {});
  checkSectionCount(sections.length, {});
  let payload = 0;
  for (const s of sections) {
    if (s.length > 0xffffffff) throw new FxpError(`section of ${s.length} bytes is longer than 2^32 - 1`);
    payload += s.length;
  }
  const headerEnd = 20 + id.length + 4 * sections.length;
  const out = new Uint8Array(headerEnd + payload + 4);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = FXPC_VERSION;
  out[5] = id.length;
  out.set(id, 6);
  let p = 6 + id.length;
  for (let i = 0; i < HASH_BYTES; i++) out[p + i] = parseInt(h.modelHash.slice(2 * i, 2 * i + 2), 16);
  p += HASH_BYTES;
  out[p] = h.quality;
  view.setUint16(p + 1, h.width, true);
  view.setUint16(p + 3, h.height, true);
  out[p + 5] = sections.length;
  p += 6;
  for (const s of sections) {
    view.setUint32(p, s.length, true);
    p += 4;
  }
  for (const s of sections) {
    out.set(s, p);
    p += s.length;
  }
  view.setUint32(p, crc32(out, 0, p), true);
  return out;
}

/** Parses and validates a bitstream; every problem is one FxpError naming `file`. */
export function readBitstream(bytes: Uint8Array, file?: string): CodecBitstream {
  const context: ErrorContext = { file };
  const size = bytes.length;
  const need = (n: number, what: string): void => {
    if (size < n) throw new FxpError(`truncated bitstream: ${size} bytes end inside the ${what}`, context);
  };
  need(4, 'magic');
  if (MAGIC.some((b, i) => bytes[i] !== b)) throw new FxpError(`not an FXPC bitstream: bad magic bytes ${hex(bytes.subarray(0, 4))}`, context);
  need(6, 'header');
  if (bytes[4] !== FXPC_VERSION) throw new FxpError(`unsupported FXPC version ${bytes[4]}, this reader knows version ${FXPC_VERSION}`, context);
  const k = bytes[5]!;
  if (k < 1 || k > MAX_MODEL_ID_BYTES) throw new FxpError(`model id length ${k} is outside 1..${MAX_MODEL_ID_BYTES}`, context);
  need(20 + k, 'header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = bytes[19 + k]!;
  checkSectionCount(count, context);
  const headerEnd = 20 + k + 4 * count;
  need(headerEnd + 4, 'section table');
  const lengths: number[] = [];
  let payload = 0;
  for (let i = 0; i < count; i++) {
    const n = view.getUint32(20 + k + 4 * i, true);
    lengths.push(n);
    payload += n;
  }
  const left = size - headerEnd - 4;
  if (payload > left) throw new FxpError(`truncated bitstream: section lengths ${lengths.join(' + ')} = ${payload} exceed the ${left} bytes present`, context);
  if (payload < left) throw new FxpError(`bitstream has ${left - payload} trailing bytes after its ${payload} section bytes`, context);
  const stored = view.getUint32(size - 4, true);
  const actual = crc32(bytes, 0, size - 4);
  if (stored !== actual) throw new FxpError(`CRC mismatch: stored ${hex32(stored)}, computed ${hex32(actual)}`, context);

  let modelId: string;
  try {
    modelId = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(6, 6 + k));
  } catch {
    throw new FxpError('model id is not valid UTF-8', context);
  }
  const p = 6 + k + HASH_BYTES;
  const header: CodecHeader = {
    modelId,
    modelHash: hex(bytes.subarray(6 + k, p)),
    quality: bytes[p]!,
    width: view.getUint16(p + 1, true),
    height: view.getUint16(p + 3, true),
  };
  checkFields(header, k, context);
  const sections: Uint8Array[] = [];
  let at = headerEnd;
  for (const n of lengths) {
    sections.push(bytes.subarray(at, at + n));
    at += n;
  }
  return { header, sections };
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function hex32(v: number): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}
