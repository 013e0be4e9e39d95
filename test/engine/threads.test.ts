/**
 * The WASM kernels on worker threads: outputs must not depend on the thread count
 * (1, 2, 3 threads, bit for bit) and must equal the reference kernels.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FxGraph, FxTensor } from '../../src/engine/fx-graph.js';
import { createEngine } from '../../src/engine/runtime.js';
import { createWasmContext, wasmKernelsSupported, type WasmContext } from '../../src/engine/kernels/wasm/index.js';
import { rowRange } from '../../src/engine/threads/pool.js';
import { convCase, denseCase } from './wasm-conv-cases.js';

const skip = wasmKernelsSupported() ? false : 'WebAssembly SIMD128/shared memory unavailable';

test('rowRange splits rows into contiguous, disjoint, covering ranges', () => {
  for (const [rows, n] of [[0, 2], [1, 3], [7, 2], [100, 3], [5, 5]] as const) {
    let next = 0;
    for (let t = 0; t < n; t++) {
      const [r0, r1] = rowRange(rows, t, n);
      assert.equal(r0, next);
      assert.ok(r1 >= r0);
      next = r1;
    }
    assert.equal(next, rows);
  }
});

test('outputs do not depend on the thread count and equal the reference', { skip }, async () => {
  const ctxs: WasmContext[] = [];
  for (const t of [1, 2, 3]) ctxs.push((await createWasmContext(t))!);
  assert.deepEqual(ctxs.map((c) => c.threads), [1, 2, 3]);
  try {
    const cases: { fx: FxGraph; input: FxTensor; what: string }[] = [];
    for (let i = 0; i < 60; i++) cases.push(i % 3 === 2 ? denseCase(9000 + i, false) : convCase(9000 + i, false));
    let fast = 0;
    for (const c of cases) {
      let want;
      try {
        want = createEngine(c.fx).run([c.input]).outputs[0]!;
      } catch {
        continue;
      }
      for (const ctx of ctxs) {
        const before = ctx.calls();
        const got = createEngine(c.fx, { kernels: 'wasm', wasm: ctx }).run([c.input]).outputs[0]!;
        assert.deepEqual(Array.from(got.data), Array.from(want.data), `${c.what}, ${ctx.threads} threads`);
        if (ctx.threads === 3 && ctx.calls() > before) fast++;
      }
    }
    assert.ok(fast > 30, `threaded fast path taken ${fast} times`);
  } finally {
    await Promise.all(ctxs.map((c) => c.dispose()));
  }
});
