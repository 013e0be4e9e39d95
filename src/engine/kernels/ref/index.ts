/**
 * The reference kernel table: one integer kernel per fixed-point op. Typed so that
 * a new FxOpType without a kernel fails to compile. These kernels are the
 * specification the WASM kernels and generated C must match bit for bit.
 */
import type { FxOpType } from '../../fx-graph.js';
import { clipRef, leakyReluRef, reluRef } from './activation.js';
import { addRef } from './add.js';
import { averagePoolRef } from './average-pool.js';
import { channelAffineRef } from './channel-affine.js';
import { concatRef } from './concat.js';
import { convTransposeRef } from './conv-transpose.js';
import { convRef } from './conv.js';
import { denseRef } from './dense.js';
import { depthToSpaceRef } from './depth-to-space.js';
import { globalAveragePoolRef, globalMaxPoolRef } from './global-pool.js';
import type { RefKernel } from './kernel.js';
import { maxPoolRef } from './max-pool.js';
import { mulRef } from './mul.js';
import { padRef } from './pad.js';
import { flattenRef, identityRef, requantizeRef, reshapeRef } from './reshape.js';
import { resizeRef } from './resize.js';
import { softmaxRef } from './softmax.js';
import { sigmoidRef, tanhRef } from './table.js';
import { transposeRef } from './transpose.js';

export const REF_KERNELS = {
  Conv: convRef,
  ConvTranspose: convTransposeRef,
  Dense: denseRef,
  ChannelAffine: channelAffineRef,
  Add: addRef,
  Mul: mulRef,
  Concat: concatRef,
  MaxPool: maxPoolRef,
  AveragePool: averagePoolRef,
  GlobalMaxPool: globalMaxPoolRef,
  GlobalAveragePool: globalAveragePoolRef,
  Relu: reluRef,
  Clip: clipRef,
  LeakyRelu: leakyReluRef,
  Sigmoid: sigmoidRef,
  Tanh: tanhRef,
  Softmax: softmaxRef,
  Flatten: flattenRef,
  Reshape: reshapeRef,
  Transpose: transposeRef,
  Pad: padRef,
  DepthToSpace: depthToSpaceRef,
  Resize: resizeRef,
  Requantize: requantizeRef,
  Identity: identityRef,
} as const satisfies { [K in FxOpType]: RefKernel<K> };
