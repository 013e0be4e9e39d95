/** Transpose: out[i0..ir] = x[i at perm], walked in output order with an odometer. */
import { stridesOf, tensor, type Tensor } from '../../tensor.js';
import { input, type FloatKernel } from '../kernel.js';

export const prepareTranspose: FloatKernel<'Transpose'> = (node) => (inputs, outShape): Tensor => {
  const x = input(node, inputs, 0);
  const { perm } = node.attrs;
  const inStrides = stridesOf(x.shape);
  // Stride in x of each output dim.
  const s = perm.map((p) => inStrides[p]!);
  const out = tensor(outShape);
  const r = outShape.length;
  if (r === 0 || out.data.length === 0) {
    out.data.set(x.data.subarray(0, out.data.length));
    return out;
  }
  const inner = outShape[r - 1]!;
  const si = s[r - 1]!;
  const idx = new Array<number>(r).fill(0);
  const xd = x.data;
  const y = out.data;
  let src = 0;
  for (let o = 0; o < y.length; o += inner) {
    for (let j = 0; j < inner; j++) y[o + j] = xd[src + j * si]!;
    for (let d = r - 2; d >= 0; d--) {
      src += s[d]!;
      if (++idx[d]! < outShape[d]!) break;
      src -= s[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return out;
};
