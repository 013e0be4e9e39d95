/**
 * `.fxp` files: a versioned, self-describing, bit-packed, checksummed container
 * for a fixed-point graph (layout in docs/fxp-format.md, bytes in fxp-container.ts).
 *
 * encodeFxp/decodeFxp/fxpSizeReport are pure and work in browsers (import
 * ./fxp-container.js there); readFxp/writeFxp add the Node file system.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { wrapError } from '../errors.js';
import type { FxGraph } from '../engine/fx-graph.js';
import { decodeFxp, encodeFxpFor } from './fxp-container.js';

export { FXP_MAGIC, FXP_VERSION, decodeFxp, encodeFxp, fxpSizeReport, type FxpSizeReport } from './fxp-container.js';
export { verifyFxGraph, FX_LIMITS } from './fxp-verify.js';
export { FX_OP_ARITY, isFxOpType } from '../engine/fx-graph.js';

/** Writes `fx` to `path`; the graph is verified first, so an invalid graph writes nothing. */
export async function writeFxp(path: string, fx: FxGraph): Promise<void> {
  const bytes = encodeFxpFor(fx, path);
  try {
    await writeFile(path, bytes);
  } catch (err) {
    throw wrapError(err, 'cannot write .fxp file', { file: path });
  }
}

/** Reads and fully validates an `.fxp` file. */
export async function readFxp(path: string): Promise<FxGraph> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw wrapError(err, 'cannot read .fxp file', { file: path });
  }
  return decodeFxp(bytes, path);
}
