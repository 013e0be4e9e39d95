/**
 * ConvTranspose (ONNX): per image and group, the GEMM col = Wᵀ·x gives every
 * (output channel, tap) contribution of every input position; col2im then
 * scatter-adds them to y[oy, ox] with oy = iy*sh + ky*dh - padTop (likewise x).
 * Weight W [C, M/group, kH, kW] is packed once per weight tensor.
 */
import { transposeGeometry } from '../../ir/padding.js';
import { tensor, type Tensor } from '../../tensor.js';
import { activateInPlace } from '../fused-activation.js';
import { NR, columnBlock, gemmPacked, packA, packB, packedASize, packedBSize } from '../gemm.js';
import { constantInput, derivedCache, input, type FloatKernel } from '../kernel.js';

interface PackedWeights {
  readonly data: Float32Array;
  readonly groupStride: number;
}

export const prepareConvTranspose: FloatKernel<'ConvTranspose'> = (node, g) => {
  const { group, activation } = node.attrs;
  const [kh, kw] = node.attrs.kernel;
  const [sh, sw] = node.attrs.strides;
  const [dh, dw] = node.attrs.dilations;
  // A(r, ci) = W[gi*cg + ci, r] with r = (mg*kh + ky)*kw + kx: rows of Wᵀ per group.
  const packed = derivedCache((w: Tensor): PackedWeights => {
    const [c = 0, mg = 0] = w.shape;
    const cg = c / group;
    const rows = mg * kh * kw;
    const groupStride = packedASize(rows, cg);
    const data = new Float32Array(groupStride * group);
    for (let gi = 0; gi < group; gi++) packA(w.data, gi * cg * rows, 1, rows, rows, cg, data, gi * groupStride);
    return { data, groupStride };
  });
  const w0 = constantInput(node, g, 1);
  if (w0 !== undefined) packed(w0);

  let bBuf = new Float32Array(0);
  let colBuf = new Float32Array(0);

  return (inputs, outShape) => {
    const x = input(node, inputs, 0);
    const w = input(node, inputs, 1);
    const bias = inputs[2]?.data;
    const [n = 0, c = 0, h = 0, wd = 0] = x.shape;
    const [, m = 0, outH = 0, outW = 0] = outShape;
    const { pads } = transposeGeometry(node.attrs, h, wd);
    const [padT, padL] = pads;
    const cg = c / group;
    const mg = m / group;
    const rows = mg * kh * kw;
    const inPlane = h * wd;
    const outPlane = outH * outW;
    const { data: ap, groupStride } = packed(w);
    const block = Math.min(columnBlock(cg), Math.ceil(inPlane / NR) * NR);
    if (bBuf.length < packedBSize(cg, block)) bBuf = new Float32Array(packedBSize(cg, block));
    if (colBuf.length < rows * block) colBuf = new Float32Array(rows * block);
    const out = tensor(outShape);
    const y = out.data;
    for (let img = 0; img < n; img++) {
      for (let gi = 0; gi < group; gi++) {
        const xOff = (img * c + gi * cg) * inPlane;
        const yOff = (img * m + gi * mg) * outPlane;
        if (bias !== undefined) {
          for (let r = 0; r < mg; r++) y.fill(bias[gi * mg + r]!, yOff + r * outPlane, yOff + (r + 1) * outPlane);
        }
        for (let n0 = 0; n0 < inPlane; n0 += block) {
          const cols = Math.min(inPlane, n0 + block) - n0;
          packB(x.data, xOff + n0, inPlane, 1, cg, cols, bBuf);
          colBuf.fill(0, 0, rows * cols);
          gemmPacked(rows, cols, cg, ap, gi * groupStride, bBuf, 0, colBuf, 0, cols);
          col2im(colBuf, cols, n0, wd, mg, kh, kw, sh, sw, dh, dw, padT, padL, outH, outW, y, yOff);
        }
      }
      activateInPlace(activation, y, img * m * outPlane, (img + 1) * m * outPlane);
    }
    return out;
  };
};

/** Scatter-adds col[r, j] (input position q = n0 + j) to its output cell, if inside. */
function col2im(
  col: Float32Array, cols: number, n0: number, inW: number, mg: number, kh: number, kw: number,
  sh: number, sw: number, dh: number, dw: number, padT: number, padL: number,
  outH: number, outW: number, y: Float32Array, yOff: number,
): void {
  let r = 0;
  for (let mi = 0; mi < mg; mi++) {
    const plane = yOff + mi * outH * outW;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++, r++) {
        const src = r * cols;
        for (let j = 0; j < cols; j++) {
          const q = n0 + j;
          const iy = Math.floor(q / inW);
          const oy = iy * sh + ky * dh - padT;
          const ox = (q - iy * inW) * sw + kx * dw - padL;
          if (oy < 0 || oy >= outH || ox < 0 || ox >= outW) continue;
          const o = plane + oy * outW + ox;
          y[o] = y[o]! + col[src + j]!;
        }
      }
    }
  }
}
