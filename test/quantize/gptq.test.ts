/**
 * Error-compensating rounding (src/quantize/search/gptq.ts): on correlated inputs
 * it moves a layer's output less than rounding to nearest at the same grid, and
 * every weight it returns is an integer of the grid times the channel's unit.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gptqRound, gram, outputError, type LayerRows } from '../../src/quantize/search/gptq.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

test('gram: X^T X / R of the rows, symmetric, over all parts', () => {
  const parts: LayerRows[] = [
    { k: 2, rows: 2, data: Float32Array.from([1, 2, 3, 4]) },
    { k: 2, rows: 1, data: Float32Array.from([0, -1]) },
  ];
  const h = gram(parts);
  const want = [(1 + 9) / 3, (2 + 12) / 3, (2 + 12) / 3, (4 + 16 + 1) / 3];
  h.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-12, `H[${i}] = ${v}, want ${want[i]}`));
});

test('gptq rounding: on the grid, and less output error than nearest on correlated inputs', () => {
  const r = rng(7);
  const k = 48;
  const m = 12;
  const rows = 2000;
  // Correlated inputs: a few shared factors plus noise (as neighbouring pixels are).
  const data = new Float32Array(rows * k);
  for (let i = 0; i < rows; i++) {
    const f = [gauss(r), gauss(r), gauss(r)];
    for (let j = 0; j < k; j++) data[i * k + j] = f[j % 3]! + 0.3 * f[(j + 1) % 3]! + 0.2 * gauss(r);
  }
  const h = gram([{ k, rows, data }]);
  const w = Float32Array.from({ length: m * k }, () => 0.1 * gauss(r));
  for (const wl of [3, 4, 6]) {
    const lo = -(2 ** (wl - 1));
    const hi = 2 ** (wl - 1) - 1;
    const units = Array.from({ length: m }, (_, c) => (0.3 * (1 + c / m)) / 2 ** (wl - 1));
    const grid = (row: number) => ({ unit: units[row]!, lo, hi });
    const q = gptqRound(w, m, k, h, grid);
    const near = Float32Array.from(w, (x, i) => Math.max(lo, Math.min(hi, Math.floor(x / units[Math.floor(i / k)]! + 0.5))) * units[Math.floor(i / k)]!);
    q.forEach((v, i) => {
      const n = v / units[Math.floor(i / k)]!;
      assert.ok(Math.abs(n - Math.round(n)) < 1e-6 && Math.round(n) >= lo && Math.round(n) <= hi, `weight ${i} on the ${wl}-bit grid`);
    });
    const eq = outputError(w, q, m, k, h);
    const en = outputError(w, near, m, k, h);
    assert.ok(eq < 0.8 * en, `${wl} bits: output error ${eq} against nearest ${en}`);
  }
});

test('gptq rounding: dead inputs and a singular H still give grid values', () => {
  const k = 4;
  const h = new Float64Array(k * k); // all inputs always zero
  const w = Float32Array.from([0.26, -0.74, 0.1, 0.49]);
  const q = gptqRound(w, 1, k, h, () => ({ unit: 0.25, lo: -4, hi: 3 }));
  assert.deepEqual([...q], [0.25, -0.75, 0, 0.5]);
});
