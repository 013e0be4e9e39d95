/** The float kernel of every op: a plain table, exhaustive over OpType. */
import type { FloatKernelTable } from '../kernel.js';
import { prepareClip, prepareLeakyRelu, prepareRelu, prepareSigmoid, prepareTanh } from './activation.js';
import { prepareBatchNormalization, prepareChannelAffine } from './channel-affine.js';
import { prepareConcat } from './concat.js';
import { prepareConvTranspose } from './conv-transpose.js';
import { prepareConv } from './conv.js';
import { prepareDense } from './dense.js';
import { prepareDepthToSpace } from './depth-to-space.js';
import { prepareAdd, prepareMul } from './elementwise.js';
import { prepareGlobalAveragePool, prepareGlobalMaxPool } from './global-pool.js';
import { preparePad } from './pad.js';
import { prepareAveragePool, prepareMaxPool } from './pool.js';
import { prepareFlatten, prepareIdentity, prepareReshape } from './reshape.js';
import { prepareResize } from './resize.js';
import { prepareSoftmax } from './softmax.js';
import { prepareTranspose } from './transpose.js';

export const FLOAT_KERNELS = {
  Conv: prepareConv,
  ConvTranspose: prepareConvTranspose,
  Dense: prepareDense,
  BatchNormalization: prepareBatchNormalization,
  ChannelAffine: prepareChannelAffine,
  Relu: prepareRelu,
  Clip: prepareClip,
  LeakyRelu: prepareLeakyRelu,
  Sigmoid: prepareSigmoid,
  Tanh: prepareTanh,
  Softmax: prepareSoftmax,
  MaxPool: prepareMaxPool,
  AveragePool: prepareAveragePool,
  GlobalMaxPool: prepareGlobalMaxPool,
  GlobalAveragePool: prepareGlobalAveragePool,
  Add: prepareAdd,
  Mul: prepareMul,
  Concat: prepareConcat,
  Flatten: prepareFlatten,
  Reshape: prepareReshape,
  Transpose: prepareTranspose,
  Pad: preparePad,
  DepthToSpace: prepareDepthToSpace,
  Resize: prepareResize,
  Identity: prepareIdentity,
} satisfies FloatKernelTable;
