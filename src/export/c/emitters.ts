/**
 * The emitter table: one C emitter per fixed-point op. Typed so that a new
 * FxOpType without an emitter fails to compile (style.md: exhaustive tables).
 */
import type { FxOpType } from '../../engine/fx-graph.js';
import type { NodeEmitter } from './emit-context.js';
import {
  emitAdd, emitClip, emitConcat, emitFlatten, emitIdentity, emitLeakyRelu, emitMul, emitRelu, emitRequantize, emitReshape, emitSigmoid, emitSoftmax,
  emitTanh,
} from './emit-elementwise.js';
import { emitDepthToSpace, emitPad, emitResize, emitTranspose } from './emit-gather.js';
import { emitChannelAffine, emitConv, emitConvTranspose, emitDense } from './emit-linear.js';
import { emitAveragePool, emitGlobalAveragePool, emitGlobalMaxPool, emitMaxPool } from './emit-pool.js';

export const C_EMITTERS = {
  Conv: emitConv,
  ConvTranspose: emitConvTranspose,
  Dense: emitDense,
  ChannelAffine: emitChannelAffine,
  Add: emitAdd,
  Mul: emitMul,
  Concat: emitConcat,
  MaxPool: emitMaxPool,
  AveragePool: emitAveragePool,
  GlobalMaxPool: emitGlobalMaxPool,
  GlobalAveragePool: emitGlobalAveragePool,
  Relu: emitRelu,
  Clip: emitClip,
  LeakyRelu: emitLeakyRelu,
  Sigmoid: emitSigmoid,
  Tanh: emitTanh,
  Softmax: emitSoftmax,
  Flatten: emitFlatten,
  Reshape: emitReshape,
  Transpose: emitTranspose,
  Pad: emitPad,
  DepthToSpace: emitDepthToSpace,
  Resize: emitResize,
  Requantize: emitRequantize,
  Identity: emitIdentity,
} as const satisfies { [K in FxOpType]: NodeEmitter<K> };
