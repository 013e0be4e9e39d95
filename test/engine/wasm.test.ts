/**
 * The WASM SIMD kernels against the reference kernels, bit for bit: random Conv
 * (every padding mode, strides, dilations, groups, depthwise) and Dense nodes on
 * both accumulator paths, random multi-op graphs, and the committed kernels.wasm
 * against its source.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FxpError } from '../../src/errors.js';
import { createEngine } from '../../src/engine/runtime.js';
import { createWasmContextSync, wasmKernelsSupported } from '../../src/engine/kernels/wasm/index.js';
import { ALL_OPS, randomGraph } from './random-graph.js';
import { convCase, denseCase, type Case } from './wasm-conv-cases.js';

const FAST_OPS = ['Conv', 'Dense', 'Add', 'ChannelAffine', 'DepthToSpace'] as const;
const skip = wasmKernelsSupported() ? false : 'WebAssembly SIMD128/shared memory unavailable';
const WASM_DIR = new URL('../../src/engine/kernels/wasm/', import.meta.url);

function sameAsRef(c: Case): 'wasm' | 'ref' | 'rejected' {
  let refOut;
  try {
    refOut = createEngine(c.fx).run([c.input]).outputs[0]!;
  } catch (err) {
    assert.ok(err instanceof FxpError, `${c.what}: ${String(err)}`);
    return 'rejected';
  }
  const ctx = createWasmContextSync()!;
  const got = createEngine(c.fx, { kernels: 'wasm', wasm: ctx }).run([c.input]).outputs[0]!;
  assert.deepEqual(got.shape, refOut.shape, c.what);
  assert.ok(Buffer.from(got.data.buffer).equals(Buffer.from(refOut.data.buffer)), `${c.what}: outputs differ`);
  return ctx.calls() > 0 ? 'wasm' : 'ref';
}

test('Conv: WASM equals the reference on random shapes, pads, strides, dilations and groups', { skip }, () => {
  const paths = { wasm: 0, ref: 0, rejected: 0 };
  let depthwise = 0;
  for (let i = 0; i < 400; i++) {
    const wide = i % 8 === 7;
    const c = convCase(1000 + i, wide);
    const path = sameAsRef(c);
    paths[path]++;
    if (path === 'wasm') assert.equal(createEngine(c.fx).plan.nodes[0]!.kernel.acc?.width, 'int32', `${c.what}: the fast path must only take int32-proven nodes`);
    const n = c.fx.nodes[0]!;
    if (path === 'wasm' && n.op === 'Conv' && n.attrs.group === n.attrs.weights.shape[0]) depthwise++;
  }
  assert.ok(paths.wasm > 250, `fast path taken ${paths.wasm} times`);
  assert.ok(paths.ref > 10, `wide fallback taken ${paths.ref} times`);
  assert.ok(depthwise > 10, `depthwise fast path taken ${depthwise} times`);
});

test('Dense: WASM equals the reference on random shapes', { skip }, () => {
  let fast = 0;
  for (let i = 0; i < 200; i++) if (sameAsRef(denseCase(5000 + i, i % 8 === 7)) === 'wasm') fast++;
  assert.ok(fast > 120, `fast path taken ${fast} times`);
});

test('random graphs (every op; Conv, Dense, Add, ChannelAffine, DepthToSpace more often): every value equals the reference engine', { skip }, () => {
  let compared = 0;
  for (let i = 0; i < 240; i++) {
    const forced = i % 2 === 0 ? ALL_OPS[(i / 2) % ALL_OPS.length]! : FAST_OPS[((i - 1) / 2) % FAST_OPS.length]!;
    const c = randomGraph(31 * i + 5, forced, { wide: i % 5 === 4 });
    let ref;
    try {
      ref = createEngine(c.fx).run(c.inputs, { keepAll: true });
    } catch {
      continue; // a bound beyond 2^53 or an input the graph rejects: the reference's own tests cover it
    }
    const got = createEngine(c.fx, { kernels: 'wasm' }).run(c.inputs, { keepAll: true });
    ref.values.forEach((v, id) => {
      if (v === undefined) return;
      assert.deepEqual(Array.from(got.values[id]!.data), Array.from(v.data), `graph ${i} (${c.ops.join(' -> ')}): value ${id}`);
    });
    compared++;
  }
  assert.ok(compared > 160, `compared ${compared} graphs`);
});

test('reused buffers: a run after a run on other inputs equals the reference', { skip }, () => {
  let compared = 0;
  for (let i = 0; i < 120; i++) {
    const c = randomGraph(977 * i + 3, ALL_OPS[i % ALL_OPS.length]!, { wide: i % 6 === 5 });
    let want;
    try {
      want = createEngine(c.fx).run(c.inputs).outputs;
    } catch {
      continue;
    }
    // Zero inputs first: their intermediates (biases, saturations) are stale data in the reused buffers.
    const zeros = c.inputs.map((t) => ('format' in t ? { ...t, data: new Int32Array(t.data.length) } : { ...t, data: new Float32Array(t.data.length) }));
    const e = createEngine(c.fx, { kernels: 'wasm' });
    e.run(zeros);
    for (let r = 0; r < 2; r++) {
      const got = e.run(c.inputs).outputs;
      got.forEach((t, j) => assert.deepEqual(Array.from(t.data), Array.from(want[j]!.data), `graph ${i} (${c.ops.join(' -> ')}) run ${r}: output ${j}`));
    }
    compared++;
  }
  assert.ok(compared > 80, `compared ${compared} graphs`);
});

test("kernels: 'ref' is the default and 'auto' never fails", () => {
  const c = convCase(77, false);
  const a = createEngine(c.fx).run([c.input]).outputs[0]!;
  const b = createEngine(c.fx, { kernels: 'auto' }).run([c.input]).outputs[0]!;
  assert.deepEqual(Array.from(b.data), Array.from(a.data));
});

test('kernels.wasm matches its C sources (rebuilt with clang + wasm-ld when present, else stored hashes)', () => {
  const sha = (name: string): string => createHash('sha256').update(readFileSync(new URL(name, WASM_DIR))).digest('hex');
  const stored = JSON.parse(readFileSync(new URL('kernels.wasm.json', WASM_DIR), 'utf8')) as { sources: Record<string, string>; wasm: string };
  const sources = readdirSync(WASM_DIR).filter((f) => f.endsWith('.c') || f.endsWith('.h')).sort();
  assert.deepEqual(Object.keys(stored.sources).sort(), sources, 'kernels.wasm.json must list every C source: run src/engine/kernels/wasm/build.sh');
  for (const f of sources) assert.equal(sha(f), stored.sources[f], `${f} changed: run src/engine/kernels/wasm/build.sh`);
  assert.equal(sha('kernels.wasm'), stored.wasm, 'kernels.wasm is not the recorded build');
  let haveTools = true;
  try {
    execFileSync('wasm-ld', ['--version'], { stdio: 'ignore' });
    execFileSync('clang', ['--version'], { stdio: 'ignore' });
  } catch {
    haveTools = false;
  }
  if (!haveTools) return;
  const out = join(mkdtempSync(join(tmpdir(), 'fxp-wasm-')), 'k.wasm');
  execFileSync('sh', [new URL('build.sh', WASM_DIR).pathname, out], { stdio: 'pipe' });
  assert.ok(readFileSync(out).equals(readFileSync(new URL('kernels.wasm', WASM_DIR))), 'rebuilt kernels.wasm differs from the committed one');
});
