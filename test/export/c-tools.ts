/**
 * Helpers of the C export tests: find compilers, build generated sources with the
 * strict flags, run the generated harness or a multi-model driver, and get the TS
 * engine's integers for the same inputs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FxGraph, FxTensor } from '../../src/engine/fx-graph.js';
import { createEngine } from '../../src/engine/runtime.js';
import { int32LeBytes, writeCSources, type CExportResult } from '../../src/export/c/index.js';
import type { Tensor } from '../../src/tensor.js';

/** The flags the issue requires the generated code to pass cleanly. */
export const CFLAGS = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-O2'];

function hasCompiler(cc: string): boolean {
  return spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Installed C compilers among gcc and clang. */
export const COMPILERS = ['gcc', 'clang'].filter(hasCompiler);

export const NO_COMPILER = COMPILERS.length === 0 ? 'needs a C compiler (gcc or clang) on PATH' : false;

const TEMP_DIRS: string[] = [];

// Generated sources and binaries are removed when the test process exits (set
// FXP_KEEP_C=1 to keep them for debugging).
process.on('exit', () => {
  if (process.env.FXP_KEEP_C !== undefined) return;
  for (const d of TEMP_DIRS) rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `fxp-${prefix}-`));
  TEMP_DIRS.push(dir);
  return dir;
}

/** Compiles `sources` (in `dir`) into `dir/exe` with CFLAGS; a warning fails (-Werror) with the compiler's message. */
export function compileC(cc: string, dir: string, sources: readonly string[], exe: string): string {
  const r = spawnSync(cc, [...CFLAGS, '-o', exe, ...sources], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cc} failed on ${sources.join(' ')}:\n${(r.stderr ?? '').slice(0, 4000)}`);
  return join(dir, exe);
}

/** Writes the generated files and builds `<name>` from `<name>.c` and `<name>_main.c`. */
export async function buildHarness(cc: string, dir: string, gen: CExportResult): Promise<string> {
  await writeCSources(dir, gen.files);
  return compileC(cc, dir, [`${gen.name}.c`, `${gen.name}_main.c`], `${gen.name}_${cc}`);
}

/** Like buildHarness, but the model is compiled to its own object first (for `size`). */
export async function buildHarnessObject(cc: string, dir: string, gen: CExportResult): Promise<{ exe: string; obj: string }> {
  await writeCSources(dir, gen.files);
  const obj = `${gen.name}_${cc}.o`;
  const r = spawnSync(cc, [...CFLAGS, '-c', '-o', obj, `${gen.name}.c`], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cc} failed on ${gen.name}.c:\n${(r.stderr ?? '').slice(0, 4000)}`);
  return { exe: compileC(cc, dir, [obj, `${gen.name}_main.c`], `${gen.name}_${cc}`), obj: join(dir, obj) };
}

export interface SectionSizes {
  /** Machine code (.text). */
  readonly text: number;
  /** Read-only data (.rodata*): weights, tables, index maps. */
  readonly rodata: number;
  /** Initialized data (.data*, including .data.rel.ro: the const descriptors, which hold pointers). */
  readonly data: number;
  /** Zero-initialized RAM (.bss): the activation arenas. */
  readonly bss: number;
}

/** Section sizes of an object file from binutils `size -A`, or undefined without `size`. */
export function sectionSizes(obj: string): SectionSizes | undefined {
  const r = spawnSync('size', ['-A', '-d', obj], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const sizes = { text: 0, rodata: 0, data: 0, bss: 0 };
  for (const line of r.stdout.split('\n')) {
    const m = /^(\.\S+)\s+(\d+)/.exec(line);
    if (m === null) continue;
    const [, name = '', n = '0'] = m;
    if (name === '.text' || name.startsWith('.text.')) sizes.text += Number(n);
    else if (name.startsWith('.rodata')) sizes.rodata += Number(n);
    else if (name.startsWith('.data')) sizes.data += Number(n);
    else if (name.startsWith('.bss')) sizes.bss += Number(n);
  }
  return sizes;
}

/** Runs a generated harness on int32 inputs; returns its printed hash, its output bytes and exit status. */
export function runHarness(exe: string, inputs: readonly Int32Array[]): { status: number | null; hash: string; bytes: Uint8Array; stderr: string } {
  const dir = tempDir('run');
  const inPath = join(dir, 'in.bin');
  const outPath = join(dir, 'out.bin');
  writeFileSync(inPath, int32LeBytes(inputs));
  const r = spawnSync(exe, [inPath, outPath], { encoding: 'utf8' });
  const m = /^fnv1a64 ([0-9a-f]{16})$/m.exec(r.stdout ?? '');
  let bytes = new Uint8Array(0);
  if (r.status === 0) bytes = new Uint8Array(readFileSync(outPath));
  return { status: r.status, hash: m?.[1] ?? '', bytes, stderr: r.stderr ?? '' };
}

/**
 * A driver for many generated models in one program (one compile and one run per
 * compiler): for each model in order it reads the model's inputs from stdin (raw
 * little-endian int32), runs it, and writes the return code and the outputs.
 */
export function driverSource(models: readonly CExportResult[]): string {
  const maxIn = Math.max(1, ...models.map((m) => m.inputs.reduce((a, t) => a + t.shape.reduce((x, d) => x * d, 1), 0)));
  const maxOut = Math.max(1, ...models.map((m) => m.outputs.reduce((a, t) => a + t.shape.reduce((x, d) => x * d, 1), 0)));
  const blocks = models.map((m) => {
    const N = m.name.toUpperCase();
    const lines = [`  {`, `    const int32_t *ins[${N}_NUM_INPUTS];`, `    int32_t *outs[${N}_NUM_OUTPUTS];`];
    let off = 0;
    m.inputs.forEach((t, i) => {
      lines.push(`    ins[${i}] = in_q + ${off};`);
      off += t.shape.reduce((x, d) => x * d, 1);
    });
    off = 0;
    m.outputs.forEach((t, i) => {
      lines.push(`    outs[${i}] = out_q + ${off};`);
      off += t.shape.reduce((x, d) => x * d, 1);
    });
    lines.push(
      `    if (!read_i32(in_q, ${N}_INPUTS_TOTAL)) return 2;`,
      `    rc = ${m.name}_run_multi(ins, outs);`,
      `    write_i32(&rc, 1);`,
      `    write_i32(out_q, ${N}_OUTPUTS_TOTAL);`,
      `  }`,
    );
    return lines.join('\n');
  });
  return `#include <stdio.h>
#include <stdint.h>
${models.map((m) => `#include "${m.name}.h"`).join('\n')}

static int32_t in_q[${maxIn}];
static int32_t out_q[${maxOut}];

static int read_i32(int32_t *x, long n) {
  long i;
  int b, c;
  for (i = 0; i < n; i++) {
    uint32_t u = 0;
    for (b = 0; b < 4; b++) {
      if ((c = getchar()) == EOF) return 0;
      u |= (uint32_t)c << (8 * b);
    }
    x[i] = u >= 0x80000000u ? -(int32_t)(~u) - 1 : (int32_t)u;
  }
  return 1;
}

static void write_i32(const int32_t *x, long n) {
  long i;
  int b;
  for (i = 0; i < n; i++) {
    const uint32_t u = (uint32_t)x[i];
    for (b = 0; b < 4; b++) putchar((int)((u >> (8 * b)) & 0xffu));
  }
}

int main(void) {
  int32_t rc;
${blocks.join('\n')}
  return 0;
}
`;
}

/** Runs a driver built from driverSource: per model, its return code and output integers. */
export function runDriver(exe: string, models: readonly CExportResult[], inputs: readonly (readonly Int32Array[])[]): { rc: number; outputs: Int32Array[] }[] {
  const stdin = int32LeBytes(inputs.flat());
  const stdout = execFileSync(exe, [], { input: stdin, maxBuffer: 1 << 30 });
  const view = new DataView(stdout.buffer, stdout.byteOffset, stdout.byteLength);
  let o = 0;
  const next = (): number => {
    const v = view.getInt32(o, true);
    o += 4;
    return v;
  };
  return models.map((m) => {
    const rc = next();
    const outputs = m.outputs.map((t) => Int32Array.from({ length: t.shape.reduce((x, d) => x * d, 1) }, next));
    return { rc, outputs };
  });
}

/** The engine's quantized inputs and integer outputs for `inputs` (float or integer tensors). */
export function engineRun(fx: FxGraph, inputs: readonly (Tensor | FxTensor)[]): { inputs: Int32Array[]; outputs: Int32Array[] } {
  const r = createEngine(fx).run(inputs);
  return { inputs: fx.inputs.map((id) => r.values[id]!.data), outputs: r.outputs.map((t) => t.data) };
}

/** Index of the first difference of two integer arrays, or -1. */
export function firstDiff(a: Int32Array, b: Int32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}
