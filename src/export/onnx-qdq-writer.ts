/**
 * A small ONNX graph writer for the exporters: unique tensor names, nodes with
 * typed attributes, initializers of the integer and float types ONNX QDQ models
 * use, and the final ModelProto bytes (onnx-proto's protobufjs encoder).
 */
import onnxProto from 'onnx-proto';
import type { onnx } from 'onnx-proto';
import type { Dim } from '../ir/graph.js';

const P = onnxProto.onnx;
const AT = P.AttributeProto.AttributeType;

/** ONNX TensorProto element types used here. */
export const OnnxType = {
  FLOAT: P.TensorProto.DataType.FLOAT,
  UINT8: P.TensorProto.DataType.UINT8,
  INT8: P.TensorProto.DataType.INT8,
  UINT16: P.TensorProto.DataType.UINT16,
  INT16: P.TensorProto.DataType.INT16,
  INT32: P.TensorProto.DataType.INT32,
  INT64: P.TensorProto.DataType.INT64,
} as const;

export type OnnxElemType = (typeof OnnxType)[keyof typeof OnnxType];

/** Bytes per element and the little-endian writer of each type. */
const ELEM: Readonly<Record<OnnxElemType, { bytes: number; set: (v: DataView, at: number, x: number) => void }>> = {
  [OnnxType.FLOAT]: { bytes: 4, set: (v, at, x) => v.setFloat32(at, x, true) },
  [OnnxType.UINT8]: { bytes: 1, set: (v, at, x) => v.setUint8(at, x) },
  [OnnxType.INT8]: { bytes: 1, set: (v, at, x) => v.setInt8(at, x) },
  [OnnxType.UINT16]: { bytes: 2, set: (v, at, x) => v.setUint16(at, x, true) },
  [OnnxType.INT16]: { bytes: 2, set: (v, at, x) => v.setInt16(at, x, true) },
  [OnnxType.INT32]: { bytes: 4, set: (v, at, x) => v.setInt32(at, x, true) },
  [OnnxType.INT64]: { bytes: 8, set: (v, at, x) => v.setBigInt64(at, BigInt(x), true) },
};

/** An attribute value: integer (INT), integer list (INTS), string (STRING), or a marked float. */
export type OnnxAttr = number | readonly number[] | string | { readonly float: number };

function attribute(name: string, v: OnnxAttr): onnx.IAttributeProto {
  if (typeof v === 'string') return { name, type: AT.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return { name, type: AT.INT, i: v };
  if ('float' in v) return { name, type: AT.FLOAT, f: v.float };
  return { name, type: AT.INTS, ints: [...v] };
}

/** A symbolic dim keeps its name; '?' and '' (unknown) become dims without value or name. */
function dimProto(d: Dim): onnx.TensorShapeProto.IDimension {
  if (typeof d === 'number') return { dimValue: d };
  return d === '' || d === '?' ? {} : { dimParam: d };
}

export class OnnxWriter {
  private readonly names = new Set<string>();
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  readonly inputs: onnx.IValueInfoProto[] = [];
  readonly outputs: onnx.IValueInfoProto[] = [];
  /** Node count per op type. */
  readonly opCount = new Map<string, number>();

  /** A tensor name not used before: `hint`, or `hint_2`, `hint_3`, ... */
  unique(hint: string): string {
    const base = hint.length > 0 ? hint : 't';
    let name = base;
    for (let i = 2; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  /** Adds a node; returns its (single) output name, made unique from `outHint` unless `out` is given. */
  node(op: string, inputs: readonly string[], outHint: string, attrs: Readonly<Record<string, OnnxAttr>> = {}, out?: string): string {
    const output = out ?? this.unique(outHint);
    this.nodes.push({
      name: output,
      opType: op,
      domain: '',
      input: [...inputs],
      output: [output],
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    this.opCount.set(op, (this.opCount.get(op) ?? 0) + 1);
    return output;
  }

  /** An initializer of `type`, values already in that type's range (checked by the callers). */
  tensor(hint: string, type: OnnxElemType, dims: readonly number[], data: ArrayLike<number>): string {
    const name = this.unique(hint);
    const { bytes, set } = ELEM[type];
    const raw = new Uint8Array(data.length * bytes);
    const view = new DataView(raw.buffer);
    for (let i = 0; i < data.length; i++) set(view, i * bytes, data[i]!);
    this.initializers.push({ name, dims: [...dims], dataType: type, rawData: raw });
    return name;
  }

  scalar(hint: string, type: OnnxElemType, v: number): string {
    return this.tensor(hint, type, [], [v]);
  }

  graphInput(name: string, type: OnnxElemType, shape: readonly Dim[]): void {
    this.inputs.push({ name, type: { tensorType: { elemType: type, shape: { dim: shape.map(dimProto) } } } });
  }

  graphOutput(name: string, type: OnnxElemType, shape: readonly Dim[]): void {
    this.outputs.push({ name, type: { tensorType: { elemType: type, shape: { dim: shape.map(dimProto) } } } });
  }

  /** The model's bytes. `meta` becomes metadata_props. */
  encode(graphName: string, opset: number, irVersion: number, meta: Readonly<Record<string, string>>, doc: string): Uint8Array {
    const model: onnx.IModelProto = {
      irVersion,
      producerName: 'fxpnet',
      docString: doc,
      opsetImport: [{ domain: '', version: opset }],
      metadataProps: Object.entries(meta).map(([key, value]) => ({ key, value })),
      graph: { name: graphName, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    };
    return P.ModelProto.encode(P.ModelProto.create(model)).finish();
  }
}
