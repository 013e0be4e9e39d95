/**
 * Where the fxp engines spend their time on one benchmark model, steady state
 * (after a warm-up run), with the runtime's buffer policy (value buffers in WASM
 * memory): per node, per op type, and per WASM kernel job (pack_rows, conv_rows,
 * add_rows, ...; the threaded parts). A node's time not in its kernel jobs is
 * caller-only work: staging copies, JS kernels, job start and join.
 *
 *   tsx bench/profile.ts [--quick] [--model LRS] [--threads 1,2] [--runs 3] [--nodes] [--ref]
 *
 * --ref adds the JS reference kernels (per op type only, from onValue: slow on LRS).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createEngine, createEngineOnPlan, type FxEngine } from '../src/engine/runtime.js';
import { prepareEngine, type EnginePlan } from '../src/engine/plan.js';
import { accelerate, createWasmContext, type WasmContext } from '../src/engine/kernels/wasm/index.js';
import type { KernelFn } from '../src/engine/threads/pool.js';
import { benchModels, type BenchModel } from './models.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

/** Adds `ms` to `key` in `m`. */
function add<K>(m: Map<K, number>, key: K, ms: number): void {
  m.set(key, (m.get(key) ?? 0) + ms);
}

/** The context with every kernel job timed into `jobs`. */
function timedContext(ctx: WasmContext, jobs: Map<KernelFn, number>): WasmContext {
  return {
    ...ctx,
    run: (fn, params, rows, scratch, grain) => {
      const t0 = performance.now();
      ctx.run(fn, params, rows, scratch, grain);
      add(jobs, fn, performance.now() - t0);
    },
  };
}

/**
 * CPU ms per thread of this process (Linux /proc, 10 ms ticks), or undefined
 * elsewhere. The busiest thread's time per run bounds the wall time from below when
 * every thread has a core: on a loaded machine it shows what a quiet one would give.
 */
function threadCpuMs(): Map<string, number> | undefined {
  if (!existsSync('/proc/self/task')) return undefined;
  const out = new Map<string, number>();
  for (const t of readdirSync('/proc/self/task')) {
    try {
      const st = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      out.set(t, (Number(f[11]) + Number(f[12])) * 10); // utime + stime, in clock ticks of 10 ms
    } catch {
      // the thread ended between listing and reading
    }
  }
  return out;
}

function cpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

/** The plan with every node's run timed into `nodes` (wall) and `cpu` (process CPU time, all threads), by node index. */
function timedPlan(plan: EnginePlan, nodes: Float64Array, cpu: Float64Array): EnginePlan {
  return {
    ...plan,
    nodes: plan.nodes.map((np, i) => ({
      ...np,
      kernel: {
        acc: np.kernel.acc,
        bind: (inShapes, outShape) => {
          const b = np.kernel.bind(inShapes, outShape);
          return {
            acc: b.acc,
            run: (inputs, out) => {
              const c0 = cpuMs();
              const t0 = performance.now();
              b.run(inputs, out);
              nodes[i]! += performance.now() - t0;
              cpu[i]! += cpuMs() - c0;
            },
          };
        },
      },
    })),
  };
}

function fmt(ms: number): string {
  return ms.toFixed(1).padStart(8);
}

async function profileWasm(m: BenchModel, threads: number, runs: number, perNode: boolean): Promise<void> {
  const ctx = (await createWasmContext(threads))!;
  const plain = createEngine(m.fx, { kernels: 'wasm', wasm: ctx });
  plain.run([m.input]);
  const threads0 = threadCpuMs();
  const plainMs = median(Array.from({ length: runs }, () => {
    const t0 = performance.now();
    plain.run([m.input]);
    return performance.now() - t0;
  }));
  const threads1 = threadCpuMs();
  const perThread = threads0 === undefined || threads1 === undefined ? [] : [...threads1]
    .map(([t, ms]) => (ms - (threads0.get(t) ?? 0)) / runs)
    .filter((ms) => ms >= 5)
    .sort((a, b) => b - a);

  const jobs = new Map<KernelFn, number>();
  const nodeMs = new Float64Array(m.fx.nodes.length);
  const nodeCpu = new Float64Array(m.fx.nodes.length);
  const e = createEngineOnPlan(timedPlan(accelerate(prepareEngine(m.fx), timedContext(ctx, jobs)), nodeMs, nodeCpu), ctx);
  e.run([m.input]);
  jobs.clear();
  nodeMs.fill(0);
  nodeCpu.fill(0);
  const t0 = performance.now();
  for (let r = 0; r < runs; r++) e.run([m.input]);
  const total = (performance.now() - t0) / runs;

  const byOp = new Map<string, number>();
  m.fx.nodes.forEach((n, i) => add(byOp, n.op, nodeMs[i]! / runs));
  const nodeSum = nodeMs.reduce((a, b) => a + b, 0) / runs;
  const jobSum = [...jobs.values()].reduce((a, b) => a + b, 0) / runs;
  console.log(`${m.name} / fxp wasm ${threads}T: plain run ${plainMs.toFixed(0)} ms (median of ${runs}); profiled run ${total.toFixed(0)} ms (mean of ${runs})`);
  console.log(`  per op:  ${[...byOp].sort((a, b) => b[1] - a[1]).map(([op, t]) => `${op} ${t.toFixed(0)}`).join(', ')}, between nodes ${(total - nodeSum).toFixed(0)}`);
  console.log(`  per job: ${[...jobs].sort((a, b) => b[1] - a[1]).map(([fn, t]) => `${fn} ${(t / runs).toFixed(0)}`).join(', ')}; in nodes outside jobs ${(nodeSum - jobSum).toFixed(0)}`);
  console.log(`  CPU time in nodes ${(nodeCpu.reduce((a, b) => a + b, 0) / runs).toFixed(0)} ms (all threads)`);
  if (perThread.length > 0) console.log(`  plain run CPU per thread (busiest first): ${perThread.map((ms) => ms.toFixed(0)).join(', ')} ms per run`);
  if (perNode) {
    console.log('   wall ms    cpu ms  node');
    m.fx.nodes.forEach((n, i) => console.log(`  ${fmt(nodeMs[i]! / runs)}  ${fmt(nodeCpu[i]! / runs)}  ${n.op.padEnd(13)} ${n.name}`));
  }
  console.log(`  peak WASM memory ${(ctx.peakBytes() / 2 ** 20).toFixed(1)} MiB`);
  await ctx.dispose();
}

function profileRef(m: BenchModel, e: FxEngine): void {
  const opOf = new Map(m.fx.nodes.map((n) => [n.outputs[0]!, n.op]));
  const times = new Map<string, number>();
  const t0 = performance.now();
  let last = t0;
  e.run([m.input], {
    onValue: (id) => {
      const now = performance.now();
      add(times, opOf.get(id) ?? 'input', now - last);
      last = now;
    },
  });
  const parts = [...times].sort((a, b) => b[1] - a[1]).map(([op, t]) => `${op} ${t.toFixed(0)}`);
  console.log(`${m.name} / fxp JS ref: ${(performance.now() - t0).toFixed(0)} ms = ${parts.join(', ')}`);
}

const want = arg('--model') ?? 'LRS';
const threadCounts = (arg('--threads') ?? '1,2').split(',').map(Number);
const runs = Number(arg('--runs') ?? 3);
const models = (await benchModels(process.argv.includes('--quick'))).filter((m) => m.name.includes(want));
for (const m of models) {
  if (process.argv.includes('--ref')) profileRef(m, createEngine(m.fx));
  for (const t of threadCounts) await profileWasm(m, t, runs, process.argv.includes('--nodes'));
}
process.exit(0);
