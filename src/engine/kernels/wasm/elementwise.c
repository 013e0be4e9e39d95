/*
 * fxpnet elementwise and data-movement kernels (Add, ChannelAffine,
 * DepthToSpace) for wasm32 + SIMD128; see kernels.h. Rows are elements (Add,
 * ChannelAffine) or output rows (DepthToSpace), split across threads.
 *
 * Taken only where the reference kernel proves every intermediate int32 (add.ts,
 * channel-affine.ts check it), so int32 arithmetic, wrapping or not, is exact;
 * LeakyRelu's product runs in int64 like the linear output stage.
 */
#include "kernels.h"

/*
 * Add over elements [i0, i1), same shapes:
 *   v = (a << sa) + (b << sb);  y = sat(act(roundShift(v, s)))   (0 <= sa, sb <= 30, -30 <= s <= 31)
 */
__attribute__((export_name("add_rows")))
void add_rows(const int32_t *P, int32_t i0, int32_t i1, int32_t *scratch) {
  (void)scratch;
  const int32_t *a = (const int32_t *)P[E_A], *b = (const int32_t *)P[E_B];
  int32_t *out = (int32_t *)P[E_OUT];
  const int32_t sa = P[E_SA], sb = P[E_SB], s = P[E_S], lo = P[E_LO], hi = P[E_HI], leaky = P[E_LEAKY], ls = P[E_LS];
  const int64_t lm = P[E_LM];
  int32_t i = i0;
  if (!leaky) {
    /* V8 emits slow code for i32x4 shifts by a variable count: left shifts are
     * multiplies (equal modulo 2^32), and one variable shift does the rounding:
     * u = v >> (s-1), roundShift(v, s) = (u >> 1) + (u & 1). */
    const v128_t vlo = wasm_i32x4_splat(lo), vhi = wasm_i32x4_splat(hi), one = wasm_i32x4_splat(1);
    const v128_t ma = wasm_i32x4_splat((int32_t)(1u << sa)), mb = wasm_i32x4_splat((int32_t)(1u << sb));
    if (s > 0) {
      for (; i + 4 <= i1; i += 4) {
        const v128_t v = wasm_i32x4_add(wasm_i32x4_mul(wasm_v128_load(a + i), ma), wasm_i32x4_mul(wasm_v128_load(b + i), mb));
        const v128_t u = wasm_i32x4_shr(v, s - 1);
        const v128_t y = wasm_i32x4_add(wasm_i32x4_shr(u, 1), wasm_v128_and(u, one));
        wasm_v128_store(out + i, wasm_i32x4_min(wasm_i32x4_max(y, vlo), vhi));
      }
    } else {
      const v128_t ms = wasm_i32x4_splat((int32_t)(1u << -s));
      for (; i + 4 <= i1; i += 4) {
        const v128_t v = wasm_i32x4_add(wasm_i32x4_mul(wasm_v128_load(a + i), ma), wasm_i32x4_mul(wasm_v128_load(b + i), mb));
        wasm_v128_store(out + i, wasm_i32x4_min(wasm_i32x4_max(wasm_i32x4_mul(v, ms), vlo), vhi));
      }
    }
  }
  for (; i < i1; i++) {
    const int32_t v = (int32_t)(((uint32_t)a[i] << sa) + ((uint32_t)b[i] << sb));
    out[i] = act_sat(round_shift32(v, s), lo, hi, leaky, lm, ls);
  }
}

/*
 * ChannelAffine over elements [i0, i1) of x [n][c][inner], channel (i / inner) % c:
 *   v = (bias[c] + x*w[c]) * range[c];  y = sat(act(roundShift(v, shift[c])))   (-31 <= shift <= 31)
 * range is 0 (absent) for dynamic weights: a factor 1.
 */
__attribute__((export_name("affine_rows")))
void affine_rows(const int32_t *P, int32_t i0, int32_t i1, int32_t *scratch) {
  (void)scratch;
  const int32_t *x = (const int32_t *)P[A_X];
  int32_t *out = (int32_t *)P[A_OUT];
  const int32_t c = P[A_C], inner = P[A_INNER];
  const int32_t *wt = (const int32_t *)P[A_W], *bias = (const int32_t *)P[A_BIAS], *range = (const int32_t *)P[A_RANGE];
  const int32_t *shift = (const int32_t *)P[A_SHIFT];
  const int32_t lo = P[A_LO], hi = P[A_HI], leaky = P[A_LEAKY], ls = P[A_LS];
  const int64_t lm = P[A_LM];
  const v128_t vlo = wasm_i32x4_splat(lo), vhi = wasm_i32x4_splat(hi), one = wasm_i32x4_splat(1);
  for (int32_t i = i0; i < i1;) {
    const int32_t ch = (i / inner) % c;
    int32_t end = (i / inner + 1) * inner;
    if (end > i1) end = i1;
    const int32_t w = wt[ch], bc = bias[ch], r = range ? range[ch] : 1, s = shift[ch];
    if (!leaky) {
      /* As in add_rows: one variable shift (u = v >> (s-1)), left shifts as multiplies. */
      const v128_t vw = wasm_i32x4_splat(w), vb = wasm_i32x4_splat(bc), vr = wasm_i32x4_splat(r);
      if (s > 0) {
        for (; i + 4 <= end; i += 4) {
          const v128_t v = wasm_i32x4_mul(wasm_i32x4_add(vb, wasm_i32x4_mul(wasm_v128_load(x + i), vw)), vr);
          const v128_t u = wasm_i32x4_shr(v, s - 1);
          const v128_t y = wasm_i32x4_add(wasm_i32x4_shr(u, 1), wasm_v128_and(u, one));
          wasm_v128_store(out + i, wasm_i32x4_min(wasm_i32x4_max(y, vlo), vhi));
        }
      } else {
        const v128_t vrs = wasm_i32x4_splat((int32_t)((uint32_t)r << -s));
        for (; i + 4 <= end; i += 4) {
          const v128_t v = wasm_i32x4_mul(wasm_i32x4_add(vb, wasm_i32x4_mul(wasm_v128_load(x + i), vw)), vrs);
          wasm_v128_store(out + i, wasm_i32x4_min(wasm_i32x4_max(v, vlo), vhi));
        }
      }
    }
    for (; i < end; i++) {
      const int32_t v = (int32_t)(((uint32_t)bc + (uint32_t)x[i] * (uint32_t)w) * (uint32_t)r);
      out[i] = act_sat(round_shift32(v, s), lo, hi, leaky, lm, ls);
    }
  }
}

/*
 * DepthToSpace (same input and output format: a permutation) over output rows
 * [r0, r1), r = (img*co + ch)*oh + oy, co = c / b^2, oh = h*b, ow = w*b:
 *   y[img, ch, iy*b + by, ix*b + bx] = x[img, ic, iy, ix],
 *   ic = (by*b + bx)*co + ch (DCR) or (ch*b + by)*b + bx (CRD).
 * An output row interleaves b source rows; b = 2 and 3 interleave 4 pixels per
 * i32x4 shuffle group.
 */
__attribute__((export_name("d2s_rows")))
void d2s_rows(const int32_t *P, int32_t r0, int32_t r1, int32_t *scratch) {
  (void)scratch;
  const int32_t *x = (const int32_t *)P[D_X];
  int32_t *out = (int32_t *)P[D_OUT];
  const int32_t c = P[D_C], h = P[D_H], w = P[D_W], b = P[D_B], dcr = P[D_DCR];
  const int32_t co = c / (b * b), oh = h * b, ow = w * b;
  const int32_t *src[3];
  for (int32_t r = r0; r < r1; r++) {
    const int32_t img = r / (co * oh), ch = (r / oh) % co, oy = r % oh, iy = oy / b, by = oy % b;
    int32_t *o = out + r * ow;
    int32_t ix = 0;
    if (b == 2 || b == 3) {
      for (int32_t bx = 0; bx < b; bx++) {
        const int32_t ic = dcr ? (by * b + bx) * co + ch : (ch * b + by) * b + bx;
        src[bx] = x + ((img * c + ic) * h + iy) * w;
      }
      if (b == 2) {
        for (; ix + 4 <= w; ix += 4) {
          const v128_t a = wasm_v128_load(src[0] + ix), e = wasm_v128_load(src[1] + ix);
          wasm_v128_store(o + 2 * ix, wasm_i32x4_shuffle(a, e, 0, 4, 1, 5));
          wasm_v128_store(o + 2 * ix + 4, wasm_i32x4_shuffle(a, e, 2, 6, 3, 7));
        }
      } else {
        for (; ix + 4 <= w; ix += 4) {
          const v128_t a = wasm_v128_load(src[0] + ix), e = wasm_v128_load(src[1] + ix), f = wasm_v128_load(src[2] + ix);
          /* [a0 e0 f0 a1] [e1 f1 a2 e2] [f2 a3 e3 f3] */
          wasm_v128_store(o + 3 * ix, wasm_i32x4_shuffle(wasm_i32x4_shuffle(a, e, 0, 4, 1, 5), f, 0, 1, 4, 2));
          wasm_v128_store(o + 3 * ix + 4, wasm_i32x4_shuffle(wasm_i32x4_shuffle(e, f, 1, 5, 2, 6), a, 0, 1, 6, 2));
          wasm_v128_store(o + 3 * ix + 8, wasm_i32x4_shuffle(f, wasm_i32x4_shuffle(a, e, 3, 7, 3, 7), 2, 4, 5, 3));
        }
      }
    }
    for (int32_t bx = 0; bx < b; bx++) {
      const int32_t ic = dcr ? (by * b + bx) * co + ch : (ch * b + by) * b + bx;
      const int32_t *s = x + ((img * c + ic) * h + iy) * w;
      for (int32_t i = ix; i < w; i++) o[i * b + bx] = s[i];
    }
  }
}
