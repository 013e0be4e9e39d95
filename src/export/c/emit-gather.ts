/**
 * Emitters of the data-movement ops as index walks (kernels-elementwise.ts
 * fx_gather): every op here reads, for output element (i0, ..., ir), the input at
 * offset sum_d off_d[i_d], so one small table per output dim (sum of the dims in
 * entries, not one entry per element) describes it:
 *
 *   Transpose     off_d[i] = i * inStride[perm[d]]
 *   Pad           off_d[i] = padSourceIndex(i) * inStride[d], or -1 for the constant
 *   Resize        off_d[i] = resizeDimMaps(...)[d][i] * inStride[d] (the float
 *                 executor's index maps, computed here once for the fixed shape)
 *   DepthToSpace  the output viewed as [N, C', H, b, W, b] (same row-major order),
 *                 each of the six dims adding its share of the input offset
 *
 * Values are converted with the gather's Requant (gather.ts), the Pad constant with
 * it too (fill = requant(value)). A Pad with channelValues uses fx_pad_channels, a
 * gather whose fill is per channel (fills[c] = requant(channelValues[c])).
 */
import { padSourceIndex } from '../../engine/geometry.js';
import { padChannelsProblem } from '../../ir/shape.js';
import { nodeError } from '../../engine/kernels/ref/kernel.js';
import { prepareRequant, requant } from '../../engine/kernels/ref/output-stage.js';
import { resizeDimMaps } from '../../engine/kernels/ref/resize.js';
import { stridesOf } from '../../tensor.js';
import { gatherKernel, padChannelsKernel } from './kernels-elementwise.js';
import { cDims, cInit, cRq, type EmitInput, type NodeCode, type NodeEmitter } from './emit-context.js';

type GatherOp = 'Transpose' | 'Pad' | 'DepthToSpace' | 'Resize';

/**
 * `constant`: the fill (an input-format integer), or one per channel (dim 1 of
 * `dims`, rank >= 2), each requantized like the elements.
 */
function emitGather(e: EmitInput<GatherOp>, dims: readonly number[], tables: readonly ArrayLike<number>[], constant: number | readonly number[] = 0): NodeCode {
  const { node, io, id, out } = e;
  const rq = prepareRequant(node, io.inFormats[0]!, io.outFormat);
  const flat: number[] = [];
  for (const t of tables) for (let i = 0; i < t.length; i++) flat.push(t[i]!);
  if (dims.length === 0) flat.push(0);
  const off = out.array(`fx_o_${id}`, 'int32_t', flat, `'${node.name}' (${node.op}) input offsets per output dim [${dims.join(', ')}]`);
  if (typeof constant !== 'number') {
    const fills = out.array(`fx_f_${id}`, 'int32_t', constant.map((c) => requant(rq, c)), `'${node.name}' (${node.op}) fill per channel`);
    const stride = dims.slice(2).reduce((a, d) => a * d, 1);
    const init = cInit({ out: cDims(dims, { node: node.name, op: node.op }), off, fills, fill_stride: stride, fill_count: constant.length, rq: cRq(rq) });
    const p = out.struct(`fx_p_${id}`, 'fx_pad_channels_t', init);
    const k = padChannelsKernel(e.inTypes[0]!, e.outType);
    return { kernels: [k], call: (ins, o) => `${k.name}(${p}, ${ins[0]}, ${o});`, acc: 'none' };
  }
  const p = out.struct(
    `fx_p_${id}`,
    'fx_gather_t',
    cInit({ out: cDims(dims, { node: node.name, op: node.op }), off, fill: requant(rq, constant), rq: cRq(rq) }),
  );
  const k = gatherKernel(e.inTypes[0]!, e.outType);
  return { kernels: [k], call: (ins, o) => `${k.name}(${p}, ${ins[0]}, ${o});`, acc: 'none' };
}

function range(n: number, f: (i: number) => number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => f(i));
}

export const emitTranspose: NodeEmitter<'Transpose'> = (e) => {
  const inStrides = stridesOf(e.inShapes[0]!);
  const { perm } = e.node.attrs;
  return emitGather(e, e.outShape, e.outShape.map((d, k) => range(d, (i) => i * inStrides[perm[k]!]!)));
};

export const emitPad: NodeEmitter<'Pad'> = (e) => {
  const { pads, mode, value } = e.node.attrs;
  const inShape = e.inShapes[0]!;
  const inStrides = stridesOf(inShape);
  const tables = e.outShape.map((d, k) =>
    range(d, (o) => {
      const i = padSourceIndex(o, pads[k]!, inShape[k]!, mode);
      return i < 0 ? -1 : i * inStrides[k]!;
    }),
  );
  if (!Number.isSafeInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) throw nodeError(e.node, `pad value ${value} is not an int32 integer`);
  const cv = e.node.attrs.channelValues;
  if (cv === undefined) return emitGather(e, e.outShape, tables, value);
  const problem = padChannelsProblem(e.node.attrs, inShape);
  if (problem !== undefined) throw nodeError(e.node, problem);
  return emitGather(e, e.outShape, tables, cv);
};

export const emitResize: NodeEmitter<'Resize'> = (e) => {
  const inStrides = stridesOf(e.inShapes[0]!);
  const maps = resizeDimMaps(e.node.attrs, e.inShapes[0]!, e.outShape);
  return emitGather(e, e.outShape, maps.map((m, k) => range(m.length, (i) => m[i]! * inStrides[k]!)));
};

export const emitDepthToSpace: NodeEmitter<'DepthToSpace'> = (e) => {
  const { blocksize: b, mode } = e.node.attrs;
  const [n, c, h, w] = e.inShapes[0] as [number, number, number, number];
  const co = c / (b * b);
  const plane = h * w;
  // Input channel ic = DCR: (by*b + bx)*co + ch;  CRD: (ch*b + by)*b + bx.
  const chStride = mode === 'DCR' ? plane : b * b * plane;
  const byStride = mode === 'DCR' ? b * co * plane : b * plane;
  const bxStride = mode === 'DCR' ? co * plane : plane;
  const dims = [n, co, h, b, w, b];
  const strides = [c * plane, chStride, w, byStride, 1, bxStride];
  return emitGather(e, dims, dims.map((d, k) => range(d, (i) => i * strides[k]!)));
};
