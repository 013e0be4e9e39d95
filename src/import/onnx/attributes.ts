/**
 * Typed access to a node's attributes. An attribute present with the wrong type
 * is an error naming the attribute, never a silent default.
 */
import { AttrType, enumName, toInt, type AttributeProto, type NodeProto, type TensorProto } from './proto.js';

export interface Attributes {
  has(name: string): boolean;
  int(name: string, def: number): number;
  ints(name: string, def: readonly number[]): number[];
  /** undefined when absent */
  optInts(name: string): number[] | undefined;
  float(name: string, def: number): number;
  floats(name: string, def: readonly number[]): number[];
  string(name: string, def: string): string;
  tensor(name: string): TensorProto | undefined;
}

const decoder = new TextDecoder('utf-8', { fatal: false });

export function attributesOf(node: NodeProto, fail: (msg: string) => never): Attributes {
  const byName = new Map<string, AttributeProto>();
  for (const a of node.attribute ?? []) byName.set(a.name ?? '', a);

  const get = (name: string, type: number): AttributeProto | undefined => {
    const a = byName.get(name);
    if (a === undefined) return undefined;
    if (a.type !== type) {
      fail(`attribute '${name}' must be of type ${enumName(AttrType, type)}, got ${enumName(AttrType, a.type ?? 0)}`);
    }
    return a;
  };
  const checkedInt = (name: string, v: number): number => {
    if (!Number.isSafeInteger(v)) fail(`attribute '${name}' value ${v} is out of range`);
    return v;
  };

  return {
    has: (name) => byName.has(name),
    int(name, def) {
      const a = get(name, AttrType.INT);
      return a === undefined ? def : checkedInt(name, toInt(a.i));
    },
    ints(name, def) {
      return this.optInts(name) ?? [...def];
    },
    optInts(name) {
      const a = get(name, AttrType.INTS);
      return a === undefined ? undefined : (a.ints ?? []).map((v) => checkedInt(name, toInt(v)));
    },
    float(name, def) {
      const a = get(name, AttrType.FLOAT);
      return a === undefined ? def : (a.f ?? 0);
    },
    floats(name, def) {
      const a = get(name, AttrType.FLOATS);
      return a === undefined ? [...def] : [...(a.floats ?? [])];
    },
    string(name, def) {
      const a = get(name, AttrType.STRING);
      return a === undefined ? def : decoder.decode(a.s ?? new Uint8Array(0));
    },
    tensor(name) {
      const a = get(name, AttrType.TENSOR);
      if (a === undefined) return undefined;
      if (a.t === null || a.t === undefined) fail(`attribute '${name}' holds no tensor`);
      return a.t;
    },
  };
}
