import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FxpError } from '../../src/errors.js';
import {
  MAX_WL,
  formatToString,
  formatsEqual,
  parseFormat,
  qRange,
  stepOf,
  validateFormat,
  type QFormat,
} from '../../src/fixed/format.js';

test('validateFormat accepts the role limits and rejects beyond them', () => {
  for (const role of ['weight', 'activation', 'bias', 'accumulator'] as const) {
    const maxWl = MAX_WL[role];
    validateFormat({ signed: true, wl: 2, fl: -64 }, role);
    validateFormat({ signed: false, wl: maxWl, fl: 64 }, role);
    assert.throws(() => validateFormat({ signed: true, wl: 1, fl: 0 }, role), /word length must be an integer in 2\.\./);
    assert.throws(() => validateFormat({ signed: true, wl: maxWl + 1, fl: 0 }, role), FxpError);
    assert.throws(() => validateFormat({ signed: true, wl: 8, fl: 65 }, role), /fractional length/);
    assert.throws(() => validateFormat({ signed: true, wl: 8, fl: -65 }, role), /fractional length/);
    assert.throws(() => validateFormat({ signed: true, wl: 8.5, fl: 0 }, role), FxpError);
    assert.throws(() => validateFormat({ signed: true, wl: 8, fl: 0.5 }, role), FxpError);
    assert.throws(() => validateFormat({ signed: true, wl: NaN, fl: 0 }, role), FxpError);
  }
  assert.equal(MAX_WL.weight, 16);
  assert.equal(MAX_WL.bias, 32);
  assert.throws(() => validateFormat({ signed: true, wl: 17, fl: 0 }, 'activation'), /invalid activation format Q\(s,17,0\)/);
});

test('validateFormat errors carry the node/op context', () => {
  try {
    validateFormat({ signed: true, wl: 40, fl: 0 }, 'weight', { node: 'conv1', op: 'Conv' });
    assert.fail('expected a throw');
  } catch (e) {
    assert.ok(e instanceof FxpError);
    assert.equal(e.node, 'conv1');
    assert.match(e.message, /node 'conv1', op 'Conv'/);
  }
});

test('qRange', () => {
  assert.deepEqual(qRange({ signed: true, wl: 8, fl: 3 }), { qmin: -128, qmax: 127 });
  assert.deepEqual(qRange({ signed: false, wl: 8, fl: -3 }), { qmin: 0, qmax: 255 });
  assert.deepEqual(qRange({ signed: true, wl: 2, fl: 0 }), { qmin: -2, qmax: 1 });
  assert.deepEqual(qRange({ signed: true, wl: 32, fl: 0 }), { qmin: -2147483648, qmax: 2147483647 });
  assert.deepEqual(qRange({ signed: false, wl: 53, fl: 0 }), { qmin: 0, qmax: Number.MAX_SAFE_INTEGER });
  assert.equal(stepOf({ signed: true, wl: 8, fl: 5 }), 1 / 32);
  assert.equal(stepOf({ signed: true, wl: 8, fl: -3 }), 8);
});

test('formatToString / parseFormat round-trip', () => {
  const cases: [QFormat, string][] = [
    [{ signed: true, wl: 8, fl: 5 }, 'Q(s,8,5)'],
    [{ signed: false, wl: 8, fl: 5 }, 'UQ(8,5)'],
    [{ signed: true, wl: 16, fl: -3 }, 'Q(s,16,-3)'],
    [{ signed: false, wl: 4, fl: 12 }, 'UQ(4,12)'],
  ];
  for (const [f, s] of cases) {
    assert.equal(formatToString(f), s);
    assert.deepEqual(parseFormat(s), f);
    assert.ok(formatsEqual(parseFormat(s), f));
  }
  assert.deepEqual(parseFormat(' Q(8, 5) '), { signed: true, wl: 8, fl: 5 });
  assert.deepEqual(parseFormat('Q(u,8,-2)'), { signed: false, wl: 8, fl: -2 });
  assert.deepEqual(parseFormat('uq( 8 , 7 )'), { signed: false, wl: 8, fl: 7 });
  assert.ok(!formatsEqual({ signed: true, wl: 8, fl: 5 }, { signed: false, wl: 8, fl: 5 }));
  for (const bad of ['Q(8)', 'UQ(s,8,5)', 'Q(x,8,5)', 'foo', 'Q(8,5', 'Q(8.5,3)']) {
    assert.throws(() => parseFormat(bad, { file: 'formats.json' }), (e: unknown) => e instanceof FxpError && /formats\.json/.test(e.message));
  }
});
