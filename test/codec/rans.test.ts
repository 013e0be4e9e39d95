import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PROB_SCALE, RANS_L, RansDecoder, RansEncoder } from '../../src/codec/rans.js';
import { FxpError } from '../../src/errors.js';
import { randInt, randomCdf, rng, sampleSymbol, toHex } from './helpers.js';

type Op = { cdf: Uint32Array; symbol: number } | { bits: number; value: number };

function encode(ops: readonly Op[]): Uint8Array {
  const enc = new RansEncoder();
  for (const op of ops) {
    if ('cdf' in op) enc.put(op.cdf, op.symbol);
    else enc.putBypass(op.value, op.bits);
  }
  return enc.finish();
}

/** Decodes the ops' shape from bytes and checks every value and the clean end. */
function assertRoundTrip(ops: readonly Op[]): Uint8Array {
  const bytes = encode(ops);
  const dec = new RansDecoder(bytes);
  ops.forEach((op, i) => {
    if ('cdf' in op) assert.equal(dec.get(op.cdf), op.symbol, `symbol ${i}`);
    else assert.equal(dec.getBypass(op.bits), op.value, `bypass ${i} (${op.bits} bits)`);
  });
  dec.finish();
  return bytes;
}

test('empty stream is the initial state alone and decodes cleanly', () => {
  const bytes = encode([]);
  assert.equal(toHex(bytes), '00000100');
  new RansDecoder(bytes).finish();
});

test('round trips random tables, symbols and bypass values', () => {
  const rand = rng(1);
  for (let trial = 0; trial < 200; trial++) {
    const cdfs = Array.from({ length: randInt(rand, 1, 5) }, () => randomCdf(rand, randInt(rand, 1, trial % 10 === 0 ? 3000 : 40)));
    const ops: Op[] = [];
    for (let i = randInt(rand, 0, 300); i > 0; i--) {
      if (rand() < 0.2) {
        const bits = randInt(rand, 0, 32);
        ops.push({ bits, value: Math.floor(rand() * 2 ** bits) });
      } else {
        const cdf = cdfs[randInt(rand, 0, cdfs.length - 1)]!;
        ops.push({ cdf, symbol: randInt(rand, 0, cdf.length - 2) });
      }
    }
    const bytes = assertRoundTrip(ops);
    assert.equal(bytes.length % 2, 0);
  }
});

test('single symbol of a one-symbol table costs nothing', () => {
  const only = Uint32Array.from([0, PROB_SCALE]);
  const bytes = assertRoundTrip(Array.from({ length: 1000 }, () => ({ cdf: only, symbol: 0 })));
  assert.equal(bytes.length, 4);
  assertRoundTrip([{ cdf: Uint32Array.from([0, 1, PROB_SCALE]), symbol: 1 }]);
});

test('highly skewed tables: frequency-1 symbols at both ends and in the middle', () => {
  const skew = Uint32Array.from([0, 1, 2, PROB_SCALE - 1, PROB_SCALE]);
  const rand = rng(2);
  const ops: Op[] = Array.from({ length: 5000 }, () => ({ cdf: skew, symbol: rand() < 0.1 ? randInt(rand, 0, 3) : 2 }));
  ops.push({ cdf: skew, symbol: 0 }, { cdf: skew, symbol: 3 }, { cdf: skew, symbol: 1 });
  assertRoundTrip(ops);
  // A run of improbable symbols: 16 bits each, one word per symbol.
  const bytes = assertRoundTrip(Array.from({ length: 100 }, () => ({ cdf: skew, symbol: 0 })));
  assert.ok(bytes.length >= 200 && bytes.length <= 204, `${bytes.length} bytes`);
});

test('bypass values of every width 1..32, extremes included, cost exactly their bits', () => {
  const ops: Op[] = [];
  for (let bits = 1; bits <= 32; bits++) ops.push({ bits, value: 0 }, { bits, value: 2 ** bits - 1 }, { bits, value: 2 ** (bits - 1) });
  assertRoundTrip(ops);
  // 16 x 16 bits = 256 bits = 32 bytes, plus the state.
  const bytes = assertRoundTrip(Array.from({ length: 16 }, (_, i) => ({ bits: 16, value: i * 4099 })));
  assert.equal(bytes.length, 32 + 4);
});

test('long stream: 1e5 symbols within 1% + 8 bytes of their information content', () => {
  const rand = rng(3);
  const cdfs = [randomCdf(rand, 2), randomCdf(rand, 16), randomCdf(rand, 300), Uint32Array.from([0, 60000, 65000, 65535, PROB_SCALE])];
  const ops: Op[] = [];
  let info = 0;
  for (let i = 0; i < 100_000; i++) {
    const cdf = cdfs[i % cdfs.length]!;
    const symbol = sampleSymbol(rand, cdf);
    ops.push({ cdf, symbol });
    info += -Math.log2((cdf[symbol + 1]! - cdf[symbol]!) / PROB_SCALE);
  }
  const bytes = assertRoundTrip(ops);
  const bound = (info / 8) * 1.01 + 8;
  assert.ok(bytes.length <= bound, `${bytes.length} bytes > ${bound.toFixed(0)} (information ${(info / 8).toFixed(0)} bytes)`);
  assert.ok(bytes.length * 8 >= info - 64, `${bytes.length} bytes beat the information content ${(info / 8).toFixed(0)}`);
});

test('golden stream: the encoder output for fixed inputs does not change', () => {
  const cdf = Uint32Array.from([0, 1000, 40000, 65000, PROB_SCALE]);
  const ops: Op[] = [
    { cdf, symbol: 1 },
    { cdf, symbol: 0 },
    { bits: 5, value: 19 },
    { cdf, symbol: 3 },
    { cdf, symbol: 2 },
    { bits: 32, value: 0xdeadbeef },
    { cdf, symbol: 1 },
    { cdf, symbol: 0 },
  ];
  assert.equal(toHex(assertRoundTrip(ops)), GOLDEN);
});
// Also produced by an independent 15-line Python model of the layout in rans.ts.
const GOLDEN = 'a6539107effdadde8828';

test('put and putBypass reject what they cannot code', () => {
  const enc = new RansEncoder();
  const cdf = Uint32Array.from([0, 100, 100, PROB_SCALE]);
  assert.throws(() => enc.put(cdf, 3), FxpError);
  assert.throws(() => enc.put(cdf, -1), FxpError);
  assert.throws(() => enc.put(cdf, 1), /invalid cdf interval/);
  assert.throws(() => enc.putBypass(8, 3), FxpError);
  assert.throws(() => enc.putBypass(1, 33), FxpError);
  assert.throws(() => enc.putBypass(0.5, 3), FxpError);
  assert.throws(() => new RansDecoder(new Uint8Array(4)).getBypass(-1), FxpError);
});

test('decoder errors: truncation, bad initial state, leftover bytes, wrong final state', () => {
  const cdf = Uint32Array.from([0, 1, PROB_SCALE]);
  const bytes = encode(Array.from({ length: 10 }, () => ({ cdf, symbol: 0 })));
  assert.throws(() => new RansDecoder(bytes, 0, 3), /truncated bitstream/);
  assert.throws(() => new RansDecoder(bytes, 2, 1), FxpError);
  assert.throws(() => new RansDecoder(bytes, 0, bytes.length + 1), FxpError);
  assert.throws(() => new RansDecoder(Uint8Array.from([0xff, 0xff, 0, 0])), /corrupt bitstream: initial rANS state/);
  const cut = new RansDecoder(bytes, 0, bytes.length - 2);
  assert.throws(() => {
    for (let i = 0; i < 10; i++) cut.get(cdf);
  }, /truncated bitstream/);
  const early = new RansDecoder(bytes);
  early.get(cdf);
  assert.throws(() => early.finish(), /corrupt bitstream: \d+ bytes left/);
  const state = new RansDecoder(Uint8Array.from([0x01, 0x00, 0x01, 0x00]));
  assert.throws(() => state.finish(), /final rANS state 65537/);
  assert.throws(() => new RansDecoder(bytes, 0, bytes.length, { file: 'x.fxpc' }).finish(), /file 'x\.fxpc'/);
  assert.equal(RANS_L, 2 ** 16);
});

test('hostile bytes: decoding random data with random tables throws FxpError or returns, always ends', () => {
  const rand = rng(4);
  let decoded = 0;
  let failed = 0;
  for (let trial = 0; trial < 2000; trial++) {
    const bytes = Uint8Array.from({ length: randInt(rand, 0, 64) }, () => randInt(rand, 0, 255));
    const cdf = randomCdf(rand, randInt(rand, 1, 50));
    try {
      const dec = new RansDecoder(bytes);
      for (let i = randInt(rand, 0, 80); i > 0; i--) {
        if (rand() < 0.3) {
          const v = dec.getBypass(randInt(rand, 0, 32));
          assert.ok(Number.isInteger(v) && v >= 0 && v < 2 ** 32);
        } else {
          const s = dec.get(cdf);
          assert.ok(Number.isInteger(s) && s >= 0 && s < cdf.length - 1);
        }
      }
      dec.finish();
      decoded++;
    } catch (err) {
      if (!(err instanceof FxpError)) throw err;
      assert.match(err.message, /truncated bitstream|corrupt bitstream/);
      failed++;
    }
  }
  assert.ok(failed > 1000, `only ${failed} of 2000 random streams were rejected`);
  assert.ok(decoded + failed === 2000);
});
