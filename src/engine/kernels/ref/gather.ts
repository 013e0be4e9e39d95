/**
 * Data-movement ops as gathers: out[i] = requant(x[map[i]]) with an index map built
 * at bind time (map[i] = -1 reads the constant; with an array of constants, map[i]
 * = -1 - k reads constant k). The format conversion is the Requant of
 * output-stage.ts, y = sat(roundShift(q, fi - fo)): an exact copy when the formats
 * agree, which is the normal case. Constants are converted the same way.
 */

import { formatAt, inputAt, type NodeIO, type PreparedKernel, type Shape, type NodeRef } from './kernel.js';
import { prepareRequant, requant, requantArray } from './output-stage.js';

export type IndexMap = (inShapes: readonly Shape[], outShape: Shape) => Int32Array;

/**
 * A gather; `constant` (an integer in the input format) fills map entries of -1, or,
 * given as an array, constant[k] fills map entries of -1 - k.
 */
export function prepareGather(node: NodeRef, io: NodeIO, indexMap: IndexMap, constant: number | readonly number[] = 0): PreparedKernel {
  const rq = prepareRequant(node, formatAt(node, io, 0), io.outFormat);
  const fills = Int32Array.from(typeof constant === 'number' ? [constant] : constant, (c) => requant(rq, c));
  return {
    acc: rq.acc,
    bind: (inShapes, outShape) => {
      const map = indexMap(inShapes, outShape);
      return {
        acc: rq.acc,
        run: (inputs, out) => {
          const x = inputAt(node, inputs, 0);
          for (let i = 0; i < out.length; i++) {
            const j = map[i]!;
            out[i] = j < 0 ? fills[-1 - j]! : requant(rq, x[j]!);
          }
        },
      };
    },
  };
}

/** Same elements in the same order (Flatten, Reshape, Identity, Requantize). */
export function prepareCopy(node: NodeRef, io: NodeIO): PreparedKernel {
  const rq = prepareRequant(node, formatAt(node, io, 0), io.outFormat);
  const bound = { acc: rq.acc, run: (inputs: readonly Int32Array[], out: Int32Array) => requantArray(rq, inputAt(node, inputs, 0), out) };
  return { acc: rq.acc, bind: () => bound };
}
