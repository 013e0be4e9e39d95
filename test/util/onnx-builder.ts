/**
 * Builds ONNX models in memory for tests, with onnx-proto's encoder.
 *
 * Attribute values: an integer number is INT, a number array is INTS, a string is
 * STRING; floats must be marked (`f(0.5)`, `fs([1, 2])`) since 1 and 1.0 look alike;
 * `tensorAttr(...)` is TENSOR, and `rawAttr(...)` passes an AttributeProto through
 * unchanged (to build malformed models).
 */
import onnxProto from 'onnx-proto';
import type { onnx } from 'onnx-proto';

const P = onnxProto.onnx;
const AT = P.AttributeProto.AttributeType;
const DT = P.TensorProto.DataType;

export type TensorType = 'float' | 'float16' | 'double' | 'int64' | 'int32';

export interface TensorSpec {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: ArrayLike<number>;
  /** default 'float' */
  readonly type?: TensorType;
  /** Store as raw_data (default) or in the typed repeated field. */
  readonly raw?: boolean;
  /** Replaces raw_data as is (to build malformed tensors). */
  readonly rawData?: Uint8Array;
}

type Marked = { readonly kind: 'float'; readonly v: number } | { readonly kind: 'floats'; readonly v: readonly number[] } | { readonly kind: 'tensor'; readonly t: TensorSpec } | { readonly kind: 'raw'; readonly a: onnx.IAttributeProto };
export type AttrValue = number | readonly number[] | string | Marked;

export const f = (v: number): Marked => ({ kind: 'float', v });
export const fs = (v: readonly number[]): Marked => ({ kind: 'floats', v });
export const tensorAttr = (t: TensorSpec): Marked => ({ kind: 'tensor', t });
export const rawAttr = (a: onnx.IAttributeProto): Marked => ({ kind: 'raw', a });

export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  readonly domain?: string;
  readonly attrs?: Readonly<Record<string, AttrValue>>;
}

export interface ValueSpec {
  readonly name: string;
  /** Numbers are dim_value, strings dim_param, null an unknown dim; undefined: no shape at all. */
  readonly dims?: readonly (number | string | null)[];
  /** ONNX element type, default FLOAT (1). */
  readonly elemType?: number;
}

export interface ModelSpec {
  /** default 13 */
  readonly opset?: number;
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  readonly nodes: readonly NodeSpec[];
  readonly initializers?: readonly TensorSpec[];
  /** Extra opset imports, e.g. { domain: 'com.microsoft', version: 1 }. */
  readonly extraOpsets?: readonly { domain: string; version: number }[];
  /** Set false to leave out the default-domain opset import. */
  readonly defaultOpset?: boolean;
  /** Set false to leave out the graph. */
  readonly graph?: boolean;
}

const TYPES: Readonly<Record<TensorType, { id: number; bytes: number; write: (v: DataView, i: number, x: number) => void }>> = {
  float: { id: DT.FLOAT, bytes: 4, write: (v, i, x) => v.setFloat32(4 * i, x, true) },
  double: { id: DT.DOUBLE, bytes: 8, write: (v, i, x) => v.setFloat64(8 * i, x, true) },
  float16: { id: DT.FLOAT16, bytes: 2, write: (v, i, x) => v.setUint16(2 * i, toHalf(x), true) },
  int64: { id: DT.INT64, bytes: 8, write: (v, i, x) => v.setBigInt64(8 * i, BigInt(x), true) },
  int32: { id: DT.INT32, bytes: 4, write: (v, i, x) => v.setInt32(4 * i, x, true) },
};

/** float32 -> float16 bits, round to nearest even (normal range and zero; enough for tests). */
export function toHalf(x: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, x);
  const bits = view.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const exp = ((bits >>> 23) & 0xff) - 127 + 15;
  if (exp <= 0) return sign;
  if (exp >= 31) return sign | 0x7c00;
  const mant = bits & 0x7fffff;
  let h = sign | (exp << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++;
  return h;
}

export function onnxTensor(t: TensorSpec): onnx.ITensorProto {
  const type = TYPES[t.type ?? 'float'];
  const base = { name: t.name, dims: [...t.dims], dataType: type.id };
  if (t.rawData !== undefined) return { ...base, rawData: t.rawData };
  const values = Array.from(t.data);
  if (t.raw === false) {
    switch (t.type ?? 'float') {
      case 'float': return { ...base, floatData: values };
      case 'double': return { ...base, doubleData: values };
      case 'int64': return { ...base, int64Data: values };
      case 'float16': return { ...base, int32Data: values.map(toHalf) };
      case 'int32': return { ...base, int32Data: values };
    }
  }
  const bytes = new Uint8Array(values.length * type.bytes);
  const view = new DataView(bytes.buffer);
  values.forEach((x, i) => type.write(view, i, x));
  return { ...base, rawData: bytes };
}

function attribute(name: string, v: AttrValue): onnx.IAttributeProto {
  if (typeof v === 'string') return { name, type: AT.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return { name, type: AT.INT, i: v };
  if (!('kind' in v)) return { name, type: AT.INTS, ints: [...v] };
  const m = v;
  switch (m.kind) {
    case 'float': return { name, type: AT.FLOAT, f: m.v };
    case 'floats': return { name, type: AT.FLOATS, floats: [...m.v] };
    case 'tensor': return { name, type: AT.TENSOR, t: onnxTensor(m.t) };
    case 'raw': return { name, ...m.a };
  }
}

function valueInfo(v: ValueSpec): onnx.IValueInfoProto {
  const dims = v.dims?.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {}));
  return { name: v.name, type: { tensorType: { elemType: v.elemType ?? DT.FLOAT, ...(dims === undefined ? {} : { shape: { dim: dims } }) } } };
}

export function onnxModel(spec: ModelSpec): onnx.IModelProto {
  const graph: onnx.IGraphProto = {
    name: 'test',
    input: spec.inputs.map(valueInfo),
    output: spec.outputs.map(valueInfo),
    initializer: (spec.initializers ?? []).map(onnxTensor),
    node: spec.nodes.map((n, i) => ({
      name: n.name ?? `${n.op}_${i}`,
      opType: n.op,
      domain: n.domain ?? '',
      input: [...n.inputs],
      output: [...n.outputs],
      attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
    })),
  };
  const opsets = [...(spec.defaultOpset === false ? [] : [{ domain: '', version: spec.opset ?? 13 }]), ...(spec.extraOpsets ?? [])];
  return { irVersion: 8, producerName: 'fxpnet-test', opsetImport: opsets, ...(spec.graph === false ? {} : { graph }) };
}

export function buildOnnx(spec: ModelSpec): Uint8Array {
  return P.ModelProto.encode(P.ModelProto.create(onnxModel(spec))).finish();
}
