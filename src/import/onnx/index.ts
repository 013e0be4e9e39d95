/**
 * ONNX importer: ONNX models (default domain, opsets 11-18) to the float graph IR.
 */
import { readFile } from 'node:fs/promises';
import { wrapError } from '../../errors.js';
import type { Graph } from '../../ir/graph.js';
import { importOnnx } from './importer.js';

export { importOnnx, MIN_OPSET, MAX_OPSET } from './importer.js';
export { ONNX_OPS } from './table.js';

/** Reads and imports an ONNX file; errors name `path`. */
export async function loadOnnx(path: string): Promise<Graph> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw wrapError(err, 'cannot read ONNX file', { file: path });
  }
  return importOnnx(bytes, path);
}
