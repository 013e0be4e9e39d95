/**
 * Add and Mul with numpy broadcasting (Add may carry a fused activation).
 *
 * Both operands are right-aligned to the output rank; adjacent dims that are
 * broadcast the same way in both operands are merged, so the common cases
 * (equal shapes, a scalar, a per-channel [C,1,1] operand) run as a few long
 * contiguous or constant-operand inner loops.
 */
import type { FusedActivation, Node } from '../../ir/ops.js';
import { tensor, type Tensor } from '../../tensor.js';
import { activateInPlace } from '../fused-activation.js';
import { input, type FloatKernel, type NodeRun } from '../kernel.js';

interface Plan {
  /** Output dims after merging, outermost first. */
  readonly dims: number[];
  /** Element strides of a and b per merged dim (0 where broadcast). */
  readonly sa: number[];
  readonly sb: number[];
}

function plan(out: readonly number[], a: readonly number[], b: readonly number[]): Plan {
  const r = out.length;
  const dims: number[] = [];
  const ba: boolean[] = [];
  const bb: boolean[] = [];
  for (let i = 0; i < r; i++) {
    const d = out[i]!;
    if (d === 1) continue;
    const isA = (a[a.length - r + i] ?? 1) === 1;
    const isB = (b[b.length - r + i] ?? 1) === 1;
    const last = dims.length - 1;
    if (last >= 0 && ba[last] === isA && bb[last] === isB) dims[last]! *= d;
    else {
      dims.push(d);
      ba.push(isA);
      bb.push(isB);
    }
  }
  const strides = (bc: boolean[]): number[] => {
    const s = new Array<number>(dims.length);
    let acc = 1;
    for (let i = dims.length - 1; i >= 0; i--) {
      s[i] = bc[i] ? 0 : acc;
      if (!bc[i]) acc *= dims[i]!;
    }
    return s;
  };
  return { dims, sa: strides(ba), sb: strides(bb) };
}

function binary(node: Node, f: 'add' | 'mul', act: FusedActivation | undefined): NodeRun {
  return (inputs, outShape): Tensor => {
    const a = input(node, inputs, 0);
    const b = input(node, inputs, 1);
    const out = tensor(outShape);
    const { dims, sa, sb } = plan(outShape, a.shape, b.shape);
    const ad = a.data;
    const bd = b.data;
    const y = out.data;
    const r = dims.length;
    if (r === 0) {
      y[0] = f === 'add' ? ad[0]! + bd[0]! : ad[0]! * bd[0]!;
      activateInPlace(act, y);
      return out;
    }
    const inner = dims[r - 1]!;
    const ia = sa[r - 1]!;
    const ib = sb[r - 1]!;
    const idx = new Array<number>(r).fill(0);
    let oa = 0;
    let ob = 0;
    for (let o = 0; o < y.length; o += inner) {
      if (f === 'add') for (let j = 0; j < inner; j++) y[o + j] = ad[oa + j * ia]! + bd[ob + j * ib]!;
      else for (let j = 0; j < inner; j++) y[o + j] = ad[oa + j * ia]! * bd[ob + j * ib]!;
      // Odometer over the outer merged dims.
      for (let d = r - 2; d >= 0; d--) {
        oa += sa[d]!;
        ob += sb[d]!;
        if (++idx[d]! < dims[d]!) break;
        oa -= sa[d]! * dims[d]!;
        ob -= sb[d]! * dims[d]!;
        idx[d] = 0;
      }
    }
    activateInPlace(act, y);
    return out;
  };
}

export const prepareAdd: FloatKernel<'Add'> = (node) => binary(node, 'add', node.attrs.activation);
export const prepareMul: FloatKernel<'Mul'> = (node) => binary(node, 'mul', undefined);
