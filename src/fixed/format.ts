/**
 * Fixed-point formats. A tensor in format Q(signed, wl, fl) holds integers q whose
 * real value is q * 2^-fl. wl counts the sign bit; fl may be negative (a step
 * larger than 1) or larger than wl (all values below 1 in magnitude).
 */
import { FxpError, type ErrorContext } from '../errors.js';
import { pow2 } from './pow2.js';

export interface QFormat {
  readonly signed: boolean;
  /** Word length in bits, sign bit included. */
  readonly wl: number;
  /** Fractional length: the value of one step is 2^-fl. */
  readonly fl: number;
}

export type FormatRole = 'weight' | 'activation' | 'bias' | 'accumulator';

/** Smallest word length of any format. */
export const MIN_WL = 2;

/**
 * Largest word length per role. Weights and activations live in 16-bit (or
 * narrower) integer arrays. Biases are 32-bit. Accumulators may be wider than 32
 * bits (the engine's exact wide path); 53 is the widest integer a double holds
 * exactly, so every accumulator value is still an exact JS number.
 */
export const MAX_WL = {
  weight: 16,
  activation: 16,
  bias: 32,
  accumulator: 53,
} as const satisfies { [R in FormatRole]: number };

/** Allowed fractional lengths (any role). Far outside any useful scaling. */
export const MIN_FL = -64;
export const MAX_FL = 64;

/** Throws an FxpError unless `f` is a valid format for `role`. */
export function validateFormat(f: QFormat, role: FormatRole, context: ErrorContext = {}): void {
  const maxWl = MAX_WL[role];
  if (typeof f.signed !== 'boolean') {
    throw new FxpError(`invalid ${role} format: 'signed' must be a boolean`, context);
  }
  if (!Number.isInteger(f.wl) || f.wl < MIN_WL || f.wl > maxWl) {
    throw new FxpError(
      `invalid ${role} format ${describe(f)}: word length must be an integer in ${MIN_WL}..${maxWl}`,
      context,
    );
  }
  if (!Number.isInteger(f.fl) || f.fl < MIN_FL || f.fl > MAX_FL) {
    throw new FxpError(
      `invalid ${role} format ${describe(f)}: fractional length must be an integer in ${MIN_FL}..${MAX_FL}`,
      context,
    );
  }
}

/** Integer range of a format: signed -2^(wl-1) .. 2^(wl-1)-1, unsigned 0 .. 2^wl-1. */
export function qRange(f: QFormat): { qmin: number; qmax: number } {
  return f.signed ? { qmin: -pow2(f.wl - 1), qmax: pow2(f.wl - 1) - 1 } : { qmin: 0, qmax: pow2(f.wl) - 1 };
}

/** Real value of one integer step, 2^-fl. */
export function stepOf(f: QFormat): number {
  return pow2(-f.fl);
}

export function formatsEqual(a: QFormat, b: QFormat): boolean {
  return a.signed === b.signed && a.wl === b.wl && a.fl === b.fl;
}

/** `Q(s,8,5)` for signed formats, `UQ(8,5)` for unsigned ones. */
export function formatToString(f: QFormat): string {
  return f.signed ? `Q(s,${f.wl},${f.fl})` : `UQ(${f.wl},${f.fl})`;
}

const FORMAT_RE = /^\s*(U?)Q\s*\(\s*(?:([su])\s*,\s*)?(-?\d+)\s*,\s*(-?\d+)\s*\)\s*$/i;

/**
 * Parses `Q(s,8,5)`, `Q(u,8,5)`, `UQ(8,5)` and `Q(8,5)` (signed). The result is
 * checked only for syntax; call validateFormat for the role's limits.
 */
export function parseFormat(text: string, context: ErrorContext = {}): QFormat {
  const m = FORMAT_RE.exec(text);
  if (m === null) {
    throw new FxpError(`cannot parse fixed-point format '${text}' (expected e.g. Q(s,8,5) or UQ(8,5))`, context);
  }
  const unsignedPrefix = m[1] !== '';
  const sign = m[2]?.toLowerCase();
  if (unsignedPrefix && sign !== undefined) {
    throw new FxpError(`cannot parse fixed-point format '${text}': UQ takes no sign field`, context);
  }
  const signed = unsignedPrefix ? false : sign !== 'u';
  return { signed, wl: Number(m[3]), fl: Number(m[4]) };
}

function describe(f: QFormat): string {
  return typeof f.signed === 'boolean' ? formatToString(f) : `{wl: ${String(f.wl)}, fl: ${String(f.fl)}}`;
}
