/**
 * Typed reads of Keras layer configs (parsed JSON). Every failure is an FxpError
 * naming the file, the layer (`node`) and its class (`op`).
 */
import { FxpError } from '../../errors.js';
import type { Pair } from '../../ir/ops.js';

export type JsonObject = { readonly [key: string]: unknown };

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Where a layer sits: the context every importer error carries. */
export interface LayerScope {
  readonly file: string;
  readonly layer: string;
  readonly className: string;
}

export function layerError(scope: LayerScope, message: string): FxpError {
  return new FxpError(message, { file: scope.file, node: scope.layer, op: scope.className });
}

/** Largest integer a config may give for a size (filters, units, kernel, ...). */
const MAX_CONFIG_INT = 2 ** 31 - 1;

export class LayerConfig {
  constructor(
    readonly scope: LayerScope,
    readonly obj: JsonObject,
  ) {}

  fail(message: string): never {
    throw layerError(this.scope, message);
  }

  /** The raw value; absent keys and JSON null both read as undefined. */
  raw(key: string): unknown {
    const v = this.obj[key];
    return v === null ? undefined : v;
  }

  str(key: string, dflt?: string): string {
    const v = this.raw(key);
    if (v === undefined && dflt !== undefined) return dflt;
    if (typeof v !== 'string') this.fail(`config '${key}' must be a string, got ${show(v)}`);
    return v;
  }

  num(key: string, dflt?: number): number {
    const v = this.raw(key);
    if (v === undefined && dflt !== undefined) return dflt;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(`config '${key}' must be a finite number, got ${show(v)}`);
    return v;
  }

  /** A number, or undefined when absent or null. */
  optNum(key: string): number | undefined {
    return this.raw(key) === undefined ? undefined : this.num(key);
  }

  bool(key: string, dflt: boolean): boolean {
    const v = this.raw(key);
    if (v === undefined) return dflt;
    if (typeof v !== 'boolean') this.fail(`config '${key}' must be a boolean, got ${show(v)}`);
    return v;
  }

  int(key: string, dflt?: number): number {
    const v = this.raw(key);
    if (v === undefined && dflt !== undefined) return dflt;
    return this.checkInt(key, v, -MAX_CONFIG_INT);
  }

  posInt(key: string, dflt?: number): number {
    const v = this.raw(key);
    if (v === undefined && dflt !== undefined) return dflt;
    return this.checkInt(key, v, 1);
  }

  /** An int or a list of two ints (Keras accepts both for sizes), each >= 1. */
  pair(key: string, dflt?: Pair): Pair {
    const v = this.raw(key);
    if (v === undefined && dflt !== undefined) return dflt;
    if (typeof v === 'number') {
      const n = this.checkInt(key, v, 1);
      return [n, n];
    }
    if (!Array.isArray(v) || v.length !== 2) this.fail(`config '${key}' must be an int or a list of two ints, got ${show(v)}`);
    return [this.checkInt(key, v[0], 1), this.checkInt(key, v[1], 1)];
  }

  /** A list of ints, each >= min. */
  intList(key: string, min: number): number[] {
    const v = this.raw(key);
    if (!Array.isArray(v)) this.fail(`config '${key}' must be a list of ints, got ${show(v)}`);
    return v.map((x) => this.checkInt(key, x, min));
  }

  /** Only channels_last is supported: the IR conversion relies on it. */
  requireChannelsLast(): void {
    const f = this.raw('data_format');
    if (f !== undefined && f !== 'channels_last') this.fail(`data_format '${String(f)}' is not supported (only channels_last)`);
  }

  checkInt(key: string, v: unknown, min: number): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > MAX_CONFIG_INT) {
      this.fail(`config '${key}' must be an integer in [${min}, ${MAX_CONFIG_INT}], got ${show(v)}`);
    }
    return v;
  }
}

export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
