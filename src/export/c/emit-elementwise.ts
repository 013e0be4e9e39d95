/**
 * Emitters of the element-wise ops: format conversions and activations (one
 * fx_map or a copy), Add/Mul with broadcasting, Concat, table lookups and Softmax.
 * Parameters come from the engine's prepareRequant/prepareActSat and the stored
 * tables, exactly as the reference kernels prepare them.
 */
import { EXP_TABLE_FRAC } from '../../fixed/exp.js';
import { qRange, type QFormat } from '../../fixed/format.js';
import { pow2 } from '../../fixed/pow2.js';
import type { FxActivation, FxTable } from '../../engine/fx-graph.js';
import { maxAbsOf, nodeError } from '../../engine/kernels/ref/kernel.js';
import { prepareActSat, prepareRequant } from '../../engine/kernels/ref/output-stage.js';
import { expTableOf } from '../../engine/kernels/ref/softmax.js';
import { validateTable } from '../../engine/kernels/ref/table.js';
import { sizeOf, stridesOf } from '../../tensor.js';
import { narrowestType, cInt } from './c-text.js';
import { binaryKernel, concatKernel, copyKernel, mapKernel, softmaxKernel, tableKernel } from './kernels-elementwise.js';
import { cAct, cDims, cInit, cRq, type DeclSink, type EmitInput, type NodeCode, type NodeEmitter } from './emit-context.js';

/** y = sat(act(roundShift(q, fi - fo))) element-wise, or a plain copy when that is the identity. */
function emitConversion(e: EmitInput<'Relu' | 'Clip' | 'LeakyRelu' | 'Flatten' | 'Reshape' | 'Identity' | 'Requantize'>, act?: FxActivation): NodeCode {
  const rq = prepareRequant(e.node, e.io.inFormats[0]!, e.io.outFormat, act);
  const size = sizeOf(e.outShape);
  if (rq.identity) {
    const k = copyKernel(e.inTypes[0]!, e.outType);
    return { kernels: [k], call: (ins, o) => `${k.name}(${cInt(size)}, ${ins[0]}, ${o});`, acc: 'none' };
  }
  const p = e.out.struct(`fx_p_${e.id}`, 'fx_map_t', cInit({ size, rq: cRq(rq) }));
  const k = mapKernel(e.inTypes[0]!, e.outType);
  return { kernels: [k], call: (ins, o) => `${k.name}(${p}, ${ins[0]}, ${o});`, acc: 'none' };
}

export const emitRelu: NodeEmitter<'Relu'> = (e) => emitConversion(e, { kind: 'Relu' });
export const emitClip: NodeEmitter<'Clip'> = (e) => emitConversion(e, { kind: 'Clip', lo: e.node.attrs.lo, hi: e.node.attrs.hi });
export const emitLeakyRelu: NodeEmitter<'LeakyRelu'> = (e) => emitConversion(e, { kind: 'LeakyRelu', m: e.node.attrs.m, shift: e.node.attrs.shift });
export const emitFlatten: NodeEmitter<'Flatten'> = (e) => emitConversion(e);
export const emitReshape: NodeEmitter<'Reshape'> = (e) => emitConversion(e);
export const emitIdentity: NodeEmitter<'Identity'> = (e) => emitConversion(e);
export const emitRequantize: NodeEmitter<'Requantize'> = (e) => emitConversion(e);

/**
 * Index-walk table of an operand broadcast to outShape (geometry.ts broadcastMap):
 * per output dim d, entry i is i * stride[d], with stride 0 where the operand's
 * (left-padded) dim is 1. undefined when the shapes are equal.
 */
function broadcastTable(out: DeclSink, name: string, inShape: readonly number[], outShape: readonly number[], what: string): string {
  const r = outShape.length;
  if (inShape.length === r && inShape.every((d, i) => d === outShape[i])) return 'NULL';
  const padded = [...new Array<number>(r - inShape.length).fill(1), ...inShape];
  const strides = stridesOf(padded).map((s, i) => (padded[i] === 1 ? 0 : s));
  const dims = r === 0 ? [1] : outShape;
  const table: number[] = [];
  dims.forEach((d, k) => {
    for (let i = 0; i < d; i++) table.push(i * (strides[k] ?? 0));
  });
  return out.array(name, 'int32_t', table, what);
}

function emitBinary(e: EmitInput<'Add' | 'Mul'>, op: 'add' | 'mul', pa: number, pb: number, shift: number, act: string): NodeCode {
  const { node, inShapes, outShape, id, out } = e;
  const ctx = { node: node.name, op: node.op };
  const offa = broadcastTable(out, `fx_oa_${id}`, inShapes[0]!, outShape, `'${node.name}' operand A broadcast offsets`);
  const offb = broadcastTable(out, `fx_ob_${id}`, inShapes[1]!, outShape, `'${node.name}' operand B broadcast offsets`);
  const p = out.struct(
    `fx_p_${id}`,
    'fx_binary_t',
    cInit({ out: cDims(outShape, ctx), offa, offb, pa: cInt(pa, 'int64_t'), pb: cInt(pb, 'int64_t'), shift, act }),
  );
  const k = binaryKernel(op, e.inTypes[0]!, e.inTypes[1]!, e.outType);
  return { kernels: [k], call: (ins, o) => `${k.name}(${p}, ${ins[0]}, ${ins[1]}, ${o});`, acc: 'none' };
}

/** add.ts: operands aligned to F = max(fa, fb) by exact multipliers, then roundShift(., F - fo). */
export const emitAdd: NodeEmitter<'Add'> = (e) => {
  const [fa, fb] = e.io.inFormats as [QFormat, QFormat];
  const f = Math.max(fa.fl, fb.fl);
  const pa = pow2(f - fa.fl);
  const pb = pow2(f - fb.fl);
  const s = f - e.io.outFormat.fl;
  const sum = maxAbsOf(fa) * pa + maxAbsOf(fb) * pb;
  const { st } = prepareActSat(e.node, e.node.attrs.activation, e.io.outFormat, s < 0 ? sum * pow2(-s) : sum);
  return emitBinary(e, 'add', pa, pb, s, cAct(st));
};

/** mul.ts: roundShift(a * b, fa + fb - fo), saturated. */
export const emitMul: NodeEmitter<'Mul'> = (e) => {
  const [fa, fb] = e.io.inFormats as [QFormat, QFormat];
  const s = fa.fl + fb.fl - e.io.outFormat.fl;
  const { st } = prepareActSat(e.node, undefined, e.io.outFormat, maxAbsOf(fa) * maxAbsOf(fb));
  return emitBinary(e, 'mul', 1, 1, s, cAct(st));
};

export const emitConcat: NodeEmitter<'Concat'> = ({ node, io, inShapes, outShape, inTypes, outType, id, out }) => {
  const { axis } = node.attrs;
  const outer = sizeOf(outShape.slice(0, axis));
  const outChunk = sizeOf(outShape.slice(axis));
  let offset = 0;
  const parts = inShapes.map((s, k) => {
    const chunk = sizeOf(s.slice(axis));
    const rq = prepareRequant(node, io.inFormats[k]!, io.outFormat);
    const p = out.struct(`fx_p_${id}_${k}`, 'fx_concat_t', cInit({ outer, chunk, out_chunk: outChunk, offset, rq: cRq(rq) }));
    offset += chunk;
    return { p, kernel: concatKernel(inTypes[k]!, outType) };
  });
  return {
    kernels: parts.map((x) => x.kernel),
    call: (ins, o) => parts.map((x, k) => `${x.kernel.name}(${x.p}, ${ins[k]}, ${o});`).join('\n  '),
    acc: 'none',
  };
};

function emitTable(e: EmitInput<'Sigmoid' | 'Tanh'>, table: FxTable): NodeCode {
  const { node, io, outShape, inTypes, outType, id, out } = e;
  validateTable(node, table, node.op);
  const t0 = table.qmin;
  const t1 = table.qmin + table.data.length - 1;
  if (t0 < -(2 ** 31) || t1 >= 2 ** 31) throw nodeError(node, `table index range ${t0}..${t1} does not fit int32`);
  const type = narrowestType(table.data, true);
  if (type === 'int64_t') throw nodeError(node, 'table entries do not fit int32');
  const data = out.array(`fx_t_${id}`, type, table.data, `'${node.name}' (${node.op}) table, inputs ${t0}..${t1}`);
  const { qmin, qmax } = qRange(io.outFormat);
  const p = out.struct(`fx_p_${id}`, 'fx_table_t', cInit({ size: sizeOf(outShape), t0, t1, qmin, qmax, data }));
  const k = tableKernel(type, inTypes[0]!, outType);
  return { kernels: [k], call: (ins, o) => `${k.name}(${p}, ${ins[0]}, ${o});`, acc: 'none' };
}

export const emitSigmoid: NodeEmitter<'Sigmoid'> = (e) => emitTable(e, e.node.attrs.table);
export const emitTanh: NodeEmitter<'Tanh'> = (e) => emitTable(e, e.node.attrs.table);

/** softmax.ts with the stored exp digit tables (src/fixed/exp.ts). */
export const emitSoftmax: NodeEmitter<'Softmax'> = ({ node, io, inShapes, inTypes, outType, id, out }) => {
  if (EXP_TABLE_FRAC !== 30) throw nodeError(node, `internal: the C softmax assumes Q30 exp tables, got Q${EXP_TABLE_FRAC}`);
  const { axis } = node.attrs;
  const exp = expTableOf(node, node.attrs.exp, io.inFormats[0]!.fl);
  const xs = inShapes[0]!;
  const tables: number[] = [];
  for (const t of exp.tables) tables.push(...t);
  const data = out.array(`fx_e_${id}`, 'int32_t', tables, `'${node.name}' exp digit tables (Q30), ${exp.tables.length} x 256`);
  const fo = io.outFormat;
  const { qmin, qmax } = qRange(fo);
  // j = max - q is below 2^33, so any jMax beyond 2^53 acts like 2^53 - 1.
  const jmax = Math.min(exp.jMax, 2 ** 53 - 1);
  const p = out.struct(
    `fx_p_${id}`,
    'fx_softmax_t',
    cInit({
      outer: sizeOf(xs.slice(0, axis)), len: xs[axis] ?? 1, inner: sizeOf(xs.slice(axis + 1)), ntables: exp.tables.length,
      exp_shift: EXP_TABLE_FRAC - exp.outFl, num_shift: Math.max(0, fo.fl), den_shift: Math.max(0, -fo.fl), qmin, qmax,
      jmax: cInt(jmax, 'int64_t'), tables: data,
    }),
  );
  const k = softmaxKernel(inTypes[0]!, outType);
  return { kernels: [k], call: (ins, o) => `${k.name}(${p}, ${ins[0]}, ${o});`, acc: 'int64' };
};
