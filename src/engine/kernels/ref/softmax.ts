/**
 * Softmax, integer reference, over `axis` (src/fixed/softmax.ts softmaxQ). x in
 * Q(fi), y in Q(fo). Per slice of length L:
 *
 *   mx  = max q
 *   e_j = expQ(q_j - mx)          stored digit tables (src/fixed/exp.ts), in [0, 2^E],
 *                                 E = exp.outFl; the maximum gives exactly 2^E
 *   S   = sum e_j                 integer in [2^E, L * 2^E]
 *   y_j = sat(divQ(e_j, S, fo))   floor(e_j * 2^fo / S + 1/2), exact (half up)
 *
 * Bound (proven at bind time, L being shape-dependent): divQ needs
 * 2^E * 2^max(0, fo) < 2^52 and L * 2^E * 2^max(0, -fo) < 2^52; both scaled
 * quantities are reported as the accumulator bound (doubled, against 2^53).
 */
import { expQ, type ExpTable } from '../../../fixed/exp.js';
import { qRange } from '../../../fixed/format.js';
import { divQ } from '../../../fixed/normalize.js';
import { pow2 } from '../../../fixed/pow2.js';
import { sizeOf } from '../../../tensor.js';
import type { FxExpTable } from '../../fx-graph.js';
import { accInfo, formatAt, inputAt, nodeError, shapeAt, type RefKernel, type NodeRef } from './kernel.js';

/** Checks the stored exp tables and adapts them to src/fixed's ExpTable. */
export function expTableOf(node: NodeRef, exp: FxExpTable, inFl: number): ExpTable {
  if (exp.inFl !== inFl) throw nodeError(node, `exp table is for input fl ${exp.inFl}, the input format has fl ${inFl}`);
  if (!Number.isInteger(exp.outFl) || exp.outFl < 0 || exp.outFl > 30) throw nodeError(node, `exp table output fl ${exp.outFl} is not in 0..30`);
  if (!Number.isSafeInteger(exp.jMax) || exp.jMax < 0) throw nodeError(node, `exp table jMax ${exp.jMax} is invalid`);
  if (exp.tables.length === 0) throw nodeError(node, 'exp table has no digit tables');
  if (256 ** exp.tables.length <= exp.jMax) throw nodeError(node, `exp table has ${exp.tables.length} digit tables, too few for jMax ${exp.jMax}`);
  for (const t of exp.tables) {
    if (t.length !== 256) throw nodeError(node, `exp digit table has ${t.length} entries, expected 256`);
    for (const v of t) if (v < 0 || v > 2 ** 30) throw nodeError(node, `exp digit table entry ${v} is outside [0, 2^30]`);
  }
  return { inFl: exp.inFl, outFl: exp.outFl, jMax: exp.jMax, tables: exp.tables, errorBoundLsb: Number.NaN };
}

export const softmaxRef: RefKernel<'Softmax'> = (node, io) => {
  const { axis } = node.attrs;
  const exp = expTableOf(node, node.attrs.exp, formatAt(node, io, 0).fl);
  const fo = io.outFormat;
  const maxE = pow2(exp.outFl);
  const { qmin, qmax } = qRange(fo);
  return {
    acc: undefined,
    bind: (inShapes) => {
      const xs = shapeAt(node, inShapes, 0);
      const len = xs[axis] ?? 1;
      const inner = sizeOf(xs.slice(axis + 1));
      const outer = sizeOf(xs.slice(0, axis));
      const scaled = Math.max(maxE * pow2(Math.max(0, fo.fl)), len * maxE * pow2(Math.max(0, -fo.fl)));
      const acc = accInfo(node, 2 * scaled, 'exp sum (scaled for rounding division, doubled)');
      const e = new Float64Array(len);
      return {
        acc,
        run: (inputs, out) => {
          const x = inputAt(node, inputs, 0);
          for (let o = 0; o < outer; o++) {
            for (let i = 0; i < inner; i++) {
              const base = o * len * inner + i;
              let mx = -Infinity;
              for (let j = 0; j < len; j++) mx = Math.max(mx, x[base + j * inner]!);
              let sum = 0;
              for (let j = 0; j < len; j++) {
                e[j] = expQ(x[base + j * inner]! - mx, exp);
                sum += e[j]!;
              }
              for (let j = 0; j < len; j++) {
                const y = divQ(e[j]!, sum, fo.fl);
                out[base + j * inner] = y < qmin ? qmin : y > qmax ? qmax : y;
              }
            }
          }
        },
      };
    },
  };
};
