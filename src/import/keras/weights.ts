/**
 * The weights of a Keras model as both readers (HDF5, TF.js) deliver them: by
 * layer name, then by short weight name ('kernel', 'bias', 'gamma', 'beta',
 * 'moving_mean', 'moving_variance', 'depthwise_kernel', 'pointwise_kernel'), in
 * Keras's own layouts (Conv2D kernel HWIO, Dense kernel [in, out]).
 */
import type { Tensor } from '../../tensor.js';

export type KerasWeights = ReadonlyMap<string, ReadonlyMap<string, Tensor>>;

/** 'conv2d_1/kernel:0' -> 'kernel'; 'batch_normalization_1/moving_mean' -> 'moving_mean'. */
export function shortWeightName(fullName: string): string {
  const last = fullName.slice(fullName.lastIndexOf('/') + 1);
  return last.replace(/:\d+$/, '');
}

/** Adds one weight, creating the layer's map on first use. */
export function addWeight(into: Map<string, Map<string, Tensor>>, layer: string, name: string, t: Tensor): void {
  let m = into.get(layer);
  if (m === undefined) {
    m = new Map();
    into.set(layer, m);
  }
  m.set(name, t);
}
