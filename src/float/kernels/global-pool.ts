/** GlobalMaxPool and GlobalAveragePool: one value per (image, channel) over all spatial dims. */
import type { Node } from '../../ir/ops.js';
import { sizeOf, tensor, type Tensor } from '../../tensor.js';
import { input, type FloatKernel, type NodeRun } from '../kernel.js';

function globalPool(node: Node, mode: 'max' | 'avg'): NodeRun {
  return (inputs, outShape): Tensor => {
    const x = input(node, inputs, 0);
    const planes = (x.shape[0] ?? 1) * (x.shape[1] ?? 1);
    const size = sizeOf(x.shape.slice(2));
    const out = tensor(outShape);
    for (let p = 0; p < planes; p++) {
      const base = p * size;
      if (mode === 'max') {
        let max = -Infinity;
        for (let i = base; i < base + size; i++) {
          const v = x.data[i]!;
          if (v > max || Number.isNaN(v)) max = v;
        }
        out.data[p] = max;
      } else {
        let sum = 0;
        for (let i = base; i < base + size; i++) sum += x.data[i]!;
        out.data[p] = sum / size;
      }
    }
    return out;
  };
}

export const prepareGlobalMaxPool: FloatKernel<'GlobalMaxPool'> = (node) => globalPool(node, 'max');
export const prepareGlobalAveragePool: FloatKernel<'GlobalAveragePool'> = (node) => globalPool(node, 'avg');
