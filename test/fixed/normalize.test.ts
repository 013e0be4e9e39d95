import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FxpError } from '../../src/errors.js';
import { divQ, isqrt, rsqrtQ, sqrtQ } from '../../src/fixed/normalize.js';
import { floorDiv, halfUpFromSquareBound, randInt, rng } from './ref.js';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function checkIsqrt(n: number): void {
  const r = BigInt(isqrt(n));
  const N = BigInt(n);
  assert.ok(r * r <= N && (r + 1n) * (r + 1n) > N, `isqrt(${n}) = ${r}`);
}

test('isqrt: exhaustive small, squares near 2^53, random', () => {
  for (let n = 0; n <= 200000; n++) checkIsqrt(n);
  const top = 94906265; // floor(sqrt(2^53 - 1))
  for (let k = top - 2000; k <= top; k++) {
    checkIsqrt(k * k);
    checkIsqrt(k * k - 1);
    checkIsqrt(Math.min(MAX_SAFE, k * k + 2 * k));
  }
  const r = rng(50);
  for (let i = 0; i < 20000; i++) checkIsqrt(randInt(r, 0, MAX_SAFE));
  assert.equal(isqrt(MAX_SAFE), top);
  for (const bad of [-1, 2 ** 53, 1.5, NaN]) assert.throws(() => isqrt(bad), FxpError);
});

/** round(sqrt(x * 2^(2 outFrac - inFrac))), half up, in BigInt. */
function sqrtRef(x: number, inFrac: number, outFrac: number): number {
  const e = 2 * outFrac - inFrac + 2; // R = x * 2^e; y = largest with (2y-1)^2 <= R
  const N = e >= 0 ? BigInt(x) << BigInt(e) : BigInt(x) >> BigInt(-e);
  return Number(halfUpFromSquareBound(N));
}

/** round(2^outFrac / sqrt(x * 2^-inFrac)), half up, in BigInt. */
function rsqrtRef(x: number, inFrac: number, outFrac: number): number {
  const p = 2 * outFrac + inFrac + 2; // y = largest with x (2y-1)^2 <= 2^p
  const N = p >= 0 ? floorDiv(1n << BigInt(p), BigInt(x)) : 0n;
  return Number(halfUpFromSquareBound(N));
}

test('sqrtQ equals the exactly rounded square root', () => {
  const pairs: [number, number][] = [[0, 0], [8, 8], [16, 8], [12, 15], [7, 4], [20, 10], [3, 0], [-4, 2]];
  for (const [inFrac, outFrac] of pairs) {
    const e = 2 * outFrac - inFrac + 2;
    const xmax = Math.min(2 ** 20, 2 ** (52 - e));
    for (let x = 0; x <= Math.min(xmax, 20000); x++) assert.equal(sqrtQ(x, inFrac, outFrac), sqrtRef(x, inFrac, outFrac), `sqrtQ(${x}, ${inFrac}, ${outFrac})`);
  }
  const r = rng(51);
  for (let i = 0; i < 20000; i++) {
    const inFrac = randInt(r, 0, 30);
    const outFrac = randInt(r, 0, 20);
    const e = 2 * outFrac - inFrac + 2;
    if (e > 52) continue;
    const x = randInt(r, 0, Math.min(MAX_SAFE, 2 ** (52 - e)));
    const y = sqrtQ(x, inFrac, outFrac);
    assert.equal(y, sqrtRef(x, inFrac, outFrac), `sqrtQ(${x}, ${inFrac}, ${outFrac})`);
    assert.ok(Math.abs(y - Math.sqrt(x * 2 ** -inFrac) * 2 ** outFrac) <= 0.5 + 1e-6);
  }
  assert.equal(sqrtQ(2, 0, 0), 1);
  assert.equal(sqrtQ(3, 0, 0), 2, 'sqrt(3) = 1.73');
  assert.equal(sqrtQ(4 * 6, 2, 0), 2, 'sqrt(6) = 2.45');
  assert.throws(() => sqrtQ(-1, 0, 0), FxpError);
  assert.throws(() => sqrtQ(2 ** 40, 0, 10), /exact domain/);
  assert.equal(sqrtQ(2 ** 50 - 1, 0, 0), 2 ** 25, 'sqrt(2^50 - 1) rounds up');
});

test('rsqrtQ equals the exactly rounded reciprocal square root', () => {
  const pairs: [number, number][] = [[0, 15], [8, 15], [12, 12], [16, 16], [20, 14], [31, 8], [-6, 10], [0, 0]];
  for (const [inFrac, outFrac] of pairs) {
    for (let x = 1; x <= 30000; x++) assert.equal(rsqrtQ(x, inFrac, outFrac), rsqrtRef(x, inFrac, outFrac), `rsqrtQ(${x}, ${inFrac}, ${outFrac})`);
  }
  const r = rng(52);
  for (let i = 0; i < 30000; i++) {
    const inFrac = randInt(r, -10, 40);
    const outFrac = randInt(r, 0, 25);
    if (2 * outFrac + inFrac > 50) continue;
    const x = 1 + randInt(r, 0, [255, 65535, 2 ** 32, MAX_SAFE - 1][i % 4]!);
    const y = rsqrtQ(x, inFrac, outFrac);
    assert.equal(y, rsqrtRef(x, inFrac, outFrac), `rsqrtQ(${x}, ${inFrac}, ${outFrac})`);
    const exact = 2 ** outFrac / Math.sqrt(x * 2 ** -inFrac);
    assert.ok(Math.abs(y - exact) <= 0.5 + 1e-6 * Math.max(1, exact), `rsqrtQ(${x}, ${inFrac}, ${outFrac}) = ${y} vs ${exact}`);
  }
  assert.equal(rsqrtQ(4, 0, 4), 8, '16 / 2');
  assert.equal(rsqrtQ(1, 0, 25), 2 ** 25, 'largest output');
  assert.equal(rsqrtQ(MAX_SAFE, 0, 0), 0);
  assert.throws(() => rsqrtQ(0, 0, 15), /outside the domain/);
  assert.throws(() => rsqrtQ(-4, 0, 15), FxpError);
  assert.throws(() => rsqrtQ(4, 2, 25), FxpError, 'p = 52 > 50');
});

/** round(a * 2^frac / b), half up, in BigInt. */
function divRef(a: number, b: number, frac: number): number {
  let num = frac >= 0 ? BigInt(a) << BigInt(frac) : BigInt(a);
  let den = frac >= 0 ? BigInt(b) : BigInt(b) << BigInt(-frac);
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  return Number(floorDiv(2n * num + den, 2n * den));
}

test('divQ equals round-half-up division, ties and signs included', () => {
  for (let a = -300; a <= 300; a++) {
    for (let b = -40; b <= 40; b++) {
      if (b === 0) continue;
      for (const frac of [-3, 0, 1, 4]) {
        const got = divQ(a, b, frac);
        assert.ok(Object.is(got, divRef(a, b, frac)), `divQ(${a}, ${b}, ${frac}) = ${got}`);
      }
    }
  }
  assert.equal(divQ(5, 2, 0), 3);
  assert.equal(divQ(-5, 2, 0), -2, 'negative tie rounds up');
  assert.equal(divQ(5, -2, 0), -2);
  assert.equal(divQ(-5, -2, 0), 3);
  assert.equal(divQ(1, 3, 8), 85);
  const r = rng(53);
  for (let i = 0; i < 30000; i++) {
    const frac = randInt(r, -8, 30);
    const aMax = Math.floor((2 ** 52 - 1) / 2 ** Math.max(0, frac));
    const a = randInt(r, -aMax, aMax);
    const bMax = Math.floor((2 ** 52 - 1) / 2 ** Math.max(0, -frac));
    const b = randInt(r, 1, [100, 2 ** 20, bMax][i % 3]!) * (r() < 0.5 ? -1 : 1);
    assert.equal(divQ(a, b, frac), divRef(a, b, frac), `divQ(${a}, ${b}, ${frac})`);
  }
  for (let i = 0; i < 10000; i++) {
    // exact ties with large operands: num = k*b + b/2
    const b = 2 * randInt(r, 1, 2 ** 25);
    const k = randInt(r, -(2 ** 25), 2 ** 25);
    const a = k * b + b / 2;
    assert.equal(divQ(a, b, 0), k + 1, `tie ${a}/${b}`);
    assert.equal(divQ(a, b, 0), divRef(a, b, 0));
  }
  assert.throws(() => divQ(1, 0, 4, { node: 'gdn' }), (e: unknown) => e instanceof FxpError && /by zero/.test(e.message) && e.node === 'gdn');
});
