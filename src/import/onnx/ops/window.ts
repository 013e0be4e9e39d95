/**
 * Attributes shared by Conv, ConvTranspose and the pools: 2-D windows only,
 * ONNX pads order [top, left, bottom, right] (the IR's Pads4 order).
 */
import type { AutoPad, Pads4, Pair } from '../../../ir/ops.js';
import type { NodeContext } from '../context.js';

const AUTO_PADS: readonly AutoPad[] = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];

export function autoPadOf(n: NodeContext): AutoPad {
  const s = n.attrs.string('auto_pad', 'NOTSET');
  const found = AUTO_PADS.find((a) => a === s);
  if (found === undefined) n.fail(`auto_pad '${s}' is not one of ${AUTO_PADS.join(', ')}`);
  return found;
}

export function pairAttr(n: NodeContext, name: string, def: Pair): Pair {
  const v = n.attrs.ints(name, def);
  if (v.length !== 2) n.fail(`attribute '${name}' must have 2 values (only 2-D ${n.opType} is supported), got [${v.join(', ')}]`);
  return [v[0]!, v[1]!];
}

/** Explicit pads; ignored by the IR unless auto_pad is NOTSET, as in ONNX. */
export function padsAttr(n: NodeContext): Pads4 {
  const v = n.attrs.ints('pads', [0, 0, 0, 0]);
  if (v.length !== 4) n.fail(`attribute 'pads' must have 4 values (only 2-D ${n.opType} is supported), got [${v.join(', ')}]`);
  return [v[0]!, v[1]!, v[2]!, v[3]!];
}

/** The input of a 2-D window op must be NCHW (rank 4) when its rank is known. */
export function checkRank4(n: NodeContext, x: number): void {
  const dims = n.knownDims(x);
  if (dims !== undefined && dims.length !== 4) n.fail(`input must have rank 4 (NCHW; only 2-D ${n.opType} is supported), got rank ${dims.length}`);
}

/** Kernel size from kernel_shape, or from the weight's spatial dims; they must agree. */
export function kernelOf(n: NodeContext, weightDims?: readonly number[]): Pair {
  const attr = n.attrs.optInts('kernel_shape');
  if (weightDims === undefined) {
    if (attr === undefined) n.fail(`attribute 'kernel_shape' is required`);
    return pairAttr(n, 'kernel_shape', [1, 1]);
  }
  if (weightDims.length !== 4) n.fail(`weight must have rank 4 (only 2-D ${n.opType} is supported), got dims [${weightDims.join(', ')}]`);
  const k: Pair = [weightDims[2]!, weightDims[3]!];
  if (attr !== undefined && (attr.length !== 2 || attr[0] !== k[0] || attr[1] !== k[1])) {
    n.fail(`kernel_shape [${attr.join(', ')}] does not match weight dims [${weightDims.join(', ')}]`);
  }
  return k;
}
