/**
 * C99 text helpers for the code generator: identifiers, integer literals and
 * const arrays at the narrowest integer type that holds their values.
 *
 * Every number written here is an exact integer (the generator never writes a
 * float); a value that is not a safe integer is an internal error, caught here
 * rather than compiled into a wrong constant.
 */
import { FxpError } from '../../errors.js';

export type CIntType = 'int8_t' | 'uint8_t' | 'int16_t' | 'uint16_t' | 'int32_t' | 'int64_t';

const RANGES = {
  int8_t: [-128, 127],
  uint8_t: [0, 255],
  int16_t: [-32768, 32767],
  uint16_t: [0, 65535],
  int32_t: [-2147483648, 2147483647],
  int64_t: [-(2 ** 53) + 1, 2 ** 53 - 1],
} as const satisfies { [T in CIntType]: readonly [number, number] };

export const C_TYPE_BYTES = {
  int8_t: 1,
  uint8_t: 1,
  int16_t: 2,
  uint16_t: 2,
  int32_t: 4,
  int64_t: 8,
} as const satisfies { [T in CIntType]: number };

/**
 * A C identifier from any string: [A-Za-z0-9_], never empty, never starting with a
 * digit or an underscore (leading underscores are reserved to the implementation).
 */
export function cIdent(s: string): string {
  const id = s.replace(/[^A-Za-z0-9_]/g, '_').replace(/_+/g, '_').replace(/^_+|_+$/g, '');
  if (id === '') return 'model';
  return /^[0-9]/.test(id) ? `m_${id}` : id;
}

/** Text safe inside a C block comment. */
export function cComment(s: string): string {
  return s.replace(/\*\//g, '* /').replace(/[^\x20-\x7e]/g, '?');
}

function checkInt(v: number, type: CIntType): void {
  const [lo, hi] = RANGES[type];
  if (!Number.isSafeInteger(v) || v < lo || v > hi) throw new FxpError(`internal: C constant ${v} does not fit ${type}`);
}

/**
 * A C integer literal of value v for a context of `type`. Decimal literals take the
 * first of int, long, long long that holds them (C99 6.4.4.1), so only INT32_MIN
 * needs a special form (2147483648 alone would be a long long before negation).
 */
export function cInt(v: number, type: CIntType = 'int32_t'): string {
  checkInt(v, type);
  if (v === -2147483648) return '(-2147483647 - 1)';
  return String(v + 0);
}

/** The narrowest of int8, uint8 (if allowed), int16, uint16 (if allowed), int32, int64 that holds every value. */
export function narrowestType(data: ArrayLike<number>, allowUnsigned = false): CIntType {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const order: CIntType[] = allowUnsigned ? ['int8_t', 'uint8_t', 'int16_t', 'uint16_t', 'int32_t', 'int64_t'] : ['int8_t', 'int16_t', 'int32_t', 'int64_t'];
  for (const t of order) {
    const [a, b] = RANGES[t];
    if (lo >= a && hi <= b) return t;
  }
  throw new FxpError(`internal: values ${lo}..${hi} do not fit a 64-bit C constant`);
}

/** `static const T name[n] = { ... };` with a comment line above; an empty array gets one 0 (C has no empty arrays). */
export function cConstArray(name: string, type: CIntType, data: ArrayLike<number>, comment: string): string {
  const items: string[] = [];
  for (let i = 0; i < data.length; i++) items.push(cInt(data[i]!, type));
  if (items.length === 0) items.push('0');
  const lines: string[] = [];
  let line = '';
  for (const it of items) {
    if (line.length + it.length + 2 > 100) {
      lines.push(line);
      line = '';
    }
    line += `${it},`;
  }
  lines.push(line);
  return `/* ${cComment(comment)} */\nstatic const ${type} ${name}[${items.length}] = {\n  ${lines.join('\n  ')}\n};\n`;
}
