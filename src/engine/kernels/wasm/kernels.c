/*
 * fxpnet integer kernels for wasm32 + SIMD128 (+ atomics: the memory is shared
 * with worker threads). No libc, no globals written at run time: every function
 * takes its buffers as pointers, so several threads can run disjoint output rows
 * of one node at once, each with its own scratch.
 *
 * Numerics (equal bit for bit to the TS reference kernels in ../ref):
 *   acc = bias[m] + sum_k x*w   in int32 (wrapping). The plan proves |acc| < 2^31
 *     for every partial sum, so modular int32 sums (any order) give the exact value.
 *     Operands are int16 (x and w fit: callers check), products via i32x4.dot_i16x8_s.
 *   y = sat(act(roundShift(acc * range[m], shift[m])))   in int64; the plan proves
 *     every intermediate below 2^53 (linear-stage.ts).
 *   roundShift(v, s) = floor((v + 2^(s-1)) / 2^s) for s > 0, v * 2^-s for s <= 0.
 *
 * Parameter block (int32 words), see CONV_* below; written once per bind by TS.
 */
#include <stdint.h>
#include <wasm_simd128.h>

enum {
  P_C, P_H, P_W, P_M, P_CG, P_KH, P_KW, P_OH, P_OW, P_SH, P_SW, P_DH, P_DW, P_PT, P_PL,
  P_GROUP, P_KP, P_TILE, P_X, P_WT, P_BIAS, P_RANGE, P_SHIFT, P_LO, P_HI, P_LEAKY, P_LM, P_LS, P_OUT,
  P_COUNT
};

static inline int64_t round_shift(int64_t v, int32_t s) {
  if (s > 0) {
    /* |v| < 2^53: for s >= 54 the result is 0 (as roundShiftWide). */
    if (s >= 54) return 0;
    return (v + ((int64_t)1 << (s - 1))) >> s;
  }
  if (s == 0) return v;
  /* Left shift; the plan bounds the product below 2^53 (so -s < 53 unless v == 0). */
  return v * ((int64_t)1 << (-s > 62 ? 62 : -s));
}

static inline int32_t finish(int32_t a, int64_t r, int32_t s, int32_t lo, int32_t hi, int32_t leaky, int64_t lm, int32_t ls) {
  int64_t v = round_shift((int64_t)a * r, s);
  if (leaky && v < 0) v = round_shift(v * lm, ls);
  return (int32_t)(v < lo ? lo : v > hi ? hi : v);
}

static inline int32_t hsum(v128_t v) {
  return wasm_i32x4_extract_lane(v, 0) + wasm_i32x4_extract_lane(v, 1) + wasm_i32x4_extract_lane(v, 2) + wasm_i32x4_extract_lane(v, 3);
}

/*
 * acc[m * pc + p] = bias[m] + dot(w + m*kp, col + p*kp) for m < mc, p < pc.
 * kp is a multiple of 8 and both operands are zero-padded to it. Blocks of
 * 4 channels x 2 pixels keep 8 accumulators and 6 operands in registers.
 */
static void gemm16(const int16_t *w, int32_t kp, int32_t mc, const int16_t *col, int32_t pc, const int32_t *bias, int32_t *acc) {
  int32_t m4 = mc & ~3, p2 = pc & ~1;
  for (int32_t m = 0; m < m4; m += 4) {
    const int16_t *w0 = w + m * kp, *w1 = w0 + kp, *w2 = w1 + kp, *w3 = w2 + kp;
    for (int32_t p = 0; p < p2; p += 2) {
      const int16_t *c0 = col + p * kp, *c1 = c0 + kp;
      v128_t a0 = wasm_i32x4_splat(0), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
      for (int32_t k = 0; k < kp; k += 8) {
        v128_t x = wasm_v128_load(c0 + k), y = wasm_v128_load(c1 + k);
        v128_t u0 = wasm_v128_load(w0 + k), u1 = wasm_v128_load(w1 + k), u2 = wasm_v128_load(w2 + k), u3 = wasm_v128_load(w3 + k);
        a0 = wasm_i32x4_add(a0, wasm_i32x4_dot_i16x8(u0, x));
        a1 = wasm_i32x4_add(a1, wasm_i32x4_dot_i16x8(u1, x));
        a2 = wasm_i32x4_add(a2, wasm_i32x4_dot_i16x8(u2, x));
        a3 = wasm_i32x4_add(a3, wasm_i32x4_dot_i16x8(u3, x));
        b0 = wasm_i32x4_add(b0, wasm_i32x4_dot_i16x8(u0, y));
        b1 = wasm_i32x4_add(b1, wasm_i32x4_dot_i16x8(u1, y));
        b2 = wasm_i32x4_add(b2, wasm_i32x4_dot_i16x8(u2, y));
        b3 = wasm_i32x4_add(b3, wasm_i32x4_dot_i16x8(u3, y));
      }
      int32_t *o = acc + m * pc + p;
      o[0] = bias[m] + hsum(a0);
      o[1] = bias[m] + hsum(b0);
      o[pc] = bias[m + 1] + hsum(a1);
      o[pc + 1] = bias[m + 1] + hsum(b1);
      o[2 * pc] = bias[m + 2] + hsum(a2);
      o[2 * pc + 1] = bias[m + 2] + hsum(b2);
      o[3 * pc] = bias[m + 3] + hsum(a3);
      o[3 * pc + 1] = bias[m + 3] + hsum(b3);
    }
  }
  for (int32_t m = 0; m < mc; m++) {
    for (int32_t p = m < m4 ? p2 : 0; p < pc; p++) {
      const int16_t *a = w + m * kp, *b = col + p * kp;
      v128_t s = wasm_i32x4_splat(0);
      for (int32_t k = 0; k < kp; k += 8) s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wasm_v128_load(a + k), wasm_v128_load(b + k)));
      acc[m * pc + p] = bias[m] + hsum(s);
    }
  }
}

/* col[(pix)*kp + (ic*kh + ky)*kw + kx] for output rows [oy0, oy1) of image img, group g. */
static void im2col16(const int32_t *P, const int32_t *x, int32_t img, int32_t g, int32_t oy0, int32_t oy1, int16_t *col) {
  const int32_t c = P[P_C], h = P[P_H], wd = P[P_W], cg = P[P_CG], kh = P[P_KH], kw = P[P_KW], ow = P[P_OW];
  const int32_t sh = P[P_SH], sw = P[P_SW], dh = P[P_DH], dw = P[P_DW], pt = P[P_PT], pl = P[P_PL], kp = P[P_KP];
  const int32_t k = cg * kh * kw;
  int16_t *dst = col;
  for (int32_t oy = oy0; oy < oy1; oy++) {
    for (int32_t ox = 0; ox < ow; ox++) {
      int16_t *d = dst;
      const int32_t iy0 = oy * sh - pt, ix0 = ox * sw - pl;
      const int32_t *xp = x + (img * c + g * cg) * h * wd;
      for (int32_t ic = 0; ic < cg; ic++, xp += h * wd) {
        for (int32_t ky = 0; ky < kh; ky++) {
          const int32_t iy = iy0 + ky * dh;
          if (iy < 0 || iy >= h) {
            for (int32_t kx = 0; kx < kw; kx++) d[kx] = 0;
          } else {
            const int32_t *row = xp + iy * wd;
            for (int32_t kx = 0; kx < kw; kx++) {
              const int32_t ix = ix0 + kx * dw;
              d[kx] = (ix < 0 || ix >= wd) ? 0 : (int16_t)row[ix];
            }
          }
          d += kw;
        }
      }
      for (int32_t kk = k; kk < kp; kk++) dst[kk] = 0;
      dst += kp;
    }
  }
}

/*
 * Conv over the flattened output rows [r0, r1) of (image, oy), all channels.
 * scratch: col int16 [tile*ow*kp], then acc int32 [M/group * tile*ow] (16-byte aligned).
 */
__attribute__((export_name("conv_rows")))
void conv_rows(const int32_t *P, int32_t r0, int32_t r1, int32_t *scratch) {
  const int32_t m = P[P_M], oh = P[P_OH], ow = P[P_OW], group = P[P_GROUP], kp = P[P_KP], tile = P[P_TILE];
  const int32_t mg = m / group, plane = oh * ow;
  const int32_t *x = (const int32_t *)P[P_X];
  const int16_t *wt = (const int16_t *)P[P_WT];
  const int32_t *bias = (const int32_t *)P[P_BIAS];
  const int32_t *range = (const int32_t *)P[P_RANGE];
  const int32_t *shift = (const int32_t *)P[P_SHIFT];
  const int32_t lo = P[P_LO], hi = P[P_HI], leaky = P[P_LEAKY], ls = P[P_LS];
  const int64_t lm = P[P_LM];
  int32_t *out = (int32_t *)P[P_OUT];
  int16_t *col = (int16_t *)scratch;
  int32_t *acc = scratch + ((tile * ow * kp + 7) / 8) * 4;
  for (int32_t r = r0; r < r1;) {
    const int32_t img = r / oh, oy0 = r % oh;
    int32_t oy1 = oy0 + tile;
    if (oy1 > oh) oy1 = oh;
    if (oy1 - oy0 > r1 - r) oy1 = oy0 + (r1 - r);
    const int32_t tp = (oy1 - oy0) * ow;
    for (int32_t g = 0; g < group; g++) {
      im2col16(P, x, img, g, oy0, oy1, col);
      gemm16(wt + g * mg * kp, kp, mg, col, tp, bias + g * mg, acc);
      for (int32_t j = 0; j < mg; j++) {
        const int32_t oc = g * mg + j;
        const int64_t rr = range ? range[oc] : 1;
        const int32_t s = shift[oc];
        const int32_t *a = acc + j * tp;
        int32_t *o = out + (img * m + oc) * plane + oy0 * ow;
        for (int32_t p = 0; p < tp; p++) o[p] = finish(a[p], rr, s, lo, hi, leaky, lm, ls);
      }
    }
    r += oy1 - oy0;
  }
}

/*
 * Depthwise conv (group == C == M, one input channel per output channel) over
 * output rows [r0, r1) of (image, oy): direct int32 loops, 4 output pixels per
 * i32x4 where the whole window is inside the image and the stride is 1.
 * Products |x*w| and partial sums stay below the plan's bound < 2^31.
 */
__attribute__((export_name("dw_rows")))
void dw_rows(const int32_t *P, int32_t r0, int32_t r1, int32_t *scratch) {
  (void)scratch;
  const int32_t c = P[P_C], h = P[P_H], wd = P[P_W], kh = P[P_KH], kw = P[P_KW], oh = P[P_OH], ow = P[P_OW];
  const int32_t sh = P[P_SH], sw = P[P_SW], dh = P[P_DH], dw = P[P_DW], pt = P[P_PT], pl = P[P_PL];
  const int32_t *x = (const int32_t *)P[P_X];
  const int16_t *wt = (const int16_t *)P[P_WT];
  const int32_t kp = P[P_KP];
  const int32_t *bias = (const int32_t *)P[P_BIAS];
  const int32_t *range = (const int32_t *)P[P_RANGE];
  const int32_t *shift = (const int32_t *)P[P_SHIFT];
  const int32_t lo = P[P_LO], hi = P[P_HI], leaky = P[P_LEAKY], ls = P[P_LS];
  const int64_t lm = P[P_LM];
  int32_t *out = (int32_t *)P[P_OUT];
  /* Interior columns: every kx tap inside [0, wd). */
  int32_t xlo = 0, xhi = ow;
  while (xlo < ow && xlo * sw - pl < 0) xlo++;
  while (xhi > xlo && (xhi - 1) * sw - pl + (kw - 1) * dw >= wd) xhi--;
  for (int32_t r = r0; r < r1; r++) {
    const int32_t img = r / oh, oy = r % oh;
    for (int32_t ch = 0; ch < c; ch++) {
      const int32_t *xp = x + (img * c + ch) * h * wd;
      const int16_t *wc = wt + ch * kp;
      const int32_t b = bias[ch];
      const int64_t rr = range ? range[ch] : 1;
      const int32_t s = shift[ch];
      int32_t *o = out + ((img * c + ch) * oh + oy) * ow;
      const int32_t iy0 = oy * sh - pt;
      int32_t ox = 0;
      for (; ox < ow; ox++) {
        if (ox >= xlo && ox < xhi && sw == 1) break;
        int32_t a = b;
        for (int32_t ky = 0; ky < kh; ky++) {
          const int32_t iy = iy0 + ky * dh;
          if (iy < 0 || iy >= h) continue;
          for (int32_t kx = 0; kx < kw; kx++) {
            const int32_t ix = ox * sw - pl + kx * dw;
            if (ix >= 0 && ix < wd) a += xp[iy * wd + ix] * wc[ky * kw + kx];
          }
        }
        o[ox] = finish(a, rr, s, lo, hi, leaky, lm, ls);
      }
      if (sw == 1) {
        for (; ox + 4 <= xhi; ox += 4) {
          v128_t a = wasm_i32x4_splat(b);
          for (int32_t ky = 0; ky < kh; ky++) {
            const int32_t iy = iy0 + ky * dh;
            if (iy < 0 || iy >= h) continue;
            const int32_t *row = xp + iy * wd + ox - pl;
            for (int32_t kx = 0; kx < kw; kx++) {
              a = wasm_i32x4_add(a, wasm_i32x4_mul(wasm_v128_load(row + kx * dw), wasm_i32x4_splat(wc[ky * kw + kx])));
            }
          }
          o[ox] = finish(wasm_i32x4_extract_lane(a, 0), rr, s, lo, hi, leaky, lm, ls);
          o[ox + 1] = finish(wasm_i32x4_extract_lane(a, 1), rr, s, lo, hi, leaky, lm, ls);
          o[ox + 2] = finish(wasm_i32x4_extract_lane(a, 2), rr, s, lo, hi, leaky, lm, ls);
          o[ox + 3] = finish(wasm_i32x4_extract_lane(a, 3), rr, s, lo, hi, leaky, lm, ls);
        }
        for (; ox < ow; ox++) {
          int32_t a = b;
          for (int32_t ky = 0; ky < kh; ky++) {
            const int32_t iy = iy0 + ky * dh;
            if (iy < 0 || iy >= h) continue;
            for (int32_t kx = 0; kx < kw; kx++) {
              const int32_t ix = ox * sw - pl + kx * dw;
              if (ix >= 0 && ix < wd) a += xp[iy * wd + ix] * wc[ky * kw + kx];
            }
          }
          o[ox] = finish(a, rr, s, lo, hi, leaky, lm, ls);
        }
      }
    }
  }
}

/*
 * Dense rows [r0, r1): x [rows][K] int32, weights [M][kp] int16, out [rows][M].
 * Uses the conv parameter block with P_C = K, P_M = M, P_KP = kp, P_TILE = rows per tile.
 * scratch: col int16 [tile*kp], then acc int32 [M * tile].
 */
__attribute__((export_name("dense_rows")))
void dense_rows(const int32_t *P, int32_t r0, int32_t r1, int32_t *scratch) {
  const int32_t k = P[P_C], m = P[P_M], kp = P[P_KP], tile = P[P_TILE];
  const int32_t *x = (const int32_t *)P[P_X];
  const int16_t *wt = (const int16_t *)P[P_WT];
  const int32_t *bias = (const int32_t *)P[P_BIAS];
  const int32_t *range = (const int32_t *)P[P_RANGE];
  const int32_t *shift = (const int32_t *)P[P_SHIFT];
  const int32_t lo = P[P_LO], hi = P[P_HI], leaky = P[P_LEAKY], ls = P[P_LS];
  const int64_t lm = P[P_LM];
  int32_t *out = (int32_t *)P[P_OUT];
  int16_t *col = (int16_t *)scratch;
  int32_t *acc = scratch + ((tile * kp + 7) / 8) * 4;
  for (int32_t ra = r0; ra < r1; ra += tile) {
    const int32_t tr = r1 - ra < tile ? r1 - ra : tile;
    for (int32_t r = 0; r < tr; r++) {
      const int32_t *xr = x + (ra + r) * k;
      int16_t *d = col + r * kp;
      for (int32_t i = 0; i < k; i++) d[i] = (int16_t)xr[i];
      for (int32_t i = k; i < kp; i++) d[i] = 0;
    }
    gemm16(wt, kp, m, col, tr, bias, acc);
    for (int32_t oc = 0; oc < m; oc++) {
      const int64_t rr = range ? range[oc] : 1;
      const int32_t s = shift[oc];
      for (int32_t r = 0; r < tr; r++) out[(ra + r) * m + oc] = finish(acc[oc * tr + r], rr, s, lo, hi, leaky, lm, ls);
    }
  }
}
