/**
 * Two-way JSON codecs: one declaration gives the encoder (fixed key order, so the
 * bytes are deterministic) and the decoder (type checks with a JSON path in every
 * error). Codecs check types only (integer, string, enum, object keys); bounds
 * and cross-field rules belong to the graph verifier, which runs on both sides.
 *
 * Objects are closed: a decoded object may hold only the declared keys. An
 * optional field is omitted when undefined and absent when missing, never null.
 */

export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface CodecContext {
  /** The caller's error (FxpError with file/node/op) for a bad value at `path`; codecs throw it. */
  error(path: string, message: string): Error;
}

/** A codec for T, parametrized by what encoding and decoding need (e.g. a blob store). */
export interface Codec<T, E extends CodecContext = CodecContext, D extends CodecContext = CodecContext> {
  /** Present (true) on codecs made by `optional`. */
  readonly optional?: boolean;
  enc(value: T, ctx: E, path: string): Json;
  dec(json: unknown, ctx: D, path: string): T;
}

function describe(json: unknown): string {
  if (json === null) return 'null';
  if (Array.isArray(json)) return 'an array';
  if (typeof json === 'string') return `the string ${JSON.stringify(json.length > 40 ? `${json.slice(0, 40)}...` : json)}`;
  if (typeof json === 'object') return 'an object';
  return `${typeof json} ${String(json)}`;
}

export const int: Codec<number> = {
  enc(v, ctx, path) {
    if (!Number.isSafeInteger(v)) throw ctx.error(path, `expected an integer, got ${String(v)}`);
    return v;
  },
  dec(j, ctx, path) {
    if (typeof j !== 'number' || !Number.isSafeInteger(j)) throw ctx.error(path, `expected an integer, got ${describe(j)}`);
    return j;
  },
};

/** A finite number (JSON has no NaN or Infinity; JSON.stringify gives the shortest exact digits). */
export const num: Codec<number> = {
  enc(v, ctx, path) {
    if (!Number.isFinite(v)) throw ctx.error(path, `expected a finite number, got ${String(v)}`);
    return v;
  },
  dec(j, ctx, path) {
    if (typeof j !== 'number' || !Number.isFinite(j)) throw ctx.error(path, `expected a finite number, got ${describe(j)}`);
    return j;
  },
};

export const bool: Codec<boolean> = {
  enc(v, ctx, path) {
    if (typeof v !== 'boolean') throw ctx.error(path, `expected true or false, got ${describe(v)}`);
    return v;
  },
  dec(j, ctx, path) {
    if (typeof j !== 'boolean') throw ctx.error(path, `expected true or false, got ${describe(j)}`);
    return j;
  },
};

export const str: Codec<string> = {
  enc(v, ctx, path) {
    if (typeof v !== 'string') throw ctx.error(path, `expected a string, got ${describe(v)}`);
    return v;
  },
  dec(j, ctx, path) {
    if (typeof j !== 'string') throw ctx.error(path, `expected a string, got ${describe(j)}`);
    return j;
  },
};

/** One of a closed set of strings. */
export function oneOf<const S extends string>(choices: readonly S[]): Codec<S> {
  const allowed: readonly string[] = choices;
  const is = (j: unknown): j is S => typeof j === 'string' && allowed.includes(j);
  return {
    enc(v, ctx, path) {
      if (!is(v)) throw ctx.error(path, `expected one of ${choices.join(', ')}, got ${describe(v)}`);
      return v;
    },
    dec(j, ctx, path) {
      if (!is(j)) throw ctx.error(path, `expected one of ${choices.join(', ')}, got ${describe(j)}`);
      return j;
    },
  };
}

export function arrayOf<T, E extends CodecContext, D extends CodecContext>(item: Codec<T, E, D>): Codec<readonly T[], E, D> {
  return {
    enc: (v, ctx, path) => v.map((x, i) => item.enc(x, ctx, `${path}[${i}]`)),
    dec(j, ctx, path) {
      if (!Array.isArray(j)) throw ctx.error(path, `expected an array, got ${describe(j)}`);
      return j.map((x: unknown, i) => item.dec(x, ctx, `${path}[${i}]`));
    },
  };
}

/** A fixed-length array, typed as a readonly tuple of `n` items. */
function tupleOf<T extends readonly number[]>(n: T['length'], item: Codec<number>): Codec<T> {
  function check(length: number, ctx: CodecContext, path: string): void {
    if (length !== n) throw ctx.error(path, `expected ${n} numbers, got ${length}`);
  }
  const isTuple = (xs: readonly number[]): xs is T => xs.length === n;
  return {
    enc(v, ctx, path) {
      check(v.length, ctx, path);
      return v.map((x, i) => item.enc(x, ctx, `${path}[${i}]`));
    },
    dec(j, ctx, path) {
      if (!Array.isArray(j)) throw ctx.error(path, `expected an array, got ${describe(j)}`);
      check(j.length, ctx, path);
      const xs = j.map((x: unknown, i) => item.dec(x, ctx, `${path}[${i}]`));
      if (!isTuple(xs)) throw ctx.error(path, `expected ${n} numbers`);
      return xs;
    },
  };
}

export const intPair = tupleOf<readonly [number, number]>(2, int);
export const intQuad = tupleOf<readonly [number, number, number, number]>(4, int);

/** The field may be absent; `undefined` is encoded by omitting the key. */
export function optional<T, E extends CodecContext, D extends CodecContext>(inner: Codec<T, E, D>): Codec<T | undefined, E, D> {
  return {
    optional: true,
    enc(v, ctx, path) {
      if (v === undefined) throw ctx.error(path, 'internal: optional field reached the encoder as undefined');
      return inner.enc(v, ctx, path);
    },
    dec: (j, ctx, path) => inner.dec(j, ctx, path),
  };
}

/** Checks that `j` is a plain object whose keys are all in `keys`; returns it. */
export function closedObject(j: unknown, keys: readonly string[], ctx: CodecContext, path: string): Readonly<Record<string, unknown>> {
  if (typeof j !== 'object' || j === null || Array.isArray(j)) throw ctx.error(path, `expected an object, got ${describe(j)}`);
  const rec: Readonly<Record<string, unknown>> = Object.fromEntries(Object.entries(j));
  for (const key of Object.keys(rec)) {
    if (!keys.includes(key)) throw ctx.error(path, `unknown field ${JSON.stringify(key)} (expected ${keys.join(', ') || 'no fields'})`);
  }
  return rec;
}

export function has(rec: Readonly<Record<string, unknown>>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(rec, key);
}

export type Fields<T, E extends CodecContext, D extends CodecContext> = { readonly [P in keyof T]-?: Codec<T[P], E, D> };

/**
 * A closed object with one codec per key of T; every key of T must be listed (an
 * optional key with an `optional` codec). Keys are written in the order listed.
 */
export function obj<T extends object, E extends CodecContext = CodecContext, D extends CodecContext = CodecContext>(fields: Fields<T, E, D>): Codec<T, E, D> {
  const keys = Object.keys(fields);
  return {
    enc(v, ctx, path) {
      const out: JsonObject = {};
      for (const key in fields) {
        const codec = fields[key];
        const x = v[key];
        if (x === undefined && codec.optional === true) continue;
        out[key] = codec.enc(x, ctx, `${path}.${key}`);
      }
      return out;
    },
    dec(j, ctx, path) {
      const rec = closedObject(j, keys, ctx, path);
      const out: Record<string, unknown> = {};
      for (const key in fields) {
        const codec = fields[key];
        if (!has(rec, key)) {
          if (codec.optional === true) continue;
          throw ctx.error(path, `missing field ${JSON.stringify(key)}`);
        }
        out[key] = codec.dec(rec[key], ctx, `${path}.${key}`);
      }
      // Every key of T was decoded by its own Codec<T[key]> (or is an absent optional).
      return out as T;
    },
  };
}
