import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FxpError } from '../../src/errors.js';
import { expQ, prepareExp } from '../../src/fixed/exp.js';
import type { QFormat } from '../../src/fixed/format.js';
import { prepareSoftmax, softmaxErrorBoundLsb, softmaxQ } from '../../src/fixed/softmax.js';
import { lsbError, randInt, rng } from './ref.js';

test('expQ: every input down to the cutoff, within the documented bound', () => {
  const cases: [number, number, number][] = [
    // inFl, outFl, documented max error (LSB)
    [12, 16, 0.5002],
    [12, 8, 0.5001],
    [12, 30, 3.5],
    [4, 16, 0.5001],
    [0, 15, 0.5001],
    [-3, 8, 0.5001],
  ];
  for (const [inFl, outFl, documented] of cases) {
    const t = prepareExp(inFl, outFl);
    assert.ok(t.errorBoundLsb <= documented + 1e-12, `bound ${t.errorBoundLsb}`);
    assert.equal(expQ(0, t), 2 ** outFl, 'exp(0) = 1 exactly');
    let maxErr = 0;
    let prev = Infinity;
    for (let j = 0; j <= t.jMax + 300; j++) {
      const y = expQ(-j, t);
      // monotone wherever the Q30 rounding stays below an output LSB (not at outFl 30)
      if (outFl <= 24) assert.ok(y <= prev, 'monotone');
      prev = y;
      maxErr = Math.max(maxErr, Math.abs(y - Math.exp(-j * 2 ** -inFl) * 2 ** outFl));
    }
    assert.ok(maxErr <= t.errorBoundLsb, `exp ${inFl}->${outFl}: ${maxErr} > ${t.errorBoundLsb}`);
    assert.equal(expQ(-(2 ** 40), t), 0);
  }
});

test('expQ: wide inputs (4 table digits)', () => {
  const t = prepareExp(24, 16);
  assert.equal(t.tables.length, 4);
  const r = rng(40);
  for (let i = 0; i < 20000; i++) {
    const j = randInt(r, 0, t.jMax);
    const err = Math.abs(expQ(-j, t) - Math.exp(-j * 2 ** -24) * 2 ** 16);
    assert.ok(err <= t.errorBoundLsb, `j ${j}: ${err}`);
  }
});

test('expQ / prepareExp reject what they cannot do', () => {
  const t = prepareExp(12, 16);
  assert.throws(() => expQ(1, t), FxpError);
  assert.throws(() => prepareExp(12, 31), FxpError);
  assert.throws(() => prepareExp(65, 8), FxpError);
  assert.throws(() => prepareExp(1.5, 8), FxpError);
});

function softmaxFloat(row: Int32Array, fl: number): number[] {
  let max = -Infinity;
  for (const q of row) max = Math.max(max, q);
  const u = Array.from(row, (q) => Math.exp((q - max) * 2 ** -fl));
  const s = u.reduce((a, b) => a + b, 0);
  return u.map((v) => v / s);
}

test('softmaxQ: random rows, Q(s,16,12) -> UQ(8,8) / Q(s,8,7) / UQ(16,16)', () => {
  const inF: QFormat = { signed: true, wl: 16, fl: 12 };
  const r = rng(41);
  const cases: [QFormat, number][] = [
    [{ signed: false, wl: 8, fl: 8 }, 0.501],
    [{ signed: true, wl: 8, fl: 7 }, 0.501],
    [{ signed: false, wl: 16, fl: 16 }, 0.501],
  ];
  for (const [out, documented] of cases) {
    const plan = prepareSoftmax(inF, out);
    for (const n of [1, 2, 10, 100, 1000]) {
      const bound = softmaxErrorBoundLsb(plan, n);
      let maxErr = 0;
      for (let trial = 0; trial < (n >= 1000 ? 8 : 60); trial++) {
        const spread = [2, 4096, 16384, 65535][trial % 4]!;
        const row = Int32Array.from({ length: n }, () => Math.max(-32768, Math.min(32767, randInt(r, -spread, spread))));
        const y = softmaxQ(row, plan);
        const want = softmaxFloat(row, 12);
        for (let i = 0; i < n; i++) maxErr = Math.max(maxErr, lsbError(y[i]!, want[i]!, out));
      }
      assert.ok(maxErr <= bound, `n ${n} -> ${JSON.stringify(out)}: ${maxErr} > ${bound}`);
      assert.ok(maxErr <= documented, `n ${n} -> ${JSON.stringify(out)}: ${maxErr} > ${documented}`);
    }
  }
});

test('softmaxQ: exact cases and edges', () => {
  const plan = prepareSoftmax({ signed: true, wl: 16, fl: 12 }, { signed: false, wl: 8, fl: 8 });
  assert.deepEqual([...softmaxQ(new Int32Array([5, 5, 5, 5]), plan)], [64, 64, 64, 64]);
  assert.deepEqual([...softmaxQ(new Int32Array([7, 7, 7]), plan)], [85, 85, 85], '256/3 = 85.33');
  assert.deepEqual([...softmaxQ(new Int32Array([1000]), plan)], [255], '1.0 saturates to 255/256');
  assert.deepEqual([...softmaxQ(new Int32Array([-32768, 32767]), plan)], [0, 255]);
  assert.deepEqual([...softmaxQ(new Int32Array([-(2 ** 31), 2 ** 31 - 1, 2 ** 31 - 1]), plan)], [0, 128, 128]);
  assert.equal(softmaxQ(new Int32Array(0), plan).length, 0);
  // exactly ln 2 apart (to 12 fractional bits): about 2/3 and 1/3
  const y = softmaxQ(new Int32Array([2839, 0]), plan);
  assert.deepEqual([...y], [171, 85]);
  assert.throws(() => softmaxQ(new Int32Array(3), plan, new Int32Array(2)), FxpError);
  assert.throws(() => prepareSoftmax({ signed: true, wl: 16, fl: 12 }, { signed: false, wl: 16, fl: 31 }), FxpError);
  // outputs always sum to about one
  const r = rng(42);
  const q16 = prepareSoftmax({ signed: true, wl: 16, fl: 12 }, { signed: false, wl: 16, fl: 16 });
  for (let i = 0; i < 100; i++) {
    const row = Int32Array.from({ length: 50 }, () => randInt(r, -20000, 20000));
    const s = softmaxQ(row, q16).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(s - 65536) <= 25, `sum ${s}`);
  }
});
