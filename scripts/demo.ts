/**
 * The README's main job, on the bundled example (examples/fashion-small: a small
 * CNN of our own, 1,000 Fashion-MNIST test images, 200 training images for
 * calibration and search). Runs import, canonical passes, float evaluation,
 * calibration, uniform 8-bit quantization, the mixed-precision search (FxP-QNet
 * style, label-free, with self-distillation), integer-engine evaluation of both,
 * the cost model, and writes the .fxp files and an HTML/JSON report.
 *
 *   npm run demo [-- --out DIR] [-- --threads N]
 */
import { availableParallelism } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mnistDataset } from '../src/data/dataset.js';
import { fxpSizeReport, writeFxp } from '../src/export/fxp-file.js';
import { loadFloatModel } from '../src/import/index.js';
import { canonicalize } from '../src/passes/index.js';
import { costOf } from '../src/quantize/cost.js';
import { lower } from '../src/quantize/lower.js';
import { calibrateOn, quantizeUniform } from '../src/quantize/pipeline.js';
import { loadSearchSet, runSearch } from '../src/quantize/search/index.js';
import { evaluateParallel } from '../src/quantize/search/parallel-eval.js';
import { DEFAULT_UNIFORM } from '../src/quantize/uniform.js';
import { searchJson, searchReportHtml, type SearchRun } from '../src/report/search-report.js';

const EXAMPLE = 'examples/fashion-small';
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const outDir = arg('--out') ?? 'out/demo';
const threads = Number(arg('--threads') ?? availableParallelism());

function step(msg: string): void {
  process.stdout.write(`\n== ${msg}\n`);
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

async function main(): Promise<void> {
  const t0 = performance.now();
  mkdirSync(outDir, { recursive: true });
  step(`import ${EXAMPLE}/model.onnx`);
  const imported = await loadFloatModel(join(EXAMPLE, 'model.onnx'));
  const g = canonicalize(imported);
  process.stdout.write(`${imported.nodes.length} imported nodes -> ${g.nodes.length} after BN folding, activation fusion and layout passes\n`);

  const test = mnistDataset(EXAMPLE, 'test', { layout: 'NCHW' });
  const train = mnistDataset(EXAMPLE, 'train', { layout: 'NCHW' });

  step(`float reference on ${test.length} test images`);
  const float = await evaluateParallel({ kind: 'float', graph: g }, test, { metric: 'top1', batchSize: 100, threads });
  process.stdout.write(`float top-1 ${pct(float.value)}\n`);

  step(`calibrate on ${train.length} training images (disjoint from the test set)`);
  const stats = await calibrateOn(g, train);

  step('uniform 8-bit weights and activations, 16-bit biases (dynamic fixed point)');
  const uniform = quantizeUniform(g, stats, DEFAULT_UNIFORM, { source: `${EXAMPLE}/model.onnx` });
  await writeFxp(join(outDir, 'fashion-small-8bit.fxp'), uniform.fx);
  const u8 = await evaluateParallel({ kind: 'fixed', fx: uniform.fx }, test, { metric: 'top1', batchSize: 100, threads });
  process.stdout.write(`integer engine top-1 ${pct(u8.value)}, ${fxpSizeReport(uniform.fx).totalBytes} bytes\n`);

  step(`mixed-precision search (fxpqnet, label-free, budget 1% relative top-1) on the ${train.length} training images`);
  const set = await loadSearchSet(train, 25);
  const outcome = await runSearch(g, stats, set, { strategy: 'fxpqnet', metric: 'agree', budget: 0.01, threads });
  process.stdout.write(`${outcome.evaluations} candidate evaluations in ${outcome.seconds.toFixed(1)} s\n`);

  step('lower to integers, write the .fxp file, run the integer engine on the test images');
  const fx = lower(outcome.graph, outcome.assignment, { meta: { source: `${EXAMPLE}/model.onnx`, strategy: 'fxpqnet' } });
  const fxpPath = join(outDir, 'fashion-small-mixed.fxp');
  await writeFxp(fxpPath, fx);
  const fixed = await evaluateParallel({ kind: 'fixed', fx }, test, { metric: 'top1', batchSize: 100, threads });
  const cost = costOf(outcome.graph, outcome.assignment);
  const size = fxpSizeReport(fx);
  const s = cost.scopes.all.savings;
  process.stdout.write(`integer engine top-1 ${pct(fixed.value)} (float ${pct(float.value)}, relative loss ${pct((float.value - fixed.value) / float.value)})\n`);
  process.stdout.write(`memory ${pct(s.memoryVs8bit)} below uniform 8-bit, multiplication cost ${pct(s.multVs8bit)} below, BOPs ${pct(s.bopsVs8bit)} below\n`);
  process.stdout.write(`average weight bits ${cost.avgWeightBits.toFixed(2)}; wrote ${fxpPath}: ${size.totalBytes} bytes\n`);

  const run: SearchRun = {
    outcome,
    fx,
    cost,
    size,
    float,
    fixed,
    calibration: { name: train.name, count: train.length },
    searchSet: { name: set.name, count: set.count },
    evalSet: test.name,
    totalSeconds: (performance.now() - t0) / 1000,
  };
  const html = join(outDir, 'search-report.html');
  writeFileSync(html, await searchReportHtml(`${EXAMPLE}/model.onnx`, run));
  writeFileSync(join(outDir, 'search-report.json'), `${JSON.stringify(searchJson(`${EXAMPLE}/model.onnx`, run), null, 2)}\n`);
  step(`report: ${html} (and search-report.json); ${run.totalSeconds.toFixed(1)} s in all`);
}

await main();
