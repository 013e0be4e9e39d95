/*
 * fxpnet linear kernels (Conv, Dense) for wasm32 + SIMD128; see kernels.h.
 *
 * Numerics (equal bit for bit to the TS reference kernels in ../ref):
 *   acc = bias[m] + sum_k x*w   in int32 (wrapping). The plan proves |acc| < 2^31
 *     for every partial sum, so modular int32 sums (any order) give the exact value.
 *     Operands are int16 (x and w fit: callers check), products via i32x4.dot_i16x8_s.
 *   y = sat(act(roundShift(acc * range[m], shift[m])))   exact in f64x2 (finish_row)
 *     or int64; the plan proves every intermediate below 2^53 (linear-stage.ts).
 *
 * Conv (not depthwise) is an implicit GEMM in two threaded passes: pack_rows
 * converts the NCHW int32 input to int16 NHWC over the padded window (zeros
 * outside the image), then conv_rows multiplies each output pixel's window, read
 * in place as `nrun` runs of `lp` int16 (one run per kernel row when the
 * horizontal dilation is 1: kw*cg contiguous values; else one per tap), with the
 * packed weights [group][mgp][nrun][lp]. No im2col copy.
 */
#include "kernels.h"

/* [sum(a0), sum(a1), sum(a2), sum(a3)]: four horizontal sums in one transposing reduction. */
static inline v128_t hsum4(v128_t a0, v128_t a1, v128_t a2, v128_t a3) {
  const v128_t s01 = wasm_i32x4_add(wasm_i32x4_shuffle(a0, a1, 0, 4, 2, 6), wasm_i32x4_shuffle(a0, a1, 1, 5, 3, 7));
  const v128_t s23 = wasm_i32x4_add(wasm_i32x4_shuffle(a2, a3, 0, 4, 2, 6), wasm_i32x4_shuffle(a2, a3, 1, 5, 3, 7));
  return wasm_i32x4_add(wasm_i32x4_shuffle(s01, s23, 0, 1, 4, 5), wasm_i32x4_shuffle(s01, s23, 2, 3, 6, 7));
}

/* acc[j * pc] = lane j of v, j < 4. */
static inline void store_column(int32_t *acc, int32_t pc, v128_t v) {
  acc[0] = wasm_i32x4_extract_lane(v, 0);
  acc[pc] = wasm_i32x4_extract_lane(v, 1);
  acc[2 * pc] = wasm_i32x4_extract_lane(v, 2);
  acc[3 * pc] = wasm_i32x4_extract_lane(v, 3);
}

/*
 * acc[m * pc + p] = bias[m] + sum_r dot(w + m*kp + r*lp, x + base[p] + off[r]) over lp
 * int16, for m < mp (a multiple of 4), p < pc; kp = nrun * lp, lp a multiple of 8.
 * Blocks of 4 channels x 2 pixels keep 8 accumulators and 6 operands in registers
 * (14 of x86's 16 XMM registers). Reads past a run's real length meet zero weights.
 */
static void gemm16(const int16_t *w, int32_t mp, int32_t nrun, int32_t lp, const int32_t *off,
                   const int16_t *x, const int32_t *base, int32_t pc, const int32_t *bias, int32_t *acc) {
  const int32_t kp = nrun * lp;
  for (int32_t m = 0; m < mp; m += 4) {
    const int16_t *w0 = w + m * kp, *w1 = w0 + kp, *w2 = w1 + kp, *w3 = w2 + kp;
    int32_t *o = acc + m * pc;
    const v128_t vb = wasm_v128_load(bias + m);
    int32_t p = 0;
    for (; p + 2 <= pc; p += 2) {
      v128_t a0 = wasm_i32x4_splat(0), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
      for (int32_t r = 0; r < nrun; r++) {
        const int16_t *c0 = x + base[p] + off[r], *c1 = x + base[p + 1] + off[r];
        const int32_t wr = r * lp;
        for (int32_t k = 0; k < lp; k += 8) {
          v128_t u = wasm_v128_load(c0 + k), v = wasm_v128_load(c1 + k);
          v128_t u0 = wasm_v128_load(w0 + wr + k), u1 = wasm_v128_load(w1 + wr + k);
          v128_t u2 = wasm_v128_load(w2 + wr + k), u3 = wasm_v128_load(w3 + wr + k);
          a0 = wasm_i32x4_add(a0, wasm_i32x4_dot_i16x8(u0, u));
          a1 = wasm_i32x4_add(a1, wasm_i32x4_dot_i16x8(u1, u));
          a2 = wasm_i32x4_add(a2, wasm_i32x4_dot_i16x8(u2, u));
          a3 = wasm_i32x4_add(a3, wasm_i32x4_dot_i16x8(u3, u));
          b0 = wasm_i32x4_add(b0, wasm_i32x4_dot_i16x8(u0, v));
          b1 = wasm_i32x4_add(b1, wasm_i32x4_dot_i16x8(u1, v));
          b2 = wasm_i32x4_add(b2, wasm_i32x4_dot_i16x8(u2, v));
          b3 = wasm_i32x4_add(b3, wasm_i32x4_dot_i16x8(u3, v));
        }
      }
      store_column(o + p, pc, wasm_i32x4_add(vb, hsum4(a0, a1, a2, a3)));
      store_column(o + p + 1, pc, wasm_i32x4_add(vb, hsum4(b0, b1, b2, b3)));
    }
    if (p < pc) {
      v128_t a0 = wasm_i32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
      for (int32_t r = 0; r < nrun; r++) {
        const int16_t *c0 = x + base[p] + off[r];
        const int32_t wr = r * lp;
        for (int32_t k = 0; k < lp; k += 8) {
          v128_t u = wasm_v128_load(c0 + k);
          a0 = wasm_i32x4_add(a0, wasm_i32x4_dot_i16x8(wasm_v128_load(w0 + wr + k), u));
          a1 = wasm_i32x4_add(a1, wasm_i32x4_dot_i16x8(wasm_v128_load(w1 + wr + k), u));
          a2 = wasm_i32x4_add(a2, wasm_i32x4_dot_i16x8(wasm_v128_load(w2 + wr + k), u));
          a3 = wasm_i32x4_add(a3, wasm_i32x4_dot_i16x8(wasm_v128_load(w3 + wr + k), u));
        }
      }
      store_column(o + p, pc, wasm_i32x4_add(vb, hsum4(a0, a1, a2, a3)));
    }
  }
}

/*
 * o[p] = finish(a[p]) for p < n, one channel. Without LeakyRelu and for shifts up
 * to 62, two pixels per f64x2, exact: a * rr is an integer below 2^53 (the plan's
 * bound), so a * (rr * 2^-s) = (a * rr) * 2^-s is an exact double (a power-of-two
 * scaling), and for s > 0
 *   roundShift(v, s) = floor(v / 2^s + 1/2) = floor(v * 2^(1-s)) - floor(v * 2^-s)
 * (the bit below the binary point decides the rounding) with both floors exact;
 * for s <= 0 the product v * 2^-s is below 2^53 by the plan. Clamping to [lo, hi]
 * and converting back to int32 are exact for integers.
 */
static void finish_row(const int32_t *a, int32_t *o, int32_t n, int64_t rr, int32_t s, int32_t lo, int32_t hi, int32_t leaky, int64_t lm, int32_t ls) {
  int32_t p = 0;
  if (!leaky && s <= 62 && s >= -62) {
    const v128_t vlo = wasm_f64x2_splat(lo), vhi = wasm_f64x2_splat(hi);
    if (s > 0) {
      const double p2 = (double)((int64_t)1 << s);
      const v128_t c1 = wasm_f64x2_splat((double)rr / p2), c2 = wasm_f64x2_splat((double)rr * 2.0 / p2);
      for (; p + 4 <= n; p += 4) {
        const v128_t x = wasm_v128_load(a + p);
        const v128_t x0 = wasm_f64x2_convert_low_i32x4(x), x1 = wasm_f64x2_convert_low_i32x4(wasm_i32x4_shuffle(x, x, 2, 3, 2, 3));
        v128_t y0 = wasm_f64x2_sub(wasm_f64x2_floor(wasm_f64x2_mul(x0, c2)), wasm_f64x2_floor(wasm_f64x2_mul(x0, c1)));
        v128_t y1 = wasm_f64x2_sub(wasm_f64x2_floor(wasm_f64x2_mul(x1, c2)), wasm_f64x2_floor(wasm_f64x2_mul(x1, c1)));
        y0 = wasm_f64x2_pmin(wasm_f64x2_pmax(y0, vlo), vhi);
        y1 = wasm_f64x2_pmin(wasm_f64x2_pmax(y1, vlo), vhi);
        wasm_v128_store(o + p, wasm_i32x4_shuffle(wasm_i32x4_trunc_sat_f64x2_zero(y0), wasm_i32x4_trunc_sat_f64x2_zero(y1), 0, 1, 4, 5));
      }
    } else {
      const v128_t c = wasm_f64x2_splat((double)rr * (double)((int64_t)1 << -s));
      for (; p + 4 <= n; p += 4) {
        const v128_t x = wasm_v128_load(a + p);
        v128_t y0 = wasm_f64x2_mul(wasm_f64x2_convert_low_i32x4(x), c);
        v128_t y1 = wasm_f64x2_mul(wasm_f64x2_convert_low_i32x4(wasm_i32x4_shuffle(x, x, 2, 3, 2, 3)), c);
        y0 = wasm_f64x2_pmin(wasm_f64x2_pmax(y0, vlo), vhi);
        y1 = wasm_f64x2_pmin(wasm_f64x2_pmax(y1, vlo), vhi);
        wasm_v128_store(o + p, wasm_i32x4_shuffle(wasm_i32x4_trunc_sat_f64x2_zero(y0), wasm_i32x4_trunc_sat_f64x2_zero(y1), 0, 1, 4, 5));
      }
    }
  }
  for (; p < n; p++) o[p] = finish(a[p], rr, s, lo, hi, leaky, lm, ls);
}

/* out[j * cs + p * ps] = finish(acc[j * pc + p]) with the tables of channel c0 + j, for j < n, p < pc. */
static void output_stage(const int32_t *P, const int32_t *acc, int32_t pc, int32_t c0, int32_t n, int32_t *out, int32_t cs, int32_t ps) {
  const int32_t *range = (const int32_t *)P[P_RANGE];
  const int32_t *shift = (const int32_t *)P[P_SHIFT];
  const int32_t lo = P[P_LO], hi = P[P_HI], leaky = P[P_LEAKY], ls = P[P_LS];
  const int64_t lm = P[P_LM];
  for (int32_t j = 0; j < n; j++) {
    const int64_t rr = range ? range[c0 + j] : 1;
    const int32_t s = shift[c0 + j];
    const int32_t *a = acc + j * pc;
    int32_t *o = out + j * cs;
    if (ps == 1) {
      finish_row(a, o, pc, rr, s, lo, hi, leaky, lm, ls);
    } else {
      for (int32_t p = 0; p < pc; p++) o[p * ps] = finish(a[p], rr, s, lo, hi, leaky, lm, ls);
    }
  }
}

/*
 * Transposes 8 channels x 8 pixels: rows src[k][0..8) (int32, int16 range, channel
 * k) to 8 stores d[x*cg .. x*cg+8) (int16, pixel x). Saturating narrowing is exact
 * on int16-range values.
 */
static inline void transpose8(const int32_t *src, int32_t stride, int16_t *d, int32_t cg) {
  v128_t r[8];
  for (int32_t k = 0; k < 8; k++) r[k] = wasm_i16x8_narrow_i32x4(wasm_v128_load(src + k * stride), wasm_v128_load(src + k * stride + 4));
  const v128_t t0 = wasm_i16x8_shuffle(r[0], r[1], 0, 8, 1, 9, 2, 10, 3, 11), t1 = wasm_i16x8_shuffle(r[0], r[1], 4, 12, 5, 13, 6, 14, 7, 15);
  const v128_t t2 = wasm_i16x8_shuffle(r[2], r[3], 0, 8, 1, 9, 2, 10, 3, 11), t3 = wasm_i16x8_shuffle(r[2], r[3], 4, 12, 5, 13, 6, 14, 7, 15);
  const v128_t t4 = wasm_i16x8_shuffle(r[4], r[5], 0, 8, 1, 9, 2, 10, 3, 11), t5 = wasm_i16x8_shuffle(r[4], r[5], 4, 12, 5, 13, 6, 14, 7, 15);
  const v128_t t6 = wasm_i16x8_shuffle(r[6], r[7], 0, 8, 1, 9, 2, 10, 3, 11), t7 = wasm_i16x8_shuffle(r[6], r[7], 4, 12, 5, 13, 6, 14, 7, 15);
  const v128_t u0 = wasm_i32x4_shuffle(t0, t2, 0, 4, 1, 5), u1 = wasm_i32x4_shuffle(t0, t2, 2, 6, 3, 7);
  const v128_t u2 = wasm_i32x4_shuffle(t1, t3, 0, 4, 1, 5), u3 = wasm_i32x4_shuffle(t1, t3, 2, 6, 3, 7);
  const v128_t u4 = wasm_i32x4_shuffle(t4, t6, 0, 4, 1, 5), u5 = wasm_i32x4_shuffle(t4, t6, 2, 6, 3, 7);
  const v128_t u6 = wasm_i32x4_shuffle(t5, t7, 0, 4, 1, 5), u7 = wasm_i32x4_shuffle(t5, t7, 2, 6, 3, 7);
  wasm_v128_store(d, wasm_i64x2_shuffle(u0, u4, 0, 2));
  wasm_v128_store(d + cg, wasm_i64x2_shuffle(u0, u4, 1, 3));
  wasm_v128_store(d + 2 * cg, wasm_i64x2_shuffle(u1, u5, 0, 2));
  wasm_v128_store(d + 3 * cg, wasm_i64x2_shuffle(u1, u5, 1, 3));
  wasm_v128_store(d + 4 * cg, wasm_i64x2_shuffle(u2, u6, 0, 2));
  wasm_v128_store(d + 5 * cg, wasm_i64x2_shuffle(u2, u6, 1, 3));
  wasm_v128_store(d + 6 * cg, wasm_i64x2_shuffle(u3, u7, 0, 2));
  wasm_v128_store(d + 7 * cg, wasm_i64x2_shuffle(u3, u7, 1, 3));
}

/*
 * Packs rows [r0, r1) of the padded input, r = (img*group + g)*hp + yp:
 *   xs[r][xp][ic] = x[img][g*cg + ic][yp - pt][xp - pl]   (int16; 0 outside the image)
 * for xp < wp, ic < cg. The window covers exactly the rows and columns the
 * output pixels read: hp = (oh-1)*sh + (kh-1)*dh + 1, wp likewise. Blocks of 8
 * channels x 8 pixels are transposed in registers.
 */
__attribute__((export_name("pack_rows")))
void pack_rows(const int32_t *P, int32_t r0, int32_t r1, int32_t *scratch) {
  (void)scratch;
  const int32_t c = P[P_C], h = P[P_H], wd = P[P_W], cg = P[P_CG], group = P[P_GROUP], pt = P[P_PT], pl = P[P_PL];
  const int32_t hp = P[P_HP], wp = P[P_WP];
  const int32_t *x = (const int32_t *)P[P_X];
  int16_t *xs = (int16_t *)P[P_XS];
  /* Columns [xlo, xhi) of the window lie inside the image. */
  int32_t xlo = pl < 0 ? 0 : pl > wp ? wp : pl;
  int32_t xhi = pl + wd < xlo ? xlo : pl + wd > wp ? wp : pl + wd;
  const int32_t plane = h * wd;
  for (int32_t r = r0; r < r1; r++) {
    const int32_t img = r / (group * hp), g = (r / hp) % group, iy = r % hp - pt;
    int16_t *d = xs + r * wp * cg;
    if (iy < 0 || iy >= h) {
      for (int32_t i = 0; i < wp * cg; i++) d[i] = 0;
      continue;
    }
    for (int32_t i = 0; i < xlo * cg; i++) d[i] = 0;
    for (int32_t i = xhi * cg; i < wp * cg; i++) d[i] = 0;
    const int32_t *src = x + ((img * c + g * cg) * h + iy) * wd - pl;
    int32_t ic = 0;
    for (; ic + 8 <= cg; ic += 8) {
      int32_t xp = xlo;
      for (; xp + 8 <= xhi; xp += 8) transpose8(src + ic * plane + xp, plane, d + xp * cg + ic, cg);
      for (; xp < xhi; xp++) {
        for (int32_t k = 0; k < 8; k++) d[xp * cg + ic + k] = (int16_t)src[(ic + k) * plane + xp];
      }
    }
    for (; ic < cg; ic++) {
      for (int32_t xp = xlo; xp < xhi; xp++) d[xp * cg + ic] = (int16_t)src[ic * plane + xp];
    }
  }
}

/*
 * Conv over the flattened output rows [r0, r1) of (image, oy), all channels, in
 * tiles of up to P_TILE pixels of one image (a tile may span output rows).
 * Reads the packed input of pack_rows. scratch: base int32 [tile], then acc int32
 * [mgp * tile] (16-byte aligned).
 */
__attribute__((export_name("conv_rows")))
void conv_rows(const int32_t *P, int32_t r0, int32_t r1, int32_t *scratch) {
  const int32_t m = P[P_M], oh = P[P_OH], ow = P[P_OW], group = P[P_GROUP], tile = P[P_TILE];
  const int32_t sh = P[P_SH], sw = P[P_SW], cg = P[P_CG], mgp = P[P_MGP], nrun = P[P_NRUN], lp = P[P_LP];
  const int32_t hp = P[P_HP], wp = P[P_WP];
  const int32_t mg = m / group, plane = oh * ow, kp = nrun * lp;
  const int16_t *xs = (const int16_t *)P[P_XS];
  const int16_t *wt = (const int16_t *)P[P_WT];
  const int32_t *bias = (const int32_t *)P[P_BIAS];
  const int32_t *off = (const int32_t *)P[P_OFF];
  int32_t *out = (int32_t *)P[P_OUT];
  int32_t *base = scratch;
  int32_t *acc = scratch + ((tile + 3) & ~3);
  /* Flattened output pixels [q, q1) over all images: image q / plane, pixel q % plane. */
  for (int64_t q = (int64_t)r0 * ow, q1 = (int64_t)r1 * ow; q < q1;) {
    const int32_t img = (int32_t)(q / plane), p0 = (int32_t)(q % plane);
    int32_t tp = plane - p0;
    if (tp > tile) tp = tile;
    if (tp > q1 - q) tp = (int32_t)(q1 - q);
    for (int32_t p = 0; p < tp; p++) {
      const int32_t oy = (p0 + p) / ow, ox = (p0 + p) % ow;
      base[p] = (oy * sh * wp + ox * sw) * cg;
    }
    for (int32_t g = 0; g < group; g++) {
      const int16_t *xg = xs + (img * group + g) * hp * wp * cg;
      gemm16(wt + g * mgp * kp, mgp, nrun, lp, off, xg, base, tp, bias + g * mgp, acc);
      output_stage(P, acc, tp, g * mg, mg, out + (img * m + g * mg) * plane + p0, plane, 1);
    }
    q += tp;
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
 * Dense rows [r0, r1): x [rows][K] int32, weights [mgp][kp] int16 (rows padded to
 * 4), out [rows][M]. Uses the linear parameter block with P_C = K, P_M = M,
 * P_KP = kp, P_TILE = rows per tile. scratch: col int16 [tile*kp], base int32
 * [tile], then acc int32 [mgp * tile].
 */
__attribute__((export_name("dense_rows")))
void dense_rows(const int32_t *P, int32_t r0, int32_t r1, int32_t *scratch) {
  static const int32_t zero_off[1] = {0};
  const int32_t k = P[P_C], m = P[P_M], kp = P[P_KP], tile = P[P_TILE], mgp = P[P_MGP];
  const int32_t *x = (const int32_t *)P[P_X];
  const int16_t *wt = (const int16_t *)P[P_WT];
  const int32_t *bias = (const int32_t *)P[P_BIAS];
  int32_t *out = (int32_t *)P[P_OUT];
  int16_t *col = (int16_t *)scratch;
  int32_t *base = scratch + ((tile * kp + 7) / 8) * 4;
  int32_t *acc = base + ((tile + 3) & ~3);
  for (int32_t p = 0; p < tile; p++) base[p] = p * kp;
  for (int32_t ra = r0; ra < r1; ra += tile) {
    const int32_t tr = r1 - ra < tile ? r1 - ra : tile;
    for (int32_t r = 0; r < tr; r++) {
      const int32_t *xr = x + (ra + r) * k;
      int16_t *d = col + r * kp;
      for (int32_t i = 0; i < k; i++) d[i] = (int16_t)xr[i];
      for (int32_t i = k; i < kp; i++) d[i] = 0;
    }
    gemm16(wt, mgp, 1, kp, zero_off, col, base, tr, bias, acc);
    /* Output [row][M]: channel c of row r at out[(ra + r) * m + c]. */
    output_stage(P, acc, tr, 0, m, out + ra * m, 1, m);
  }
}
