/** The WASM float GEMM (src/float/gemm-wasm.ts, gemm_f32.c) against the TS loop it replaces: bit for bit. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wasmKernelsUnavailable } from '../../src/engine/kernels/wasm/loader.js';
import { createFloatExecutor } from '../../src/float/executor.js';
import { MR, NR, gemmPackedJs, packA, packB, packedASize, packedBSize, setGemmMode } from '../../src/float/gemm.js';
import { gemmWasm } from '../../src/float/gemm-wasm.js';
import { GraphBuilder } from '../../src/ir/graph.js';
import { rng } from './util.js';

const skip = wasmKernelsUnavailable() ?? false;

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

test('gemm_f32 equals the TS GEMM bit for bit on odd sizes, offsets, ldc and wide ranges', { skip }, () => {
  assert.equal(MR, 4, 'gemm_f32.c hard-codes 4x4 panels');
  assert.equal(NR, 4);
  const rand = rng(7);
  let cases = 0;
  for (const m of [1, 2, 3, 4, 5, 8, 13, 32]) {
    for (const n of [1, 3, 4, 6, 17, 64]) {
      for (const k of [1, 5, 16, 33, 288]) {
        // Values over many binades, so the double sums round differently from float ones.
        const v = (): number => rand() * 2 ** Math.floor(rand() * 24 - 12);
        const a = Float32Array.from({ length: m * k }, v);
        const b = Float32Array.from({ length: k * n }, v);
        const apOff = 3;
        const bpOff = 5;
        const ap = new Float32Array(apOff + packedASize(m, k));
        const bp = new Float32Array(bpOff + packedBSize(k, n));
        packA(a, 0, k, 1, m, k, ap, apOff);
        packB(b, 0, n, 1, k, n, bp, bpOff);
        const ldc = n + 3;
        const cOff = 2;
        const c0 = Float32Array.from({ length: cOff + m * ldc }, v);
        const js = Float32Array.from(c0);
        const wasm = Float32Array.from(c0);
        gemmPackedJs(m, n, k, ap, apOff, bp, bpOff, js, cOff, ldc);
        assert.ok(gemmWasm(m, n, k, ap, apOff, packedASize(m, k), bp, bpOff, packedBSize(k, n), wasm, cOff, ldc), 'ran on WASM');
        assert.deepEqual(bits(wasm), bits(js), `m=${m} n=${n} k=${k}`);
        cases++;
      }
    }
  }
  assert.equal(cases, 240);
});

test('a conv + dense graph gives the same bits with the WASM GEMM and the TS loop', { skip }, () => {
  const rand = rng(3);
  const b = new GraphBuilder('g');
  const x = b.addInput('x', ['N', 8, 12, 12]);
  const conv = { kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], autoPad: 'NOTSET', group: 1 } as const;
  let y = b.addNode('Conv', 'c', conv, [x, b.addConstant('w', [16, 8, 3, 3], Float32Array.from({ length: 16 * 72 }, rand)), b.addConstant('b', [16], Float32Array.from({ length: 16 }, rand))]);
  y = b.addNode('Flatten', 'f', { axis: 1 }, [y]);
  y = b.addNode('Dense', 'd', {}, [y, b.addConstant('dw', [10, 16 * 144], Float32Array.from({ length: 10 * 16 * 144 }, rand)), b.addConstant('db', [10], Float32Array.from({ length: 10 }, rand))]);
  b.outputs.push(y);
  const g = b.finish();
  const input = { shape: [5, 8, 12, 12], data: Float32Array.from({ length: 5 * 8 * 144 }, rand) };
  try {
    setGemmMode('js');
    const js = createFloatExecutor(g).run([input]).outputs[0]!;
    setGemmMode('auto');
    const auto = createFloatExecutor(g).run([input]).outputs[0]!;
    assert.deepEqual(bits(auto.data), bits(js.data));
  } finally {
    setGemmMode('auto');
  }
});
