/*
 * fxpnet integer kernels for wasm32 + SIMD128 (+ atomics: the memory is shared
 * with worker threads), shared declarations. No libc, no globals written at run
 * time: every kernel takes its parameter block and a row range [r0, r1), so
 * several threads can run disjoint rows of one node at once, each with its own
 * scratch. Every output element is computed by exactly one thread with the same
 * code: results cannot depend on the thread count.
 *
 * Rounding (equal bit for bit to src/fixed/shift.ts roundShift):
 *   roundShift(v, s) = floor((v + 2^(s-1)) / 2^s) for s > 0, v * 2^-s for s <= 0.
 */
#ifndef FXP_KERNELS_H
#define FXP_KERNELS_H

#include <stdint.h>
#include <wasm_simd128.h>

/* Parameter block of the linear kernels (conv_rows, pack_rows, dw_rows, dense_rows), int32 words; params.ts `P`. */
enum {
  P_C, P_H, P_W, P_M, P_CG, P_KH, P_KW, P_OH, P_OW, P_SH, P_SW, P_DH, P_DW, P_PT, P_PL,
  P_GROUP, P_KP, P_TILE, P_X, P_WT, P_BIAS, P_RANGE, P_SHIFT, P_LO, P_HI, P_LEAKY, P_LM, P_LS, P_OUT,
  P_MGP,  /* GEMM weight rows per group: M / group rounded up to 4 (zero rows, zero bias) */
  P_NRUN, /* GEMM: runs of the packed input per output pixel */
  P_LP,   /* GEMM: run length in int16, a multiple of 8 (weights zero beyond the real length) */
  P_OFF,  /* GEMM: address of the run offsets (int32, int16 units from the pixel's base) */
  P_HP, P_WP, /* packed input: rows and columns of the padded window */
  P_XS,   /* packed input address */
  P_COUNT
};

/* Add (add_rows); params.ts `ADD`. */
enum { E_A, E_B, E_OUT, E_SA, E_SB, E_S, E_LO, E_HI, E_LEAKY, E_LM, E_LS, E_COUNT };

/* ChannelAffine (affine_rows); params.ts `AFFINE`. */
enum { A_X, A_OUT, A_C, A_INNER, A_W, A_BIAS, A_RANGE, A_SHIFT, A_LO, A_HI, A_LEAKY, A_LM, A_LS, A_COUNT };

/* DepthToSpace (d2s_rows); params.ts `D2S`. */
enum { D_X, D_OUT, D_C, D_H, D_W, D_B, D_DCR, D_COUNT };

/* Pooling (pool_rows, pool.c); params.ts `POOL`. Q_MODE: 0 MaxPool, 1 AveragePool, 2 GlobalMaxPool, 3 GlobalAveragePool. */
enum {
  Q_X, Q_OUT, Q_MODE, Q_H, Q_W, Q_OH, Q_OW, Q_KH, Q_KW, Q_SH, Q_SW, Q_DH, Q_DW, Q_PT, Q_PL,
  Q_RY, Q_RX, Q_CNT, /* tap ranges [lo, hi) per output row / column, divisors per output pixel (0: none) */
  Q_S, Q_LO, Q_HI, Q_EMPTY, Q_A, Q_B, Q_WIDE,
  Q_IX0, Q_IX1, /* output columns whose window is whole horizontally (rx = [0, kw)) */
  Q_SIZE,       /* global pools: cells per plane */
  Q_COUNT
};

/* roundShift on int64, for |v| < 2^53 (the plan's bound) and any s. */
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

/*
 * roundShift on int32 for -31 <= s <= 31 when the exact result is an int32 (the
 * plan's int32 proof): (v >> s) + bit s-1 of v, which cannot overflow, unlike
 * v + 2^(s-1). Left shifts go through uint32 (no signed-overflow UB).
 */
static inline int32_t round_shift32(int32_t v, int32_t s) {
  if (s > 0) return (v >> s) + ((v >> (s - 1)) & 1);
  return (int32_t)((uint32_t)v << -s);
}

/* sat(act(v)) for a pre-activation value v: LeakyRelu's product in int64 (below 2^53 by the plan). */
static inline int32_t act_sat(int64_t v, int32_t lo, int32_t hi, int32_t leaky, int64_t lm, int32_t ls) {
  if (leaky && v < 0) v = round_shift(v * lm, ls);
  return (int32_t)(v < lo ? lo : v > hi ? hi : v);
}

/* The linear output stage: sat(act(roundShift(acc * range, s))). */
static inline int32_t finish(int32_t a, int64_t r, int32_t s, int32_t lo, int32_t hi, int32_t leaky, int64_t lm, int32_t ls) {
  return act_sat(round_shift((int64_t)a * r, s), lo, hi, leaky, lm, ls);
}

#endif
