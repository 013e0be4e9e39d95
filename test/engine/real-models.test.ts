/**
 * The engine against the simulation on the real models of ../shared (imported,
 * canonicalized, calibrated, uniformly quantized and lowered by the library's own
 * pipeline), both weight schemes, every intermediate compared bit for bit.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createEngine } from '../../src/engine/runtime.js';
import { simulate } from '../../src/engine/simulate.js';
import { accumulatorTable } from '../../src/engine/plan.js';
import { loadFloatModel } from '../../src/import/index.js';
import { canonicalize } from '../../src/passes/index.js';
import { calibrate } from '../../src/quantize/calibrate.js';
import { quantizeUniform } from '../../src/quantize/pipeline.js';
import { DEFAULT_UNIFORM } from '../../src/quantize/uniform.js';
import type { Tensor } from '../../src/tensor.js';

const shared = join(fileURLToPath(new URL('.', import.meta.url)), '../../../shared');

const MODELS: readonly { path: string; shape: readonly number[] }[] = [
  { path: 'models/hong2021-lrs/lrs_float.onnx', shape: [1, 3, 12, 10] },
  { path: 'models/goyal2021/fashion_seq_large.h5', shape: [2, 28, 28, 1] },
];

for (const m of MODELS) {
  const p = join(shared, m.path);
  test(`engine equals simulation on ${m.path}`, { skip: existsSync(p) ? false : `needs ../shared/${m.path}` }, async () => {
    const g = canonicalize(await loadFloatModel(p));
    const n = m.shape.reduce((a: number, b: number) => a * b, 1);
    const x: Tensor = { shape: [...m.shape], data: Float32Array.from({ length: n }, (_, i) => (Math.sin(i * 0.37) + 1) / 2) };
    const stats = await calibrate(g, (async function* () {
      yield [x];
    })());
    for (const scheme of ['dynamic', 'range-adaptive'] as const) {
      const { fx } = quantizeUniform(g, stats, { ...DEFAULT_UNIFORM, scheme, granularity: 'channel' });
      const engine = createEngine(fx);
      const got = engine.run([x], { keepAll: true });
      const want = simulate(fx, [x]);
      let compared = 0;
      fx.values.forEach((v, id) => {
        const a = got.values[id];
        const b = want.values[id];
        if (a === undefined && b === undefined) return;
        assert.ok(a !== undefined && b !== undefined, `${scheme}: value ${v.name}`);
        assert.ok(a.data.every((q, j) => q === b.data[j]), `${scheme}: value ${v.name} differs`);
        compared += a.data.length;
      });
      assert.ok(compared > n, `${scheme}: compared ${compared} values`);
      const rows = accumulatorTable(engine.plan, engine.bind([m.shape]));
      assert.ok(rows.some((r) => r.op === 'Conv' && r.width === 'int32'), `${scheme}: 8-bit convs accumulate in int32`);
    }
  });
}
