/**
 * Goyal's optimized search against synthetic drop surfaces: the descent (diagonal,
 * one step past the first failure, lowest passing BW), the BW-only reduction, the
 * 3x3 local search with ties to the lower BW, the trade-off rule, the budget ramps
 * and the component order, as in rishgoyal/FXPQuantCNN algorithms/optimized_search.py.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { componentBudget, costRamp, goyalSearch } from '../../src/quantize/search/goyal.js';
import type { Override } from '../../src/quantize/search/fake-quant.js';
import type { Bound, Score } from '../../src/quantize/search/scorer.js';
import { startFl, type Config, type StructFormat } from '../../src/quantize/search/space.js';
import { Synthetic, tinySpace as space } from '../util/synthetic-scorer.js';

const CONV_W = 0;

test('search space of the tiny net: weights, biases, activations in graph order', async () => {
  const sp = await space();
  assert.deepEqual(
    sp.structures.map((s) => `${s.kind}:${s.node}`),
    ['weight:conv', 'bias:conv', 'activation:conv', 'weight:fc', 'bias:fc', 'activation:fc'],
  );
});

test('budget ramps: linear for weights and activations, flat for biases', () => {
  const shares = { weight: 0.4, bias: 0.2, activation: 0.4 };
  assert.equal(componentBudget('weight', 1, 4, 1, shares), 0.1);
  assert.equal(componentBudget('weight', 4, 4, 1, shares), 0.4);
  assert.ok(Math.abs(componentBudget('bias', 1, 4, 1, shares) - 0.6) < 1e-12);
  assert.ok(Math.abs(componentBudget('bias', 4, 4, 1, shares) - 0.6) < 1e-12);
  assert.ok(Math.abs(componentBudget('activation', 2, 4, 1, shares) - 0.8) < 1e-12);
  assert.ok(Math.abs(componentBudget('activation', 4, 4, 1, shares) - 1) < 1e-12);
});

test('cost ramp: each structure adds its share of elements and MACs; the steps use it', async () => {
  const sp = await space();
  const weights = sp.structures.filter((s) => s.kind === 'weight');
  const acts = sp.structures.filter((s) => s.kind === 'activation');
  // conv: 18 weights, 4*4*2*9 = 288 MACs; fc: 96 weights, 96 MACs.
  const expectW = 0.5 * (18 / 114) + 0.5 * (288 / 384);
  const rw = costRamp(sp, weights);
  assert.ok(Math.abs(rw[0]! - expectW) < 1e-12, `${rw[0]} vs ${expectW}`);
  assert.equal(rw[1], 1);
  // activations: conv output 32 elements (288 MACs of its layer), fc output 3 (96).
  const ra = costRamp(sp, acts);
  assert.ok(Math.abs(ra[0]! - (0.5 * (32 / 35) + 0.5 * (288 / 384))) < 1e-12);
  assert.equal(ra[1], 1);
  assert.ok(Math.abs(componentBudget('weight', 1, 2, 1, { weight: 0.5, bias: 0, activation: 0.5 }, rw[0]) - 0.5 * expectW) < 1e-12);
  // The search gives the first weight structure that cumulative budget instead of half.
  const r = await goyalSearch(new Synthetic(sp, new Map()), { budget: 0.01, ramp: 'cost' });
  assert.ok(Math.abs(r.steps.find((s) => s.sid === CONV_W)!.budget - 0.005 * expectW) < 1e-15);
  const lin = await goyalSearch(new Synthetic(sp, new Map()), { budget: 0.01 });
  assert.equal(lin.steps.find((s) => s.sid === CONV_W)!.budget, 0.0025);
});

test('diagonal descent to the lowest passing BW, then the local search keeps the first least drop', async () => {
  const sp = await space();
  const f0 = startFl(sp.structures[CONV_W]!, 8);
  const src = new Synthetic(sp, new Map([[CONV_W, (f: StructFormat) => (f.wl >= 4 ? 0 : 1)]]));
  const r = await goyalSearch(src, { budget: 0.01 });
  const step = r.steps.find((s) => s.sid === CONV_W)!;
  assert.deepEqual(step.start, { wl: 8, fl: f0 });
  assert.deepEqual(step.global, { wl: 4, fl: f0 - 4 });
  // 3x3 around (4, F0-4): the BW-3 row fails; (4, F0-5) is the first zero. Same BW, so it is kept.
  assert.deepEqual(step.local, { wl: 4, fl: f0 - 5 });
  assert.deepEqual(step.chosen, { wl: 4, fl: f0 - 5 });
  // Diagonal 8..2 (7 points), BW-only step (3, F0-4), and 5 new local points.
  assert.equal(step.grid.length, 13);
  assert.deepEqual(
    step.grid.filter((p) => p.wl - p.fl === 8 - f0).map((p) => p.wl).sort((a, b) => a - b),
    [2, 3, 4, 5, 6, 7, 8],
  );
});

test('one step past the first failure: a passing point beyond it is taken', async () => {
  const sp = await space();
  const f0 = startFl(sp.structures[CONV_W]!, 8);
  const pen = (f: StructFormat): number => (f.wl === 6 ? 1 : f.wl >= 5 ? 0 : 1);
  const r = await goyalSearch(new Synthetic(sp, new Map([[CONV_W, pen]])), { budget: 0.01 });
  const step = r.steps.find((s) => s.sid === CONV_W)!;
  assert.deepEqual(step.global, { wl: 5, fl: f0 - 3 });
  assert.deepEqual(step.chosen, { wl: 5, fl: f0 - 4 });
});

test('BW alone goes lower when F fixed still passes', async () => {
  const sp = await space();
  const f0 = startFl(sp.structures[CONV_W]!, 8);
  // On the diagonal only BW >= 5 passes; off it, (4, F0-3) and (3, F0-3) pass too.
  const pen = (f: StructFormat): number => (f.wl >= 5 || (f.fl === f0 - 3 && f.wl >= 3) ? 0 : 1);
  const r = await goyalSearch(new Synthetic(sp, new Map([[CONV_W, pen]])), { budget: 0.01 });
  const step = r.steps.find((s) => s.sid === CONV_W)!;
  assert.deepEqual(step.global, { wl: 3, fl: f0 - 3 });
});

test('trade-off: a lower-drop neighbour at a higher BW wins only by at least tradeOff', async () => {
  const sp = await space();
  const f0 = startFl(sp.structures[CONV_W]!, 8);
  const budget = 0.01;
  // conv weights are the first of two weight structures: cumulative budget 0.5 * 0.01 / 2.
  const pen = (f: StructFormat): number => (f.wl > 4 ? 0 : f.wl === 4 ? 0.2 * budget : 1);
  const small = await goyalSearch(new Synthetic(sp, new Map([[CONV_W, pen]])), { budget, tradeOff: 0.3 });
  assert.deepEqual(small.steps.find((s) => s.sid === CONV_W)!.chosen, { wl: 4, fl: f0 - 4 });
  const large = await goyalSearch(new Synthetic(sp, new Map([[CONV_W, pen]])), { budget, tradeOff: 0.1 });
  const step = large.steps.find((s) => s.sid === CONV_W)!;
  assert.deepEqual(step.local, { wl: 5, fl: f0 - 5 });
  assert.deepEqual(step.chosen, { wl: 5, fl: f0 - 5 });
});

test('no passing point: the start format is kept and the structure is marked', async () => {
  const sp = await space();
  const r = await goyalSearch(new Synthetic(sp, new Map([[CONV_W, () => 1]])), { budget: 0.01, startBits: { weight: 16, bias: 8, activation: 8 } });
  const step = r.steps.find((s) => s.sid === CONV_W)!;
  assert.equal(step.found, false);
  assert.equal(step.chosen.wl, 16);
});

test('start escalation: the component starts 4 bits higher when start_bw alone breaks its budget', async () => {
  const sp = await space();
  const pen = (f: StructFormat): number => (f.wl <= 8 ? 1 : 0);
  const r = await goyalSearch(new Synthetic(sp, new Map([[CONV_W, pen]])), { budget: 0.01 });
  assert.equal(r.startBits.weight, 12);
  assert.equal(r.steps.find((s) => s.sid === CONV_W)!.chosen.wl, 9);
});

test('components in order, each structure scored with every earlier choice applied and later ones in float', async () => {
  const sp = await space();
  const src = new Synthetic(sp, new Map());
  const r = await goyalSearch(src, { budget: 0.01 });
  assert.deepEqual(
    r.steps.map((s) => `${s.kind}:${s.node}`),
    ['weight:conv', 'weight:fc', 'bias:conv', 'bias:fc', 'activation:conv', 'activation:fc'],
  );
  const rank = { weight: 0, bias: 1, activation: 2 } as const;
  for (const { config, override } of src.calls) {
    if (override === undefined) continue;
    const cur = sp.structures[override.sid]!;
    for (const s of sp.structures) {
      const earlier = rank[s.kind] < rank[cur.kind] || (s.kind === cur.kind && s.id < cur.id);
      if (s.id === cur.id) continue;
      assert.equal(config[s.id] !== undefined, earlier, `scoring ${cur.kind} ${cur.node}: ${s.kind} ${s.node} ${earlier ? 'must' : 'must not'} be quantized`);
    }
  }
  assert.ok(r.config.every((f) => f.wl >= 2));
});

test('exactPasses: every bound a passing candidate is scored against asks for the whole set', async () => {
  const sp = await space();
  const bounds: (Bound | undefined)[] = [];
  class Recording extends Synthetic {
    override score(config: Config, override?: Override, bound?: Bound): Promise<Score> {
      bounds.push(bound);
      return super.score(config, override, bound);
    }
  }
  await goyalSearch(new Recording(sp, new Map([[CONV_W, (f: StructFormat) => (f.wl >= 4 ? 0 : 1)]])), { budget: 0.01, exactPasses: true });
  const passing = bounds.filter((b): b is Bound => b !== undefined && b.strict !== true);
  assert.ok(passing.length > 0 && passing.every((b) => b.whole === true));
  bounds.length = 0;
  await goyalSearch(new Recording(sp, new Map()), { budget: 0.01 });
  assert.ok(bounds.every((b) => b?.whole !== true));
});
