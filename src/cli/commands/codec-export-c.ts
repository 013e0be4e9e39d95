/**
 * `fxp codec export-c --model-dir DIR -o OUT [--quality 1,2,5]`: the codec
 * decoder as a self-contained C99 program (src/codec/c-program.ts) holding the
 * chosen models; prints what it wrote and the build line.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { C_PROGRAM_NAME, generateCodecProgram } from '../../codec/c-program.js';
import { writeCSources } from '../../export/c/index.js';
import { formatTable } from '../table.js';
import { loadModel, parseQualities, presentQualities } from './codec-models.js';

interface ExportCOptions {
  output: string;
  modelDir: string;
  quality?: string;
  json?: boolean;
}

async function exportCodecC(opts: ExportCOptions): Promise<void> {
  const qualities = opts.quality === undefined ? presentQualities(opts.modelDir) : parseQualities(opts.quality);
  const models = qualities.map((q) => loadModel(opts.modelDir, q));
  const program = generateCodecProgram(models);
  await writeCSources(opts.output, program.files);
  const files = program.files.map((f) => join(opts.output, f.name));
  const build = `cd ${opts.output} && ${program.build}`;
  if (opts.json === true) {
    process.stdout.write(`${JSON.stringify({ output: opts.output, files, models: program.models, build }, null, 2)}\n`);
    return;
  }
  const rows = program.models.map((m) => [`q${m.quality}`, m.modelId, m.hash, m.files.join(' '), m.parameterBytes.toLocaleString('en-US'), String(m.arenaBytesPerPixel)]);
  process.stdout.write(
    [
      formatTable(['quality', 'model id', 'hash', 'files', 'const bytes', 'activation bytes/pixel'], rows, ['l', 'l', 'l', 'l', 'r', 'r']),
      '',
      `wrote ${program.files.length} files to ${opts.output} (and a Makefile: make -j)`,
      `build:  ${build}`,
      `run:    ./${C_PROGRAM_NAME} in.fxpc out.ppm   (prints fnv1a64 of the RGB bytes)`,
      '',
    ].join('\n'),
  );
}

/** Adds `export-c` to the `codec` command; models are read from `defaultModelDir` unless --model-dir says otherwise. */
export function addCodecExportCCommand(codec: Command, defaultModelDir: string): void {
  codec
    .command('export-c')
    .description('generate the decoder as a self-contained C99 program (integer-only, the same pixels as `fxp codec decode`)')
    .requiredOption('-o, --output <dir>', 'output folder (created if missing)')
    .option('--model-dir <dir>', 'folder of q*.fxpcm model files', defaultModelDir)
    .option('--quality <list>', 'qualities to include, e.g. 1,3,5 (default: every model in the folder)')
    .option('--json', 'machine-readable output')
    .addHelpText('after', `\nExample:\n  fxp codec export-c -o fxpc_c/ && cd fxpc_c && cc -O2 -std=c99 -o ${C_PROGRAM_NAME} *.c && ./${C_PROGRAM_NAME} in.fxpc out.ppm`)
    .action(exportCodecC);
}
