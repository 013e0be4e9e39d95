/**
 * The README's main job, on the bundled example (examples/fashion-small: a small
 * CNN of our own and 1,000 Fashion-MNIST test images, 200 training images for
 * calibration). Runs import, canonical passes, float evaluation, calibration,
 * uniform 8-bit quantization, integer-engine evaluation, and writes the .fxp file.
 *
 *   npm run demo [-- --out DIR]
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { mnistDataset } from '../src/data/dataset.js';
import { runFloatIO } from '../src/engine/io.js';
import { createEngine } from '../src/engine/runtime.js';
import { evaluate } from '../src/evaluate.js';
import { fxpSizeReport, writeFxp } from '../src/export/fxp-file.js';
import { createFloatExecutor } from '../src/float/executor.js';
import { loadFloatModel } from '../src/import/index.js';
import { canonicalize } from '../src/passes/index.js';
import { calibrateOn, quantizeUniform } from '../src/quantize/pipeline.js';
import { DEFAULT_UNIFORM } from '../src/quantize/uniform.js';

const EXAMPLE = 'examples/fashion-small';
const outIndex = process.argv.indexOf('--out');
const outDir = outIndex > 0 ? process.argv[outIndex + 1]! : 'out/demo';

function step(msg: string): void {
  process.stdout.write(`\n== ${msg}\n`);
}

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  step(`import ${EXAMPLE}/model.onnx`);
  const imported = await loadFloatModel(join(EXAMPLE, 'model.onnx'));
  const g = canonicalize(imported);
  process.stdout.write(`${imported.nodes.length} imported nodes -> ${g.nodes.length} after BN folding, activation fusion and layout passes\n`);

  const test = mnistDataset(EXAMPLE, 'test', { layout: 'NCHW' });
  const calib = mnistDataset(EXAMPLE, 'train', { layout: 'NCHW' });

  step(`float reference on ${test.length} test images`);
  const exec = createFloatExecutor(g);
  const float = await evaluate((x) => exec.run([x]).outputs[0]!, test, { metric: 'top1', batchSize: 100 });
  process.stdout.write(`float top-1 ${(100 * float.value).toFixed(2)}% (${float.itemsPerSecond.toFixed(0)} images/s)\n`);

  step(`calibrate on ${calib.length} training images (disjoint from the test set)`);
  const stats = await calibrateOn(g, calib);

  step('quantize: uniform 8-bit weights and activations, 16-bit biases, dynamic fixed point');
  const { fx } = quantizeUniform(g, stats, DEFAULT_UNIFORM, { source: `${EXAMPLE}/model.onnx` });
  const fxpPath = join(outDir, 'fashion-small-8bit.fxp');
  await writeFxp(fxpPath, fx);
  const size = fxpSizeReport(fx);
  process.stdout.write(`wrote ${fxpPath}: ${size.totalBytes} bytes\n`);

  step('integer engine on the test images');
  const engine = createEngine(fx);
  const fixed = await evaluate((x) => runFloatIO(engine, x), test, { metric: 'top1', batchSize: 100 });
  process.stdout.write(`integer top-1 ${(100 * fixed.value).toFixed(2)}% (${fixed.itemsPerSecond.toFixed(0)} images/s)\n`);
  process.stdout.write(`\nfloat ${(100 * float.value).toFixed(2)}% -> 8-bit integer-only ${(100 * fixed.value).toFixed(2)}%\n`);
}

await main();
