/**
 * `fxp codec encode|decode|eval`: the fixed-point learned image codec
 * (src/codec, docs/codec.md).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Command } from 'commander';
import { wrapError } from '../../errors.js';
import { readBitstream } from '../../codec/bitstream.js';
import { createCodec, decodeImage, encodeImage, type Codec } from '../../codec/codec.js';
import { evaluateCodec } from '../../codec/eval.js';
import { BD_HEADER, bdRows, CURVE_HEADER, curveRows, DELTA_HEADER, deltaRows, evalReportHtml } from '../../codec/eval-report.js';
import { encodePng } from '../../codec/png.js';
import { loadCodecSources, type CodecSources } from '../../codec/sources.js';
import { listImages, readImage, writePng } from '../../data/images.js';
import { fnv1a64 } from '../../engine/hash.js';
import { progressBar } from '../progress.js';
import { formatTable } from '../table.js';
import { addCodecExportCCommand } from './codec-export-c.js';
import { DEFAULT_MODEL_DIR, loadModel, modelPath, parseQualities, parseQuality, presentQualities } from './codec-models.js';

function readBytes(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (err) {
    throw wrapError(err, `cannot read ${what}`, { file: path });
  }
}

function writeBytes(path: string, bytes: Uint8Array | string): void {
  try {
    writeFileSync(path, bytes);
  } catch (err) {
    throw wrapError(err, 'cannot write file', { file: path });
  }
}

interface EncodeOptions {
  output: string;
  quality: string;
  modelDir: string;
  json?: boolean;
}

async function encodeCommand(input: string, opts: EncodeOptions): Promise<void> {
  const model = loadModel(opts.modelDir, parseQuality(opts.quality));
  const img = await readImage(input, 'rgb');
  const t0 = performance.now();
  const bytes = encodeImage(createCodec(model), { width: img.width, height: img.height, data: img.data });
  const seconds = (performance.now() - t0) / 1000;
  writeBytes(opts.output, bytes);
  const bpp = (8 * bytes.length) / (img.width * img.height);
  if (opts.json === true) {
    process.stdout.write(`${JSON.stringify({ input, output: opts.output, quality: model.quality, width: img.width, height: img.height, bytes: bytes.length, bpp, seconds, modelHash: model.hash })}\n`);
    return;
  }
  process.stdout.write(`wrote ${opts.output}: ${bytes.length} bytes, ${bpp.toFixed(4)} bpp (${img.width}x${img.height}, quality ${model.quality}) in ${seconds.toFixed(2)} s\n`);
}

interface DecodeOptions {
  output: string;
  modelDir: string;
  compress?: boolean;
  json?: boolean;
}

async function decodeCommand(input: string, opts: DecodeOptions): Promise<void> {
  const bytes = readBytes(input, 'bitstream');
  // Engines only for the model the header names (decodeImage reports a mismatch).
  const { header } = readBitstream(bytes, input);
  const models = presentQualities(opts.modelDir).map((q) => loadModel(opts.modelDir, q));
  const match = models.filter((m) => m.modelId === header.modelId && m.hash === header.modelHash);
  const codecs: Codec[] = (match.length > 0 ? match : models).map((m) => createCodec(m));
  const t0 = performance.now();
  const img = decodeImage(codecs, bytes, input);
  const seconds = (performance.now() - t0) / 1000;
  // Default: the deterministic PNG of codec/png.ts, byte-identical to the web page's and the C decoder's.
  if (opts.compress === true) await writePng(opts.output, { ...img, channels: 3 });
  else writeBytes(opts.output, encodePng(img.data, img.width, img.height));
  if (opts.json === true) {
    process.stdout.write(`${JSON.stringify({ input, output: opts.output, width: img.width, height: img.height, seconds, rgbFnv1a64: fnv1a64(img.data) })}\n`);
    return;
  }
  process.stdout.write(`wrote ${opts.output}: ${img.width}x${img.height} in ${seconds.toFixed(2)} s\n`);
}

interface EvalOptions {
  data: string;
  qualities?: string;
  modelDir: string;
  float: boolean;
  baselines: boolean;
  limit?: string;
  report?: string;
  json?: boolean;
}

async function evalCommand(opts: EvalOptions): Promise<void> {
  let files = listImages(opts.data);
  if (opts.limit !== undefined) files = files.slice(0, Number(opts.limit));
  const present = opts.qualities === undefined ? presentQualities(opts.modelDir) : parseQualities(opts.qualities, '--qualities');
  const models = present.map((q) => loadModel(opts.modelDir, q));
  const sources: (CodecSources | undefined)[] = [];
  for (const q of present) {
    const dir = join(opts.modelDir, `q${q}`);
    sources.push(opts.float && existsSync(join(dir, 'synthesis.onnx')) ? await loadCodecSources(dir) : undefined);
  }
  const bar = progressBar('codec eval', files.length);
  let last = 0;
  const t0 = performance.now();
  const result = await evaluateCodec({
    files,
    models,
    sources,
    baselines: opts.baselines,
    onProgress: (done, total, what) => {
      bar.update(done, total);
      if (process.stderr.isTTY !== true && performance.now() - last > 30000) {
        last = performance.now();
        process.stderr.write(`codec eval: ${done}/${total} ${what} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
      }
    },
  });
  bar.stop();
  const modelBytes = present.map((q) => ({ quality: q, bytes: readFileSync(modelPath(opts.modelDir, q)).length }));
  if (opts.report !== undefined) writeBytes(opts.report, await evalReportHtml(result, basename(opts.data)));
  if (opts.json === true) {
    process.stdout.write(`${JSON.stringify({ data: opts.data, ...result, modelBytes }, null, 1)}\n`);
    return;
  }
  process.stdout.write(`${formatTable(CURVE_HEADER, curveRows(result), ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'])}\n\n`);
  // the BD-rate and float-delta tables only when there is something to compare (--no-float --no-baselines leaves nothing)
  const bds = bdRows(result.bd);
  const deltas = deltaRows(result);
  if (bds.length > 0) process.stdout.write(`${formatTable(BD_HEADER, bds, ['l', 'l', 'r', 'r'])}\n\n`);
  if (deltas.length > 0) process.stdout.write(`${formatTable(DELTA_HEADER, deltas, ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'])}\n`);
  process.stdout.write(`\n${result.images.length} images; model files: ${modelBytes.map((m) => `q${m.quality} ${m.bytes} B`).join(', ')}\n`);
}

/** Adds `codec` with its subcommands to the program. */
export function addCodecCommand(program: Command): void {
  const codec = program.command('codec').description('fixed-point learned image codec (integer-only, bit-exact decoder): encode, decode, evaluate');
  codec
    .command('encode')
    .description('encode a PNG/JPEG image to an .fxpc bitstream')
    .argument('<input>', 'image file')
    .requiredOption('-o, --output <file>', 'output .fxpc file')
    .option('--quality <q>', 'quality level (a model file q<Q>.fxpcm must exist)', '2')
    .option('--model-dir <dir>', 'folder of q*.fxpcm model files', DEFAULT_MODEL_DIR)
    .option('--json', 'machine-readable output')
    .action(encodeCommand);
  codec
    .command('decode')
    .description('decode an .fxpc bitstream to PNG (the model is chosen by the hash in the bitstream)')
    .argument('<input>', '.fxpc file')
    .requiredOption('-o, --output <file>', 'output PNG: uncompressed, byte-identical to the web page\'s and the C decoder\'s (docs/codec.md)')
    .option('--compress', 'write a smaller, deflate-compressed PNG through sharp instead (same pixels, other bytes)')
    .option('--model-dir <dir>', 'folder of q*.fxpcm model files', DEFAULT_MODEL_DIR)
    .option('--json', 'machine-readable output (with rgbFnv1a64, the hash the web page and the C decoder print)')
    .action(decodeCommand);
  codec
    .command('eval')
    .description('rate-distortion on an image folder: fixed-point codec vs its float model, JPEG 4:2:0/4:4:4 and WebP; BD-rates')
    .requiredOption('--data <dir>', 'folder of PNG/JPEG images, e.g. ../shared/data/kodak')
    .option('--qualities <list>', 'quality levels, e.g. 1,3,5 (default: every model in the folder)')
    .option('--model-dir <dir>', 'folder of q*.fxpcm files and the float exports q*/', DEFAULT_MODEL_DIR)
    .option('--no-float', 'skip the float model')
    .option('--no-baselines', 'skip JPEG and WebP')
    .option('--limit <n>', 'first n images only')
    .option('--report <file.html>', 'write an HTML report with RD plots')
    .option('--json', 'machine-readable output (per-image rows included)')
    .addHelpText(
      'after',
      '\nExamples:\n  fxp codec encode kodim01.png -o kodim01.fxpc --quality 3\n  fxp codec decode kodim01.fxpc -o kodim01_dec.png\n  fxp codec eval --data ../shared/data/kodak --report rd.html',
    )
    .action(evalCommand);
  addCodecExportCCommand(codec, DEFAULT_MODEL_DIR);
}
