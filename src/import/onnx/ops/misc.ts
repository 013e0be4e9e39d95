/**
 * BatchNormalization (inference form), Dropout and Identity (both Identity in the
 * IR), and Constant (no IR node: its value becomes a constant).
 */
import type { NodeContext } from '../context.js';
import { decodeTensor, type OnnxConstant } from '../tensor.js';
import { DataType } from '../proto.js';

export function convertBatchNormalization(n: NodeContext): void {
  if (n.attrs.int('training_mode', 0) !== 0) n.fail('training_mode=1 is not supported (export the model in inference mode)');
  const x = n.input(0, 'input');
  const params = ['scale', 'bias', 'mean', 'var'].map((what, i) => {
    if (n.constant(i + 1, what) === undefined) n.fail(`missing ${what} (input ${i + 1})`);
    return n.input(i + 1, what);
  });
  n.emit('BatchNormalization', { epsilon: n.attrs.float('epsilon', 1e-5) }, [x, ...params], n.knownDims(x)?.length);
}

function identity(n: NodeContext): void {
  const x = n.input(0, 'input');
  n.emit('Identity', {}, [x], n.knownDims(x)?.length);
}

export const convertIdentity = identity;

/** Dropout-10 has only `ratio`; from opset 12 training_mode is an optional input that must be absent or a constant false. */
export function convertDropout(n: NodeContext): void {
  const t = n.constant(2, 'training_mode');
  if (t !== undefined && t.data.some((v) => v !== 0)) n.fail('training_mode=true is not supported');
  identity(n);
}

function fromValues(name: string, dims: number[], values: readonly number[], dataType: number): OnnxConstant {
  return { name, dims, dataType, data: dataType === DataType.FLOAT ? Float32Array.from(values) : Float64Array.from(values) };
}

export function convertConstant(n: NodeContext): void {
  const t = n.attrs.tensor('value');
  const name = n.name;
  let c = t === undefined ? undefined : decodeTensor(t, "attribute 'value'", n.errorContext);
  if (n.attrs.has('value_float')) c = fromValues(name, [], [n.attrs.float('value_float', 0)], DataType.FLOAT);
  if (n.attrs.has('value_floats')) c = fromValues(name, [n.attrs.floats('value_floats', []).length], n.attrs.floats('value_floats', []), DataType.FLOAT);
  if (n.attrs.has('value_int')) c = fromValues(name, [], [n.attrs.int('value_int', 0)], DataType.INT64);
  if (n.attrs.has('value_ints')) c = fromValues(name, [n.attrs.ints('value_ints', []).length], n.attrs.ints('value_ints', []), DataType.INT64);
  if (c === undefined) n.fail('only value, value_float(s) and value_int(s) Constants are supported');
  n.bindConstant(c);
}
