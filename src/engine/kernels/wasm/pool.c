/*
 * fxpnet pooling kernels (MaxPool, AveragePool, GlobalMaxPool,
 * GlobalAveragePool) for wasm32 + SIMD128; see kernels.h and pool.ts. One
 * export, `pool_rows`, its mode word picking the op. Rows are output rows
 * (plane*oh + oy, plane = img*C + ch) for the windowed pools and planes for the
 * global ones, split across threads.
 *
 * Equal bit for bit to ../ref/max-pool.ts, average-pool.ts, global-pool.ts:
 *   max:  y = sat(roundShift(max over the window's input cells, s)); no cell: EMPTY (qmin)
 *   mean: y = sat(floorDiv(2*sum*2^a + count*2^b, 2*count*2^b)); count 0: 0
 * The tap ranges (ry, rx) and divisors (cnt) are the reference's own tables,
 * computed at bind time. The pool.ts conditions: max values proven int32 with
 * -31 <= s <= 31; windowed means in int32 throughout when the reference proves
 * its bound int32 (WIDE = 0), else int64 (the bound is below 2^53); global means
 * always sum in int64.
 */
#include "kernels.h"

enum { POOL_MAX, POOL_AVG, POOL_GMAX, POOL_GAVG };

static inline int32_t sat32(int64_t v, int32_t lo, int32_t hi) {
  return (int32_t)(v < lo ? lo : v > hi ? hi : v);
}

/* floorDiv(2*sum*2^a + den, 2*den), den = count*2^b, clamped; int64 (|numerator| < 2^53). */
static inline int32_t mean64(int64_t sum, int32_t count, int32_t a, int32_t b, int32_t lo, int32_t hi) {
  if (count == 0) return 0;
  const int64_t den = (int64_t)count * ((int64_t)1 << b);
  const int64_t num = 2 * sum * ((int64_t)1 << a) + den, d = 2 * den;
  int64_t q = num / d;
  if (num % d < 0) q--;
  return sat32(q, lo, hi);
}

/* The same in int32 (the reference proved the numerator below 2^31). */
static inline int32_t mean32(int32_t sum, int32_t count, int32_t a, int32_t b, int32_t lo, int32_t hi) {
  if (count == 0) return 0;
  const int32_t den = count << b;
  const int32_t num = 2 * sum * (1 << a) + den, d = 2 * den;
  int32_t q = num / d;
  if (num % d < 0) q--;
  return q < lo ? lo : q > hi ? hi : q;
}

/* sat(roundShift(v, s)) on 4 lanes, -31 <= s <= 31, the shifted value proven int32 (as add_rows). */
static inline v128_t shift_sat4(v128_t v, int32_t s, v128_t vlo, v128_t vhi) {
  if (s > 0) {
    const v128_t u = wasm_i32x4_shr(v, s - 1);
    v = wasm_i32x4_add(wasm_i32x4_shr(u, 1), wasm_v128_and(u, wasm_i32x4_splat(1)));
  } else if (s < 0) {
    v = wasm_i32x4_mul(v, wasm_i32x4_splat((int32_t)(1u << -s)));
  }
  return wasm_i32x4_min(wasm_i32x4_max(v, vlo), vhi);
}

/*
 * One tap of 4 consecutive output columns: p is the tap's cell for the first
 * column, the others lie sw cells apart. Stride 1 reads 4 contiguous cells,
 * stride 2 cells 0, 2, 4, 6 of two overlapping loads [0, 4) and [3, 7) (never
 * past the last tap), other strides gather lanes.
 */
static inline v128_t taps4(const int32_t *p, int32_t sw) {
  if (sw == 1) return wasm_v128_load(p);
  if (sw == 2) return wasm_i32x4_shuffle(wasm_v128_load(p), wasm_v128_load(p + 3), 0, 2, 5, 7);
  return wasm_i32x4_make(p[0], p[sw], p[2 * sw], p[3 * sw]);
}

static void window_row(const int32_t *P, int32_t r) {
  const int32_t *x = (const int32_t *)P[Q_X];
  int32_t *out = (int32_t *)P[Q_OUT];
  const int32_t mode = P[Q_MODE], h = P[Q_H], w = P[Q_W], oh = P[Q_OH], ow = P[Q_OW], kw = P[Q_KW];
  const int32_t sh = P[Q_SH], sw = P[Q_SW], dh = P[Q_DH], dw = P[Q_DW], pt = P[Q_PT], pl = P[Q_PL];
  const int32_t *ry = (const int32_t *)P[Q_RY], *rx = (const int32_t *)P[Q_RX], *cnt = (const int32_t *)P[Q_CNT];
  const int32_t s = P[Q_S], lo = P[Q_LO], hi = P[Q_HI], empty = P[Q_EMPTY], a = P[Q_A], b = P[Q_B], wide = P[Q_WIDE];
  const int32_t ix0 = P[Q_IX0], ix1 = P[Q_IX1];
  const int32_t plane = r / oh, oy = r % oh, y0 = oy * sh - pt;
  const int32_t ky0 = ry[2 * oy], ky1 = ry[2 * oy + 1];
  const int32_t *xp = x + plane * h * w;
  const int32_t *c = cnt ? cnt + oy * ow : 0;
  int32_t *o = out + r * ow;
  const v128_t vlo = wasm_i32x4_splat(lo), vhi = wasm_i32x4_splat(hi);
  int32_t ox = 0;
  while (ox < ow) {
    /* Interior: 4 outputs whose windows lie inside the row horizontally (rx = [0, kw)). */
    if (ox >= ix0 && ox + 4 <= ix1 && ky0 < ky1 && !(mode == POOL_AVG && wide)) {
      const int32_t x0 = ox * sw - pl;
      v128_t acc = mode == POOL_MAX ? wasm_i32x4_splat(INT32_MIN) : wasm_i32x4_splat(0);
      for (int32_t ky = ky0; ky < ky1; ky++) {
        const int32_t *row = xp + (y0 + ky * dh) * w + x0;
        for (int32_t kx = 0; kx < kw; kx++) {
          const v128_t v = taps4(row + kx * dw, sw);
          acc = mode == POOL_MAX ? wasm_i32x4_max(acc, v) : wasm_i32x4_add(acc, v);
        }
      }
      if (mode == POOL_MAX) {
        wasm_v128_store(o + ox, shift_sat4(acc, s, vlo, vhi));
      } else {
        o[ox] = mean32(wasm_i32x4_extract_lane(acc, 0), c[ox], a, b, lo, hi);
        o[ox + 1] = mean32(wasm_i32x4_extract_lane(acc, 1), c[ox + 1], a, b, lo, hi);
        o[ox + 2] = mean32(wasm_i32x4_extract_lane(acc, 2), c[ox + 2], a, b, lo, hi);
        o[ox + 3] = mean32(wasm_i32x4_extract_lane(acc, 3), c[ox + 3], a, b, lo, hi);
      }
      ox += 4;
      continue;
    }
    const int32_t x0 = ox * sw - pl, kx0 = rx[2 * ox], kx1 = rx[2 * ox + 1];
    if (mode == POOL_MAX) {
      if (ky0 >= ky1 || kx0 >= kx1) {
        o[ox] = empty;
      } else {
        int32_t m = INT32_MIN;
        for (int32_t ky = ky0; ky < ky1; ky++) {
          const int32_t *row = xp + (y0 + ky * dh) * w + x0;
          for (int32_t kx = kx0; kx < kx1; kx++) m = row[kx * dw] > m ? row[kx * dw] : m;
        }
        o[ox] = sat32(round_shift32(m, s), lo, hi);
      }
    } else {
      int64_t sum = 0;
      for (int32_t ky = ky0; ky < ky1; ky++) {
        const int32_t *row = xp + (y0 + ky * dh) * w + x0;
        for (int32_t kx = kx0; kx < kx1; kx++) sum += row[kx * dw];
      }
      o[ox] = wide ? mean64(sum, c[ox], a, b, lo, hi) : mean32((int32_t)sum, c[ox], a, b, lo, hi);
    }
    ox++;
  }
}

static void global_plane(const int32_t *P, int32_t p) {
  const int32_t *x = (const int32_t *)P[Q_X] + p * P[Q_SIZE];
  int32_t *out = (int32_t *)P[Q_OUT];
  const int32_t n = P[Q_SIZE], s = P[Q_S], lo = P[Q_LO], hi = P[Q_HI];
  int32_t i = 0;
  if (P[Q_MODE] == POOL_GMAX) {
    v128_t m4 = wasm_i32x4_splat(INT32_MIN);
    for (; i + 4 <= n; i += 4) m4 = wasm_i32x4_max(m4, wasm_v128_load(x + i));
    int32_t m = INT32_MIN;
    for (int32_t l = 0; l < 4; l++) {
      const int32_t v = l == 0 ? wasm_i32x4_extract_lane(m4, 0) : l == 1 ? wasm_i32x4_extract_lane(m4, 1) : l == 2 ? wasm_i32x4_extract_lane(m4, 2) : wasm_i32x4_extract_lane(m4, 3);
      m = v > m ? v : m;
    }
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    out[p] = sat32(round_shift32(m, s), lo, hi);
  } else {
    /* int64 lanes: exact for any plane size below 2^31 cells. */
    v128_t s2 = wasm_i64x2_splat(0);
    for (; i + 4 <= n; i += 4) {
      const v128_t v = wasm_v128_load(x + i);
      s2 = wasm_i64x2_add(s2, wasm_i64x2_add(wasm_i64x2_extend_low_i32x4(v), wasm_i64x2_extend_high_i32x4(v)));
    }
    int64_t sum = wasm_i64x2_extract_lane(s2, 0) + wasm_i64x2_extract_lane(s2, 1);
    for (; i < n; i++) sum += x[i];
    out[p] = mean64(sum, n, P[Q_A], P[Q_B], lo, hi);
  }
}

/* Windowed pools: rows r = plane*oh + oy in [r0, r1). Global pools: planes in [r0, r1). */
__attribute__((export_name("pool_rows")))
void pool_rows(const int32_t *P, int32_t r0, int32_t r1, int32_t *scratch) {
  (void)scratch;
  const int32_t global = P[Q_MODE] == POOL_GMAX || P[Q_MODE] == POOL_GAVG;
  for (int32_t r = r0; r < r1; r++) {
    if (global) global_plane(P, r);
    else window_row(P, r);
  }
}
