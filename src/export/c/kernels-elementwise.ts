/**
 * C kernels of the element-wise and data-movement ops, the C side of
 * src/engine/kernels/ref/{activation,reshape,add,mul,concat,gather,table,softmax}.ts,
 * one variant per storage type of their inputs and output. Every integer step is
 * the reference kernel's; the comments name the TS source. Results are saturated
 * to the output format before the store, so the cast to the output's storage type
 * never changes a value.
 */
import { kernelName, type CKernel, type CStorage } from './runtime-core.js';

export const ELEMENTWISE_TYPES = `/* Element-wise format conversion (Relu, Clip, LeakyRelu, Flatten, Reshape, Identity, Requantize). */
typedef struct { int32_t size; fx_rq_t rq; } fx_map_t;

/* Add / Mul with numpy broadcasting: offa/offb are index-walk tables (fx_row_offset) over
   the output dims, or NULL when the operand has the output's shape. Add aligns by the
   exact multipliers pa = 2^(F - fa), pb = 2^(F - fb) (add.ts); Mul ignores them (mul.ts). */
typedef struct { fx_dims_t out; const int32_t *offa, *offb; int64_t pa, pb; int32_t shift; fx_act_t act; } fx_binary_t;

/* One input of a Concat: out[o * out_chunk + offset + i] = requant(x[o * chunk + i]). */
typedef struct { int32_t outer, chunk, out_chunk, offset; fx_rq_t rq; } fx_concat_t;

/* Gathers (Transpose, Pad, DepthToSpace, Resize): y[i] = requant(x[offset(i)]), or fill. */
typedef struct { fx_dims_t out; const int32_t *off; int32_t fill; fx_rq_t rq; } fx_gather_t;

/* Pad with per-channel constants: a gather whose fill of output element i is
   fills[(i / fill_stride) % fill_count] (its channel, dim 1; fill_stride = the product
   of the dims after it, fill_count = the channel count). */
typedef struct { fx_dims_t out; const int32_t *off; const int32_t *fills; int32_t fill_stride, fill_count; fx_rq_t rq; } fx_pad_channels_t;

/* Sigmoid / Tanh lookup (table.ts); data is int8_t..int32_t by the kernel variant. */
typedef struct { int32_t size, t0, t1, qmin, qmax; const void *data; } fx_table_t;

/* Softmax (softmax.ts, src/fixed/exp.ts, src/fixed/normalize.ts divQ). tables: ntables
   digit tables of 256 Q30 entries; exp_shift = 30 - outFl; num_shift/den_shift scale the
   rounding division e * 2^fo / S to integers (one of them is 0). */
typedef struct {
  int32_t outer, len, inner, ntables, exp_shift, num_shift, den_shift, qmin, qmax;
  int64_t jmax;
  const int32_t *tables;
} fx_softmax_t;
`;

export const ELEMENTWISE_TYPES_SNIPPET = { deps: ['fx_types'], text: ELEMENTWISE_TYPES };

const TYPES = 'fx_elementwise_types';

/** y = x element by element (formats equal; the types differ only at the int32 API boundary). */
export function copyKernel(xt: CStorage, yt: CStorage): CKernel {
  const fn = kernelName('fx_copy', [xt, yt]);
  return {
    name: fn,
    snippet: {
      deps: [],
      text: `static void ${fn}(int32_t size, const ${xt} *x, ${yt} *y) {
  int32_t i;
  for (i = 0; i < size; i++) y[i] = (${yt})x[i];
}
`,
    },
  };
}

export function mapKernel(xt: CStorage, yt: CStorage): CKernel {
  const fn = kernelName('fx_map', [xt, yt]);
  return {
    name: fn,
    snippet: {
      deps: [TYPES, 'fx_requant'],
      text: `static void ${fn}(const fx_map_t *p, const ${xt} *x, ${yt} *y) {
  int32_t i;
  for (i = 0; i < p->size; i++) y[i] = (${yt})fx_requant(&p->rq, x[i]);
}
`,
    },
  };
}

/**
 * Add (add.ts): y = act_sat(roundShift(a * pa + b * pb, shift)); Mul (mul.ts):
 * y = sat(roundShift(a * b, shift)). Both below 2^53 in magnitude (proven).
 */
export function binaryKernel(op: 'add' | 'mul', at: CStorage, bt: CStorage, yt: CStorage): CKernel {
  const fn = kernelName(`fx_${op}`, [at, bt, yt]);
  const value = op === 'add' ? '(int64_t)va * p->pa + (int64_t)vb * p->pb' : '(int64_t)va * vb';
  return {
    name: fn,
    snippet: {
      deps: [TYPES, 'fx_act_sat', 'fx_row_offset'],
      text: `static void ${fn}(const fx_binary_t *p, const ${at} *a, const ${bt} *b, ${yt} *y) {
  const int32_t rows = fx_rows(&p->out), inner = p->out.dims[p->out.rank - 1];
  const int32_t *la = p->offa != NULL ? fx_last_table(&p->out, p->offa) : NULL;
  const int32_t *lb = p->offb != NULL ? fx_last_table(&p->out, p->offb) : NULL;
  int32_t r, j;
  for (r = 0; r < rows; r++) {
    const int32_t ba = la != NULL ? fx_row_offset(&p->out, p->offa, r) : r * inner;
    const int32_t bb = lb != NULL ? fx_row_offset(&p->out, p->offb, r) : r * inner;
    for (j = 0; j < inner; j++) {
      const int32_t va = a[ba + (la != NULL ? la[j] : j)], vb = b[bb + (lb != NULL ? lb[j] : j)];
      y[r * inner + j] = (${yt})fx_act_sat(&p->act, fx_round_shift(${value}, p->shift));
    }
  }
}
`,
    },
  };
}

export function concatKernel(xt: CStorage, yt: CStorage): CKernel {
  const fn = kernelName('fx_concat', [xt, yt]);
  return {
    name: fn,
    snippet: {
      deps: [TYPES, 'fx_requant'],
      text: `static void ${fn}(const fx_concat_t *p, const ${xt} *x, ${yt} *y) {
  int32_t o, i;
  for (o = 0; o < p->outer; o++) {
    const ${xt} *src = x + o * p->chunk;
    ${yt} *dst = y + o * p->out_chunk + p->offset;
    for (i = 0; i < p->chunk; i++) dst[i] = (${yt})fx_requant(&p->rq, src[i]);
  }
}
`,
    },
  };
}

/** A gather walk (gather.ts) over struct type `struct`; `fill` is the C expression for element i = r * inner + j with no source. */
function gatherWalk(base: string, struct: string, fill: string, xt: CStorage, yt: CStorage): CKernel {
  const fn = kernelName(base, [xt, yt]);
  return {
    name: fn,
    snippet: {
      deps: [TYPES, 'fx_requant', 'fx_row_offset'],
      text: `static void ${fn}(const ${struct} *p, const ${xt} *x, ${yt} *y) {
  const int32_t rows = fx_rows(&p->out), inner = p->out.dims[p->out.rank - 1];
  const int32_t *last = fx_last_table(&p->out, p->off);
  int32_t r, j;
  for (r = 0; r < rows; r++) {
    const int32_t base = fx_row_offset(&p->out, p->off, r);
    for (j = 0; j < inner; j++) {
      const int32_t v = last[j];
      y[r * inner + j] = (${yt})(base < 0 || v < 0 ? ${fill} : fx_requant(&p->rq, x[base + v]));
    }
  }
}
`,
    },
  };
}

/** gather.ts: y[i] = offset(i) < 0 ? fill : requant(x[offset(i)]). */
export function gatherKernel(xt: CStorage, yt: CStorage): CKernel {
  return gatherWalk('fx_gather', 'fx_gather_t', 'p->fill', xt, yt);
}

/** pad.ts with channelValues: gather.ts with fill fills[channel of i] (already requantized). */
export function padChannelsKernel(xt: CStorage, yt: CStorage): CKernel {
  return gatherWalk('fx_pad_channels', 'fx_pad_channels_t', 'p->fills[((r * inner + j) / p->fill_stride) % p->fill_count]', xt, yt);
}

export type TableCType = 'int8_t' | 'uint8_t' | 'int16_t' | 'uint16_t' | 'int32_t';

/** table.ts: y = sat(table[clamp(q, t0, t1) - t0]). */
export function tableKernel(tt: TableCType, xt: CStorage, yt: CStorage): CKernel {
  const fn = kernelName(`fx_table_${tt.replace('_t', '')}`, [xt, yt]);
  return {
    name: fn,
    snippet: {
      deps: [TYPES],
      text: `static void ${fn}(const fx_table_t *p, const ${xt} *x, ${yt} *y) {
  const ${tt} *data = (const ${tt} *)p->data;
  int32_t i;
  for (i = 0; i < p->size; i++) {
    const int32_t q = x[i];
    const int32_t v = data[(q < p->t0 ? p->t0 : q > p->t1 ? p->t1 : q) - p->t0];
    y[i] = (${yt})(v < p->qmin ? p->qmin : v > p->qmax ? p->qmax : v);
  }
}
`,
    },
  };
}

/**
 * softmax.ts: e_j = expQ(q_j - max), S = sum e_j, y_j = sat(floor(e_j * 2^fo / S + 1/2)).
 * e_j is recomputed in the second pass instead of stored (no scratch buffer).
 */
export function softmaxKernel(xt: CStorage, yt: CStorage): CKernel {
  const fn = kernelName('fx_softmax', [xt, yt]);
  return {
    name: fn,
    snippet: {
      deps: ['fx_exp'],
      text: `static void ${fn}(const fx_softmax_t *p, const ${xt} *x, ${yt} *y) {
  int32_t o, i, j;
  for (o = 0; o < p->outer; o++) {
    for (i = 0; i < p->inner; i++) {
      const int32_t base = o * p->len * p->inner + i;
      int32_t mx = x[base];
      int64_t sum = 0, den;
      for (j = 1; j < p->len; j++) if (x[base + j * p->inner] > mx) mx = x[base + j * p->inner];
      for (j = 0; j < p->len; j++) sum += fx_exp(p, (int64_t)mx - x[base + j * p->inner]);
      den = sum * ((int64_t)1 << p->den_shift);
      for (j = 0; j < p->len; j++) {
        const int64_t num = fx_exp(p, (int64_t)mx - x[base + j * p->inner]) * ((int64_t)1 << p->num_shift);
        const int64_t q = num / den, r = num - q * den;
        const int64_t v = 2 * r >= den ? q + 1 : q;
        y[base + j * p->inner] = (${yt})(v < p->qmin ? p->qmin : v > p->qmax ? p->qmax : v);
      }
    }
  }
}
`,
    },
  };
}

export const EXP_SNIPPET = {
  deps: [TYPES, 'fx_round_shift'],
  text: `/* exp.ts expQ for j = -d >= 0: base-256 digits of j index Q30 tables; factors multiply as
   floor((acc * t + 2^29) / 2^30) (applyMultiplier, both <= 2^30); then roundShift to outFl. */
static int64_t fx_exp(const fx_softmax_t *p, int64_t j) {
  int64_t acc;
  int32_t c;
  if (j > p->jmax) return 0;
  acc = p->tables[j % 256];
  for (c = 1; c < p->ntables; c++) {
    j /= 256;
    acc = fx_round_shift(acc * p->tables[c * 256 + j % 256], 30);
  }
  return fx_round_shift(acc, p->exp_shift);
}
`,
};
