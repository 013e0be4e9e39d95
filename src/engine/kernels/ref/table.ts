/**
 * Sigmoid and Tanh, integer reference: table lookup built at lowering time.
 * x in Q(fi) (the table's index domain), y in Q(fo):
 *
 *   y = sat(table[clamp(q, t0, t0 + len - 1) - t0])
 *
 * Integers only, no accumulation (bound: the largest table entry).
 */
import type { FxTable } from '../../fx-graph.js';
import { qRange } from '../../../fixed/format.js';
import { accInfo, inputAt, nodeError, type NodeIO, type PreparedKernel, type RefKernel, type NodeRef } from './kernel.js';

/** Checks a table and returns its largest |entry|. */
export function validateTable(node: NodeRef, t: FxTable, what: string): number {
  if (t.data.length === 0) throw nodeError(node, `${what} table is empty`);
  if (!Number.isSafeInteger(t.qmin)) throw nodeError(node, `${what} table qmin ${t.qmin} is not an integer`);
  let max = 0;
  for (const v of t.data) max = Math.max(max, Math.abs(v));
  return max;
}

function lookup(node: NodeRef, io: NodeIO, table: FxTable): PreparedKernel {
  const acc = accInfo(node, validateTable(node, table, node.op), 'table entry');
  const { qmin, qmax } = qRange(io.outFormat);
  const t0 = table.qmin;
  const t1 = table.qmin + table.data.length - 1;
  const data = table.data;
  const bound = {
    acc,
    run: (inputs: readonly Int32Array[], out: Int32Array) => {
      const x = inputAt(node, inputs, 0);
      for (let i = 0; i < x.length; i++) {
        const q = x[i]!;
        const y = data[(q < t0 ? t0 : q > t1 ? t1 : q) - t0]!;
        out[i] = y < qmin ? qmin : y > qmax ? qmax : y;
      }
    },
  };
  return { acc, bind: () => bound };
}

export const sigmoidRef: RefKernel<'Sigmoid'> = (node, io) => lookup(node, io, node.attrs.table);
export const tanhRef: RefKernel<'Tanh'> = (node, io) => lookup(node, io, node.attrs.table);
