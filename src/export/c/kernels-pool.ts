/**
 * C kernels of the pooling ops, the C side of src/engine/kernels/ref/{max-pool,
 * average-pool,global-pool}.ts. A window reads only the taps inside the input
 * (the reference's tapRanges); AveragePool's divisor counts the taps inside the
 * input, or inside the padded input [-pad, size + padEnd) with count_include_pad.
 * Window sums are int64 (bound < 2^53 proven at prepare/bind).
 */
import { kernelName, type CKernel, type CStorage } from './runtime-core.js';

export const POOL_TYPES = `/* MaxPool / AveragePool over nc = N*C planes of [h][w]. pb, pr: bottom/right pads (for
   count_include_pad). empty: MaxPool's value for a window with no input tap (qmin of fo). */
typedef struct {
  int32_t nc, h, w, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, include_pad, empty;
  fx_rq_t rq;
  fx_mean_t mean;
} fx_pool_t;

/* GlobalMaxPool / GlobalAveragePool over planes of size cells. */
typedef struct { int32_t planes, size; fx_rq_t rq; fx_mean_t mean; } fx_gpool_t;
`;

export const POOL_TYPES_SNIPPET = { deps: ['fx_types'], text: POOL_TYPES };

const TYPES = 'fx_pool_types';

export function maxPoolKernel(xt: CStorage, yt: CStorage): CKernel {
  const fn = kernelName('fx_max_pool', [xt, yt]);
  return {
    name: fn,
    snippet: {
      deps: [TYPES, 'fx_requant'],
      text: `/* max-pool.ts: y = requant(max of the window's input taps), or empty. */
static void ${fn}(const fx_pool_t *p, const ${xt} *x, ${yt} *y) {
  int32_t q, oy, ox, ky, kx, o = 0;
  for (q = 0; q < p->nc; q++) {
    const ${xt} *xp = x + q * p->h * p->w;
    for (oy = 0; oy < p->oh; oy++) {
      for (ox = 0; ox < p->ow; ox++, o++) {
        int32_t any = 0, mx = 0;
        for (ky = 0; ky < p->kh; ky++) {
          const int32_t iy = oy * p->sh - p->pt + ky * p->dh;
          if (iy < 0 || iy >= p->h) continue;
          for (kx = 0; kx < p->kw; kx++) {
            const int32_t ix = ox * p->sw - p->pl + kx * p->dw;
            if (ix < 0 || ix >= p->w) continue;
            if (!any || xp[iy * p->w + ix] > mx) mx = xp[iy * p->w + ix];
            any = 1;
          }
        }
        y[o] = (${yt})(any ? fx_requant(&p->rq, mx) : p->empty);
      }
    }
  }
}
`,
    },
  };
}

export function avgPoolKernel(xt: CStorage, yt: CStorage): CKernel {
  const fn = kernelName('fx_avg_pool', [xt, yt]);
  return {
    name: fn,
    snippet: {
      deps: [TYPES, 'fx_round_mean'],
      text: `/* average-pool.ts: y = roundMean(window sum over input taps, count). */
static void ${fn}(const fx_pool_t *p, const ${xt} *x, ${yt} *y) {
  const int32_t ylo = p->include_pad ? -p->pt : 0, yhi = p->include_pad ? p->h + p->pb : p->h;
  const int32_t xlo = p->include_pad ? -p->pl : 0, xhi = p->include_pad ? p->w + p->pr : p->w;
  int32_t q, oy, ox, ky, kx, o = 0;
  for (q = 0; q < p->nc; q++) {
    const ${xt} *xp = x + q * p->h * p->w;
    for (oy = 0; oy < p->oh; oy++) {
      for (ox = 0; ox < p->ow; ox++, o++) {
        int64_t sum = 0;
        int32_t cy = 0, cx = 0;
        for (kx = 0; kx < p->kw; kx++) {
          const int32_t ix = ox * p->sw - p->pl + kx * p->dw;
          if (ix >= xlo && ix < xhi) cx++;
        }
        for (ky = 0; ky < p->kh; ky++) {
          const int32_t iy = oy * p->sh - p->pt + ky * p->dh;
          if (iy >= ylo && iy < yhi) cy++;
          if (iy < 0 || iy >= p->h) continue;
          for (kx = 0; kx < p->kw; kx++) {
            const int32_t ix = ox * p->sw - p->pl + kx * p->dw;
            if (ix >= 0 && ix < p->w) sum += xp[iy * p->w + ix];
          }
        }
        y[o] = (${yt})(fx_round_mean(&p->mean, sum, (int64_t)cy * cx));
      }
    }
  }
}
`,
    },
  };
}

export function globalMaxPoolKernel(xt: CStorage, yt: CStorage): CKernel {
  const fn = kernelName('fx_global_max_pool', [xt, yt]);
  return {
    name: fn,
    snippet: {
      deps: [TYPES, 'fx_requant'],
      text: `static void ${fn}(const fx_gpool_t *p, const ${xt} *x, ${yt} *y) {
  int32_t q, i;
  for (q = 0; q < p->planes; q++) {
    const ${xt} *xp = x + q * p->size;
    int32_t mx = xp[0];
    for (i = 1; i < p->size; i++) if (xp[i] > mx) mx = xp[i];
    y[q] = (${yt})(fx_requant(&p->rq, mx));
  }
}
`,
    },
  };
}

export function globalAvgPoolKernel(xt: CStorage, yt: CStorage): CKernel {
  const fn = kernelName('fx_global_avg_pool', [xt, yt]);
  return {
    name: fn,
    snippet: {
      deps: [TYPES, 'fx_round_mean'],
      text: `static void ${fn}(const fx_gpool_t *p, const ${xt} *x, ${yt} *y) {
  int32_t q, i;
  for (q = 0; q < p->planes; q++) {
    const ${xt} *xp = x + q * p->size;
    int64_t sum = 0;
    for (i = 0; i < p->size; i++) sum += xp[i];
    y[q] = (${yt})(fx_round_mean(&p->mean, sum, p->size));
  }
}
`,
    },
  };
}
