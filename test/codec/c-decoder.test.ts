/**
 * The C decoder against the TS one: streams from the TS encoder, intact and
 * damaged, must decode to the same integers or fail with the same kind of error;
 * fxpc_scale_index must equal scaleIndex. Skipped without a C compiler.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { quantizedCdf } from '../../src/codec/cdf.js';
import { C_DECODER_FILES, C_DECODER_SOURCE_NAME } from '../../src/codec/c-decoder.js';
import { gaussianTables, scaleTable } from '../../src/codec/gaussian.js';
import { RansDecoder, RansEncoder } from '../../src/codec/rans.js';
import { scaleIndex, scaleThresholds } from '../../src/codec/scale-index.js';
import { decodeSymbols, encodeSymbols } from '../../src/codec/symbols.js';
import type { CodingTables } from '../../src/codec/tables.js';
import { FxpError } from '../../src/errors.js';
import { COMPILERS, NO_COMPILER, compileC, tempDir } from '../export/c-tools.js';
import { randInt, rng } from './helpers.js';

const SCALES = scaleTable();
const GAUSS = gaussianTables(SCALES);
/** The Gaussian tables and two far from zero, where escapes reach 31-bit gamma prefixes. */
const FAR_CDF = quantizedCdf([0.3, 0.3, 0.3], 0.1);
const TABLES: CodingTables = {
  offsets: Int32Array.from([...GAUSS.offsets, 2 ** 30, -(2 ** 30) - 5]),
  lengths: Int32Array.from([...GAUSS.lengths, 3, 3]),
  cdfs: [...GAUSS.cdfs, FAR_CDF, FAR_CDF],
};
const FAR = 64;
const THRESHOLDS = scaleThresholds(SCALES, 12);

/** Reads tables, thresholds and queries, then cases (index, stream); writes rc and values per case. */
const HARNESS = `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fxpc_decode.h"

static const uint8_t *in;
static size_t in_len, in_pos;

static uint32_t u32(void) {
  uint32_t v;
  if (in_len - in_pos < 4) exit(3);
  v = (uint32_t)in[in_pos] | ((uint32_t)in[in_pos + 1] << 8) | ((uint32_t)in[in_pos + 2] << 16) | ((uint32_t)in[in_pos + 3] << 24);
  in_pos += 4;
  return v;
}

static int32_t i32(void) {
  const uint32_t u = u32();
  return u >= 0x80000000u ? -(int32_t)(~u) - 1 : (int32_t)u;
}

static void put_i32(int32_t v) {
  const uint32_t u = (uint32_t)v;
  putchar((int)(u & 0xffu));
  putchar((int)((u >> 8) & 0xffu));
  putchar((int)((u >> 16) & 0xffu));
  putchar((int)(u >> 24));
}

int main(int argc, char **argv) {
  FILE *f;
  long size;
  uint8_t *buf;
  uint32_t count, t, j, nthr, nq, ncases, c;
  int32_t *offsets, *lengths, *thr;
  uint32_t **cdfs;
  fxpc_tables tables;
  if (argc != 2 || (f = fopen(argv[1], "rb")) == NULL) return 2;
  fseek(f, 0, SEEK_END);
  size = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = (uint8_t *)malloc((size_t)size);
  if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size) return 2;
  fclose(f);
  in = buf;
  in_len = (size_t)size;
  in_pos = 0;
  count = u32();
  offsets = (int32_t *)malloc(count * sizeof(int32_t));
  lengths = (int32_t *)malloc(count * sizeof(int32_t));
  cdfs = (uint32_t **)malloc(count * sizeof(uint32_t *));
  for (t = 0; t < count; t++) {
    offsets[t] = i32();
    lengths[t] = i32();
    cdfs[t] = (uint32_t *)malloc(((size_t)lengths[t] + 2u) * sizeof(uint32_t));
    for (j = 0; j < (uint32_t)lengths[t] + 2u; j++) cdfs[t][j] = u32();
  }
  tables.count = count;
  tables.offsets = offsets;
  tables.lengths = lengths;
  tables.cdfs = (const uint32_t *const *)cdfs;
  nthr = u32();
  thr = (int32_t *)malloc((nthr + 1u) * sizeof(int32_t));
  for (j = 0; j < nthr; j++) thr[j] = i32();
  nq = u32();
  for (j = 0; j < nq; j++) put_i32((int32_t)fxpc_scale_index(i32(), thr, nthr));
  ncases = u32();
  for (c = 0; c < ncases; c++) {
    const uint32_t n = u32();
    int32_t *idx = (int32_t *)malloc((n + 1u) * sizeof(int32_t));
    int32_t *out = (int32_t *)malloc((n + 1u) * sizeof(int32_t));
    uint32_t len;
    fxpc_rans_dec d;
    int rc;
    for (j = 0; j < n; j++) idx[j] = i32();
    len = u32();
    if (in_len - in_pos < len) return 3;
    rc = fxpc_rans_init(&d, in + in_pos, len);
    in_pos += len;
    if (rc == FXPC_OK) rc = fxpc_decode_symbols(&d, &tables, idx, out, n);
    if (rc == FXPC_OK) rc = fxpc_rans_finish(&d);
    put_i32(rc);
    if (rc == FXPC_OK) for (j = 0; j < n; j++) put_i32(out[j]);
    free(idx);
    free(out);
  }
  return 0;
}
`;

interface Case {
  index: Int32Array;
  bytes: Uint8Array;
}

/** TS reference: 0 and the values, or the error code of the first failure. */
function decodeTs(c: Case): { rc: number; values?: Int32Array } {
  try {
    const dec = new RansDecoder(c.bytes);
    const values = decodeSymbols(dec, c.index, TABLES);
    dec.finish();
    return { rc: 0, values };
  } catch (err) {
    if (!(err instanceof FxpError)) throw err;
    if (err.message.startsWith('truncated bitstream')) return { rc: 1 };
    if (err.message.startsWith('corrupt bitstream')) return { rc: 2 };
    throw err;
  }
}

function u32le(values: Iterable<number>): number[] {
  const out: number[] = [];
  for (const v of values) out.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  return out;
}

function harnessInput(tables: CodingTables, queries: Int32Array, cases: readonly Case[]): Uint8Array {
  const parts: number[] = [...u32le([tables.cdfs.length])];
  tables.cdfs.forEach((cdf, t) => parts.push(...u32le([tables.offsets[t]!, tables.lengths[t]!, ...cdf])));
  parts.push(...u32le([THRESHOLDS.length, ...THRESHOLDS, queries.length, ...queries, cases.length]));
  for (const c of cases) parts.push(...u32le([c.index.length, ...c.index, c.bytes.length]), ...c.bytes);
  return Uint8Array.from(parts);
}

function makeCases(): Case[] {
  const rand = rng(51);
  const cases: Case[] = [];
  for (let k = 0; k < 60; k++) {
    const n = k === 0 ? 4 : randInt(rand, 0, 300);
    const index = Int32Array.from({ length: n }, () => randInt(rand, 0, FAR + 1));
    const values = Int32Array.from(index, (t) => {
      const r = rand();
      if (r < 0.05 || t >= FAR) return (rand() < 0.5 ? -1 : 1) * Math.floor(2 ** (31 * rand()));
      return Math.round((rand() - 0.5) * 8 * SCALES[t]!);
    });
    if (k === 0) {
      // The widest escapes: e = 2^31 + 2^30 - 1 and 2^31 + 2^30 + 1, 31 prefix zeros.
      index.set([FAR, FAR + 1, 0, 63]);
      values.set([-(2 ** 31), 2 ** 31 - 1, -(2 ** 31), 2 ** 31 - 1]);
    }
    const enc = new RansEncoder();
    encodeSymbols(enc, values, index, TABLES);
    const bytes = enc.finish();
    cases.push({ index, bytes });
    // Damaged copies: truncated, bit-flipped, random bytes of the same length.
    cases.push({ index, bytes: bytes.subarray(0, randInt(rand, 0, bytes.length)) });
    for (let m = 0; m < 4; m++) {
      const flipped = bytes.slice();
      const i = randInt(rand, 0, flipped.length - 1);
      flipped[i] = flipped[i]! ^ (1 << randInt(rand, 0, 7));
      cases.push({ index, bytes: flipped });
    }
    cases.push({ index, bytes: Uint8Array.from(bytes, () => randInt(rand, 0, 255)) });
  }
  return [...cases, ...forgedCases()];
}

/** Hand-made streams for the decoder's bounds. */
function forgedCases(): Case[] {
  const escape = (write: (enc: RansEncoder) => void, table = FAR): Case => {
    const enc = new RansEncoder();
    enc.put(TABLES.cdfs[table]!, TABLES.lengths[table]!);
    write(enc);
    return { index: Int32Array.from([table]), bytes: enc.finish() };
  };
  const gamma = (above: number, zeros: number, rest: number, restBits = zeros) => (enc: RansEncoder) => {
    enc.putBypass(above, 1);
    for (let i = 0; i < zeros; i++) enc.putBypass(0, 1);
    enc.putBypass(1, 1);
    enc.putBypass(rest, restBits);
  };
  const valid = escape(gamma(0, 31, 2 ** 30)); // m = 2^31 + 2^30: v = 2^30 - m = -2^31
  return [
    valid, // the widest valid escape: -2^31
    escape(gamma(0, 31, 2 ** 30 + 1)), // one further down: beyond int32
    escape(gamma(1, 31, 0)), // above 2^30 + 3 by 2^31 - 1: beyond int32
    escape(gamma(1, 40, 0, 0)), // a 40-bit prefix
    escape(gamma(1, 32, 0, 0)), // a 32-bit prefix, the first too long
    escape(gamma(0, 3, 5), 10), // a short escape of a Gaussian table
    { index: new Int32Array(0), bytes: Uint8Array.from([0, 0, 1, 0]) }, // empty, valid
    { index: new Int32Array(0), bytes: Uint8Array.from([0xff, 0xff, 0, 0]) }, // initial state below 2^16
    { index: new Int32Array(0), bytes: Uint8Array.from([0, 0, 1, 0, 0]) }, // trailing byte
    { index: valid.index, bytes: Uint8Array.from([...valid.bytes, 7, 7]) }, // trailing word
    { index: valid.index, bytes: valid.bytes.subarray(0, valid.bytes.length - 1) }, // half a word
  ];
}

/** Checks a harness run: the scale indices, then per case the return code and values. */
function checkRun(label: string, r: SpawnSyncReturns<Buffer>, queries: Int32Array, expected: readonly { rc: number; values?: Int32Array }[]): void {
  assert.equal(r.status, 0, `${label} harness exited with ${r.status}: ${String(r.stderr)}`);
  const stdout = r.stdout;
  const out = new DataView(stdout.buffer, stdout.byteOffset, stdout.byteLength);
  let at = 0;
  const next = (): number => {
    const v = out.getInt32(at, true);
    at += 4;
    return v;
  };
  queries.forEach((q) => assert.equal(next(), scaleIndex(q, THRESHOLDS), `${label}: scale index of ${q}`));
  expected.forEach((e, k) => {
    assert.equal(next(), e.rc, `${label}: case ${k} return code`);
    if (e.values !== undefined) assert.deepEqual(Int32Array.from(e.values, () => next()), e.values, `${label}: case ${k} values`);
  });
  assert.equal(at, stdout.byteLength, `${label}: harness output length`);
}

test('C decoder decodes TS streams, intact and damaged, exactly as the TS decoder', { skip: NO_COMPILER }, (t) => {
  const cases = makeCases();
  const rand = rng(52);
  const queries = Int32Array.from({ length: 2000 }, (_, i) => (i < 4 ? [-(2 ** 31), 2 ** 31 - 1, 0, THRESHOLDS[5]!][i]! : Math.round(2 ** (6 + 16 * rand()))));
  const dir = tempDir('codec');
  for (const f of C_DECODER_FILES) writeFileSync(join(dir, f.name), f.text);
  writeFileSync(join(dir, 'harness.c'), HARNESS);
  const input = join(dir, 'input.bin');
  writeFileSync(input, harnessInput(TABLES, queries, cases));
  const expected = cases.map(decodeTs);
  assert.ok(expected.filter((e) => e.rc === 0).length >= 62, 'the intact streams decode in TS');
  assert.deepEqual(expected.slice(-11).map((e) => e.rc), [0, 2, 2, 2, 2, 0, 0, 2, 2, 2, 1]);
  assert.equal(expected.at(-11)?.values?.[0], -(2 ** 31));
  assert.ok(expected.some((e) => e.rc === 1) && expected.some((e) => e.rc === 2), 'both error kinds occur');
  for (const cc of COMPILERS) {
    const exe = compileC(cc, dir, ['harness.c', C_DECODER_SOURCE_NAME], `harness_${cc}`);
    checkRun(cc, spawnSync(exe, [input], { maxBuffer: 1 << 26 }), queries, expected);
  }
  // The damaged streams once more under AddressSanitizer and UBSan, where available.
  const cc = COMPILERS[0]!;
  const san = spawnSync(cc, ['-std=c99', '-O1', '-g', '-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-o', 'harness_san', 'harness.c', C_DECODER_SOURCE_NAME], { cwd: dir, encoding: 'utf8' });
  if (san.status !== 0) {
    t.diagnostic(`no sanitizer build with ${cc}: ${san.stderr.slice(0, 200)}`);
    return;
  }
  const env = { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' };
  checkRun(`${cc} -fsanitize`, spawnSync(join(dir, 'harness_san'), [input], { maxBuffer: 1 << 26, env }), queries, expected);
});
