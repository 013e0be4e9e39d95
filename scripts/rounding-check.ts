/**
 * How much error feedback (OPTQ/GPTQ, src/quantize/search/gptq.ts) recovers at a
 * fixed uniform configuration, with no search in the way: every weight structure
 * at --wbits (its no-clipping format), every searched activation at --abits,
 * biases at 16 bits; the weights rounded to nearest, then with error feedback over
 * H built from --rows input rows of --fit training images (after the first
 * --fit-offset), each layer's H with the earlier layers already quantized as goyal
 * --error-feedback builds it. Both models are lowered and run on the integer
 * engine over the test split.
 *
 *   npx tsx scripts/rounding-check.ts MODEL.h5 --data ../shared/data/fashion-mnist
 *       [--wbits 4] [--abits 8] [--scheme dynamic|range-adaptive] [--rows 4096]
 *       [--fit 1000] [--fit-offset 20000] [--limit 10000] [--threads N]
 */
import { availableParallelism } from 'node:os';
import { loadModel } from '../src/cli/model.js';
import { mnistDataset } from '../src/data/dataset.js';
import { lower } from '../src/quantize/lower.js';
import { calibrateOn } from '../src/quantize/pipeline.js';
import { errorFedStructure } from '../src/quantize/search/fake-quant.js';
import { gram } from '../src/quantize/search/gptq.js';
import { evaluateParallel } from '../src/quantize/search/parallel-eval.js';
import { ShardRunner, type ChunkInput } from '../src/quantize/search/runner.js';
import { searchSpace, startFl, toAssignment, type StructFormat } from '../src/quantize/search/space.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const modelPath = args[0];
if (modelPath === undefined || modelPath.startsWith('--')) {
  process.stderr.write('usage: tsx scripts/rounding-check.ts MODEL --data IDX_DIR [--wbits 4] [--abits 8] [--scheme dynamic|range-adaptive] [--rows 4096] [--fit 1000] [--fit-offset 20000] [--limit 10000]\n');
  process.exit(2);
}
const data = opt('--data', '../shared/data/fashion-mnist');
const wbits = Number(opt('--wbits', '4'));
const abits = Number(opt('--abits', '8'));
const scheme = opt('--scheme', 'dynamic') as 'dynamic' | 'range-adaptive';
const rows = Number(opt('--rows', '4096'));
const threads = Number(opt('--threads', String(availableParallelism())));

const model = await loadModel(modelPath);
const g = model.graph;
const stats = await calibrateOn(g, mnistDataset(data, 'train', { layout: model.layout, limit: 2000 }), {});
const space = searchSpace(g, stats, { weightScheme: scheme });
const config: StructFormat[] = space.structures.map((s) => {
  const wl = s.kind === 'weight' ? wbits : s.kind === 'bias' ? 16 : abits;
  return { wl, fl: startFl(s, wl) };
});

// H of every weight layer, in graph order, on the fit images, earlier layers error-fed.
const fit: ChunkInput[] = [];
for await (const b of mnistDataset(data, 'train', { layout: model.layout, limit: Number(opt('--fit', '1000')), offset: Number(opt('--fit-offset', '20000')) }).batches(25)) {
  fit.push({ id: fit.length, input: b.input, labels: b.labels, ref: b.input });
}
const runner = new ShardRunner({ space: { ...space, stats: new Map() }, metric: 'agree', isProb: true });
runner.load(fit);
let fed = g;
for (const s of space.structures) {
  if (s.kind !== 'weight') continue;
  const parts = runner.layerRows(config, s.nodeIndex, Math.ceil(rows / fit.length));
  if (parts === undefined) continue;
  const h = gram(parts.map((p) => p.rows));
  runner.setHessian(s.id, h);
  const w = errorFedStructure(space, s, config[s.id]!, h);
  fed = { ...fed, values: fed.values.map((v, id) => (id === s.valueId ? { ...v, data: w } : v)) };
}

const test = mnistDataset(data, 'test', { layout: model.layout, limit: Number(opt('--limit', '10000')) });
const assignment = toAssignment(space, config);
const float = await evaluateParallel({ kind: 'float', graph: g }, test, { metric: 'top1', batchSize: 100, threads });
const nearest = await evaluateParallel({ kind: 'fixed', fx: lower(g, assignment) }, test, { metric: 'top1', batchSize: 100, threads });
const errorFed = await evaluateParallel({ kind: 'fixed', fx: lower(fed, assignment) }, test, { metric: 'top1', batchSize: 100, threads });
const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
process.stdout.write(
  `${scheme} weights W${wbits}, activations A${abits}, biases 16 (integer engine, ${float.count} test images): float ${pct(float.value)}, ` +
    `nearest ${pct(nearest.value)}, error feedback (${rows} rows) ${pct(errorFed.value)}\n`,
);
