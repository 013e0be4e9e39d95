/**
 * The one PNG layout the codec decoders write: Node (`fxp codec decode`), the
 * codec web page ("save PNG") and the generated C program (c-main.ts) produce the
 * same bytes for the same pixels, so a decoded file can be compared with `cmp`.
 *
 * Layout, byte for byte (all multi-byte integers big-endian unless noted):
 *   signature   89 50 4E 47 0D 0A 1A 0A
 *   IHDR        length 13: width, height, bit depth 8, colour type 2 (RGB),
 *               compression 0, filter 0, interlace 0; CRC-32
 *   IDAT        exactly one chunk holding the whole zlib stream; CRC-32
 *   IEND        length 0; CRC-32 (AE 42 60 82)
 * The zlib stream: header 78 01 (deflate, 32 KiB window, no dictionary, level
 * field 0), then the filtered scanlines (each row: filter byte 0, then its
 * 3 * width RGB bytes) cut into stored deflate blocks of 65535 bytes, the last
 * one shorter or equal; each block is 1 byte BFINAL/BTYPE (00 or 01 on the last),
 * LEN and NLEN = ~LEN (both 16-bit little-endian), then LEN bytes; then the
 * Adler-32 of the filtered scanlines.
 *
 * Nothing here is compressed: a file is 3 * w * h + h + 5 * ceil(n / 65535) + 63
 * bytes (n = h * (3w + 1)). `fxp codec decode --compress` writes a smaller PNG
 * through sharp instead, with no byte-identity promise.
 */
import { FxpError } from '../errors.js';
import { crc32 } from '../export/crc32.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] as const;
/** Largest stored deflate block (LEN is 16 bits). */
export const PNG_STORED_BLOCK = 65535;
/** PNG's limit on a chunk length and on width and height. */
const PNG_MAX_U31 = 2 ** 31 - 1;
/** Adler-32 modulus, and zlib's NMAX: the most bytes summed before reducing keeps b below 2^32. */
const ADLER_MOD = 65521;
const ADLER_NMAX = 5552;

/** Adler-32 (RFC 1950) of bytes[start, end). */
export function adler32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let a = 1;
  let b = 0;
  for (let i = start; i < end; ) {
    const stop = Math.min(end, i + ADLER_NMAX);
    // Reduced once per NMAX bytes: a and b stay below 2^32, exact in doubles.
    for (; i < stop; i++) {
      a += bytes[i]!;
      b += a;
    }
    a %= ADLER_MOD;
    b %= ADLER_MOD;
  }
  return ((b << 16) | a) >>> 0;
}

/** Size of the zlib stream for `n` bytes of filtered scanlines (n >= 1). */
function zlibSize(n: number): number {
  return 2 + n + 5 * Math.ceil(n / PNG_STORED_BLOCK) + 4;
}

/** Total size of encodePng's output for a width x height image. */
export function pngSize(width: number, height: number): number {
  return 8 + 25 + 12 + zlibSize(height * (3 * width + 1)) + 12;
}

/**
 * An 8-bit RGB PNG of `rgb` (interleaved, row-major, width * height * 3 bytes) in
 * the layout above; an FxpError for a size PNG cannot hold or a buffer of the
 * wrong length.
 */
export function encodePng(rgb: Uint8Array, width: number, height: number): Uint8Array<ArrayBuffer> {
  for (const [what, v] of [['width', width], ['height', height]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > PNG_MAX_U31) throw new FxpError(`PNG ${what} must be an integer in 1..2^31-1, got ${v}`);
  }
  if (rgb.length !== width * height * 3) throw new FxpError(`PNG of ${width}x${height} needs ${width * height * 3} RGB bytes, got ${rgb.length}`);
  const stride = 3 * width;
  const raw = height * (stride + 1);
  const idat = zlibSize(raw);
  if (idat > PNG_MAX_U31) throw new FxpError(`PNG of ${width}x${height} needs an IDAT chunk of ${idat} bytes, more than PNG's 2^31-1`);

  const out = new Uint8Array(pngSize(width, height));
  const view = new DataView(out.buffer);
  out.set(SIGNATURE, 0);
  let at = SIGNATURE.length;
  /** Writes a chunk's length and type; `finish` appends the CRC over type and data. */
  const begin = (type: string, length: number): number => {
    view.setUint32(at, length);
    for (let i = 0; i < 4; i++) out[at + 4 + i] = type.charCodeAt(i);
    const start = at + 4;
    at += 8;
    return start;
  };
  const finish = (start: number): void => {
    view.setUint32(at, crc32(out, start, at));
    at += 4;
  };

  let s = begin('IHDR', 13);
  view.setUint32(at, width);
  view.setUint32(at + 4, height);
  out.set([8, 2, 0, 0, 0], at + 8);
  at += 13;
  finish(s);

  // The filtered scanlines: each row is filter byte 0 (None), then its RGB bytes.
  const lines = new Uint8Array(raw);
  for (let y = 0; y < height; y++) lines.set(rgb.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);

  s = begin('IDAT', idat);
  out[at++] = 0x78;
  out[at++] = 0x01;
  for (let pos = 0; pos < raw; pos += PNG_STORED_BLOCK) {
    const len = Math.min(PNG_STORED_BLOCK, raw - pos);
    out[at] = pos + len === raw ? 1 : 0; // BFINAL on the last block, BTYPE 00 (stored)
    view.setUint16(at + 1, len, true);
    view.setUint16(at + 3, len ^ 0xffff, true);
    out.set(lines.subarray(pos, pos + len), at + 5);
    at += 5 + len;
  }
  view.setUint32(at, adler32(lines));
  at += 4;
  finish(s);

  s = begin('IEND', 0);
  finish(s);
  if (at !== out.length) throw new Error(`internal: PNG writer wrote ${at} of ${out.length} bytes`);
  return out;
}
