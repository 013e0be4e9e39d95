/**
 * Pad (ONNX): constant, reflect (mirror without repeating the edge) or edge
 * (repeat the edge). Negative pads crop. Each dim gets a map from output to
 * input coordinate (-1: the constant); rows of the last dim are then gathered.
 * With channelValues (constant mode, dim 1 not padded), a padded cell of channel
 * c holds channelValues[c] instead of `value`.
 */
import { stridesOf, tensor, type Tensor } from '../../tensor.js';
import { padSourceIndex } from '../../ir/padding.js';
import { padChannelsProblem } from '../../ir/shape.js';
import { input, kernelError, type FloatKernel } from '../kernel.js';

export const preparePad: FloatKernel<'Pad'> = (node) => (inputs, outShape): Tensor => {
  const x = input(node, inputs, 0);
  const { pads, mode, value, channelValues: cv } = node.attrs;
  const r = x.shape.length;
  const problem = padChannelsProblem(node.attrs, x.shape);
  if (problem !== undefined) throw kernelError(node, problem);
  const maps = outShape.map((d, k) => Int32Array.from({ length: d }, (_, o) => padSourceIndex(o, pads[k]!, x.shape[k]!, mode)));
  const inStrides = stridesOf(x.shape);
  const out = tensor(outShape);
  const y = out.data;
  if (r === 0 || y.length === 0) return out;
  const inner = outShape[r - 1]!;
  const last = maps[r - 1]!;
  const idx = new Array<number>(r).fill(0);
  for (let o = 0; o < y.length; o += inner) {
    let src = 0;
    let inside = true;
    for (let d = 0; d < r - 1; d++) {
      const i = maps[d]![idx[d]!]!;
      if (i < 0) inside = false;
      src += i * inStrides[d]!;
    }
    // Rank 2: the channel is the last dim's coordinate; else dim 1 of the row.
    const fill = cv === undefined || r === 2 ? value : cv[idx[1]!]!;
    if (cv !== undefined && r === 2) {
      for (let j = 0; j < inner; j++) {
        const i = last[j]!;
        y[o + j] = !inside || i < 0 ? cv[j]! : x.data[src + i]!;
      }
    } else if (!inside) y.fill(fill, o, o + inner);
    else {
      for (let j = 0; j < inner; j++) {
        const i = last[j]!;
        y[o + j] = i < 0 ? fill : x.data[src + i]!;
      }
    }
    for (let d = r - 2; d >= 0; d--) {
      if (++idx[d]! < outShape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
};
