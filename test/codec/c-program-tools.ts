/**
 * Helpers of the C decoder program tests: build the generated program (its .c
 * files compiled in parallel, then linked), run it on bitstream bytes, and find
 * whether the compiler's sanitizers work here.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { generateCodecProgram, C_PROGRAM_NAME } from '../../src/codec/c-program.js';
import type { LoadedCodecModel } from '../../src/codec/model-file.js';
import { writeCSources } from '../../src/export/c/index.js';
import { tempDir } from '../export/c-tools.js';

/** Strict flags; -O1 keeps the compile of the large weight arrays short. */
export const PROGRAM_CFLAGS = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-O1'];

const SANITIZE = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all'];
export const SANITIZER_ENV = { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' };

/** Whether `cc` builds and runs an ASan + UBSan program here (not in every container). */
export function sanitizersWork(cc: string): boolean {
  const dir = tempDir('san-probe');
  writeFileSync(join(dir, 'p.c'), 'int main(void) { return 0; }\n');
  const exe = join(dir, 'p');
  if (spawnSync(cc, [...SANITIZE, '-o', exe, 'p.c'], { cwd: dir }).status !== 0) return false;
  return spawnSync(exe, [], { env: SANITIZER_ENV }).status === 0;
}

function compile(cc: string, dir: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cc, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cc} ${args.join(' ')} failed:\n${err.slice(0, 4000)}`))));
  });
}

/** Generates and builds the decoder for `models`; returns the executable's path. */
export async function buildDecoder(cc: string, models: readonly LoadedCodecModel[], opts: { sanitize?: boolean } = {}): Promise<string> {
  const dir = tempDir('codec-c');
  const program = generateCodecProgram(models);
  await writeCSources(dir, program.files);
  const flags = [...PROGRAM_CFLAGS, ...(opts.sanitize === true ? SANITIZE : [])];
  const sources = program.files.map((f) => f.name).filter((n) => n.endsWith('.c'));
  // Largest first, at most one compile per core.
  const queue = [...sources].sort((a, b) => program.files.find((f) => f.name === b)!.text.length - program.files.find((f) => f.name === a)!.text.length);
  const workers = Array.from({ length: Math.max(1, Math.min(availableParallelism(), queue.length)) }, async () => {
    for (let s = queue.shift(); s !== undefined; s = queue.shift()) await compile(cc, dir, [...flags, '-c', '-o', s.replace(/\.c$/, '.o'), s]);
  });
  await Promise.all(workers);
  await compile(cc, dir, [...flags, '-o', C_PROGRAM_NAME, ...sources.map((s) => s.replace(/\.c$/, '.o'))]);
  return join(dir, C_PROGRAM_NAME);
}

export interface DecoderRun {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** fnv1a64 printed by the program ('' if none). */
  readonly hash: string;
  /** The PPM's pixels, when the run succeeded and wrote a PPM. */
  readonly image?: { readonly width: number; readonly height: number; readonly rgb: Uint8Array } | undefined;
  /** The PNG file's bytes, when the run succeeded and wrote a PNG. */
  readonly png?: Uint8Array | undefined;
}

function parsePpm(bytes: Buffer): DecoderRun['image'] {
  const m = /^P6\n(\d+) (\d+)\n255\n/.exec(bytes.subarray(0, 64).toString('latin1'));
  if (m === null) throw new Error('output is not a P6 PPM with maxval 255');
  return { width: Number(m[1]), height: Number(m[2]), rgb: new Uint8Array(bytes.subarray(m[0].length)) };
}

/** Runs the decoder on `bytes` (written to a temporary file); it writes `out.ppm`, or `out.png` with format 'png'. */
export function runDecoder(exe: string, bytes: Uint8Array, env: NodeJS.ProcessEnv = process.env, format: 'ppm' | 'png' = 'ppm'): DecoderRun {
  const dir = tempDir('codec-run');
  const input = join(dir, 'in.fxpc');
  const output = join(dir, `out.${format}`);
  writeFileSync(input, bytes);
  const r = spawnSync(exe, [input, output], { encoding: 'utf8', env });
  const hash = /^fnv1a64 ([0-9a-f]{16})$/m.exec(r.stdout ?? '')?.[1] ?? '';
  const written = r.status === 0 && existsSync(output) ? readFileSync(output) : undefined;
  const image = written !== undefined && format === 'ppm' ? parsePpm(written) : undefined;
  const png = written !== undefined && format === 'png' ? new Uint8Array(written) : undefined;
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', hash, image, png };
}
