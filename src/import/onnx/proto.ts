/**
 * The ONNX protobuf schema (onnx-proto, generated with protobufjs) and the few
 * conversions every other file of the importer needs. Decoding is the only place
 * a protobufjs exception can come from; it leaves here as one FxpError.
 */
import onnxProto from 'onnx-proto';
import type { onnx } from 'onnx-proto';
import { FxpError, wrapError } from '../../errors.js';

export type ModelProto = onnx.IModelProto;
export type GraphProto = onnx.IGraphProto;
export type NodeProto = onnx.INodeProto;
export type TensorProto = onnx.ITensorProto;
export type AttributeProto = onnx.IAttributeProto;
export type ValueInfoProto = onnx.IValueInfoProto;

/** protobufjs gives 64-bit integers as `Long` objects when the `long` package is present. */
export type Int64 = number | { toNumber(): number };

export const AttrType = onnxProto.onnx.AttributeProto.AttributeType;
export const DataType = onnxProto.onnx.TensorProto.DataType;
export const DataLocation = onnxProto.onnx.TensorProto.DataLocation;

/** Name of an enum member, for messages (`DataType[7]` is 'INT64'). */
export function enumName(e: Readonly<Record<number, string>>, v: number): string {
  return e[v] ?? `unknown(${v})`;
}

/** Converts a protobuf int64 to a number; values past 2^53 lose precision (callers bound them). */
export function toInt(v: Int64 | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

export function decodeModel(bytes: Uint8Array, file: string): ModelProto {
  if (bytes.length === 0) throw new FxpError('ONNX file is empty', { file });
  try {
    return onnxProto.onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw wrapError(err, 'not a valid ONNX model (protobuf decoding failed; truncated or corrupt file?)', { file });
  }
}

/** The default-domain names ONNX accepts. */
export function isDefaultDomain(domain: string | null | undefined): boolean {
  return domain === null || domain === undefined || domain === '' || domain === 'ai.onnx';
}
