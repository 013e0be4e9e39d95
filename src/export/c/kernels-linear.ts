/**
 * C kernels of the weighted ops (Conv, ConvTranspose, Dense, ChannelAffine), one
 * variant per weight storage type (int8_t for wl <= 8, int16_t for wl <= 16) and
 * accumulator type (int32_t where the TS plan proves the accumulation bound below
 * 2^31, int64_t otherwise; linear-stage.ts). The output stage (bias already in the
 * accumulator, range product, rounding shift, activation, saturation) is fx_finish
 * in int64.
 *
 * Every kernel sums the same set of products x*w as the TS reference; each partial
 * sum is bounded by B[m] = sum |w[m]| * maxAbs(fx) + |b[m]| whatever the order, so
 * the loop order here (direct, no im2col) gives the same exact integers.
 */
import { kernelName, type CKernel, type CStorage } from './runtime-core.js';

export type WeightCType = 'int8_t' | 'int16_t';
export type AccCType = 'int32_t' | 'int64_t';

export const LINEAR_TYPES = `/* Conv and ConvTranspose. weights: Conv [m][c/group][kh][kw], ConvTranspose
   [c][m/group][kh][kw] (ONNX layouts), int8_t or int16_t by the kernel variant. */
typedef struct {
  int32_t n, c, h, w, m, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, group;
  const void *weights;
  fx_stage_t st;
} fx_conv_t;

/* Dense: x [rows][k], weights [m][k], y [rows][m]. */
typedef struct { int32_t rows, k, m; const void *weights; fx_stage_t st; } fx_dense_t;

/* ChannelAffine: y = x * w[c] + b[c] over dim 1 of [n][c][inner]. */
typedef struct { int32_t n, c, inner; const void *weights; fx_stage_t st; } fx_affine_t;
`;

type LinearOp = 'conv' | 'convt' | 'dense' | 'affine';

function name(op: LinearOp, wt: WeightCType, at: AccCType, xt: CStorage, yt: CStorage): string {
  return kernelName(`fx_${op}_w${wt === 'int8_t' ? 8 : 16}_a${at === 'int32_t' ? 32 : 64}`, [xt, yt]);
}

const DEPS = ['fx_linear_types', 'fx_finish'];

export const LINEAR_TYPES_SNIPPET = { deps: ['fx_types'], text: LINEAR_TYPES };

/**
 * Direct convolution over tiles of up to FX_TILE outputs of one output row: the
 * accumulators of the tile live on the stack, and for each tap (ic, ky, kx) the
 * valid outputs [lo, hi) (input column inside the image) are updated in one
 * contiguous loop, which compilers vectorize for stride 1. Taps outside the input
 * contribute nothing (they read 0 in the TS im2col).
 */
export function convKernel(wt: WeightCType, at: AccCType, xt: CStorage, yt: CStorage): CKernel {
  const fn = name('conv', wt, at, xt, yt);
  return {
    name: fn,
    snippet: {
      deps: [...DEPS, 'fx_ceil_div', 'fx_tile'],
      text: `static void ${fn}(const fx_conv_t *p, const ${xt} *x, ${yt} *y) {
  const ${wt} *wt = (const ${wt} *)p->weights;
  const ${at} *bias = (const ${at} *)p->st.bias;
  const int32_t cg = p->c / p->group, mg = p->m / p->group, k = cg * p->kh * p->kw;
  ${at} acc[FX_TILE];
  int32_t img, oc, oy, ox0, ic, ky, kx, i;
  for (img = 0; img < p->n; img++) {
    for (oc = 0; oc < p->m; oc++) {
      const ${wt} *wm = wt + oc * k;
      const ${xt} *xg = x + (img * p->c + (oc / mg) * cg) * p->h * p->w;
      ${yt} *yo = y + (img * p->m + oc) * p->oh * p->ow;
      const ${at} b = bias != NULL ? bias[oc] : 0;
      for (oy = 0; oy < p->oh; oy++) {
        const int32_t iy0 = oy * p->sh - p->pt;
        for (ox0 = 0; ox0 < p->ow; ox0 += FX_TILE) {
          const int32_t n = p->ow - ox0 < FX_TILE ? p->ow - ox0 : FX_TILE;
          for (i = 0; i < n; i++) acc[i] = b;
          for (ky = 0; ky < p->kh; ky++) {
            const int32_t iy = iy0 + ky * p->dh;
            if (iy < 0 || iy >= p->h) continue;
            for (kx = 0; kx < p->kw; kx++) {
              /* outputs ox with 0 <= ox * sw + kx * dw - pl < w, within the tile */
              const int32_t off = kx * p->dw - p->pl;
              int32_t lo = fx_ceil_div(-off, p->sw) - ox0, hi = fx_ceil_div(p->w - off, p->sw) - ox0;
              if (lo < 0) lo = 0;
              if (hi > n) hi = n;
              for (ic = 0; ic < cg; ic++) {
                const ${at} w = wm[(ic * p->kh + ky) * p->kw + kx];
                const ${xt} *xr = xg + (ic * p->h + iy) * p->w;
                const int32_t base = ox0 * p->sw + off;
                if (p->sw == 1) {
                  for (i = lo; i < hi; i++) acc[i] += w * xr[base + i];
                } else {
                  for (i = lo; i < hi; i++) acc[i] += w * xr[base + i * p->sw];
                }
              }
            }
          }
          for (i = 0; i < n; i++) yo[oy * p->ow + ox0 + i] = (${yt})fx_finish(&p->st, oc, acc[i]);
        }
      }
    }
  }
}
`,
    },
  };
}

/**
 * ConvTranspose as a gather: output (oy, ox) receives x[iy, ix] * w[ky, kx] when
 * oy = iy*sh - pt + ky*dh (conv-transpose.ts scatters exactly these products), i.e.
 * iy = (oy + pt - ky*dh) / sh when that is a non-negative multiple of sh below h.
 */
export function convTransposeKernel(wt: WeightCType, at: AccCType, xt: CStorage, yt: CStorage): CKernel {
  const fn = name('convt', wt, at, xt, yt);
  return {
    name: fn,
    snippet: {
      deps: DEPS,
      text: `static void ${fn}(const fx_conv_t *p, const ${xt} *x, ${yt} *y) {
  const ${wt} *wt = (const ${wt} *)p->weights;
  const ${at} *bias = (const ${at} *)p->st.bias;
  const int32_t cg = p->c / p->group, mg = p->m / p->group, taps = p->kh * p->kw;
  int32_t img, oc, oy, ox, ic, ky, kx;
  for (img = 0; img < p->n; img++) {
    for (oc = 0; oc < p->m; oc++) {
      const int32_t g = oc / mg, j = oc - g * mg;
      ${yt} *yo = y + (img * p->m + oc) * p->oh * p->ow;
      const ${at} b = bias != NULL ? bias[oc] : 0;
      for (oy = 0; oy < p->oh; oy++) {
        for (ox = 0; ox < p->ow; ox++) {
          ${at} acc = b;
          for (ic = g * cg; ic < (g + 1) * cg; ic++) {
            const ${xt} *xc = x + (img * p->c + ic) * p->h * p->w;
            const ${wt} *wc = wt + (ic * mg + j) * taps;
            for (ky = 0; ky < p->kh; ky++) {
              const int32_t ty = oy + p->pt - ky * p->dh;
              int32_t iy;
              if (ty < 0 || ty % p->sh != 0) continue;
              iy = ty / p->sh;
              if (iy >= p->h) continue;
              for (kx = 0; kx < p->kw; kx++) {
                const int32_t tx = ox + p->pl - kx * p->dw;
                int32_t ix;
                if (tx < 0 || tx % p->sw != 0) continue;
                ix = tx / p->sw;
                if (ix >= p->w) continue;
                acc += (${at})wc[ky * p->kw + kx] * xc[iy * p->w + ix];
              }
            }
          }
          yo[oy * p->ow + ox] = (${yt})fx_finish(&p->st, oc, acc);
        }
      }
    }
  }
}
`,
    },
  };
}

export function denseKernel(wt: WeightCType, at: AccCType, xt: CStorage, yt: CStorage): CKernel {
  const fn = name('dense', wt, at, xt, yt);
  return {
    name: fn,
    snippet: {
      deps: DEPS,
      text: `static void ${fn}(const fx_dense_t *p, const ${xt} *x, ${yt} *y) {
  const ${wt} *wt = (const ${wt} *)p->weights;
  const ${at} *bias = (const ${at} *)p->st.bias;
  int32_t r, oc, i;
  for (r = 0; r < p->rows; r++) {
    const ${xt} *xr = x + r * p->k;
    for (oc = 0; oc < p->m; oc++) {
      const ${wt} *wr = wt + oc * p->k;
      ${at} acc = bias != NULL ? bias[oc] : 0;
      for (i = 0; i < p->k; i++) acc += (${at})wr[i] * xr[i];
      y[r * p->m + oc] = (${yt})fx_finish(&p->st, oc, acc);
    }
  }
}
`,
    },
  };
}

export function affineKernel(wt: WeightCType, at: AccCType, xt: CStorage, yt: CStorage): CKernel {
  const fn = name('affine', wt, at, xt, yt);
  return {
    name: fn,
    snippet: {
      deps: DEPS,
      text: `static void ${fn}(const fx_affine_t *p, const ${xt} *x, ${yt} *y) {
  const ${wt} *wt = (const ${wt} *)p->weights;
  const ${at} *bias = (const ${at} *)p->st.bias;
  int32_t img, c, i;
  for (img = 0; img < p->n; img++) {
    for (c = 0; c < p->c; c++) {
      const ${at} w = wt[c], b = bias != NULL ? bias[c] : 0;
      const int32_t base = (img * p->c + c) * p->inner;
      for (i = base; i < base + p->inner; i++) y[i] = (${yt})fx_finish(&p->st, c, b + w * x[i]);
    }
  }
}
`,
    },
  };
}
