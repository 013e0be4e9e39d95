/**
 * The integer engine against the float64 simulation, bit for bit, on random
 * graphs (test/engine/random-graph.ts): every op, both weight schemes and bias
 * kinds, fused activations, odd formats, and both accumulator paths.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FxpError } from '../../src/errors.js';
import { qRange } from '../../src/fixed/format.js';
import type { FxOpType } from '../../src/engine/fx-graph.js';
import { accumulatorTable } from '../../src/engine/plan.js';
import { createEngine } from '../../src/engine/runtime.js';
import { simulate } from '../../src/engine/simulate.js';
import { ALL_OPS, randomGraph } from './random-graph.js';

const GRAPHS = 260;

test(`engine equals the float64 simulation on ${GRAPHS} random graphs`, () => {
  const opCount = new Map<FxOpType, number>();
  const widths = new Map<string, Set<string>>();
  let accepted = 0;
  let rejected = 0;
  let compared = 0;
  let interior = 0;
  for (let i = 0; i < GRAPHS; i++) {
    const forced = ALL_OPS[i % ALL_OPS.length]!;
    const wide = i % 4 === 3;
    const seed = 7919 * i + 17;
    const c = randomGraph(seed, forced, { wide });
    const what = `graph ${i} (seed ${seed}, ${wide ? 'wide' : 'narrow'}): ${c.ops.join(' -> ')}`;
    let engine;
    let shaped;
    try {
      engine = createEngine(c.fx);
      shaped = engine.bind(c.inputs.map((t) => t.shape));
    } catch (err) {
      // A random format combination may need an accumulator beyond 2^53: that must be a clear FxpError.
      assert.ok(err instanceof FxpError && /2\^53/.test(err.message), `${what}: unexpected ${String(err)}`);
      rejected++;
      continue;
    }
    accepted++;
    const got = engine.run(c.inputs, { keepAll: true });
    const want = simulate(c.fx, c.inputs);
    c.fx.values.forEach((v, id) => {
      const a = got.values[id];
      const b = want.values[id];
      assert.ok(a !== undefined && b !== undefined, `${what}: value ${v.name} missing`);
      assert.deepEqual(a.shape, b.shape, `${what}: shape of ${v.name}`);
      if (!a.data.every((q, j) => q === b.data[j])) {
        const j = a.data.findIndex((q, k) => q !== b.data[k]);
        assert.fail(`${what}: value ${v.name} differs at ${j}: engine ${a.data[j]}, simulation ${b.data[j]}`);
      }
      const { qmin, qmax } = qRange(v.format);
      for (const q of a.data) {
        compared++;
        if (q > qmin && q < qmax) interior++;
      }
    });
    for (const n of c.fx.nodes) opCount.set(n.op, (opCount.get(n.op) ?? 0) + 1);
    for (const row of accumulatorTable(engine.plan, shaped)) {
      const set = widths.get(row.op) ?? new Set<string>();
      set.add(row.width);
      widths.set(row.op, set);
    }
  }
  assert.ok(accepted >= 200, `only ${accepted} graphs accepted (${rejected} rejected)`);
  for (const op of ALL_OPS) assert.ok((opCount.get(op) ?? 0) >= 5, `op ${op} covered ${opCount.get(op) ?? 0} times`);
  for (const op of ['Conv', 'ConvTranspose', 'Dense'] as const) {
    assert.deepEqual([...(widths.get(op) ?? [])].sort(), ['int32', 'wide'], `${op} accumulator paths`);
  }
  // Most values must be informative (not saturated), or equality would prove little.
  assert.ok(interior / compared > 0.5, `only ${interior} of ${compared} values are inside their format's range`);
  console.log(`accepted ${accepted}, rejected ${rejected}, ${compared} values compared, ${((100 * interior) / compared).toFixed(1)}% unsaturated`);
});
