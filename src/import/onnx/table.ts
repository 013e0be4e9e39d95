/**
 * The ONNX op table: ONNX op type -> converters, each valid from an opset on.
 * The importer accepts default-domain opsets 11-18, so entries start at 11 (or at
 * the op's last change before 11, for ops unchanged since). Where semantics change
 * inside 11-18, a later entry takes over (Softmax at 13; Pad's and Resize's axes at
 * 18 are handled inside their converters by checking the opset).
 */
import type { Converter, OnnxOpVersion } from './context.js';
import { convertClip11, convertLeakyRelu, convertRelu, convertSigmoid, convertSoftmax11, convertSoftmax13, convertTanh } from './ops/activation.js';
import { convertConv, convertConvTranspose } from './ops/conv.js';
import { convertGemm, convertMatMul } from './ops/dense.js';
import { convertAdd, convertConcat, convertMul } from './ops/elementwise.js';
import { convertDepthToSpace, convertFlatten, convertReshape, convertTranspose } from './ops/layout.js';
import { convertBatchNormalization, convertConstant, convertDropout, convertIdentity } from './ops/misc.js';
import { convertPad } from './ops/pad.js';
import { convertAveragePool, convertGlobalAveragePool, convertGlobalMaxPool, convertMaxPool } from './ops/pool.js';
import { convertResize, convertUpsample } from './ops/resize.js';

const since = (v: number, convert: Converter): OnnxOpVersion => ({ since: v, convert });

export const ONNX_OPS: Readonly<Record<string, readonly OnnxOpVersion[]>> = {
  Conv: [since(11, convertConv)],
  ConvTranspose: [since(11, convertConvTranspose)],
  Gemm: [since(11, convertGemm)],
  MatMul: [since(9, convertMatMul)],
  BatchNormalization: [since(9, convertBatchNormalization)],
  Relu: [since(6, convertRelu)],
  Clip: [since(11, convertClip11)],
  LeakyRelu: [since(6, convertLeakyRelu)],
  Sigmoid: [since(6, convertSigmoid)],
  Tanh: [since(6, convertTanh)],
  Softmax: [since(11, convertSoftmax11), since(13, convertSoftmax13)],
  MaxPool: [since(11, convertMaxPool)],
  AveragePool: [since(11, convertAveragePool)],
  GlobalMaxPool: [since(1, convertGlobalMaxPool)],
  GlobalAveragePool: [since(1, convertGlobalAveragePool)],
  Add: [since(7, convertAdd)],
  Mul: [since(7, convertMul)],
  Concat: [since(11, convertConcat)],
  Flatten: [since(11, convertFlatten)],
  Reshape: [since(5, convertReshape)],
  Transpose: [since(1, convertTranspose)],
  Pad: [since(11, convertPad)],
  DepthToSpace: [since(11, convertDepthToSpace)],
  Resize: [since(11, convertResize)],
  Upsample: [since(9, convertUpsample)],
  Dropout: [since(10, convertDropout)],
  Identity: [since(1, convertIdentity)],
  Constant: [since(11, convertConstant)],
};

/** The converter for `opType` at `opset`: the entry with the largest `since` not above it. */
export function selectConverter(opType: string, opset: number): Converter | undefined {
  if (!Object.hasOwn(ONNX_OPS, opType)) return undefined;
  let best: OnnxOpVersion | undefined;
  for (const v of ONNX_OPS[opType] ?? []) if (v.since <= opset && (best === undefined || v.since > best.since)) best = v;
  return best?.convert;
}
