/**
 * The scorer on the bundled example: a partial re-run from a structure's
 * position scores exactly what a full run does, results do not depend on the
 * number of threads, early stops are sound, and the fake-quant network it scores
 * with agrees with the integer engine.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mnistDataset } from '../../src/data/dataset.js';
import { argmax } from '../../src/data/metrics.js';
import { createEngine, dequantize } from '../../src/engine/runtime.js';
import { createFloatExecutor } from '../../src/float/executor.js';
import { loadFloatModel } from '../../src/import/index.js';
import type { Graph } from '../../src/ir/graph.js';
import { canonicalize } from '../../src/passes/index.js';
import type { TensorStats } from '../../src/quantize/calibrate.js';
import { lower } from '../../src/quantize/lower.js';
import { calibrateOn } from '../../src/quantize/pipeline.js';
import { FakeQuantNet, fakeQuant } from '../../src/quantize/search/fake-quant.js';
import { lowerOne } from '../../src/quantize/search/lowering.js';
import { Scorer, activeSample } from '../../src/quantize/search/scorer.js';
import { loadSearchSet, type SearchSet } from '../../src/quantize/search/set.js';
import { searchSpace, toAssignment, uniformConfig, type SearchSpace } from '../../src/quantize/search/space.js';

const EXAMPLE = 'examples/fashion-small';

let cached: { g: Graph; stats: Map<number, TensorStats>; space: SearchSpace; set: SearchSet } | undefined;
async function fixture(): Promise<{ g: Graph; stats: Map<number, TensorStats>; space: SearchSpace; set: SearchSet }> {
  if (cached !== undefined) return cached;
  const g = canonicalize(await loadFloatModel(`${EXAMPLE}/model.onnx`));
  const train = mnistDataset(EXAMPLE, 'train', { layout: 'NCHW', limit: 60 });
  const stats = await calibrateOn(g, train);
  cached = { g, stats, space: searchSpace(g, stats), set: await loadSearchSet(train, 10) };
  return cached;
}

test('a candidate scored from its own position equals a full run of the same configuration', async () => {
  const { space, set } = await fixture();
  const small = { ...set, count: 20, chunks: set.chunks.slice(0, 2) };
  const scorer = await Scorer.create(space, small, { metric: 'kl', threads: 0, chunkSize: 10, z: 0 });
  try {
    const config = uniformConfig(space, { weight: 5, bias: 8, activation: 5 });
    for (const s of space.structures) {
      const f = lowerOne(space, s, config[s.id]!);
      await scorer.focusOn(config, s.id);
      const partial = await scorer.score(config, { sid: s.id, f });
      const whole = config.slice();
      whole[s.id] = f;
      await scorer.focus(whole, { pos: 0 });
      const full = await scorer.score(whole);
      assert.equal(partial.drop, full.drop, `${s.kind} of ${s.node}`);
      assert.equal(partial.rank, full.rank, `${s.kind} of ${s.node}`);
    }
  } finally {
    await scorer.close();
  }
});

test('scores and early stops are the same with 0 and 2 worker threads', async () => {
  const { space, set } = await fixture();
  const results: number[][] = [];
  for (const threads of [0, 2]) {
    const scorer = await Scorer.create(space, set, { metric: 'kl', threads, chunkSize: 5, active: 40 });
    try {
      const config = uniformConfig(space, { weight: 4, bias: 6, activation: 4 });
      const out: number[] = [scorer.count, scorer.norm];
      for (const s of space.structures.slice(0, 6)) {
        await scorer.focusOn(config, s.id);
        const a = await scorer.score(config, { sid: s.id, f: { wl: 2, fl: config[s.id]!.fl - 2 } }, { value: 1e-4 });
        const b = await scorer.score(config, { sid: s.id, f: lowerOne(space, s, config[s.id]!) });
        out.push(a.drop, Number(a.exact), b.drop, b.rank);
      }
      results.push(out);
    } finally {
      await scorer.close();
    }
  }
  assert.deepEqual(results[0], results[1]);
});

test('an early stop returns a lower bound of the exact drop above the bound', async () => {
  const { space, set } = await fixture();
  const scorer = await Scorer.create(space, set, { metric: 'kl', threads: 0, chunkSize: 5, z: 0 });
  try {
    const config = uniformConfig(space, { weight: 2, bias: 4, activation: 2 });
    await scorer.focus(config, { pos: 0 });
    const exact = await scorer.score(config);
    assert.ok(exact.exact && exact.drop > 0.05, `a 2-bit network loses (${exact.drop})`);
    const stopped = await scorer.score(config, undefined, { value: 0.01 });
    assert.equal(stopped.exact, false);
    assert.ok(stopped.drop > 0.01 && stopped.drop <= exact.drop);
    const passed = await scorer.score(config, undefined, { value: 10 });
    assert.deepEqual(passed, exact);
  } finally {
    await scorer.close();
  }
});

test('a confident early pass stops on an estimate; a whole bound scores a passing candidate to the end', async () => {
  const { space } = await fixture();
  // An early decision needs MIN_IMAGES (100) and a round (4 chunks) still to come.
  const set = await loadSearchSet(mnistDataset(EXAMPLE, 'train', { layout: 'NCHW', limit: 200 }), 10);
  const scorer = await Scorer.create(space, set, { metric: 'kl', threads: 0, chunkSize: 10 });
  try {
    const config = uniformConfig(space, { weight: 5, bias: 8, activation: 5 });
    await scorer.focus(config, { pos: 0 });
    const exact = await scorer.score(config);
    const bound = { value: exact.drop * 10 + 0.5 };
    const early = await scorer.score(config, undefined, bound);
    assert.ok(early.exact && early.drop !== exact.drop, `an early pass gives the estimate ${early.drop}, not the whole-set ${exact.drop}`);
    assert.deepEqual(await scorer.score(config, undefined, { ...bound, whole: true }), exact);
  } finally {
    await scorer.close();
  }
});

test('the fake-quant network follows the integer engine', async () => {
  const { g, space } = await fixture();
  const config = uniformConfig(space, { weight: 6, bias: 10, activation: 6 });
  const fx = lower(g, toAssignment(space, config));
  const net = new FakeQuantNet(space);
  const exec = createFloatExecutor(g);
  const x = (await loadSearchSet(mnistDataset(EXAMPLE, 'test', { layout: 'NCHW', limit: 100 }), 100)).chunks[0]!.input;
  const qx = { shape: x.shape, data: fakeQuant(x.data, space.fixedActivations.get(g.inputs[0]!)!) };
  const sim = exec.run([qx], { given: net.params(config, undefined), transform: net.transform(config, undefined) }).outputs[0]!;
  const eng = dequantize(createEngine(fx).run([x]).outputs[0]!);
  const a = argmax(sim);
  const b = argmax(eng);
  let same = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  for (let i = 0; i < sim.data.length; i++) diff = Math.max(diff, Math.abs(sim.data[i]! - eng.data[i]!));
  assert.ok(same >= 99, `top-1 agreement ${same}/100`);
  assert.ok(diff < 0.02, `largest probability difference ${diff}`);
});

test('the active sample takes the smallest margins whole and stands for every image once', () => {
  for (const [total, keep] of [
    [1000, 100],
    [1000, 101],
    [37, 10],
    [10, 1],
    [10, 10],
    [10, 50],
  ] as const) {
    const s = activeSample(total, keep);
    assert.equal(s.length, Math.min(total, keep), `${total}/${keep}`);
    const idx = s.map((x) => x.index);
    assert.deepEqual(idx, [...new Set(idx)].sort((a, b) => a - b), `${total}/${keep}: distinct, in margin order`);
    assert.ok(idx.every((i) => i >= 0 && i < total));
    const low = keep >= total ? total : Math.floor(keep / 2);
    assert.deepEqual(idx.slice(0, low), Array.from({ length: low }, (_, i) => i), `${total}/${keep}: the lowest margins whole`);
    assert.ok(s.slice(0, low).every((x) => x.weight === 1));
    const stood = s.reduce((a, x) => a + x.weight, 0);
    assert.ok(Math.abs(stood - total) < 1e-9, `${total}/${keep}: stands for ${stood}`);
  }
});
