/**
 * ONNX TensorProto (initializers, Constant nodes) to numbers.
 *
 * Invariant: sizes are checked before anything is allocated. The element count
 * implied by `dims` is bounded by MAX_TENSOR_ELEMENTS, and the stored data
 * (raw_data bytes or the typed repeated field) must hold exactly that many elements.
 */
import { FxpError, MAX_TENSOR_ELEMENTS, type ErrorContext } from '../../errors.js';
import { DataLocation, DataType, enumName, toInt, type Int64, type TensorProto } from './proto.js';

/** A decoded constant. Float types become Float32Array, integer types Float64Array (exact to 2^53). */
export interface OnnxConstant {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dataType: number;
  readonly data: Float32Array | Float64Array;
}

/** Bytes per element in raw_data, for the types the importer reads. */
const ELEMENT_BYTES: Readonly<Record<number, number>> = {
  [DataType.FLOAT]: 4,
  [DataType.DOUBLE]: 8,
  [DataType.FLOAT16]: 2,
  [DataType.BFLOAT16]: 2,
  [DataType.INT64]: 8,
  [DataType.INT32]: 4,
  [DataType.INT16]: 2,
  [DataType.UINT16]: 2,
  [DataType.INT8]: 1,
  [DataType.UINT8]: 1,
  [DataType.BOOL]: 1,
};

export function isFloatType(t: number): boolean {
  return t === DataType.FLOAT || t === DataType.DOUBLE || t === DataType.FLOAT16 || t === DataType.BFLOAT16;
}

/** Dims as numbers, each a non-negative integer, with a bounded product. */
export function checkedDims(dims: readonly Int64[] | null | undefined, what: string, ctx: ErrorContext): number[] {
  const out = (dims ?? []).map(toInt);
  let n = 1;
  for (const d of out) {
    if (!Number.isSafeInteger(d) || d < 0) throw new FxpError(`${what} has invalid dims [${out.join(', ')}]`, ctx);
    n *= d;
  }
  if (n > MAX_TENSOR_ELEMENTS) {
    throw new FxpError(`${what} has dims [${out.join(', ')}] (${n} elements), over the limit of ${MAX_TENSOR_ELEMENTS}`, ctx);
  }
  return out;
}

export function float16ToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function bfloat16ToFloat(h: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, (h & 0xffff) << 16);
  return view.getFloat32(0);
}

function readRaw(raw: Uint8Array, type: number, n: number, out: Float32Array | Float64Array): void {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  for (let i = 0; i < n; i++) {
    switch (type) {
      case DataType.FLOAT: out[i] = view.getFloat32(4 * i, true); break;
      case DataType.DOUBLE: out[i] = view.getFloat64(8 * i, true); break;
      case DataType.FLOAT16: out[i] = float16ToFloat(view.getUint16(2 * i, true)); break;
      case DataType.BFLOAT16: out[i] = bfloat16ToFloat(view.getUint16(2 * i, true)); break;
      case DataType.INT64: out[i] = Number(view.getBigInt64(8 * i, true)); break;
      case DataType.INT32: out[i] = view.getInt32(4 * i, true); break;
      case DataType.INT16: out[i] = view.getInt16(2 * i, true); break;
      case DataType.UINT16: out[i] = view.getUint16(2 * i, true); break;
      case DataType.INT8: out[i] = view.getInt8(i); break;
      default: out[i] = view.getUint8(i); break; // UINT8, BOOL
    }
  }
}

/** The repeated field ONNX stores a type in when raw_data is empty, converted per element. */
function typedField(t: TensorProto, type: number): { values: readonly Int64[]; convert: (v: number) => number } {
  const id = (v: number): number => v;
  switch (type) {
    case DataType.FLOAT: return { values: t.floatData ?? [], convert: id };
    case DataType.DOUBLE: return { values: t.doubleData ?? [], convert: id };
    case DataType.INT64: return { values: t.int64Data ?? [], convert: id };
    case DataType.FLOAT16: return { values: t.int32Data ?? [], convert: float16ToFloat };
    case DataType.BFLOAT16: return { values: t.int32Data ?? [], convert: bfloat16ToFloat };
    default: return { values: t.int32Data ?? [], convert: id };
  }
}

/** Decodes a TensorProto; `what` names it in errors ("initializer 'conv1.weight'"). */
export function decodeTensor(t: TensorProto, what: string, ctx: ErrorContext): OnnxConstant {
  const name = t.name ?? '';
  const type = t.dataType ?? DataType.UNDEFINED;
  const dims = checkedDims(t.dims, what, ctx);
  const n = dims.reduce((a, b) => a * b, 1);
  const bytes = ELEMENT_BYTES[type];
  if (bytes === undefined) throw new FxpError(`${what} has unsupported data type ${enumName(DataType, type)}`, ctx);
  if (t.dataLocation === DataLocation.EXTERNAL) {
    throw new FxpError(`${what} stores its data in an external file, which is not supported (save the model with the weights inside)`, ctx);
  }
  if (t.segment !== null && t.segment !== undefined) throw new FxpError(`${what} is segmented, which is not supported`, ctx);
  const raw = t.rawData ?? new Uint8Array(0);
  const out = isFloatType(type) ? new Float32Array(n) : new Float64Array(n);
  if (raw.length > 0) {
    if (raw.length !== n * bytes) {
      throw new FxpError(`${what} has ${raw.length} bytes of raw_data, dims [${dims.join(', ')}] of ${enumName(DataType, type)} need ${n * bytes}`, ctx);
    }
    readRaw(raw, type, n, out);
  } else {
    const { values, convert } = typedField(t, type);
    if (values.length !== n) {
      throw new FxpError(`${what} holds ${values.length} values, dims [${dims.join(', ')}] need ${n}`, ctx);
    }
    for (let i = 0; i < n; i++) out[i] = convert(toInt(values[i]));
  }
  return { name, dims, dataType: type, data: out };
}
