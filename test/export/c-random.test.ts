/**
 * Generated C against the TS integer engine, byte for byte, on random fixed-point
 * graphs (test/engine/random-graph.ts): every op in narrow formats and with 16-bit
 * weights and activations (accumulators beyond int32), both weight schemes, both
 * bias kinds, fused activations, odd formats, broadcasting, several inputs and
 * outputs, plus Pads with per-channel constants. All models are compiled into one
 * program per compiler (gcc, clang) with -std=c99 -Wall -Wextra -Werror -O2.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FxpError } from '../../src/errors.js';
import type { FxGraph, FxNode, FxOpType, FxTensor, FxValue } from '../../src/engine/fx-graph.js';
import { inferFxNodeShape } from '../../src/engine/shapes.js';
import { qRange, type QFormat } from '../../src/fixed/format.js';
import { generateC, writeCSources, type CExportResult } from '../../src/export/c/index.js';
import { ALL_OPS, Rng, randomGraph } from '../engine/random-graph.js';
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

/**
 * Pads with per-channel constants (channelValues), which the random graphs do not
 * generate: ranks 2 to 5, asymmetric pads and crops on every dim but the channels,
 * signed and unsigned 4- to 16-bit formats (int8/int16/int32 storage), fills at the
 * format's ends, a format change (each fill requantized, saturating) and chains.
 */
function padChannelCases(): Case[] {
  const r = new Rng(8191);
  const cases: Case[] = [];
  const format = (near?: QFormat): QFormat => {
    const wl = r.pick([4, 8, 9, 12, 16]);
    return { signed: r.bool(0.7), wl, fl: near === undefined ? r.int(-2, wl + 2) : near.fl + r.int(-3, 3) };
  };
  for (let i = 0; cases.length < 16; i++) {
    const rank = 2 + (i % 4);
    const shape = [r.int(1, 2), r.int(1, 5), ...Array.from({ length: rank - 2 }, () => r.int(1, 4))];
    const fi = format();
    const values: FxValue[] = [{ name: 'x', shape: ['N', ...shape.slice(1)], format: fi }];
    const nodes: FxNode[] = [];
    let cur = { id: 0, shape: shape as readonly number[], format: fi };
    for (let k = 0; k < (i % 3 === 2 ? 2 : 1); k++) {
      const pads = Array.from({ length: 2 * rank }, (_, j) => (j % rank === 1 ? 0 : r.int(-1, 2)));
      if (cur.shape.some((d, j) => d + pads[j]! + pads[j + rank]! <= 0)) continue;
      const { qmin, qmax } = qRange(cur.format);
      const channelValues = Array.from({ length: cur.shape[1]! }, () => r.pick([qmin, qmax, 0, r.int(qmin, qmax), r.int(qmin, qmax)]));
      const fo = r.bool(0.5) ? cur.format : format(cur.format);
      const node = { op: 'Pad', name: `pad${k}`, attrs: { pads, mode: 'constant', value: r.int(qmin, qmax), channelValues }, inputs: [cur.id], outputs: [values.length] } as FxNode;
      const outShape = inferFxNodeShape(node, [cur.shape]);
      nodes.push(node);
      cur = { id: values.length, shape: outShape, format: fo };
      values.push({ name: `y${k}`, shape: outShape, format: fo });
    }
    if (nodes.length === 0) continue;
    const fx: FxGraph = { name: `pc${i}`, values, nodes, inputs: [0], outputs: [cur.id] };
    const { qmin, qmax } = qRange(fi);
    const x: FxTensor = { shape, format: fi, data: Int32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, () => r.int(qmin, qmax)) };
    const gen = generateC(fx, { name: `pc${i}`, inputShapes: [shape] });
    const io = engineRun(fx, [x]);
    const what = `per-channel pad graph ${i}: [${shape.join(', ')}] ${nodes.map((n) => (n.op === 'Pad' ? `pads [${n.attrs.pads.join(', ')}]` : n.op)).join(' -> ')}`;
    cases.push({ what, gen, inputs: io.inputs, outputs: io.outputs });
  }
  return cases;
}

const built = buildCases();
built.cases.push(...padChannelCases());

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
