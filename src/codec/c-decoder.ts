/**
 * The decode path of the entropy coder as C99 source: rANS decoding, bypass bits,
 * symbols with escapes, and the scale-table lookup. It is the same algorithm as
 * rans.ts, symbols.ts and scale-index.ts, statement for statement, in uint32_t
 * (products: f <= 2^16 times x >> 16 < 2^16 stay below 2^32) and int64_t (escaped
 * values), so it decodes the TS encoder's streams to the same integers and fails
 * on the same inputs with the same kind of error (test/codec/c-decoder.test.ts).
 *
 * Errors are sticky: after the first one every call returns 0 and changes
 * nothing, and the caller reads the code from the return value or `d->err`.
 * FXPC_TRUNCATED and FXPC_CORRUPT match the TS FxpErrors whose messages start
 * with "truncated bitstream" and "corrupt bitstream". Tables are trusted: load
 * them through the same checks as validateTables.
 */
import type { CSourceFile } from '../export/c/generate.js';

export const C_DECODER_HEADER_NAME = 'fxpc_decode.h';
export const C_DECODER_SOURCE_NAME = 'fxpc_decode.c';

export const C_DECODER_HEADER = `/* fxpnet entropy decoder (generated from src/codec/c-decoder.ts; do not edit). */
#ifndef FXPC_DECODE_H
#define FXPC_DECODE_H

#include <stddef.h>
#include <stdint.h>

enum { FXPC_OK = 0, FXPC_TRUNCATED = 1, FXPC_CORRUPT = 2, FXPC_BAD_TABLE = 3 };

/* rANS state: x in [2^16, 2^32), reading 16-bit little-endian words from buf[pos, end). */
typedef struct {
  const uint8_t *buf;
  size_t pos;
  size_t end;
  uint32_t x;
  int err;
} fxpc_rans_dec;

/* Table t codes offsets[t] .. offsets[t] + lengths[t] - 1; cdfs[t] has lengths[t] + 2
   entries (the last symbol is the escape), cdf[0] = 0, strictly increasing, 65536 last. */
typedef struct {
  uint32_t count;
  const int32_t *offsets;
  const int32_t *lengths;
  const uint32_t *const *cdfs;
} fxpc_tables;

int fxpc_rans_init(fxpc_rans_dec *d, const uint8_t *buf, size_t len);
uint32_t fxpc_rans_get(fxpc_rans_dec *d, const uint32_t *cdf, uint32_t nsym);
uint32_t fxpc_rans_get_bypass(fxpc_rans_dec *d, unsigned bits);
int fxpc_rans_finish(const fxpc_rans_dec *d);
int fxpc_decode_symbols(fxpc_rans_dec *d, const fxpc_tables *t, const int32_t *table_index, int32_t *out, size_t n);
uint32_t fxpc_scale_index(int32_t q, const int32_t *thresholds, uint32_t n);

#endif
`;

export const C_DECODER_SOURCE = `/* fxpnet entropy decoder (generated from src/codec/c-decoder.ts; do not edit). */
#include "fxpc_decode.h"

#define FXPC_RANS_L 65536u

/* The next 16-bit word; past the end: FXPC_TRUNCATED. Invariant: pos <= end. */
static uint32_t fxpc_word(fxpc_rans_dec *d) {
  uint32_t w;
  if (d->err != FXPC_OK) return 0;
  if (d->end - d->pos < 2) {
    d->err = FXPC_TRUNCATED;
    return 0;
  }
  w = (uint32_t)d->buf[d->pos] | ((uint32_t)d->buf[d->pos + 1] << 8);
  d->pos += 2;
  return w;
}

int fxpc_rans_init(fxpc_rans_dec *d, const uint8_t *buf, size_t len) {
  uint32_t lo, hi;
  d->buf = buf;
  d->pos = 0;
  d->end = len;
  d->x = 0;
  d->err = FXPC_OK;
  if (len < 4) {
    d->err = FXPC_TRUNCATED;
    return d->err;
  }
  lo = fxpc_word(d);
  hi = fxpc_word(d);
  d->x = lo | (hi << 16);
  if (d->x < FXPC_RANS_L) d->err = FXPC_CORRUPT;
  return d->err;
}

/* x = f * (x >> 16) + slot - c < f * ((x >> 16) + 1) <= 2^32, then at most one word. */
static void fxpc_advance(fxpc_rans_dec *d, uint32_t slot, uint32_t c, uint32_t f) {
  uint32_t x = f * (d->x >> 16) + slot - c;
  if (x < FXPC_RANS_L) x = (x << 16) | fxpc_word(d);
  d->x = x;
}

uint32_t fxpc_rans_get(fxpc_rans_dec *d, const uint32_t *cdf, uint32_t nsym) {
  uint32_t slot, lo = 0, hi = nsym, mid;
  if (d->err != FXPC_OK) return 0;
  slot = d->x & 0xffffu;
  while (hi - lo > 1) {
    mid = (lo + hi) >> 1;
    if (cdf[mid] <= slot) lo = mid;
    else hi = mid;
  }
  fxpc_advance(d, slot, cdf[lo], cdf[lo + 1] - cdf[lo]);
  return lo;
}

/* bits in 1..16: the symbol v with frequency 2^(16-bits) and start v * 2^(16-bits). */
static uint32_t fxpc_uniform(fxpc_rans_dec *d, unsigned bits) {
  const unsigned shift = 16u - bits;
  uint32_t slot, v;
  if (d->err != FXPC_OK) return 0;
  slot = d->x & 0xffffu;
  v = slot >> shift;
  fxpc_advance(d, slot, v << shift, (uint32_t)1 << shift);
  return v;
}

/* bits in 0..32; more than 16 come as the low 16 bits, then the rest. */
uint32_t fxpc_rans_get_bypass(fxpc_rans_dec *d, unsigned bits) {
  uint32_t low;
  if (bits > 16u) {
    low = fxpc_uniform(d, 16u);
    return (fxpc_uniform(d, bits - 16u) << 16) | low;
  }
  return bits > 0u ? fxpc_uniform(d, bits) : 0u;
}

int fxpc_rans_finish(const fxpc_rans_dec *d) {
  if (d->err != FXPC_OK) return d->err;
  if (d->pos != d->end || d->x != FXPC_RANS_L) return FXPC_CORRUPT;
  return FXPC_OK;
}

int fxpc_decode_symbols(fxpc_rans_dec *d, const fxpc_tables *t, const int32_t *table_index, int32_t *out, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    if (table_index[i] < 0 || (uint32_t)table_index[i] >= t->count) return FXPC_BAD_TABLE;
  }
  for (i = 0; i < n; i++) {
    const int32_t ti = table_index[i];
    const uint32_t len = (uint32_t)t->lengths[ti];
    const int64_t offset = t->offsets[ti];
    uint32_t s, above, z = 0, rest;
    int64_t e, v;
    if (d->err != FXPC_OK) return d->err;
    s = fxpc_rans_get(d, t->cdfs[ti], len + 1u);
    if (d->err != FXPC_OK) return d->err;
    if (s < len) {
      out[i] = (int32_t)(offset + (int64_t)s);
      continue;
    }
    above = fxpc_rans_get_bypass(d, 1u);
    if (d->err != FXPC_OK) return d->err;
    for (;;) {
      const uint32_t bit = fxpc_rans_get_bypass(d, 1u);
      if (d->err != FXPC_OK) return d->err;
      if (bit != 0u) break;
      if (++z > 31u) {
        d->err = FXPC_CORRUPT;
        return d->err;
      }
    }
    rest = fxpc_rans_get_bypass(d, z);
    if (d->err != FXPC_OK) return d->err;
    e = ((int64_t)1 << z) + (int64_t)rest - 1;
    v = above != 0u ? offset + (int64_t)len + e : offset - 1 - e;
    if (v < INT32_MIN || v > INT32_MAX) {
      d->err = FXPC_CORRUPT;
      return d->err;
    }
    out[i] = (int32_t)v;
  }
  return d->err;
}

/* The number of thresholds <= q (thresholds non-decreasing): 0 .. n. */
uint32_t fxpc_scale_index(int32_t q, const int32_t *thresholds, uint32_t n) {
  uint32_t lo = 0, hi = n, mid;
  while (lo < hi) {
    mid = lo + (hi - lo) / 2u;
    if (thresholds[mid] <= q) lo = mid + 1u;
    else hi = mid;
  }
  return lo;
}
`;

/** The header and source, for writeCSources or a build of one's own. */
export const C_DECODER_FILES: readonly CSourceFile[] = [
  { name: C_DECODER_HEADER_NAME, text: C_DECODER_HEADER },
  { name: C_DECODER_SOURCE_NAME, text: C_DECODER_SOURCE },
];
