/**
 * Per-op-type time of one steady-state run (after a warm-up run) of the fxp
 * engines on one benchmark model, to see where time goes before optimizing.
 *
 *   tsx bench/profile.ts [--quick] [--model LRS] [--ref]
 */
import { createEngine, type FxEngine } from '../src/engine/runtime.js';
import { createWasmContext } from '../src/engine/kernels/wasm/index.js';
import { benchModels, type BenchModel } from './models.js';

function profile(name: string, e: FxEngine, m: BenchModel): void {
  e.run([m.input]);
  const opOf = new Map(m.fx.nodes.map((n) => [n.outputs[0]!, n.op]));
  const times = new Map<string, number>();
  const t0 = performance.now();
  let last = t0;
  e.run([m.input], {
    onValue: (id) => {
      const now = performance.now();
      const op = opOf.get(id) ?? 'input';
      times.set(op, (times.get(op) ?? 0) + now - last);
      last = now;
    },
  });
  const total = performance.now() - t0;
  // onValue turns buffer reuse off: time plain runs too (median of 3).
  const plain = [0, 1, 2].map(() => {
    const p0 = performance.now();
    e.run([m.input]);
    return performance.now() - p0;
  }).sort((a, b) => a - b)[1]!;
  const parts = [...times].sort((a, b) => b[1] - a[1]).map(([op, t]) => `${op} ${t.toFixed(0)}`);
  console.log(`${m.name} / ${name}: ${plain.toFixed(0)} ms plain run; profiled run ${total.toFixed(0)} ms = ${parts.join(', ')}`);
}

const i = process.argv.indexOf('--model');
const want = i < 0 ? 'LRS' : process.argv[i + 1]!;
const models = (await benchModels(process.argv.includes('--quick'))).filter((m) => m.name.includes(want));
for (const m of models) {
  if (process.argv.includes('--ref')) profile('fxp JS ref', createEngine(m.fx), m);
  for (const t of [1, 2]) {
    const ctx = (await createWasmContext(t))!;
    profile(`fxp wasm ${t}T`, createEngine(m.fx, { kernels: 'wasm', wasm: ctx }), m);
    console.log(`  peak WASM memory ${(ctx.peakBytes() / 2 ** 20).toFixed(1)} MiB`);
    await ctx.dispose();
  }
}
process.exit(0);
