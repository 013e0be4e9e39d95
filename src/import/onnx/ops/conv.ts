/**
 * Conv and ConvTranspose (2-D only). Weights and bias must be constants; they keep
 * ONNX layout, which is the IR's.
 */
import type { Pads4 } from '../../../ir/ops.js';
import type { NodeContext } from '../context.js';
import { autoPadOf, checkRank4, kernelOf, padsAttr, pairAttr } from './window.js';

function weightAndBias(n: NodeContext): { w: number; b: number | undefined; wDims: readonly number[] } {
  const wc = n.constant(1, 'weight');
  if (wc === undefined) n.fail('missing weight (input 1)');
  const bc = n.constant(2, 'bias');
  if (bc !== undefined && bc.dims.length !== 1) n.fail(`bias must be 1-D, got dims [${bc.dims.join(', ')}]`);
  return { w: n.input(1, 'weight'), b: n.optionalInput(2, 'bias'), wDims: wc.dims };
}

export function convertConv(n: NodeContext): void {
  const x = n.input(0, 'input');
  checkRank4(n, x);
  const { w, b, wDims } = weightAndBias(n);
  const attrs = {
    kernel: kernelOf(n, wDims),
    strides: pairAttr(n, 'strides', [1, 1]),
    dilations: pairAttr(n, 'dilations', [1, 1]),
    pads: padsAttr(n),
    autoPad: autoPadOf(n),
    group: n.attrs.int('group', 1),
  };
  n.emit('Conv', attrs, b === undefined ? [x, w] : [x, w, b], 4);
}

/**
 * ONNX output_shape fixes the output size; it is turned into explicit pads
 * (total = stride*(in-1) + output_padding + (k-1)*dilation + 1 - out, split with
 * the odd cell at the end for SAME_UPPER and at the start otherwise, as the spec
 * says). This needs the input's spatial dims to be static.
 */
function padsFromOutputShape(n: NodeContext, x: number, out: readonly number[], a: { kernel: readonly number[]; strides: readonly number[]; dilations: readonly number[]; outputPadding: readonly number[]; upper: boolean }): Pads4 {
  const dims = n.knownDims(x);
  const spatial = out.length === 4 ? out.slice(2) : out;
  if (spatial.length !== 2) n.fail(`output_shape [${out.join(', ')}] must give 2 spatial dims`);
  const pads = [0, 1].map((i) => {
    const inSize = dims?.[2 + i];
    if (inSize === undefined) n.fail('output_shape needs the input height and width to be static');
    const total = a.strides[i]! * (inSize - 1) + a.outputPadding[i]! + (a.kernel[i]! - 1) * a.dilations[i]! + 1 - spatial[i]!;
    if (total < 0) n.fail(`output_shape [${out.join(', ')}] is larger than the full transposed convolution`);
    const half = Math.floor(total / 2);
    return a.upper ? [half, total - half] : [total - half, half];
  });
  return [pads[0]![0]!, pads[1]![0]!, pads[0]![1]!, pads[1]![1]!];
}

export function convertConvTranspose(n: NodeContext): void {
  const x = n.input(0, 'input');
  checkRank4(n, x);
  const { w, b, wDims } = weightAndBias(n);
  const kernel = kernelOf(n, wDims);
  const strides = pairAttr(n, 'strides', [1, 1]);
  const dilations = pairAttr(n, 'dilations', [1, 1]);
  const outputPadding = pairAttr(n, 'output_padding', [0, 0]);
  let autoPad = autoPadOf(n);
  let pads = padsAttr(n);
  const outputShape = n.attrs.optInts('output_shape');
  if (outputShape !== undefined) {
    pads = padsFromOutputShape(n, x, outputShape, { kernel, strides, dilations, outputPadding, upper: autoPad === 'SAME_UPPER' });
    autoPad = 'NOTSET';
  }
  const attrs = { kernel, strides, dilations, pads, autoPad, outputPadding, group: n.attrs.int('group', 1) };
  n.emit('ConvTranspose', attrs, b === undefined ? [x, w] : [x, w, b], 4);
}
