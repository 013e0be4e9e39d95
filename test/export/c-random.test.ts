/**
 * Generated C against the TS integer engine, byte for byte, on random fixed-point
 * graphs (test/engine/random-graph.ts): every op in narrow formats and with 16-bit
 * weights and activations (accumulators beyond int32), both weight schemes, both
 * bias kinds, fused activations, odd formats, broadcasting, several inputs and
 * outputs. All models are compiled into one program per compiler (gcc, clang) with
 * -std=c99 -Wall -Wextra -Werror -O2.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FxpError } from '../../src/errors.js';
import type { FxOpType } from '../../src/engine/fx-graph.js';
import { generateC, writeCSources, type CExportResult } from '../../src/export/c/index.js';
import { ALL_OPS, randomGraph } from '../engine/random-graph.js';
import { COMPILERS, NO_COMPILER, compileC, driverSource, engineRun, firstDiff, runDriver, tempDir } from './c-tools.js';

interface Case {
  readonly what: string;
  readonly gen: CExportResult;
  readonly inputs: Int32Array[];
  readonly outputs: Int32Array[];
}

function buildCases(): { cases: Case[]; rejected: number; ops: Set<FxOpType>; features: Set<string> } {
  const cases: Case[] = [];
  const ops = new Set<FxOpType>();
  const features = new Set<string>();
  let rejected = 0;
  for (let i = 0; i < 2 * ALL_OPS.length; i++) {
    const forced = ALL_OPS[i % ALL_OPS.length]!;
    const wide = i >= ALL_OPS.length;
    const seed = 104729 * i + 3;
    const c = randomGraph(seed, forced, { wide });
    const what = `graph ${i} (seed ${seed}, ${wide ? 'wide' : 'narrow'}): ${c.ops.join(' -> ')}`;
    let gen: CExportResult;
    try {
      gen = generateC(c.fx, { name: `r${i}`, inputShapes: c.inputs.map((t) => t.shape) });
    } catch (err) {
      // The engine's own rejection (an accumulator bound beyond 2^53) must surface as that FxpError.
      assert.ok(err instanceof FxpError && /2\^53/.test(err.message), `${what}: unexpected ${String(err)}`);
      rejected++;
      continue;
    }
    const io = engineRun(c.fx, c.inputs);
    cases.push({ what, gen, inputs: io.inputs, outputs: io.outputs });
    for (const n of c.fx.nodes) ops.add(n.op);
    for (const n of gen.nodes) {
      if (n.kernels.some((k) => /_w(8|16)_a/.test(k))) features.add(`acc ${n.acc}`);
      for (const k of n.kernels) {
        const w = /_w(8|16)_/.exec(k);
        if (w !== null) features.add(`weights int${w[1]}`);
        if (/_i16|_u16/.test(k)) features.add('16-bit storage');
        if (/_i8|_u8/.test(k)) features.add('8-bit storage');
      }
    }
    for (const n of c.fx.nodes) {
      if ('weights' in n.attrs) features.add(n.attrs.weights.range === undefined ? 'dynamic' : 'range-adaptive');
      if (n.inputs.length > 1) features.add('multi-input node');
    }
    if (c.fx.inputs.length > 1) features.add('several graph inputs');
    if (c.fx.outputs.length > 1) features.add('several graph outputs');
  }
  return { cases, rejected, ops, features };
}

const built = buildCases();

test('random graphs cover every op, both weight schemes, both accumulator widths and narrow storage', () => {
  const missing = ALL_OPS.filter((op) => !built.ops.has(op));
  assert.deepEqual(missing, [], `ops never exported: ${missing.join(', ')}`);
  for (const f of ['acc int32', 'acc int64', 'weights int8', 'weights int16', 'dynamic', 'range-adaptive', '8-bit storage', '16-bit storage', 'several graph inputs', 'several graph outputs']) {
    assert.ok(built.features.has(f), `no random graph exercises: ${f}`);
  }
  assert.ok(built.cases.length >= 40, `only ${built.cases.length} graphs exported (${built.rejected} rejected)`);
});

for (const cc of COMPILERS.length > 0 ? COMPILERS : ['gcc']) {
  test(`${cc}: generated C equals the TS engine on ${built.cases.length} random graphs`, { skip: NO_COMPILER }, async () => {
    const dir = tempDir(`c-random-${cc}`);
    const gens = built.cases.map((c) => c.gen);
    for (const g of gens) await writeCSources(dir, g.files);
    writeFileSync(join(dir, 'driver.c'), driverSource(gens));
    const exe = compileC(cc, dir, ['driver.c', ...gens.map((g) => `${g.name}.c`)], `driver_${cc}`);
    const results = runDriver(exe, gens, built.cases.map((c) => c.inputs));
    built.cases.forEach((c, k) => {
      const r = results[k]!;
      assert.equal(r.rc, 0, `${c.what}: run returned ${r.rc}`);
      c.outputs.forEach((want, j) => {
        const got = r.outputs[j]!;
        const d = firstDiff(got, want);
        assert.equal(d, -1, `${c.what}: output ${j} differs at ${d}: C ${got[d]}, engine ${want[d]}`);
      });
    });
  });
}
