/** The simulation's op table: one real-valued implementation per fixed-point op. */
import type { FxOpType } from '../fx-graph.js';
import { simAdd, simClip, simConcat, simLeakyRelu, simMul, simRelu, simSigmoid, simSoftmax, simTanh } from './elementwise.js';
import type { SimOp } from './fake-quant.js';
import { simChannelAffine, simConv, simConvTranspose, simDense } from './linear.js';
import { simDepthToSpace, simFlatten, simIdentity, simPad, simRequantize, simReshape, simResize, simTranspose } from './movement.js';
import { simAveragePool, simGlobalAveragePool, simGlobalMaxPool, simMaxPool } from './pool.js';

export const SIM_OPS = {
  Conv: simConv,
  ConvTranspose: simConvTranspose,
  Dense: simDense,
  ChannelAffine: simChannelAffine,
  Add: simAdd,
  Mul: simMul,
  Concat: simConcat,
  MaxPool: simMaxPool,
  AveragePool: simAveragePool,
  GlobalMaxPool: simGlobalMaxPool,
  GlobalAveragePool: simGlobalAveragePool,
  Relu: simRelu,
  Clip: simClip,
  LeakyRelu: simLeakyRelu,
  Sigmoid: simSigmoid,
  Tanh: simTanh,
  Softmax: simSoftmax,
  Flatten: simFlatten,
  Reshape: simReshape,
  Transpose: simTranspose,
  Pad: simPad,
  DepthToSpace: simDepthToSpace,
  Resize: simResize,
  Requantize: simRequantize,
  Identity: simIdentity,
} as const satisfies { [K in FxOpType]: SimOp<K> };
