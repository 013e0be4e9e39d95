/** Concat along one axis: each input contributes a contiguous run per outer index. */
import { sizeOf, tensor, type Tensor } from '../../tensor.js';
import type { FloatKernel } from '../kernel.js';

export const prepareConcat: FloatKernel<'Concat'> = (node) => (inputs, outShape): Tensor => {
  const { axis } = node.attrs;
  const outer = sizeOf(outShape.slice(0, axis));
  const inner = sizeOf(outShape.slice(axis + 1));
  const out = tensor(outShape);
  const rowLen = (outShape[axis] ?? 1) * inner;
  let at = 0;
  for (const t of inputs) {
    const run = (t.shape[axis] ?? 1) * inner;
    for (let o = 0; o < outer; o++) out.data.set(t.data.subarray(o * run, (o + 1) * run), o * rowLen + at);
    at += run;
  }
  return out;
};
