/**
 * FxP-QNet-style search end to end on the bundled example: within budget on the
 * search set, valid formats, self-distillation that only lowers the layer error
 * and writes corrected biases, a model the integer engine runs, and the report.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mnistDataset } from '../../src/data/dataset.js';
import { fxpSizeReport } from '../../src/export/fxp-file.js';
import { loadFloatModel } from '../../src/import/index.js';
import { canonicalize } from '../../src/passes/index.js';
import { costOf } from '../../src/quantize/cost.js';
import { lower } from '../../src/quantize/lower.js';
import { calibrateOn } from '../../src/quantize/pipeline.js';
import { bitSaving, lowerOne, structureError } from '../../src/quantize/search/lowering.js';
import { loadSearchSet, runSearch, searchSpace } from '../../src/quantize/search/index.js';
import { evaluateParallel } from '../../src/quantize/search/parallel-eval.js';
import { uniformConfig } from '../../src/quantize/search/space.js';
import { searchJson, searchReportHtml } from '../../src/report/search-report.js';

const EXAMPLE = 'examples/fashion-small';

test('one step down keeps the format with the smaller expected error', async () => {
  const g = canonicalize(await loadFloatModel(`${EXAMPLE}/model.onnx`));
  const stats = await calibrateOn(g, mnistDataset(EXAMPLE, 'train', { layout: 'NCHW', limit: 20 }));
  const space = searchSpace(g, stats);
  const config = uniformConfig(space, { weight: 6, bias: 8, activation: 6 });
  for (const s of space.structures) {
    const f = config[s.id]!;
    const low = lowerOne(space, s, f);
    assert.equal(low.wl, f.wl - 1);
    const other = low.fl === f.fl ? { wl: f.wl - 1, fl: f.fl - 1 } : { wl: f.wl - 1, fl: f.fl };
    assert.ok(structureError(space, s, low) <= structureError(space, s, other));
    assert.equal(bitSaving(space, config, s, 'memory'), s.count);
  }
  const w = space.structures.find((s) => s.kind === 'weight')!;
  const node = g.nodes[w.nodeIndex]!;
  const actOut = space.activationOf.get(node.outputs[0]!)!;
  assert.equal(bitSaving(space, config, w, 'mult'), space.macs[w.nodeIndex]! * config[actOut]!.wl);
  // 'both': the memory and the multiplication saving, each over its uniform 8-bit total.
  const mem8 = 8 * space.structures.reduce((t, x) => t + x.count, 0);
  const mult8 = 64 * space.macs.reduce((t, m) => t + m, 0);
  const both = bitSaving(space, config, w, 'both');
  assert.ok(Math.abs(both - (w.count / mem8 + bitSaving(space, config, w, 'mult') / mult8)) < 1e-15 * Math.max(1, both));
  const bias = space.structures.find((s) => s.kind === 'bias')!;
  assert.equal(bitSaving(space, config, bias, 'both'), bias.count / mem8);
});

test('fxpqnet: label-free search within budget, self-distillation, integer engine, report', async () => {
  const g = canonicalize(await loadFloatModel(`${EXAMPLE}/model.onnx`));
  const train = mnistDataset(EXAMPLE, 'train', { layout: 'NCHW', limit: 40 });
  const stats = await calibrateOn(g, train);
  const set = await loadSearchSet(train, 10);
  const budget = 0.03;
  const out = await runSearch(g, stats, set, { strategy: 'fxpqnet', metric: 'agree', budget, threads: 0, active: 30, fxpqnet: { maxRounds: 6 } });
  assert.ok(out.searchDrop <= budget, `drop ${out.searchDrop} within ${budget}`);
  assert.equal(out.searchImages.active, 30);
  for (const [i, f] of out.config.entries()) {
    const s = out.space.structures[i]!;
    assert.ok(f.wl >= 2 && f.wl <= (s.kind === 'bias' ? 32 : 16), `${s.kind} of ${s.node}: ${f.wl} bits`);
  }
  assert.ok(out.rounds !== undefined && out.rounds.length > 0);
  const steps = out.distill!;
  assert.equal(steps.length, [...out.space.paramsOf.keys()].length);
  for (const st of steps) assert.ok(st.mseAfter <= st.mseBefore + 1e-12, `${st.node}: ${st.mseAfter} > ${st.mseBefore}`);
  // Distillation is kept only when it brings the network closer to the float one
  // within the budget; then the corrected biases are in the returned graph (not in
  // the input graph), else the graph is the input one.
  const check = out.distillChecks![0]!;
  assert.equal(check.kept, check.rankAfter <= check.rankBefore && check.dropAfter <= budget);
  const changed = g.nodes.filter((n) => n.inputs[2] !== undefined && out.graph.values[n.inputs[2]]!.data !== g.values[n.inputs[2]]!.data);
  assert.equal(changed.length > 0, check.kept);

  const fx = lower(out.graph, out.assignment);
  const test1 = mnistDataset(EXAMPLE, 'test', { layout: 'NCHW', limit: 100 });
  const fixed = await evaluateParallel({ kind: 'fixed', fx }, test1, { metric: 'top1', batchSize: 100, threads: 0 });
  const float = await evaluateParallel({ kind: 'float', graph: g }, test1, { metric: 'top1', batchSize: 100, threads: 0 });
  assert.equal(fixed.count, 100);
  assert.ok(fixed.value > float.value - 0.1, `integer ${fixed.value} vs float ${float.value}`);
  const cost = costOf(out.graph, out.assignment);
  assert.ok(cost.scopes.all.savings.memoryVs8bit > 0, 'mixed precision saves memory against 8-bit');

  const run = { outcome: out, fx, cost, size: fxpSizeReport(fx), float, fixed, calibration: { name: 'c', count: 40 }, searchSet: { name: set.name, count: set.count }, totalSeconds: 1 };
  const html = await searchReportHtml('model.onnx', run);
  assert.match(html, /<table>/);
  assert.ok((html.match(/<svg/g) ?? []).length >= 2, 'bit-width and trajectory plots');
  for (const n of out.space.paramsOf.keys()) assert.ok(html.includes(n), `per-layer row for ${n}`);
  assert.ok(html.includes('Self-distillation') && html.includes(check.kept ? 'yes' : 'no (undone)'), 'self-distillation section with its check');
  const json = searchJson('model.onnx', run) as { layers: unknown[]; evaluation: { integer: number } };
  assert.equal(json.evaluation.integer, fixed.value);
  assert.equal(json.layers.length, cost.rows.length);
});
