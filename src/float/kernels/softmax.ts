/** Softmax over one axis (ONNX opset 13), with the row maximum subtracted first. */
import { sizeOf } from '../../tensor.js';
import { input, type FloatKernel } from '../kernel.js';

export const prepareSoftmax: FloatKernel<'Softmax'> = (node) => (inputs) => {
  const x = input(node, inputs, 0);
  const { axis } = node.attrs;
  const len = x.shape[axis] ?? 1;
  const inner = sizeOf(x.shape.slice(axis + 1));
  const outer = sizeOf(x.shape.slice(0, axis));
  const xd = x.data;
  const y = new Float32Array(xd.length);
  const e = new Float64Array(len);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      let max = -Infinity;
      for (let j = 0; j < len; j++) max = Math.max(max, xd[base + j * inner]!);
      let sum = 0;
      for (let j = 0; j < len; j++) {
        e[j] = Math.exp(xd[base + j * inner]! - max);
        sum += e[j]!;
      }
      for (let j = 0; j < len; j++) y[base + j * inner] = e[j]! / sum;
    }
  }
  return { shape: x.shape, data: y };
};
