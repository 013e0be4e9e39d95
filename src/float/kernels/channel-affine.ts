/**
 * Per-channel affine maps over dim 1: ChannelAffine (y = x*scale[c] + bias[c])
 * and inference BatchNormalization, folded to the same form with
 * scale' = scale / sqrt(var + eps), bias' = bias - mean * scale'.
 */
import type { FusedActivation, Node } from '../../ir/ops.js';
import { sizeOf, type Tensor } from '../../tensor.js';
import { activateInPlace } from '../fused-activation.js';
import { input, type FloatKernel } from '../kernel.js';

function affine(x: Tensor, scale: ArrayLike<number>, bias: ArrayLike<number>, act: FusedActivation | undefined): Tensor {
  const [n = 1, c = 1] = x.shape;
  const inner = sizeOf(x.shape.slice(2));
  const y = new Float32Array(x.data.length);
  const xd = x.data;
  for (let img = 0; img < n; img++) {
    for (let ch = 0; ch < c; ch++) {
      const s = scale[ch]!;
      const b = bias[ch]!;
      const base = (img * c + ch) * inner;
      for (let i = base; i < base + inner; i++) y[i] = xd[i]! * s + b;
    }
  }
  activateInPlace(act, y);
  return { shape: x.shape, data: y };
}

export const prepareChannelAffine: FloatKernel<'ChannelAffine'> = (node) => (inputs) =>
  affine(input(node, inputs, 0), input(node, inputs, 1).data, input(node, inputs, 2).data, node.attrs.activation);

interface Folded {
  readonly scale: Float64Array;
  readonly bias: Float64Array;
}

function fold(node: Node, inputs: readonly Tensor[], eps: number): Folded {
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => input(node, inputs, i).data) as [
    Float32Array, Float32Array, Float32Array, Float32Array,
  ];
  const s = new Float64Array(scale.length);
  const b = new Float64Array(scale.length);
  for (let c = 0; c < scale.length; c++) {
    s[c] = scale[c]! / Math.sqrt(variance[c]! + eps);
    b[c] = bias[c]! - mean[c]! * s[c]!;
  }
  return { scale: s, bias: b };
}

export const prepareBatchNormalization: FloatKernel<'BatchNormalization'> = (node) => {
  // Folded once and reused while the four statistics tensors are the same objects.
  let cached: { readonly key: readonly Float32Array[]; readonly folded: Folded } | undefined;
  const folded = (inputs: readonly Tensor[]): Folded => {
    const key = inputs.slice(1, 5).map((t) => t.data);
    if (cached === undefined || cached.key.some((d, i) => d !== key[i])) cached = { key, folded: fold(node, inputs, node.attrs.epsilon) };
    return cached.folded;
  };
  return (inputs) => {
    const f = folded(inputs);
    return affine(input(node, inputs, 0), f.scale, f.bias, undefined);
  };
};
