/** `fxp export-c MODEL.fxp -o DIR`: integer-only C99 sources (header, model, harness). */
import { basename, extname, join } from 'node:path';
import { FxpError } from '../../errors.js';
import { formatToString } from '../../fixed/format.js';
import { generateC, writeCSources, type CExportResult } from '../../export/c/index.js';
import { readFxp } from '../../export/fxp-file.js';
import { parseShape } from '../model.js';
import { formatTable } from '../table.js';

export interface ExportCOptions {
  output: string;
  json?: boolean;
  name?: string;
  batch?: string;
  shape?: string;
}

function parseBatch(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new FxpError(`--batch must be a positive integer, got '${s}'`);
  return n;
}

/** `--shape 1,3,64,64`, or one shape per graph input separated by ';'. */
function parseShapes(s: string | undefined): number[][] | undefined {
  return s === undefined ? undefined : s.split(';').map((part) => parseShape(part));
}

function buildLine(r: CExportResult): string {
  return `cc -std=c99 -Wall -Wextra -Werror -O2 -o ${r.name} ${r.name}.c ${r.name}_main.c`;
}

function summary(r: CExportResult, dir: string, modelPath: string): string {
  const tensor = (t: CExportResult['inputs'][number]): string => `${t.name} [${t.shape.join(',')}] ${formatToString(t.format)}`;
  const rows = r.nodes.map((n, i) => [i, n.node, n.op, n.kernels.join(' '), n.acc === 'none' ? '' : n.acc, `[${n.outShape.join(',')}]`]);
  return [
    `model   ${modelPath}`,
    ...r.inputs.map((t) => `input   ${tensor(t)}`),
    ...r.outputs.map((t) => `output  ${tensor(t)}`),
    '',
    formatTable(['#', 'node', 'op', 'C kernel', 'accumulator', 'output'], rows, ['r', 'l', 'l', 'l', 'l', 'l']),
    '',
    `wrote ${r.files.map((f) => join(dir, f.name)).join(', ')}`,
    `static RAM (activation arenas, .bss): ${r.arenaBytes.toLocaleString('en-US')} bytes; const parameters: ${r.parameterBytes.toLocaleString('en-US')} bytes`,
    `build and run:  cd ${dir} && ${buildLine(r)} && ./${r.name} input.bin output.bin`,
    '',
  ].join('\n');
}

export async function exportCCommand(modelPath: string, opts: ExportCOptions): Promise<void> {
  if (extname(modelPath).toLowerCase() !== '.fxp') {
    throw new FxpError('export-c takes a fixed-point model (.fxp); make one with `fxp quantize MODEL -o model.fxp`', { file: modelPath });
  }
  const fx = await readFxp(modelPath);
  const name = opts.name ?? basename(modelPath, extname(modelPath));
  const r = generateC(fx, { name, inputShapes: parseShapes(opts.shape), batch: parseBatch(opts.batch), source: basename(modelPath) });
  await writeCSources(opts.output, r.files);
  if (opts.json === true) {
    const { files, ...report } = r;
    const json = { model: modelPath, output: opts.output, files: files.map((f) => join(opts.output, f.name)), build: buildLine(r), ...report };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return;
  }
  process.stdout.write(summary(r, opts.output, modelPath));
}
