import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FxpError } from '../../src/errors.js';
import { quantize } from '../../src/fixed/convert.js';
import type { QFormat } from '../../src/fixed/format.js';
import { lutArrayQ, lutQ, prepareLut, type Lut } from '../../src/fixed/lut.js';
import { SIGMOID, TANH, prepareSigmoid, prepareTanh, sigmoidQ, tanhQ } from '../../src/fixed/nonlinear.js';
import { lsbError, randInt, rng } from './ref.js';

const FUNCS = [
  { fn: SIGMOID, prepare: prepareSigmoid },
  { fn: TANH, prepare: prepareTanh },
] as const;

/** Max error over every input integer of lut.inFormat, checking monotonicity on the way. */
function sweep(lut: Lut, f: (x: number) => number): number {
  const { inFormat: inF, outFormat: out } = lut;
  const qmin = inF.signed ? -(2 ** (inF.wl - 1)) : 0;
  const qmax = inF.signed ? 2 ** (inF.wl - 1) - 1 : 2 ** inF.wl - 1;
  let maxErr = 0;
  let prev = -Infinity;
  for (let q = qmin; q <= qmax; q++) {
    const y = lutQ(lut, q);
    assert.ok(y >= prev, `${lut.name} not monotone at ${q}`);
    prev = y;
    maxErr = Math.max(maxErr, lsbError(y, f(q * 2 ** -inF.fl), out));
  }
  return maxErr;
}

test('every 8-bit input: direct tables equal the exactly rounded function', () => {
  const outs: QFormat[] = [
    { signed: false, wl: 8, fl: 8 },
    { signed: true, wl: 8, fl: 7 },
    { signed: false, wl: 16, fl: 16 },
    { signed: true, wl: 16, fl: 15 },
    { signed: true, wl: 8, fl: 4 },
  ];
  for (const { fn, prepare } of FUNCS) {
    for (const signed of [true, false]) {
      for (let fl = -2; fl <= 8; fl++) {
        const inF: QFormat = { signed, wl: 8, fl };
        for (const out of outs) {
          const lut = prepare(inF, out);
          assert.equal(lut.segBits, 0, 'direct');
          assert.equal(lut.errorBoundLsb, 0.5);
          assert.ok(lut.table.length <= 256);
          const src = Int32Array.from({ length: 256 }, (_, i) => (signed ? i - 128 : i));
          const got = lutArrayQ(lut, src);
          for (let i = 0; i < 256; i++) {
            const x = src[i]! * 2 ** -fl;
            assert.equal(got[i], quantize(fn.f(x), out), `${fn.name}(${x}) -> ${JSON.stringify(out)}`);
            assert.ok(lsbError(got[i]!, fn.f(x), out) <= 0.5 + 1e-9);
          }
        }
      }
    }
  }
});

test('Q(s,16,12) inputs: interpolated tables within their bound, every input', () => {
  const inF: QFormat = { signed: true, wl: 16, fl: 12 };
  // documented in src/fixed/nonlinear.ts
  const cases: [typeof FUNCS[number], QFormat, number][] = [
    [FUNCS[0], { signed: false, wl: 8, fl: 8 }, 0.65],
    [FUNCS[0], { signed: true, wl: 8, fl: 7 }, 0.65],
    [FUNCS[0], { signed: false, wl: 16, fl: 16 }, 0.65],
    [FUNCS[1], { signed: true, wl: 8, fl: 7 }, 0.65],
    [FUNCS[1], { signed: true, wl: 16, fl: 15 }, 0.65],
    [FUNCS[1], { signed: true, wl: 16, fl: 12 }, 0.65],
  ];
  for (const [{ fn, prepare }, out, documented] of cases) {
    const lut = prepare(inF, out);
    assert.ok(lut.segBits > 0, 'interpolated');
    assert.ok(lut.table.length <= 4097);
    assert.ok(lut.errorBoundLsb < 0.7, `${fn.name} bound ${lut.errorBoundLsb}`);
    const err = sweep(lut, fn.f);
    assert.ok(err <= lut.errorBoundLsb, `${fn.name} -> ${JSON.stringify(out)}: ${err} > bound ${lut.errorBoundLsb}`);
    assert.ok(err <= documented, `${fn.name} -> ${JSON.stringify(out)}: ${err} > documented ${documented}`);
    // inputs far outside the format clamp to the ends
    assert.equal(lutQ(lut, -(2 ** 31)), lutQ(lut, -32768));
    assert.equal(lutQ(lut, 2 ** 31 - 1), lutQ(lut, 32767));
  }
});

test('wide inputs and options: the bound holds, tables stay small', () => {
  const r = rng(30);
  const inF: QFormat = { signed: true, wl: 32, fl: 24 };
  for (const { fn, prepare } of FUNCS) {
    for (const out of [{ signed: false, wl: 8, fl: 8 }, { signed: true, wl: 16, fl: 15 }] satisfies QFormat[]) {
      const lut = prepare(inF, out);
      assert.ok(lut.table.length <= 4097);
      for (let i = 0; i < 20000; i++) {
        const q = randInt(r, -(2 ** 28), 2 ** 28);
        const e = lsbError(lutQ(lut, q), fn.f(q * 2 ** -24), out);
        assert.ok(e <= lut.errorBoundLsb, `${fn.name}(${q * 2 ** -24}): ${e} > ${lut.errorBoundLsb}`);
      }
    }
  }
  // a small entry cap trades accuracy for size, and the bound reports it
  const small = prepareTanh({ signed: true, wl: 16, fl: 12 }, { signed: true, wl: 16, fl: 15 }, { maxEntries: 64 });
  assert.ok(small.table.length <= 64);
  assert.ok(small.errorBoundLsb > 1);
  assert.ok(sweep(small, TANH.f) <= small.errorBoundLsb);
  // a forced direct table of a 12-bit input is exact
  const direct = prepareSigmoid({ signed: true, wl: 12, fl: 8 }, { signed: false, wl: 8, fl: 8 }, { maxDirectEntries: 4096 });
  assert.equal(direct.segBits, 0);
  assert.ok(sweep(direct, SIGMOID.f) <= 0.5 + 1e-9);
});

test('a constant function and invalid requests', () => {
  const flat = prepareLut({ name: 'one', f: () => 1, curvature: 0 }, { signed: true, wl: 16, fl: 0 }, { signed: true, wl: 8, fl: 4 });
  assert.equal(flat.table.length, 1);
  assert.equal(lutQ(flat, 123), 16);
  const inF: QFormat = { signed: true, wl: 8, fl: 4 };
  const outF: QFormat = { signed: false, wl: 8, fl: 8 };
  assert.throws(() => prepareSigmoid(inF, { signed: true, wl: 20, fl: 8 }), FxpError);
  assert.throws(() => prepareSigmoid(inF, outF, { guardBits: 0 }), /invalid options/);
  assert.throws(() => prepareLut({ name: 'nan', f: () => NaN, curvature: 0 }, inF, outF), /NaN/);
  const lut = prepareSigmoid(inF, outF);
  assert.throws(() => tanhQ(new Int32Array(2), lut), /given a 'sigmoid' table/);
  assert.deepEqual([...sigmoidQ(Int32Array.from([-128, 0, 127]), lut)], [lutQ(lut, -128), 128, lutQ(lut, 127)]);
  assert.throws(() => sigmoidQ(new Int32Array(2), lut, new Int32Array(3)), FxpError);
});
