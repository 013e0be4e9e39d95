/**
 * The C generator's pure parts: the output hash (known FNV-1a 64 vectors and a
 * BigInt reference), C literals and identifiers, and the static memory plan (no two
 * values alive at once share bytes; a chain reuses memory).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cConstArray, cIdent, cInt, narrowestType } from '../../src/export/c/c-text.js';
import { fnv1a64, int32LeBytes, outputHash } from '../../src/export/c/hash.js';
import { ARENA_WIDTH, planMemory } from '../../src/export/c/memory.js';
import { prepareEngine, bindPlan } from '../../src/engine/plan.js';
import { sizeOf } from '../../src/tensor.js';
import { ALL_OPS, Rng, randomGraph } from '../engine/random-graph.js';

function fnvRef(bytes: Uint8Array): string {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}

test('fnv1a64: published vectors and a BigInt reference', () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  assert.equal(fnv1a64(enc('')), 'cbf29ce484222325');
  assert.equal(fnv1a64(enc('a')), 'af63dc4c8601ec8c');
  assert.equal(fnv1a64(enc('foobar')), '85944171f73967e8');
  const r = new Rng(1);
  for (let n = 0; n < 200; n += 7) {
    const bytes = Uint8Array.from({ length: n * 13 }, () => r.int(0, 255));
    assert.equal(fnv1a64(bytes), fnvRef(bytes));
  }
});

test('output bytes are little-endian int32, outputs concatenated', () => {
  const bytes = int32LeBytes([Int32Array.of(1, -2), Int32Array.of(-2147483648)]);
  assert.deepEqual(Array.from(bytes), [1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0, 0, 0, 0x80]);
  assert.equal(outputHash([Int32Array.of(1, -2), Int32Array.of(-2147483648)]), fnvRef(bytes));
});

test('C literals, identifiers and array types', () => {
  assert.equal(cInt(-2147483648), '(-2147483647 - 1)');
  assert.equal(cInt(-0), '0');
  assert.equal(cInt(2 ** 40, 'int64_t'), '1099511627776');
  assert.throws(() => cInt(2 ** 31), /does not fit int32_t/);
  assert.throws(() => cInt(0.5), /does not fit/);
  assert.equal(cIdent('lrs-8.bit'), 'lrs_8_bit');
  assert.equal(cIdent('8bit'), 'm_8bit');
  assert.equal(cIdent('/conv1/Conv'), 'conv1_Conv');
  assert.equal(cIdent('__'), 'model');
  assert.equal(narrowestType([-128, 127]), 'int8_t');
  assert.equal(narrowestType([0, 255]), 'int16_t');
  assert.equal(narrowestType([0, 255], true), 'uint8_t');
  assert.equal(narrowestType([-1, 40000]), 'int32_t');
  assert.match(cConstArray('t', 'int8_t', [], 'empty'), /static const int8_t t\[1\] = \{\n {2}0,\n\};/);
});

test('memory plan: values alive at the same time never share bytes, and memory is reused', () => {
  let reused = 0;
  for (let i = 0; i < 120; i++) {
    const c = randomGraph(4099 * i + 5, ALL_OPS[i % ALL_OPS.length]!, { wide: i % 5 === 4 });
    let plan;
    try {
      plan = prepareEngine(c.fx);
    } catch {
      continue;
    }
    const shapes = bindPlan(plan, c.inputs.map((t) => t.shape)).shapes;
    const sizes = shapes.map((s) => sizeOf(s));
    const mem = planMemory(c.fx, sizes, plan.lastUse);
    const items = c.fx.nodes.flatMap((n, k) => {
      const id = n.outputs[0]!;
      const p = mem.placements[id];
      if (p?.kind !== 'arena') return [];
      return [{ id, width: ARENA_WIDTH[p.type], lo: p.offset, hi: p.offset + sizes[id]!, start: k, end: Math.max(k, plan.lastUse[id]!) }];
    });
    for (const a of items) {
      assert.ok(a.hi <= mem.arenaElements[a.width], `graph ${i}: value ${a.id} beyond its arena`);
      for (const b of items) {
        if (a === b || a.width !== b.width || a.start > b.end || b.start > a.end) continue;
        assert.ok(a.hi <= b.lo || b.hi <= a.lo, `graph ${i}: values ${a.id} and ${b.id} are alive together and overlap`);
      }
    }
    const total = items.reduce((s, x) => s + x.hi - x.lo, 0);
    if (items.length > 0 && Math.max(...Object.values(mem.arenaElements)) < total) reused++;
  }
  assert.ok(reused > 10, `memory reused in only ${reused} graphs`);
});
