/**
 * The pooling ops on the WASM kernels (pool.c pool_rows, threads split output
 * rows = image x channel x output row, or planes = image x channel for the global
 * pools), bit-exact with ../ref/max-pool.ts, average-pool.ts and global-pool.ts.
 * The tap ranges and divisors are the reference's own (tapRanges, the same
 * count_include_pad / ceil-mode rule), uploaded at bind time.
 *
 *   MaxPool, GlobalMaxPool: y = sat(roundShift(max, fi - fo)), empty window qmin(fo);
 *     taken when the reference proves the shifted value int32 and |fi - fo| <= 31.
 *   AveragePool: y = sat(floorDiv(2*sum*2^a + count*2^b, 2*count*2^b)), count 0: 0;
 *     int32 (i32x4 window sums) when the reference proves its bound int32, else int64.
 *   GlobalAveragePool: the same mean with count = cells per plane, sums in int64.
 * Otherwise (and for empty planes of the global pools) the reference kernel runs.
 */
import { qRange, type QFormat } from '../../../fixed/format.js';
import { windowGeometry } from '../../../ir/padding.js';
import { sizeOf } from '../../../tensor.js';
import { averagePoolRef, prepareMean } from '../ref/average-pool.js';
import { globalAveragePoolRef, globalMaxPoolRef } from '../ref/global-pool.js';
import { formatAt, type BoundKernel, type NodeRef, type RefKernel, type Shape } from '../ref/kernel.js';
import { maxPoolRef, tapRanges } from '../ref/max-pool.js';
import { prepareRequant } from '../ref/output-stage.js';
import type { PoolAttrs } from '../../../ir/ops.js';
import { ELEMENT_GRAIN } from './add.js';
import type { WasmContext } from './context.js';
import { paramBlock, POOL, POOL_MODE, uploadI32 } from './params.js';
import { unaryJob } from './staging.js';

type PoolOp = keyof typeof POOL_MODE;

/** The output stage words of a max: shift and saturation, or undefined when C's int32 path cannot run it. */
function maxStage(node: NodeRef, fi: QFormat, fo: QFormat): Readonly<Record<number, number>> | undefined {
  const rq = prepareRequant(node, fi, fo);
  if (rq.acc.width !== 'int32' || rq.s < -31 || rq.s > 31) return undefined;
  return { [POOL.S]: rq.s, [POOL.LO]: rq.st.lo, [POOL.HI]: rq.st.hi, [POOL.EMPTY]: qRange(fo).qmin };
}

/** The rounding-division words of a mean over at most `cells` cells (prepareMean proves the bound). */
function meanStage(node: NodeRef, fi: QFormat, fo: QFormat, cells: number): Readonly<Record<number, number>> {
  const m = prepareMean(node, fi, fo, cells);
  return {
    [POOL.A]: Math.max(0, fo.fl - fi.fl), [POOL.B]: Math.max(0, fi.fl - fo.fl), [POOL.LO]: m.qmin, [POOL.HI]: m.qmax,
    [POOL.WIDE]: m.acc.width === 'int32' ? 0 : 1,
  };
}

/** A bound kernel that runs pool_rows over `rows` rows of the parameter block `p`. */
function runner(ctx: WasmContext, node: NodeRef, acc: BoundKernel['acc'], p: number, inLen: number, rows: number, grain: number): BoundKernel {
  return unaryJob(ctx, node, acc, { fn: 'pool_rows', p, xWord: POOL.X, outWord: POOL.OUT, inLen, rows, grain });
}

/** Binds a windowed pool: geometry words, tap tables, divisors (AveragePool). */
function bindWindow(ctx: WasmContext, node: NodeRef, op: PoolOp, attrs: PoolAttrs, countIncludePad: boolean, stage: Readonly<Record<number, number>>, inShape: Shape, outShape: Shape, acc: BoundKernel['acc']): BoundKernel {
  const [n, c, h, w] = inShape as [number, number, number, number];
  const [, , oh, ow] = outShape as [number, number, number, number];
  const [kh, kw] = attrs.kernel;
  const [sh, sw] = attrs.strides;
  const [dh, dw] = attrs.dilations;
  const [pt, pl, pb, pr] = windowGeometry(attrs, h, w).pads;
  const ry = tapRanges(oh, sh, pt, kh, dh, h);
  const rx = tapRanges(ow, sw, pl, kw, dw, w);
  // Interior columns: the window lies inside the input horizontally (a contiguous range: tap ranges are monotone).
  let ix0 = 0;
  while (ix0 < ow && !(rx[2 * ix0] === 0 && rx[2 * ix0 + 1] === kw)) ix0++;
  let ix1 = ix0;
  while (ix1 < ow && rx[2 * ix1] === 0 && rx[2 * ix1 + 1] === kw) ix1++;
  let cnt = 0;
  if (op === 'AveragePool') {
    // Divisors exactly as averagePoolRef: taps inside [-pad, size + padEnd) with countIncludePad.
    const cy = countIncludePad ? tapRanges(oh, sh, 0, kh, dh, h + pt + pb) : ry;
    const cx = countIncludePad ? tapRanges(ow, sw, 0, kw, dw, w + pl + pr) : rx;
    const count = new Int32Array(oh * ow);
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) count[oy * ow + ox] = (cy[2 * oy + 1]! - cy[2 * oy]!) * (cx[2 * ox + 1]! - cx[2 * ox]!);
    }
    cnt = uploadI32(ctx, count);
  }
  const p = paramBlock(ctx, POOL.COUNT, {
    ...stage,
    [POOL.MODE]: POOL_MODE[op], [POOL.H]: h, [POOL.W]: w, [POOL.OH]: oh, [POOL.OW]: ow, [POOL.KH]: kh, [POOL.KW]: kw,
    [POOL.SH]: sh, [POOL.SW]: sw, [POOL.DH]: dh, [POOL.DW]: dw, [POOL.PT]: pt, [POOL.PL]: pl,
    [POOL.RY]: uploadI32(ctx, ry), [POOL.RX]: uploadI32(ctx, rx), [POOL.CNT]: cnt, [POOL.IX0]: ix0, [POOL.IX1]: ix1,
  });
  return runner(ctx, node, acc, p, n * c * h * w, n * c * oh, Math.ceil(ELEMENT_GRAIN / Math.max(1, ow * kh * kw)));
}

export function maxPoolWasm(ctx: WasmContext): RefKernel<'MaxPool'> {
  return (node, io) => {
    const ref = maxPoolRef(node, io);
    const stage = maxStage(node, formatAt(node, io, 0), io.outFormat);
    if (stage === undefined) return ref;
    return {
      acc: ref.acc,
      bind: (inShapes, outShape) => {
        const bound = ref.bind(inShapes, outShape);
        return bindWindow(ctx, node, 'MaxPool', node.attrs, false, stage, inShapes[0]!, outShape, bound.acc);
      },
    };
  };
}

export function averagePoolWasm(ctx: WasmContext): RefKernel<'AveragePool'> {
  return (node, io) => {
    const ref = averagePoolRef(node, io);
    const [kh, kw] = node.attrs.kernel;
    const stage = meanStage(node, formatAt(node, io, 0), io.outFormat, kh * kw);
    return {
      acc: ref.acc,
      bind: (inShapes, outShape) => {
        const bound = ref.bind(inShapes, outShape);
        return bindWindow(ctx, node, 'AveragePool', node.attrs, node.attrs.countIncludePad, stage, inShapes[0]!, outShape, bound.acc);
      },
    };
  };
}

/** Planes (N*C) and cells per plane of a global pool's input. */
function planes(shape: Shape): { count: number; size: number } {
  return { count: (shape[0] ?? 1) * (shape[1] ?? 1), size: sizeOf(shape.slice(2)) };
}

function bindGlobal(ctx: WasmContext, node: NodeRef, op: PoolOp, stage: Readonly<Record<number, number>>, inShape: Shape, acc: BoundKernel['acc']): BoundKernel {
  const { count, size } = planes(inShape);
  const p = paramBlock(ctx, POOL.COUNT, { ...stage, [POOL.MODE]: POOL_MODE[op], [POOL.SIZE]: size });
  return runner(ctx, node, acc, p, count * size, count, Math.ceil(ELEMENT_GRAIN / size));
}

export function globalMaxPoolWasm(ctx: WasmContext): RefKernel<'GlobalMaxPool'> {
  return (node, io) => {
    const ref = globalMaxPoolRef(node, io);
    const stage = maxStage(node, formatAt(node, io, 0), io.outFormat);
    if (stage === undefined) return ref;
    return {
      acc: ref.acc,
      bind: (inShapes, outShape) => {
        const bound = ref.bind(inShapes, outShape);
        if (planes(inShapes[0]!).size === 0) return bound;
        return bindGlobal(ctx, node, 'GlobalMaxPool', stage, inShapes[0]!, bound.acc);
      },
    };
  };
}

export function globalAveragePoolWasm(ctx: WasmContext): RefKernel<'GlobalAveragePool'> {
  return (node, io) => {
    const ref = globalAveragePoolRef(node, io);
    const fi = formatAt(node, io, 0);
    return {
      acc: ref.acc,
      bind: (inShapes, outShape) => {
        const bound = ref.bind(inShapes, outShape); // proves the shape-dependent bound
        const { size } = planes(inShapes[0]!);
        if (size === 0) return bound;
        return bindGlobal(ctx, node, 'GlobalAveragePool', meanStage(node, fi, io.outFormat, size), inShapes[0]!, bound.acc);
      },
    };
  };
}
