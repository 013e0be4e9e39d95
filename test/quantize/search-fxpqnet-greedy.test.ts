/**
 * FxP-QNet's gradual reduction (fxpqnet.ts) against a synthetic drop surface:
 * within budget, and no structure left open that could still take a step, even
 * when the prefix estimates the rounds choose by are too coarse to resolve the
 * budget left (the endgame checks steps on the whole set).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fxpqnetSearch } from '../../src/quantize/search/fxpqnet.js';
import { lowerOne } from '../../src/quantize/search/lowering.js';
import type { StructFormat } from '../../src/quantize/search/space.js';
import { Synthetic, tinySpace, type Pen } from '../util/synthetic-scorer.js';

const pen =
  (k: number): Pen =>
  (f: StructFormat) =>
    k * 2 ** -f.wl;

for (const grain of [undefined, 0.004]) {
  test(`fxpqnet spends the budget: every structure left above minBits has a step that breaks it (prefix grain ${grain ?? 'none'})`, async () => {
    const sp = await tinySpace();
    const pens = new Map(sp.structures.map((s, i) => [s.id, pen([0.4, 0.05, 0.2, 0.8, 0.02, 0.3][i]!)]));
    const src = new Synthetic(sp, pens, grain);
    const budget = 0.01;
    const r = await fxpqnetSearch(src, { budget, objective: 'memory', minBits: 2 });
    const drop = src.dropOf(r.config);
    assert.ok(drop <= budget, `drop ${drop} within ${budget}`);
    assert.ok(Math.abs(r.drop - drop) < 1e-15);
    for (const s of sp.structures) {
      const f = r.config[s.id]!;
      if (f.wl <= 2) continue;
      const lowered = r.config.slice();
      lowered[s.id] = lowerOne(sp, s, f);
      assert.ok(src.dropOf(lowered) > budget, `${s.kind} of ${s.node} at ${f.wl} bits could still go down (drop ${src.dropOf(lowered)})`);
    }
    if (grain !== undefined) assert.ok(r.rounds.some((x) => x.checked > 0), 'the endgame checked steps on the whole set');
  });
}
