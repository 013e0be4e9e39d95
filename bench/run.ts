/**
 * `npm run bench`: every engine on every model, same inputs, one warm-up run
 * then the median of `--runs` (default 5) timed runs; JSON and a ratio table.
 *
 *   tsx bench/run.ts [--quick] [--runs N] [--ref-runs N] [--json out.json] [--only substring]
 *
 * --quick: LRS on a 128x128 crop of kodim01 and MobileNetV2 at 112x112 (the full
 * run: 341x512 and 224x224). The JS reference kernels take tens of seconds per
 * LRS/MobileNet run, so on those models they get --ref-runs timed runs (default 1
 * in the full run, `runs` in quick mode) and no warm-up; their entry says so.
 * Timings are wall-clock on a shared machine: use medians, expect noise.
 */
import { writeFileSync } from 'node:fs';
import { fxpRef, fxpWasm, ortNodeFloat, ortNodeInt8, ortWeb, type Engine } from './engines.js';
import { benchModels, missingShared } from './models.js';
import { tfjsWasm } from './tfjs-engine.js';

interface Entry {
  readonly model: string;
  readonly engine: string;
  readonly medianMs?: number;
  /** Median CPU time of the whole process (all its threads) per run: less sensitive to other jobs on the machine. */
  readonly cpuMedianMs?: number;
  readonly runsMs?: number[];
  readonly skipped?: string;
  readonly peakBytes?: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const runs = Number(arg('--runs') ?? 5);
  const refRuns = Number(arg('--ref-runs') ?? (quick ? runs : 1));
  const only = arg('--only');
  const missing = missingShared();
  if (missing !== undefined) {
    console.error(`bench needs ../shared (${missing} is missing)`);
    process.exit(2);
  }
  const models = (await benchModels(quick)).filter((m) => only === undefined || m.name.includes(only));
  // TF.js first: it fails to run ('reading backend') when initialized after onnxruntime-web.
  const tfjs = await tfjsWasm();
  const engines: Engine[] = [
    fxpRef(), await fxpWasm(1), await fxpWasm(2),
    ortNodeFloat(1), ortNodeFloat(2), ortNodeInt8(2),
    await ortWeb(2), tfjs,
  ];
  const entries: Entry[] = [];
  for (const m of models) {
    for (const e of engines) {
      const run = await e.prepare(m);
      if (typeof run === 'string') {
        entries.push({ model: m.name, engine: e.name, skipped: run });
        console.error(`${m.name} / ${e.name}: skipped (${run})`);
        continue;
      }
      const slow = e.name === 'fxp JS ref' && m.heavy;
      const n = slow ? refRuns : runs;
      try {
        if (!slow) await run();
        const times: number[] = [];
        const cpu: number[] = [];
        for (let i = 0; i < n; i++) {
          const c0 = process.cpuUsage();
          const t0 = performance.now();
          await run();
          times.push(performance.now() - t0);
          const c = process.cpuUsage(c0);
          cpu.push((c.user + c.system) / 1000);
        }
        const entry: Entry = { model: m.name, engine: e.name, medianMs: median(times), cpuMedianMs: Math.round(median(cpu) * 10) / 10, runsMs: times.map((t) => Math.round(t * 10) / 10), ...(e.peakBytes ? { peakBytes: e.peakBytes() } : {}) };
        entries.push(entry);
        console.error(`${m.name} / ${e.name}: ${entry.medianMs!.toFixed(1)} ms, cpu ${entry.cpuMedianMs} ms (median of ${n}${slow ? ', no warm-up' : ''})`);
      } catch (err) {
        entries.push({ model: m.name, engine: e.name, skipped: `failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` });
      }
    }
  }
  await Promise.all(engines.map((e) => e.dispose?.()));
  const result = { quick, runs, refRuns, node: process.version, date: new Date().toISOString(), entries };
  const json = JSON.stringify(result, null, 2);
  const out = arg('--json');
  if (out !== undefined) writeFileSync(out, json);
  console.log(json);
  console.log(table(entries, models.map((m) => m.name), engines.map((e) => e.name)));
}

/** Median ms per engine and model, with the ratio engine / fxp wasm 2T (> 1: fxp faster). */
function table(entries: readonly Entry[], models: readonly string[], engines: readonly string[]): string {
  const at = (m: string, e: string): number | undefined => entries.find((x) => x.model === m && x.engine === e)?.medianMs;
  const rows = [['engine', ...models]];
  for (const e of engines) {
    rows.push([e, ...models.map((m) => {
      const t = at(m, e);
      const base = at(m, 'fxp wasm 2T');
      if (t === undefined) return 'n/a';
      return base === undefined ? `${t.toFixed(1)} ms` : `${t.toFixed(1)} ms (${(t / base).toFixed(2)}x)`;
    })]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join(' | '));
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('-|-'));
  return `\nmedian ms (ratio to fxp wasm 2T; > 1 means fxp wasm 2T is faster)\n${lines.join('\n')}\n${targets(at, models)}`;
}

function targets(at: (m: string, e: string) => number | undefined, models: readonly string[]): string {
  const lrs = models.find((m) => m.startsWith('LRS'));
  if (lrs === undefined) return '';
  const r = (a: string, b: string): string => {
    const x = at(lrs, a);
    const y = at(lrs, b);
    return x === undefined || y === undefined ? 'n/a' : (x / y).toFixed(2);
  };
  const best = (...es: string[]): string => es.reduce((p, e) => ((at(lrs, e) ?? Infinity) < (at(lrs, p) ?? Infinity) ? e : p));
  const fxp = best('fxp wasm 1T', 'fxp wasm 2T');
  const web = 'ort-web wasm 2T';
  return [
    `targets on ${lrs} (fxp = ${fxp}):`,
    `  ${web} / fxp = ${r(web, fxp)} (target >= 1.5)`,
    `  fxp / ort-node float 2T = ${r(fxp, 'ort-node float 2T')} (target <= 3)`,
    `  fxp JS ref / fxp = ${r('fxp JS ref', fxp)} (target >= 5)`,
    `  fxp wasm 1T / fxp wasm 2T = ${r('fxp wasm 1T', 'fxp wasm 2T')} (target >= 1.7)`,
  ].join('\n');
}

await main();
process.exit(0);
