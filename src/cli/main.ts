#!/usr/bin/env node
/**
 * The `fxp` command line. Every command takes --json for machine-readable output;
 * long work shows a progress bar on stderr when stderr is a terminal. Bad input
 * ends with one line `fxp: error: ...` and exit code 1.
 */
import { Command, CommanderError } from 'commander';
import { FxpError } from '../errors.js';
import { evalCommand } from './commands/eval.js';
import { exportCCommand } from './commands/export-c.js';
import { exportOnnxCommand } from './commands/export-onnx.js';
import { inspectCommand } from './commands/inspect.js';
import { paretoCommand } from './commands/pareto.js';
import { quantizeCommand } from './commands/quantize.js';
import { searchCommand } from './commands/search.js';
import { runCommand } from './commands/run.js';
import { sweepCommand } from './commands/sweep.js';
import { addCalibrationOptions } from './calibration.js';
import { addCodecCommand } from './commands/codec.js';

const program = new Command();
program
  .name('fxp')
  .description('fxpnet: turn float CNNs (ONNX, Keras .h5, TF.js) into integer-only fixed-point networks')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

function addUniformOptions(cmd: Command): Command {
  return cmd
    .option('--wbits <n>', 'weight word length (2..16)', '8')
    .option('--bbits <n>', 'bias word length (2..32)', '16')
    .option('--abits <n>', 'activation word length (2..16)', '8')
    .option('--scheme <s>', 'weights: dynamic (power-of-two fixed point, Goyal) or range-adaptive (integer kernel + range, Hong)', 'dynamic')
    .option('--granularity <g>', 'weight formats per layer or per output channel', 'layer')
    .option('--act-method <m>', 'activation format from calibration: max | mse | kl | percentile', 'max')
    .option('--weight-method <m>', 'weight format: max | mse', 'max')
    .option('--logit-bits <n>', 'word length of the logits of a layer fused with its Softmax (not a stored activation; set it to --abits to store them at that width)', '16')
    .option('--act-ranges <mode>', 'pow2: activation ranges are powers of two; adaptive: rescale layers so each clip range fills its format (range-adaptive activations, exact in real arithmetic)', 'pow2')
    .option('--pixel-io', 'image models: fold the 1/255 input and 255 output scales into the first and last layers, so the integer model reads and writes 8-bit pixels exactly');
}

program
  .command('inspect')
  .description('list layers with output shapes, parameter counts and multiply-accumulates')
  .argument('<model>', 'model file: .onnx, Keras .h5, or TF.js model.json')
  .option('--shape <dims>', 'input shape for models with dynamic dims, e.g. 1,3,341,512')
  .option('--raw', 'show the imported graph before the canonical passes (BN folding, fusion, layout)')
  .option('--json', 'machine-readable output')
  .addHelpText('after', '\nExample:\n  fxp inspect examples/fashion-small/model.onnx\n  fxp inspect lrs_float.onnx --shape 1,3,341,512 --json')
  .action(inspectCommand);

program
  .command('run')
  .description('run one input through a model: print class probabilities or write the output image')
  .argument('<model>', 'model file: .onnx, Keras .h5, or TF.js model.json')
  .argument('<input>', 'an image file (PNG/JPEG), or IDX_FILE#INDEX for one image of an IDX set')
  .option('-o, --output <file>', 'output PNG for image outputs (default out.png), or a JSON file for other outputs')
  .option('--top <k>', 'number of classes to print', '5')
  .option('--scale <s>', 'input pixel scale', String(1 / 255))
  .option('--json', 'machine-readable output')
  .addHelpText(
    'after',
    '\nExamples:\n  fxp run examples/fashion-small/model.onnx examples/fashion-small/t10k-images-idx3-ubyte.gz#0\n  fxp run lrs_float.onnx kodim01.png -o kodim01_sr.png',
  )
  .action(runCommand);

program
  .command('eval')
  .description('evaluate a model on a dataset: top-1 on IDX sets, PSNR/MS-SSIM on image folders')
  .argument('<model>', 'model file: .onnx, Keras .h5, or TF.js model.json')
  .requiredOption('--data <dir>', 'folder of gzipped IDX files (MNIST family) or of input images')
  .option('--targets <dir>', 'folder of target images with the same file names (image-to-image models)')
  .option('--split <split>', 'IDX split: test or train', 'test')
  .option('--metric <metric>', 'top1 | agreement | kl | psnr | ms-ssim (default: top1, or psnr with --targets)')
  .option('--reference <model>', 'reference model for agreement and kl')
  .option('--limit <n>', 'evaluate at most n inputs')
  .option('--offset <n>', 'skip the first n inputs of an IDX split')
  .option('--batch <n>', 'batch size (default 100, or 1 for image folders)')
  .option('--json', 'machine-readable output (includes per-image values)')
  .addHelpText(
    'after',
    '\nExamples:\n  fxp eval fashion_seq_large.h5 --data ../shared/data/fashion-mnist\n  fxp eval lrs_float.onnx --data ../shared/data/kodak-lr --targets ../shared/data/kodak --metric psnr',
  )
  .action(evalCommand);

addUniformOptions(
  addCalibrationOptions(
    program
      .command('quantize')
      .description('calibrate a float model and write an integer-only fixed-point model (.fxp) with uniform bit widths')
      .argument('<model>', 'float model file: .onnx, Keras .h5, or TF.js model.json')
      .requiredOption('-o, --output <file>', 'output .fxp file'),
  ),
)
  .option('--json', 'machine-readable output')
  .addHelpText(
    'after',
    '\nExamples:\n  fxp quantize fashion_seq_large.h5 --calib ../shared/data/fashion-mnist --calib-limit 2000 -o seq8.fxp\n' +
      '  fxp quantize lrs_float.onnx --calib ../shared/data/kodak-lr/kodim0{1,2,3,4}.png --calib-crop 128 --act-method mse -o lrs8.fxp',
  )
  .action(quantizeCommand);

addUniformOptions(
  addCalibrationOptions(
    program
      .command('sweep')
      .description('vary the weight or activation bit width, evaluate each with the integer engine, print a table and plot it')
      .argument('<model>', 'float model file: .onnx, Keras .h5, or TF.js model.json')
      .requiredOption('--vary <what>', 'weights or activations')
      .option('--bits <range>', 'bit widths: a range like 4..12 or a list like 4,6,8', '4..12'),
  ),
)
  .requiredOption('--data <dir>', 'evaluation data: IDX folder or input images')
  .option('--targets <dir>', 'target images (image-to-image models)')
  .option('--split <split>', 'IDX split for evaluation', 'test')
  .option('--metric <metric>', 'top1 | psnr | ms-ssim')
  .option('--limit <n>', 'evaluate at most n inputs')
  .option('--offset <n>', 'skip the first n inputs of an IDX split')
  .option('--batch <n>', 'batch size')
  .option('--plot <file.html>', 'write an HTML page with the plot (SVG) and table')
  .option('--json', 'machine-readable output')
  .addHelpText(
    'after',
    '\nExample:\n  fxp sweep lrs_float.onnx --vary activations --bits 4..12 --calib ../shared/data/kodak-lr/kodim0{1,2,3,4}.png --calib-crop 128 \\\n' +
      '    --data ../shared/data/kodak-lr --targets ../shared/data/kodak --limit 4 --plot lrs-abits.html',
  )
  .action(sweepCommand);

program
  .command('export-c')
  .description('write integer-only C99 sources (header, model, test harness) for a fixed-point model')
  .argument('<model>', 'fixed-point model (.fxp), e.g. from `fxp quantize`')
  .requiredOption('-o, --output <dir>', 'output folder (created if missing)')
  .option('--name <id>', 'prefix of the C symbols and file names (default: the model file name)')
  .option('--shape <dims>', 'input shape, batch first, for models with dynamic dims, e.g. 1,3,64,64 (several inputs: separate with ;)')
  .option('--batch <n>', 'batch size: dim 0 of every input (default 1)')
  .option('--json', 'machine-readable output')
  .addHelpText(
    'after',
    '\nExamples:\n  fxp export-c seq8.fxp -o seq8_c/\n  fxp export-c lrs8.fxp -o lrs_c/ --shape 1,3,64,64\n' +
      '  cd lrs_c && cc -std=c99 -Wall -Wextra -Werror -O2 -o lrs8 lrs8.c lrs8_main.c && ./lrs8 input.bin output.bin',
  )
  .action(exportCCommand);

program
  .command('export-onnx')
  .description('export a fixed-point model (.fxp) to ONNX with QuantizeLinear/DequantizeLinear (power-of-two scales, opset 21)')
  .argument('<model>', 'fixed-point model (.fxp)')
  .requiredOption('-o, --output <file>', 'output .onnx file')
  .option('--rounding <mode>', "even: plain QDQ (ties to even, as ONNX defines); half-up: the engine's rounding (bit-exact wherever the float ops are exact)", 'even')
  .option('--json', 'machine-readable output')
  .addHelpText('after', '\nExample:\n  fxp export-onnx seq8.fxp -o seq8.onnx --rounding half-up')
  .action(exportOnnxCommand);

function addSearchOptions(cmd: Command): Command {
  return addCalibrationOptions(cmd)
    .requiredOption('--data <dir>', 'evaluation data (reported with the integer engine): IDX folder or input images')
    .option('--targets <dir>', 'target images of the evaluation data (image-to-image models)')
    .option('--split <split>', 'IDX split for evaluation', 'test')
    .option('--limit <n>', 'evaluate at most n inputs')
    .option('--offset <n>', 'skip the first n evaluation inputs of an IDX split')
    .option('--batch <n>', 'evaluation batch size')
    .option('--strategy <s>', 'goyal (published optimized search) or fxpqnet (label-free gradual reduction)', 'goyal')
    .option('--metric <m>', 'search metric: agree | soft | top1 | kl (classifiers; top1 needs labels), psnr | mse (image models)')
    .option('--search <paths...>', 'search data, disjoint from the evaluation data (default: the calibration data)')
    .option('--search-split <split>', 'IDX split of the search data', 'train')
    .option('--search-limit <n>', 'number of search inputs')
    .option('--search-offset <n>', 'skip the first n search inputs')
    .option('--search-crop <n>', 'tile search images into n x n crops')
    .option('--search-targets <dir>', 'targets of image search data (same file names)')
    .option('--active <n>', 'classifiers: score candidates on this many of the search inputs: half the smallest float margins, half spread over the rest (docs/search.md)')
    .option('--threads <n>', 'worker threads (default: every core)')
    .option('--granularity <g>', 'weight formats per layer or per output channel', 'layer')
    .option('--weight-scheme <s>', 'searched weights: dynamic (power-of-two fixed point, Goyal) or range-adaptive (integer kernel times a stored range per channel or layer, Hong; biases in accumulator units)', 'dynamic')
    .option('--range-bits <n>', 'range-adaptive weights: bits of each stored range (counted in memory)', '16')
    .option('--range-method <m>', 'range-adaptive weights: each channel\'s range before clipping steps is its max|w| (max) or the clip value with the least squared error at each word length (mse)', 'max')
    .option('--act-bits <n>', 'do not search activations: fix each at n bits (no-clipping format from calibration); only weights (and dynamic biases) are searched')
    .option('--objective <o>', 'fxpqnet: what a bit saved is worth: memory | mult | bops | both (memory and multiplication cost, each as a fraction of its 8-bit total)', 'memory')
    .option('--exact-passes', 'goyal: score a candidate that passes on the whole search set instead of stopping on a confident estimate (slower; early passes stop when the estimate happens to be low, so the accepted drops overrun the ramp and starve the layers after them)')
    .option('--ramp <r>', "goyal: how each component's budget grows over its layers: linear (the paper's ramp) or cost (by each layer's share of the 8-bit memory and multiplication cost)", 'linear')
    .option('--passes <n>', 'passes over the data structures', '1')
    .option('--distill', 'self-distillation after the search (bias correction and rounding choice, kept only if it brings the network closer to the float one): on by default for fxpqnet; goyal (whose paper has none) only with this option')
    .option('--no-distill', 'skip the self-distillation step')
    .option('--distill-rounding <r>', "self-distillation's rounding of the weights: nearest, or gptq (also try error-compensating rounding, OPTQ/GPTQ, per layer; kept where the layer's output error is smaller)", 'nearest')
    .option('--no-bias-correction', 'self-distillation: do not fold the mean output error into the biases')
    .option('--error-feedback', 'score the weights rounded with error feedback (OPTQ/GPTQ) over each layer\'s input (goyal: earlier choices applied; fxpqnet: at the starting precision) instead of to nearest; the lowered model stores those weights (dynamic or range-adaptive)')
    .option('--no-float-eval', 'do not evaluate the float model on the evaluation data')
    .option('--input-shape <dims>', 'input shape for models with dynamic dims')
    .option('--pixel-io', 'image models: fold the 1/255 input and 255 output scales into the first and last layers; input and output are 8-bit pixels (UQ8.0), not searched')
    .option('--report <file.html>', 'write an HTML report (per-layer formats, costs, plots)')
    .option('--json', 'machine-readable output');
}

addSearchOptions(
  program
    .command('search')
    .description('mixed-precision search: the smallest fixed-point network within an accuracy budget (see docs/search.md)')
    .argument('<model>', 'float model file: .onnx, Keras .h5, or TF.js model.json')
    .requiredOption('-o, --output <file>', 'output .fxp file')
    .option('--budget <x>', 'allowed loss: relative drop of the metric (classifiers, e.g. 0.005) or dB (psnr)'),
)
  .addHelpText(
    'after',
    '\nExample:\n  fxp search fashion_seq_large.h5 --strategy goyal --calib ../shared/data/fashion-mnist --data ../shared/data/fashion-mnist -o seq.fxp --report seq.html',
  )
  .action(searchCommand);

addSearchOptions(
  program
    .command('pareto')
    .description('sweep the search budget and plot the front of memory (or BOPs) against accuracy')
    .argument('<model>', 'float model file: .onnx, Keras .h5, or TF.js model.json')
    .requiredOption('--budgets <list>', 'comma-separated budgets, e.g. 0.002,0.005,0.01')
    .option('--front-of <cost>', 'memory or bops', 'memory')
    .option('--out-dir <dir>', 'also write each budget\'s .fxp model here'),
).action(paretoCommand);

addCodecCommand(program);

async function main(argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof FxpError) {
      process.stderr.write(`fxp: error: ${err.message}\n`);
      return 1;
    }
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`fxp: internal error: ${msg}\n`);
    if (process.env.FXP_DEBUG !== undefined && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    else process.stderr.write('(set FXP_DEBUG=1 for a stack trace, and please report this)\n');
    return 2;
  }
}

// `fxp ... | head`: a closed pipe ends the output quietly, as for other Unix tools.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

process.exitCode = await main(process.argv);
