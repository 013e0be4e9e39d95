/**
 * Dense: y[..., m] = sum_k x[..., k] W[m, k] + B[m], then the fused activation.
 * As a GEMM, C [rows, M] = X [rows, K] · Wᵀ; Wᵀ is the B operand, packed once per
 * weight tensor.
 */
import { tensor, type Tensor } from '../../tensor.js';
import { activateInPlace } from '../fused-activation.js';
import { gemmPacked, packA, packB, packedASize, packedBSize } from '../gemm.js';
import { constantInput, derivedCache, input, type FloatKernel } from '../kernel.js';

export const prepareDense: FloatKernel<'Dense'> = (node, g) => {
  const packed = derivedCache((w: Tensor): Float32Array => {
    const [m = 0, k = 0] = w.shape;
    const out = new Float32Array(packedBSize(k, m));
    packB(w.data, 0, 1, k, k, m, out);
    return out;
  });
  const w0 = constantInput(node, g, 1);
  if (w0 !== undefined) packed(w0);
  let aBuf = new Float32Array(0);

  return (inputs, outShape) => {
    const x = input(node, inputs, 0);
    const w = input(node, inputs, 1);
    const bias = inputs[2]?.data;
    const [m = 0, k = 0] = w.shape;
    const rows = k === 0 ? 0 : x.data.length / k;
    const bp = packed(w);
    if (aBuf.length < packedASize(rows, k)) aBuf = new Float32Array(packedASize(rows, k));
    packA(x.data, 0, k, 1, rows, k, aBuf);
    const out = tensor(outShape);
    const y = out.data;
    if (bias !== undefined) for (let r = 0; r < rows; r++) y.set(bias.subarray(0, m), r * m);
    gemmPacked(rows, m, k, aBuf, 0, bp, 0, y, 0, m);
    activateInPlace(node.attrs.activation, y);
    return out;
  };
};
