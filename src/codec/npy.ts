/**
 * A reader for NumPy .npy files of uint8 arrays in C order (the calibration crops
 * the training scripts write: [count, height, width, 3]). Only what the codec
 * conversion needs: format versions 1-3, dtype '|u1' or 'u1', no Fortran order.
 */
import { FxpError } from '../errors.js';

export interface NpyUint8 {
  readonly shape: readonly number[];
  /** Row-major, a view into the file bytes. */
  readonly data: Uint8Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** Parses the header and returns the array as a view; every problem is one FxpError naming `file`. */
export function parseNpyUint8(bytes: Uint8Array, file: string): NpyUint8 {
  const context = { file };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new FxpError('not a .npy file: bad magic', context);
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw new FxpError(`unsupported .npy version ${major}`, context);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes + headerLen;
  if (start > bytes.length) throw new FxpError(`truncated .npy header: needs ${start} bytes, file has ${bytes.length}`, context);
  const header = new TextDecoder().decode(bytes.subarray(8 + lenBytes, start));
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  if (descr !== '|u1' && descr !== 'u1') throw new FxpError(`.npy dtype must be uint8 ('|u1'), got '${descr ?? '?'}'`, context);
  if (/'fortran_order':\s*True/.test(header)) throw new FxpError('.npy arrays in Fortran order are not supported', context);
  const dims = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (dims === undefined) throw new FxpError('.npy header has no shape', context);
  const shape = dims
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new FxpError(`bad .npy shape (${dims})`, context);
  const count = shape.reduce((a, b) => a * b, 1);
  if (start + count > bytes.length) throw new FxpError(`truncated .npy data: shape (${shape.join(', ')}) needs ${count} bytes after the header, file has ${bytes.length - start}`, context);
  return { shape, data: bytes.subarray(start, start + count) };
}
