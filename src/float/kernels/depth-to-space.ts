/**
 * DepthToSpace (ONNX): y[n, c, h*b + by, w*b + bx] = x[n, ic, h, w] with
 * ic = (by*b + bx)*C' + c in DCR mode and ic = (c*b + by)*b + bx in CRD mode
 * (CRD is PyTorch's PixelShuffle).
 */
import { tensor, type Tensor } from '../../tensor.js';
import { input, type FloatKernel } from '../kernel.js';

export const prepareDepthToSpace: FloatKernel<'DepthToSpace'> = (node) => (inputs, outShape): Tensor => {
  const x = input(node, inputs, 0);
  const { blocksize: b, mode } = node.attrs;
  const [n = 0, c = 0, h = 0, w = 0] = x.shape;
  const co = c / (b * b);
  const out = tensor(outShape);
  const xd = x.data;
  const y = out.data;
  const ow = w * b;
  for (let img = 0; img < n; img++) {
    for (let ch = 0; ch < co; ch++) {
      const yPlane = (img * co + ch) * h * b * ow;
      for (let by = 0; by < b; by++) {
        for (let bx = 0; bx < b; bx++) {
          const ic = mode === 'DCR' ? (by * b + bx) * co + ch : (ch * b + by) * b + bx;
          const xPlane = (img * c + ic) * h * w;
          for (let iy = 0; iy < h; iy++) {
            const dst = yPlane + (iy * b + by) * ow + bx;
            const src = xPlane + iy * w;
            for (let ix = 0; ix < w; ix++) y[dst + ix * b] = xd[src + ix]!;
          }
        }
      }
    }
  }
  return out;
};
