/**
 * Command-line parsing shared by the codec scripts (node:util parseArgs): `-h` /
 * `--help` prints the usage text and exits 0; an unknown option or a missing value
 * prints the problem and the usage and exits 1.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values<O extends Options> = ReturnType<typeof parseArgs<{ options: O }>>['values'];

export function scriptArgs<const O extends Options>(usage: string, options: O): Values<O> {
  let parsed: Values<O & { help: { type: 'boolean'; short: 'h' } }>;
  try {
    parsed = parseArgs({ options: { ...options, help: { type: 'boolean' as const, short: 'h' } } }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${usage}\n`);
    process.exit(1);
  }
  if ((parsed as { help?: boolean }).help === true) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  return parsed;
}

/** An integer option in [lo, hi], or a message and exit 1. */
export function intArg(name: string, v: string, lo: number, hi: number): number {
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= lo && n <= hi)) {
    process.stderr.write(`--${name}: '${v}' is not an integer in ${lo}..${hi}\n`);
    process.exit(1);
  }
  return n;
}
