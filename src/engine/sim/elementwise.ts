/**
 * Simulation of the element-wise ops in real values (fake-quant.ts for rounding):
 *   Add      y = fq(a + b, act)          (the engine's shift alignment is exact)
 *   Mul      y = fq(a * b)
 *   Concat   each input fq'ed to the output format
 *   Relu/Clip/LeakyRelu   y = fq(x, act): rounding to the output grid, then the
 *            activation in real terms, then saturation (the engine's order)
 *   Sigmoid/Tanh  the stored table at index x * 2^fi, read as table * 2^-fo
 *   Softmax  e = expQ((x - max) * 2^fi) from the stored digit tables (the tables
 *            define the function); y = round-half-up(e * 2^fo / sum e) as an exact
 *            rational rounding (roundRatioHalfUp), saturated.
 */
import { expQ } from '../../fixed/exp.js';
import { pow2 } from '../../fixed/pow2.js';
import { sizeOf } from '../../tensor.js';
import type { FxActivation, FxTable } from '../fx-graph.js';
import { fakeQuantAct, fakeQuantArray, ravel, roundRatioHalfUp, saturateReal, unravel, type SimOp, type SimTensor } from './fake-quant.js';

/** The element of `t` that output multi-index `idx` reads under numpy broadcasting. */
function broadcastRead(t: SimTensor, idx: readonly number[]): number {
  const r = t.shape.length;
  const off = idx.length - r;
  const own = t.shape.map((d, i) => (d === 1 ? 0 : idx[off + i]!));
  return t.real[ravel(own, t.shape)]!;
}

function binary(ins: readonly SimTensor[], outShape: readonly number[], f: (a: number, b: number) => number): Float64Array {
  const [a, b] = ins as [SimTensor, SimTensor];
  const out = new Float64Array(sizeOf(outShape));
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(i, outShape);
    out[i] = f(broadcastRead(a, idx), broadcastRead(b, idx));
  }
  return out;
}

export const simAdd: SimOp<'Add'> = (node, ins, outShape, fo) => binary(ins, outShape, (a, b) => fakeQuantAct(a + b, fo, node.attrs.activation));

export const simMul: SimOp<'Mul'> = (_node, ins, outShape, fo) => binary(ins, outShape, (a, b) => fakeQuantAct(a * b, fo));

export const simConcat: SimOp<'Concat'> = (node, ins, outShape, fo) => {
  const axis = node.attrs.axis;
  const out = new Float64Array(sizeOf(outShape));
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(i, outShape);
    let k = 0;
    let a = idx[axis]!;
    while (a >= ins[k]!.shape[axis]!) a -= ins[k++]!.shape[axis]!;
    const t = ins[k]!;
    idx[axis] = a;
    out[i] = fakeQuantAct(t.real[ravel(idx, t.shape)]!, fo);
  }
  return out;
};

const activation = (act: FxActivation): SimOp<'Relu' | 'Clip' | 'LeakyRelu'> => (_node, ins, _outShape, fo) => fakeQuantArray(ins[0]!.real, fo, act);

export const simRelu: SimOp<'Relu'> = (node, ins, outShape, fo) => activation({ kind: 'Relu' })(node, ins, outShape, fo);
export const simClip: SimOp<'Clip'> = (node, ins, outShape, fo) => activation({ kind: 'Clip', ...node.attrs })(node, ins, outShape, fo);
export const simLeakyRelu: SimOp<'LeakyRelu'> = (node, ins, outShape, fo) =>
  activation({ kind: 'LeakyRelu', ...node.attrs })(node, ins, outShape, fo);

function lookup(table: FxTable, x: SimTensor, fo: { signed: boolean; wl: number; fl: number }): Float64Array {
  const scale = pow2(x.format.fl);
  const last = table.data.length - 1;
  return Float64Array.from(x.real, (v) => {
    const q = v * scale;
    const j = Math.min(last, Math.max(0, q - table.qmin));
    return saturateReal(table.data[j]! * pow2(-fo.fl), fo);
  });
}

export const simSigmoid: SimOp<'Sigmoid'> = (node, ins, _outShape, fo) => lookup(node.attrs.table, ins[0]!, fo);
export const simTanh: SimOp<'Tanh'> = (node, ins, _outShape, fo) => lookup(node.attrs.table, ins[0]!, fo);

export const simSoftmax: SimOp<'Softmax'> = (node, ins, _outShape, fo) => {
  const x = ins[0]!;
  const { axis, exp } = node.attrs;
  const table = { ...exp, errorBoundLsb: Number.NaN };
  const len = x.shape[axis]!;
  const stride = sizeOf(x.shape.slice(axis + 1));
  const out = new Float64Array(x.real.length);
  const scale = pow2(x.format.fl);
  for (let i = 0; i < out.length; i++) {
    // The slice through element i along the axis.
    const j0 = Math.floor(i / stride) % len;
    const base = i - j0 * stride;
    let max = -Infinity;
    for (let j = 0; j < len; j++) max = Math.max(max, x.real[base + j * stride]!);
    let sum = 0;
    for (let j = 0; j < len; j++) sum += expQ((x.real[base + j * stride]! - max) * scale, table);
    const e = expQ((x.real[i]! - max) * scale, table);
    out[i] = saturateReal(roundRatioHalfUp(e * pow2(fo.fl), sum) * pow2(-fo.fl), fo);
  }
  return out;
};
