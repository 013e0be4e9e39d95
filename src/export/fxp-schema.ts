/**
 * The JSON section of a `.fxp` file: an FxGraph with every Int32Array replaced by
 * a blob reference {"blob": index}. One codec table, by op, gives both directions,
 * so the writer and the reader cannot disagree on a field; keys are written in the
 * order declared here, which makes the bytes deterministic.
 *
 * Blob widths chosen by the writer (readers accept any valid width and check the
 * values against the declared formats instead):
 *   weights data   signed, wl bits            range data   unsigned, range.bits
 *   bias 'format'  format.signed, format.wl   bias 'accumulator'  signed, wl
 *   tables         the narrowest width holding every entry (minimalWidth);
 *                  softmax exp digit tables likewise, one blob per table
 */
import type { AutoPad, ResizeCoordinateMode, ResizeNearestMode } from '../ir/ops.js';
import type { Dim } from '../ir/graph.js';
import type { FxActivation, FxBias, FxExpTable, FxGraph, FxNode, FxNodeOf, FxOpAttrMap, FxOpType, FxTable, FxValue, FxWeights } from '../engine/fx-graph.js';
import { minimalWidth, type BitWidth } from './bitpack.js';
import { arrayOf, bool, closedObject, has, int, intPair, intQuad, num, obj, oneOf, optional, str } from './json-codec.js';
import type { Codec, CodecContext, Json, JsonObject } from './json-codec.js';
import { elementCount } from './fxp-verify.js';
import { isFxOpType } from '../engine/fx-graph.js';

export type QFormat = FxValue['format'];

/** What each blob holds, for size reports. */
export type BlobKind = 'weights' | 'range' | 'bias' | 'table';

export interface NodeContext {
  readonly name: string;
  readonly op: string;
}

export interface FxpEncodeContext extends CodecContext {
  /** Stores `data` as the next blob at width `width`; returns its reference. */
  blob(data: Int32Array, width: BitWidth, kind: BlobKind, path: string): Json;
  /** Sets the node named in errors (undefined outside nodes). */
  setNode(node: NodeContext | undefined): void;
}

export interface FxpDecodeContext extends CodecContext {
  /**
   * Resolves a blob reference to its integers. With `count`, the blob must hold
   * exactly that many elements; this is checked before anything is allocated.
   */
  blob(ref: unknown, path: string, count: number | undefined): Int32Array;
  setNode(node: NodeContext | undefined): void;
}

type FxCodec<T> = Codec<T, FxpEncodeContext, FxpDecodeContext>;

/** A closed string enum; the table must list every member of S. */
function enumOf<S extends string>(members: Record<S, true>): Codec<S> {
  const isMember = (s: string): s is S => has(members, s);
  return oneOf(Object.keys(members).filter(isMember));
}

function field(rec: Readonly<Record<string, unknown>>, key: string, ctx: CodecContext, path: string): unknown {
  if (!has(rec, key)) throw ctx.error(path, `missing field ${JSON.stringify(key)}`);
  return rec[key];
}

/** Peeks at the "kind" of a tagged object, so the matching codec can decode it. */
function kindOf<S extends string>(j: unknown, kinds: Codec<S>, ctx: CodecContext, path: string): S {
  const rec = typeof j === 'object' && j !== null && !Array.isArray(j) ? Object.fromEntries(Object.entries(j)) : undefined;
  if (rec === undefined) throw ctx.error(path, 'expected an object');
  return kinds.dec(field(rec, 'kind', ctx, path), ctx, `${path}.kind`);
}

const ints = arrayOf(int);

const dim: Codec<Dim> = {
  enc(v, ctx, path) {
    return typeof v === 'string' ? v : int.enc(v, ctx, path);
  },
  dec(j, ctx, path) {
    if (typeof j === 'string') return j;
    if (typeof j === 'number' && Number.isSafeInteger(j)) return j;
    throw ctx.error(path, 'expected an integer or a symbolic (string) dimension');
  },
};

const qformat = obj<QFormat>({ signed: bool, wl: int, fl: int });

const activationKinds = enumOf<FxActivation['kind']>({ Relu: true, Clip: true, LeakyRelu: true });
const reluActivation = obj<Extract<FxActivation, { kind: 'Relu' }>>({ kind: oneOf(['Relu']) });
const clipActivation = obj<Extract<FxActivation, { kind: 'Clip' }>>({ kind: oneOf(['Clip']), lo: int, hi: int });
const leakyActivation = obj<Extract<FxActivation, { kind: 'LeakyRelu' }>>({ kind: oneOf(['LeakyRelu']), m: int, shift: int });

const activation: Codec<FxActivation> = {
  enc(v, ctx, path) {
    switch (v.kind) {
      case 'Relu':
        return reluActivation.enc(v, ctx, path);
      case 'Clip':
        return clipActivation.enc(v, ctx, path);
      case 'LeakyRelu':
        return leakyActivation.enc(v, ctx, path);
    }
  },
  dec(j, ctx, path) {
    switch (kindOf(j, activationKinds, ctx, path)) {
      case 'Relu':
        return reluActivation.dec(j, ctx, path);
      case 'Clip':
        return clipActivation.dec(j, ctx, path);
      case 'LeakyRelu':
        return leakyActivation.dec(j, ctx, path);
    }
  },
};

type FxRange = NonNullable<FxWeights['range']>;

const range: FxCodec<FxRange> = {
  enc: (r, ctx, path) => ({
    bits: int.enc(r.bits, ctx, `${path}.bits`),
    fl: int.enc(r.fl, ctx, `${path}.fl`),
    data: ctx.blob(r.data, { bits: r.bits, signed: false }, 'range', `${path}.data`),
  }),
  dec(j, ctx, path) {
    const rec = closedObject(j, ['bits', 'fl', 'data'], ctx, path);
    const bits = int.dec(field(rec, 'bits', ctx, path), ctx, `${path}.bits`);
    const fl = int.dec(field(rec, 'fl', ctx, path), ctx, `${path}.fl`);
    const data = ctx.blob(field(rec, 'data', ctx, path), `${path}.data`, undefined);
    return { data, fl, bits };
  },
};

const weights: FxCodec<FxWeights> = {
  enc(w, ctx, path) {
    const out: JsonObject = {
      shape: ints.enc(w.shape, ctx, `${path}.shape`),
      wl: int.enc(w.wl, ctx, `${path}.wl`),
      fl: ints.enc(w.fl, ctx, `${path}.fl`),
    };
    if (w.range !== undefined) out.range = range.enc(w.range, ctx, `${path}.range`);
    out.data = ctx.blob(w.data, { bits: w.wl, signed: true }, 'weights', `${path}.data`);
    return out;
  },
  dec(j, ctx, path) {
    const rec = closedObject(j, ['shape', 'wl', 'fl', 'range', 'data'], ctx, path);
    const shape = ints.dec(field(rec, 'shape', ctx, path), ctx, `${path}.shape`);
    const count = elementCount(shape);
    if (count === undefined) throw ctx.error(`${path}.shape`, `[${shape.join(', ')}] is not a valid tensor shape of at most 2^28 elements`);
    const wl = int.dec(field(rec, 'wl', ctx, path), ctx, `${path}.wl`);
    const fl = ints.dec(field(rec, 'fl', ctx, path), ctx, `${path}.fl`);
    const r = has(rec, 'range') ? range.dec(rec.range, ctx, `${path}.range`) : undefined;
    const data = ctx.blob(field(rec, 'data', ctx, path), `${path}.data`, count);
    return r === undefined ? { shape, data, wl, fl } : { shape, data, wl, fl, range: r };
  },
};

const biasKinds = enumOf<FxBias['kind']>({ format: true, accumulator: true });

const bias: FxCodec<FxBias> = {
  enc(b, ctx, path) {
    switch (b.kind) {
      case 'format': {
        const out: JsonObject = {
          kind: b.kind,
          format: qformat.enc(b.format, ctx, `${path}.format`),
          data: ctx.blob(b.data, { bits: b.format.wl, signed: b.format.signed }, 'bias', `${path}.data`),
        };
        return out;
      }
      case 'accumulator': {
        const out: JsonObject = { kind: b.kind, wl: int.enc(b.wl, ctx, `${path}.wl`), data: ctx.blob(b.data, { bits: b.wl, signed: true }, 'bias', `${path}.data`) };
        return out;
      }
    }
  },
  dec(j, ctx, path) {
    switch (kindOf(j, biasKinds, ctx, path)) {
      case 'format': {
        const rec = closedObject(j, ['kind', 'format', 'data'], ctx, path);
        const format = qformat.dec(field(rec, 'format', ctx, path), ctx, `${path}.format`);
        return { kind: 'format', format, data: ctx.blob(field(rec, 'data', ctx, path), `${path}.data`, undefined) };
      }
      case 'accumulator': {
        const rec = closedObject(j, ['kind', 'wl', 'data'], ctx, path);
        const wl = int.dec(field(rec, 'wl', ctx, path), ctx, `${path}.wl`);
        return { kind: 'accumulator', wl, data: ctx.blob(field(rec, 'data', ctx, path), `${path}.data`, undefined) };
      }
    }
  },
};

/** A lookup table's integers, stored at the narrowest width that holds them. */
const tableData: FxCodec<Int32Array> = {
  enc: (data, ctx, path) => ctx.blob(data, minimalWidth(data), 'table', path),
  dec: (j, ctx, path) => ctx.blob(j, path, undefined),
};

const table = obj<FxTable, FxpEncodeContext, FxpDecodeContext>({ qmin: int, data: tableData });
const expTable = obj<FxExpTable, FxpEncodeContext, FxpDecodeContext>({ inFl: int, outFl: int, jMax: int, tables: arrayOf(tableData) });

const autoPad = enumOf<AutoPad>({ NOTSET: true, SAME_UPPER: true, SAME_LOWER: true, VALID: true });
const coordinateMode = enumOf<ResizeCoordinateMode>({
  asymmetric: true,
  half_pixel: true,
  pytorch_half_pixel: true,
  align_corners: true,
  tf_half_pixel_for_nn: true,
});
const nearestMode = enumOf<ResizeNearestMode>({ floor: true, ceil: true, round_prefer_floor: true, round_prefer_ceil: true });

const windowFields = { kernel: intPair, strides: intPair, dilations: intPair, pads: intQuad, autoPad };
const poolFields = { ...windowFields, ceilMode: bool };
const params = { weights, bias: optional(bias), activation: optional(activation) };
const empty = obj<Record<never, never>>({});

/** The attribute codec of every op; a new FxOpType fails to compile until it has one. */
const FX_ATTR_CODECS: { readonly [K in FxOpType]: FxCodec<FxOpAttrMap[K]> } = {
  Conv: obj<FxOpAttrMap['Conv']>({ ...windowFields, group: int, ...params }),
  ConvTranspose: obj<FxOpAttrMap['ConvTranspose']>({ ...windowFields, outputPadding: intPair, group: int, ...params }),
  Dense: obj<FxOpAttrMap['Dense']>(params),
  ChannelAffine: obj<FxOpAttrMap['ChannelAffine']>(params),
  Add: obj<FxOpAttrMap['Add']>({ activation: optional(activation) }),
  Mul: empty,
  Concat: obj<FxOpAttrMap['Concat']>({ axis: int }),
  MaxPool: obj<FxOpAttrMap['MaxPool']>(poolFields),
  AveragePool: obj<FxOpAttrMap['AveragePool']>({ ...poolFields, countIncludePad: bool }),
  GlobalMaxPool: empty,
  GlobalAveragePool: empty,
  Relu: empty,
  Clip: obj<FxOpAttrMap['Clip']>({ lo: int, hi: int }),
  LeakyRelu: obj<FxOpAttrMap['LeakyRelu']>({ m: int, shift: int }),
  Sigmoid: obj<FxOpAttrMap['Sigmoid']>({ table }),
  Tanh: obj<FxOpAttrMap['Tanh']>({ table }),
  Softmax: obj<FxOpAttrMap['Softmax']>({ axis: int, exp: expTable }),
  Flatten: obj<FxOpAttrMap['Flatten']>({ axis: int }),
  Reshape: obj<FxOpAttrMap['Reshape']>({ shape: ints }),
  Transpose: obj<FxOpAttrMap['Transpose']>({ perm: ints }),
  Pad: obj<FxOpAttrMap['Pad']>({
    pads: ints,
    mode: enumOf<FxOpAttrMap['Pad']['mode']>({ constant: true, reflect: true, edge: true }),
    value: int,
    // Optional (absent in files older than it): per-channel constants of dim 1.
    channelValues: optional(ints),
  }),
  DepthToSpace: obj<FxOpAttrMap['DepthToSpace']>({ blocksize: int, mode: enumOf<FxOpAttrMap['DepthToSpace']['mode']>({ DCR: true, CRD: true }) }),
  Resize: obj<FxOpAttrMap['Resize']>({ scales: arrayOf(num), sizes: optional(ints), coordinateMode, nearestMode }),
  Requantize: empty,
  Identity: empty,
};

const value = obj<FxValue>({ name: str, shape: arrayOf(dim), format: qformat });
const inputLayout = enumOf<NonNullable<FxGraph['inputLayout']>>({ NCHW: true, NHWC: true });

const meta: Codec<Readonly<Record<string, string>>> = {
  enc(m, ctx, path) {
    // fromEntries (not assignment) so that a key such as "__proto__" is kept as data.
    return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, str.enc(v, ctx, `${path}.${k}`)]));
  },
  dec(j, ctx, path) {
    if (typeof j !== 'object' || j === null || Array.isArray(j)) throw ctx.error(path, 'expected an object of strings');
    return Object.fromEntries(Object.entries(j).map(([k, v]: [string, unknown]) => [k, str.dec(v, ctx, `${path}.${k}`)]));
  },
};

function encodeNode<K extends FxOpType>(node: FxNodeOf<K>, ctx: FxpEncodeContext, path: string): Json {
  ctx.setNode(node);
  const json: JsonObject = {
    name: str.enc(node.name, ctx, `${path}.name`),
    op: str.enc(node.op, ctx, `${path}.op`),
    inputs: ints.enc(node.inputs, ctx, `${path}.inputs`),
    outputs: ints.enc(node.outputs, ctx, `${path}.outputs`),
    attrs: FX_ATTR_CODECS[node.op].enc(node.attrs, ctx, `${path}.attrs`),
  };
  ctx.setNode(undefined);
  return json;
}

function decodeAttrs<K extends FxOpType>(op: K, j: unknown, ctx: FxpDecodeContext, path: string): FxOpAttrMap[K] {
  return FX_ATTR_CODECS[op].dec(j, ctx, path);
}

function decodeNode(j: unknown, ctx: FxpDecodeContext, path: string): FxNode {
  const rec = closedObject(j, ['name', 'op', 'inputs', 'outputs', 'attrs'], ctx, path);
  const name = str.dec(field(rec, 'name', ctx, path), ctx, `${path}.name`);
  const op = str.dec(field(rec, 'op', ctx, path), ctx, `${path}.op`);
  ctx.setNode({ name, op });
  if (!isFxOpType(op)) throw ctx.error(`${path}.op`, `unknown op ${JSON.stringify(op)}`);
  const inputs = ints.dec(field(rec, 'inputs', ctx, path), ctx, `${path}.inputs`);
  const outputs = ints.dec(field(rec, 'outputs', ctx, path), ctx, `${path}.outputs`);
  const attrs = decodeAttrs(op, field(rec, 'attrs', ctx, path), ctx, `${path}.attrs`);
  ctx.setNode(undefined);
  // attrs were decoded by the codec of `op` itself, so op and attrs agree.
  return { op, name, attrs, inputs, outputs } as FxNode;
}

const GRAPH_KEYS = ['name', 'inputLayout', 'meta', 'inputs', 'outputs', 'values', 'nodes'];

export function encodeGraphJson(fx: FxGraph, ctx: FxpEncodeContext): JsonObject {
  const out: JsonObject = { name: str.enc(fx.name, ctx, 'graph.name') };
  if (fx.inputLayout !== undefined) out.inputLayout = inputLayout.enc(fx.inputLayout, ctx, 'graph.inputLayout');
  if (fx.meta !== undefined) out.meta = meta.enc(fx.meta, ctx, 'graph.meta');
  out.inputs = ints.enc(fx.inputs, ctx, 'graph.inputs');
  out.outputs = ints.enc(fx.outputs, ctx, 'graph.outputs');
  out.values = fx.values.map((v, i) => value.enc(v, ctx, `graph.values[${i}]`));
  out.nodes = fx.nodes.map((n, i) => encodeNode(n, ctx, `graph.nodes[${i}]`));
  return out;
}

export function decodeGraphJson(j: unknown, ctx: FxpDecodeContext): FxGraph {
  const rec = closedObject(j, GRAPH_KEYS, ctx, 'graph');
  const name = str.dec(field(rec, 'name', ctx, 'graph'), ctx, 'graph.name');
  const layout = has(rec, 'inputLayout') ? inputLayout.dec(rec.inputLayout, ctx, 'graph.inputLayout') : undefined;
  const m = has(rec, 'meta') ? meta.dec(rec.meta, ctx, 'graph.meta') : undefined;
  const inputs = ints.dec(field(rec, 'inputs', ctx, 'graph'), ctx, 'graph.inputs');
  const outputs = ints.dec(field(rec, 'outputs', ctx, 'graph'), ctx, 'graph.outputs');
  const values = arrayOf(value).dec(field(rec, 'values', ctx, 'graph'), ctx, 'graph.values');
  const nodesJson = field(rec, 'nodes', ctx, 'graph');
  if (!Array.isArray(nodesJson)) throw ctx.error('graph.nodes', 'expected an array');
  const nodes = nodesJson.map((n: unknown, i) => decodeNode(n, ctx, `graph.nodes[${i}]`));
  return {
    name,
    values,
    nodes,
    inputs,
    outputs,
    ...(layout === undefined ? {} : { inputLayout: layout }),
    ...(m === undefined ? {} : { meta: m }),
  };
}
