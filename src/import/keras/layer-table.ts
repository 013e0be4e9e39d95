/**
 * Keras layer class -> converter. A plain table: the class names are Keras's
 * (and TF.js layers', which uses the same names); anything missing is refused by
 * name at the layer that uses it.
 */
import type { KTensor, LayerContext } from './context.js';
import { convertActivation, convertLeakyReLU, convertReLU, convertSoftmax } from './layers/activation.js';
import { convertConv2D, convertConv2DTranspose, convertDepthwiseConv2D, convertSeparableConv2D } from './layers/conv.js';
import { convertDense } from './layers/dense.js';
import { convertAdd, convertConcatenate, convertMultiply } from './layers/merge.js';
import { convertBatchNormalization } from './layers/norm.js';
import { convertAveragePooling2D, convertGlobalAveragePooling2D, convertGlobalMaxPooling2D, convertMaxPooling2D } from './layers/pool.js';
import { convertFlatten, convertPassThrough, convertReshape, convertUpSampling2D, convertZeroPadding2D } from './layers/reshape.js';

/** Converts one application of a layer: Keras input tensors in, the output tensor out. */
export type LayerConverter = (ctx: LayerContext, inputs: readonly KTensor[]) => KTensor;

export const KERAS_LAYERS: Readonly<Record<string, LayerConverter>> = {
  Conv2D: convertConv2D,
  DepthwiseConv2D: convertDepthwiseConv2D,
  SeparableConv2D: convertSeparableConv2D,
  Conv2DTranspose: convertConv2DTranspose,
  Dense: convertDense,
  BatchNormalization: convertBatchNormalization,
  Activation: convertActivation,
  ReLU: convertReLU,
  LeakyReLU: convertLeakyReLU,
  Softmax: convertSoftmax,
  Add: convertAdd,
  Multiply: convertMultiply,
  Concatenate: convertConcatenate,
  MaxPooling2D: convertMaxPooling2D,
  AveragePooling2D: convertAveragePooling2D,
  GlobalMaxPooling2D: convertGlobalMaxPooling2D,
  GlobalAveragePooling2D: convertGlobalAveragePooling2D,
  Flatten: convertFlatten,
  Reshape: convertReshape,
  ZeroPadding2D: convertZeroPadding2D,
  UpSampling2D: convertUpSampling2D,
  Dropout: convertPassThrough,
  SpatialDropout2D: convertPassThrough,
  GaussianNoise: convertPassThrough,
  GaussianDropout: convertPassThrough,
  AlphaDropout: convertPassThrough,
  ActivityRegularization: convertPassThrough,
};

export function layerConverter(className: string): LayerConverter | undefined {
  return Object.prototype.hasOwnProperty.call(KERAS_LAYERS, className) ? KERAS_LAYERS[className] : undefined;
}
