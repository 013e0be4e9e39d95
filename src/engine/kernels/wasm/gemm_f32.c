/*
 * Float GEMM for the float executor (src/float/gemm.ts gemmPacked; the search's
 * fake-quant network spends most of its time here), bit for bit equal to it:
 *
 *   acc(i, j) = sum over p = 0..k-1, in that order, of (double)A(i,p) * (double)B(p,j)
 *   C(i, j)   = (float)((double)C(i, j) + acc(i, j))
 *
 * The products of two floats are exact in double, every add rounds once in
 * double as the TS code's does, and the final store rounds to nearest even as a
 * Float32Array store does. f64x2 lanes hold two adjacent output columns; there is
 * no fused multiply-add. A and B are packed as gemm.ts packA/packB lay them out
 * (panels of 4 rows / 4 columns, k-major, zero padding), so a 4x4 tile is
 * always computed whole and only its real rows and columns are stored.
 */
#include "kernels.h"

static inline v128_t promote_high(v128_t v) {
  return wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
}

/* C row segment (4 floats at c) += (lo, hi), rounded to float; only the first cn are stored. */
static inline void store_row(float *c, int32_t cn, v128_t lo, v128_t hi) {
  if (cn == 4) {
    const v128_t old = wasm_v128_load(c);
    const v128_t l = wasm_f32x4_demote_f64x2_zero(wasm_f64x2_add(wasm_f64x2_promote_low_f32x4(old), lo));
    const v128_t h = wasm_f32x4_demote_f64x2_zero(wasm_f64x2_add(promote_high(old), hi));
    wasm_v128_store(c, wasm_i32x4_shuffle(l, h, 0, 1, 4, 5));
    return;
  }
  double t[4];
  wasm_v128_store(t, lo);
  wasm_v128_store(t + 2, hi);
  for (int32_t j = 0; j < cn; j++) c[j] = (float)((double)c[j] + t[j]);
}

__attribute__((export_name("gemm_f32")))
void gemm_f32(int32_t m, int32_t n, int32_t k, const float *ap, const float *bp, float *c, int32_t ldc) {
  const int32_t m_panels = (m + 3) / 4;
  const int32_t n_panels = (n + 3) / 4;
  for (int32_t jq = 0; jq < n_panels; jq++) {
    const float *b_base = bp + jq * k * 4;
    const int32_t col = jq * 4;
    const int32_t cn = n - col < 4 ? n - col : 4;
    for (int32_t iq = 0; iq < m_panels; iq++) {
      const float *a = ap + iq * k * 4;
      const float *b = b_base;
      v128_t c0l = wasm_f64x2_splat(0), c0h = wasm_f64x2_splat(0);
      v128_t c1l = wasm_f64x2_splat(0), c1h = wasm_f64x2_splat(0);
      v128_t c2l = wasm_f64x2_splat(0), c2h = wasm_f64x2_splat(0);
      v128_t c3l = wasm_f64x2_splat(0), c3h = wasm_f64x2_splat(0);
      for (int32_t p = 0; p < k; p++, a += 4, b += 4) {
        const v128_t bv = wasm_v128_load(b);
        const v128_t bl = wasm_f64x2_promote_low_f32x4(bv);
        const v128_t bh = promote_high(bv);
        const v128_t a0 = wasm_f64x2_splat((double)a[0]);
        const v128_t a1 = wasm_f64x2_splat((double)a[1]);
        const v128_t a2 = wasm_f64x2_splat((double)a[2]);
        const v128_t a3 = wasm_f64x2_splat((double)a[3]);
        c0l = wasm_f64x2_add(c0l, wasm_f64x2_mul(a0, bl));
        c0h = wasm_f64x2_add(c0h, wasm_f64x2_mul(a0, bh));
        c1l = wasm_f64x2_add(c1l, wasm_f64x2_mul(a1, bl));
        c1h = wasm_f64x2_add(c1h, wasm_f64x2_mul(a1, bh));
        c2l = wasm_f64x2_add(c2l, wasm_f64x2_mul(a2, bl));
        c2h = wasm_f64x2_add(c2h, wasm_f64x2_mul(a2, bh));
        c3l = wasm_f64x2_add(c3l, wasm_f64x2_mul(a3, bl));
        c3h = wasm_f64x2_add(c3h, wasm_f64x2_mul(a3, bh));
      }
      const int32_t row = iq * 4;
      const int32_t rm = m - row < 4 ? m - row : 4;
      float *o = c + row * ldc + col;
      store_row(o, cn, c0l, c0h);
      if (rm > 1) store_row(o + ldc, cn, c1l, c1h);
      if (rm > 2) store_row(o + 2 * ldc, cn, c2l, c2h);
      if (rm > 3) store_row(o + 3 * ldc, cn, c3l, c3h);
    }
  }
}
