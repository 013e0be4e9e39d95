/** Element-wise activations: Relu, Clip, LeakyRelu (as in applyActivation), Sigmoid, Tanh. */
import type { FusedActivation, Node } from '../../ir/ops.js';
import type { Tensor } from '../../tensor.js';
import { activateInPlace } from '../fused-activation.js';
import { input, type FloatKernel, type NodeRun } from '../kernel.js';

function fused(node: Node, act: FusedActivation): NodeRun {
  return (inputs, outShape) => {
    const data = Float32Array.from(input(node, inputs, 0).data);
    activateInPlace(act, data);
    return { shape: [...outShape], data };
  };
}

function map(node: Node, f: (v: number) => number): NodeRun {
  return (inputs, outShape): Tensor => {
    const x = input(node, inputs, 0).data;
    const y = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) y[i] = f(x[i]!);
    return { shape: [...outShape], data: y };
  };
}

/** 1 / (1 + e^-v), evaluated so that e^|v| never overflows. */
function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

export const prepareRelu: FloatKernel<'Relu'> = (node) => fused(node, { kind: 'Relu' });
export const prepareClip: FloatKernel<'Clip'> = (node) => fused(node, { kind: 'Clip', min: node.attrs.min, max: node.attrs.max });
export const prepareLeakyRelu: FloatKernel<'LeakyRelu'> = (node) => fused(node, { kind: 'LeakyRelu', alpha: node.attrs.alpha });
export const prepareSigmoid: FloatKernel<'Sigmoid'> = (node) => map(node, sigmoid);
export const prepareTanh: FloatKernel<'Tanh'> = (node) => map(node, Math.tanh);
