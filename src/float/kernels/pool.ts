/**
 * MaxPool and AveragePool (ONNX): strides, dilations, explicit or auto padding,
 * ceil mode. MaxPool ignores padding cells. AveragePool divides by the number of
 * window taps inside the input (countIncludePad false) or inside the padded input
 * [-padBegin, size + padEnd) (true); taps past the end padding, which ceil mode
 * can produce, never count.
 */
import type { Node, PoolAttrs } from '../../ir/ops.js';
import { windowGeometry } from '../../ir/padding.js';
import { tensor, type Tensor } from '../../tensor.js';
import { input, type FloatKernel, type NodeRun } from '../kernel.js';

/** What onnxruntime outputs for a window with no input cell: the lowest float. */
const EMPTY_MAX = -3.4028234663852886e38;

function pool(node: Node, attrs: PoolAttrs, mode: 'max' | 'avg', includePad: boolean): NodeRun {
  const [kh, kw] = attrs.kernel;
  const [sh, sw] = attrs.strides;
  const [dh, dw] = attrs.dilations;
  return (inputs, outShape): Tensor => {
    const x = input(node, inputs, 0);
    const [n = 0, c = 0, h = 0, w = 0] = x.shape;
    const [, , outH = 0, outW = 0] = outShape;
    const [padT, padL, padB, padR] = windowGeometry(attrs, h, w).pads;
    const out = tensor(outShape);
    const xd = x.data;
    const y = out.data;
    let o = 0;
    for (let plane = 0; plane < n * c; plane++) {
      const xBase = plane * h * w;
      for (let oy = 0; oy < outH; oy++) {
        const y0 = oy * sh - padT;
        for (let ox = 0; ox < outW; ox++, o++) {
          const x0 = ox * sw - padL;
          let max = -Infinity;
          let sum = 0;
          let inside = 0;
          let padded = 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = y0 + ky * dh;
            const rowInPad = iy >= -padT && iy < h + padB;
            const rowIn = iy >= 0 && iy < h;
            for (let kx = 0; kx < kw; kx++) {
              const ix = x0 + kx * dw;
              if (rowInPad && ix >= -padL && ix < w + padR) padded++;
              if (!rowIn || ix < 0 || ix >= w) continue;
              const v = xd[xBase + iy * w + ix]!;
              inside++;
              if (v > max || Number.isNaN(v)) max = v;
              sum += v;
            }
          }
          if (mode === 'max') y[o] = inside === 0 ? EMPTY_MAX : max;
          else y[o] = sum / (includePad ? padded : inside);
        }
      }
    }
    return out;
  };
}

export const prepareMaxPool: FloatKernel<'MaxPool'> = (node) => pool(node, node.attrs, 'max', false);
export const prepareAveragePool: FloatKernel<'AveragePool'> = (node) =>
  pool(node, node.attrs, 'avg', node.attrs.countIncludePad);
