/**
 * Emitters of the pooling ops. Pads come from ir/padding.ts windowGeometry for the
 * bound input size, the requantization and the mean rounding from the engine's
 * prepareRequant / prepareMean (max-pool.ts, average-pool.ts, global-pool.ts).
 */
import { qRange } from '../../fixed/format.js';
import { windowGeometry } from '../../ir/padding.js';
import { prepareMean } from '../../engine/kernels/ref/average-pool.js';
import { prepareRequant } from '../../engine/kernels/ref/output-stage.js';
import { sizeOf } from '../../tensor.js';
import { avgPoolKernel, globalAvgPoolKernel, globalMaxPoolKernel, maxPoolKernel } from './kernels-pool.js';
import { cInit, cMean, cRq, type EmitInput, type NodeCode, type NodeEmitter } from './emit-context.js';

const NO_MEAN = cInit({ pa: 1, pb: 1, qmin: 0, qmax: 0 });
const NO_RQ = cInit({ shift: 0, act: cInit({ lo: 0, hi: 0, leaky: 0, shift: 0, m: 0 }) });

function emitWindowPool(e: EmitInput<'MaxPool' | 'AveragePool'>, kind: 'max' | 'avg', rq: string, mean: string, includePad: boolean): NodeCode {
  const { node, io, inShapes, outShape, id, out } = e;
  const [n, c, h, w] = inShapes[0] as [number, number, number, number];
  const [pt, pl, pb, pr] = windowGeometry(node.attrs, h, w).pads;
  const p = out.struct(
    `fx_p_${id}`,
    'fx_pool_t',
    cInit({
      nc: n * c, h, w, oh: outShape[2]!, ow: outShape[3]!, kh: node.attrs.kernel[0], kw: node.attrs.kernel[1],
      sh: node.attrs.strides[0], sw: node.attrs.strides[1], dh: node.attrs.dilations[0], dw: node.attrs.dilations[1],
      pt, pl, pb, pr, include_pad: includePad ? 1 : 0, empty: qRange(io.outFormat).qmin, rq, mean,
    }),
  );
  const k = (kind === 'max' ? maxPoolKernel : avgPoolKernel)(e.inTypes[0]!, e.outType);
  return { kernels: [k], call: (ins, o) => `${k.name}(${p}, ${ins[0]}, ${o});`, acc: kind === 'avg' ? 'int64' : 'none' };
}

export const emitMaxPool: NodeEmitter<'MaxPool'> = (e) =>
  emitWindowPool(e, 'max', cRq(prepareRequant(e.node, e.io.inFormats[0]!, e.io.outFormat)), NO_MEAN, false);

export const emitAveragePool: NodeEmitter<'AveragePool'> = (e) => {
  const [kh, kw] = e.node.attrs.kernel;
  const mean = prepareMean(e.node, e.io.inFormats[0]!, e.io.outFormat, kh * kw);
  return emitWindowPool(e, 'avg', NO_RQ, cMean(mean), e.node.attrs.countIncludePad);
};

function planes(shape: readonly number[]): { planes: number; size: number } {
  return { planes: (shape[0] ?? 1) * (shape[1] ?? 1), size: sizeOf(shape.slice(2)) };
}

export const emitGlobalMaxPool: NodeEmitter<'GlobalMaxPool'> = ({ node, io, inShapes, inTypes, outType, id, out }) => {
  const rq = prepareRequant(node, io.inFormats[0]!, io.outFormat);
  const p = out.struct(`fx_p_${id}`, 'fx_gpool_t', cInit({ ...planes(inShapes[0]!), rq: cRq(rq), mean: NO_MEAN }));
  const k = globalMaxPoolKernel(inTypes[0]!, outType);
  return { kernels: [k], call: (ins, o) => `${k.name}(${p}, ${ins[0]}, ${o});`, acc: 'none' };
};

export const emitGlobalAveragePool: NodeEmitter<'GlobalAveragePool'> = ({ node, io, inShapes, inTypes, outType, id, out }) => {
  const pl = planes(inShapes[0]!);
  const mean = prepareMean(node, io.inFormats[0]!, io.outFormat, pl.size);
  const p = out.struct(`fx_p_${id}`, 'fx_gpool_t', cInit({ ...pl, rq: NO_RQ, mean: cMean(mean) }));
  const k = globalAvgPoolKernel(inTypes[0]!, outType);
  return { kernels: [k], call: (ins, o) => `${k.name}(${p}, ${ins[0]}, ${o});`, acc: 'int64' };
};
