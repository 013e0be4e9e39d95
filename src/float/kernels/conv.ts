/**
 * Conv (ONNX): grouped, strided, dilated, explicit or auto padding, optional
 * fused activation. General groups go through im2col + packed GEMM per image and
 * group, with the weights packed once per weight tensor; depthwise convs (one
 * input channel per group) use the direct kernel.
 */
import { windowGeometry } from '../../ir/padding.js';
import { tensor, type Tensor } from '../../tensor.js';
import { activateInPlace } from '../fused-activation.js';
import { depthwiseConv } from '../depthwise.js';
import { NR, columnBlock, gemmPacked, packA, packedASize, packedBSize } from '../gemm.js';
import { im2colPacked, type ConvGeometry } from '../im2col.js';
import { constantInput, derivedCache, input, type FloatKernel } from '../kernel.js';

interface PackedWeights {
  readonly data: Float32Array;
  /** Offset between the packed A matrices of consecutive groups. */
  readonly groupStride: number;
}

export const prepareConv: FloatKernel<'Conv'> = (node, g) => {
  const { group, activation } = node.attrs;
  const packed = derivedCache((w: Tensor): PackedWeights => {
    const [m = 0, cg = 0, kh = 0, kw = 0] = w.shape;
    const mg = m / group;
    const depth = cg * kh * kw;
    const groupStride = packedASize(mg, depth);
    const data = new Float32Array(groupStride * group);
    for (let gi = 0; gi < group; gi++) packA(w.data, gi * mg * depth, depth, 1, mg, depth, data, gi * groupStride);
    return { data, groupStride };
  });
  const w0 = constantInput(node, g, 1);
  const depthwise = group > 1 && w0?.shape[1] === 1;
  if (w0 !== undefined && !depthwise) packed(w0);

  let colBuf = new Float32Array(0);
  let accBuf = new Float64Array(0);

  return (inputs, outShape) => {
    const x = input(node, inputs, 0);
    const w = input(node, inputs, 1);
    const bias = inputs[2]?.data;
    const [n = 0, c = 0, h = 0, wd = 0] = x.shape;
    const [, m = 0, outH = 0, outW = 0] = outShape;
    const win = windowGeometry(node.attrs, h, wd);
    const cg = c / group;
    const mg = m / group;
    const geo: ConvGeometry = {
      c: cg, h, w: wd, kh: node.attrs.kernel[0], kw: node.attrs.kernel[1],
      sh: node.attrs.strides[0], sw: node.attrs.strides[1],
      dh: node.attrs.dilations[0], dw: node.attrs.dilations[1],
      padT: win.pads[0], padL: win.pads[1], outH, outW,
    };
    const plane = outH * outW;
    const out = tensor(outShape);
    const y = out.data;

    if (group > 1 && cg === 1) {
      if (accBuf.length < plane) accBuf = new Float64Array(plane);
      depthwiseConv(x.data, w.data, bias, n, c, mg, geo, y, accBuf);
      activateInPlace(activation, y);
      return out;
    }

    const depth = cg * geo.kh * geo.kw;
    const { data: ap, groupStride } = packed(w);
    // Equal column blocks (whole panels), so no block is a sliver.
    const nBlocks = Math.ceil(plane / columnBlock(depth));
    const block = Math.ceil(plane / nBlocks / NR) * NR;
    const need = packedBSize(depth, block);
    if (colBuf.length < need) colBuf = new Float32Array(need);
    for (let img = 0; img < n; img++) {
      for (let gi = 0; gi < group; gi++) {
        const xOff = (img * c + gi * cg) * h * wd;
        const yOff = (img * m + gi * mg) * plane;
        if (bias !== undefined) {
          for (let r = 0; r < mg; r++) y.fill(bias[gi * mg + r]!, yOff + r * plane, yOff + (r + 1) * plane);
        }
        for (let n0 = 0; n0 < plane; n0 += block) {
          const n1 = Math.min(plane, n0 + block);
          im2colPacked(x.data, xOff, geo, n0, n1, colBuf);
          gemmPacked(mg, n1 - n0, depth, ap, gi * groupStride, colBuf, 0, y, yOff + n0, plane);
        }
      }
      activateInPlace(activation, y, img * m * plane, (img + 1) * m * plane);
    }
    return out;
  };
};
