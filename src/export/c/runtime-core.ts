/**
 * The C runtime's core: types and scalar helpers every kernel shares, as C99 text.
 * The generator copies into each model only the snippets it uses (unused static
 * functions would warn under -Wall), in dependency order.
 *
 * Numerics (fx-graph.ts, src/fixed/shift.ts): every helper computes exactly the
 * integer the TS reference kernels compute. Right shifts of negative values are
 * written so that C99's implementation-defined `>>` on negative operands is never
 * used: for x < 0, floor(x / 2^s) = -1 - floor((-1 - x) / 2^s) with -1 - x >= 0.
 * Left shifts are multiplications (a left shift of a negative value is undefined).
 *
 * Domain: the TS plan (src/engine/plan.ts) proves for every node that each
 * intermediate integer is below 2^53 in magnitude (FxpError otherwise), so int64
 * arithmetic here never overflows; int32 accumulation is used only where the
 * proven bound is below 2^31.
 */

export interface CSnippet {
  /** Snippets this one calls or whose types it uses. */
  readonly deps: readonly string[];
  readonly text: string;
}

/** A kernel variant: its C function name and text. */
export interface CKernel {
  readonly name: string;
  readonly snippet: CSnippet;
}

/**
 * Storage of an activation array: graph inputs and outputs are int32_t (the API);
 * intermediate values use the narrowest type of their format (storageOfFormat).
 */
export type CStorage = 'int8_t' | 'uint8_t' | 'int16_t' | 'uint16_t' | 'int32_t';

export const STORAGE_TAG = {
  int8_t: 'i8',
  uint8_t: 'u8',
  int16_t: 'i16',
  uint16_t: 'u16',
  int32_t: 'i32',
} as const satisfies { [T in CStorage]: string };

/** The narrowest C type holding every integer of a format (signed wl <= 32, unsigned wl <= 31). */
export function storageOfFormat(f: { readonly signed: boolean; readonly wl: number }): CStorage {
  if (f.wl <= 8) return f.signed ? 'int8_t' : 'uint8_t';
  if (f.wl <= 16) return f.signed ? 'int16_t' : 'uint16_t';
  return 'int32_t';
}

/** Kernel name with its storage types: fx_map + [int8_t, int32_t] -> fx_map_i8_i32. */
export function kernelName(base: string, types: readonly CStorage[]): string {
  return [base, ...types.map((t) => STORAGE_TAG[t])].join('_');
}

/** Largest tensor rank the index walks handle (DepthToSpace views a 4-D tensor as 6-D). */
export const C_MAX_RANK = 8;

/** Outputs per convolution tile (the stack holds one tile of accumulators: 64 x 8 bytes at most). */
export const C_TILE = 64;

export const CORE_SNIPPETS = {
  fx_tile: { deps: [], text: `#define FX_TILE ${C_TILE}\n` },
  fx_types: {
    deps: [],
    text: `#define FX_MAX_RANK ${C_MAX_RANK}

/* Fused activation + saturation on output-format integers (fx-graph.ts FxActivation):
   leaky: v < 0 ? roundShift(v * m, shift) : v; then clamp to [lo, hi] (Relu/Clip folded in). */
typedef struct { int32_t lo, hi, leaky, shift; int64_t m; } fx_act_t;

/* Format conversion y = act_sat(roundShift(q, shift)) (output-stage.ts Requant). */
typedef struct { int32_t shift; fx_act_t act; } fx_rq_t;

/* Output stage of the weighted ops (linear-stage.ts), per output channel c:
   y = act_sat(roundShift((acc) * range[c], shift[c])), acc already holding the aligned bias.
   bias: int32_t (32-bit accumulation) or int64_t per channel, NULL for none;
   range: NULL for dynamic fixed point. */
typedef struct { const void *bias; const int32_t *range; const int16_t *shift; fx_act_t act; } fx_stage_t;

/* Rounding division of means (average-pool.ts): y = sat(floor(sum * pa / (count * pb) + 1/2)). */
typedef struct { int64_t pa, pb; int32_t qmin, qmax; } fx_mean_t;

/* Shape of an index walk: rank >= 1 dims, row-major. */
typedef struct { int32_t rank; int32_t dims[FX_MAX_RANK]; } fx_dims_t;
`,
  },
  fx_floor_shift: {
    deps: [],
    text: `/* floor(x / 2^s), 0 <= s <= 62, never shifting a negative value. */
static int64_t fx_floor_shift(int64_t x, int32_t s) {
  return x >= 0 ? x >> s : -1 - ((-1 - x) >> s);
}
`,
  },
  fx_round_shift: {
    deps: ['fx_floor_shift'],
    text: `/* roundShift(x, s): floor((x + 2^(s-1)) / 2^s) for s > 0 (half up), x * 2^-s for s <= 0.
   |x| < 2^53, so s > 62 gives 0 and x + 2^(s-1) cannot overflow; a left shift is
   proven (|x| * 2^-s < 2^53) to need at most 52 bits of shift when x != 0. */
static int64_t fx_round_shift(int64_t x, int32_t s) {
  if (s > 0) return s > 62 ? 0 : fx_floor_shift(x + ((int64_t)1 << (s - 1)), s);
  if (s == 0 || x == 0) return x;
  return x * ((int64_t)1 << -s);
}
`,
  },
  fx_act_sat: {
    deps: ['fx_types', 'fx_round_shift'],
    text: `static int32_t fx_act_sat(const fx_act_t *a, int64_t v) {
  if (a->leaky && v < 0) v = fx_round_shift(v * a->m, a->shift);
  return (int32_t)(v < a->lo ? a->lo : v > a->hi ? a->hi : v);
}
`,
  },
  fx_requant: {
    deps: ['fx_act_sat'],
    text: `static int32_t fx_requant(const fx_rq_t *r, int64_t q) {
  return fx_act_sat(&r->act, fx_round_shift(q, r->shift));
}
`,
  },
  fx_finish: {
    deps: ['fx_act_sat'],
    text: `static int32_t fx_finish(const fx_stage_t *st, int32_t c, int64_t acc) {
  if (st->range != NULL) acc *= st->range[c];
  return fx_act_sat(&st->act, fx_round_shift(acc, st->shift[c]));
}
`,
  },
  fx_floor_div: {
    deps: [],
    text: `/* floor(a / b) for b > 0 (C99 division truncates toward zero). */
static int64_t fx_floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b != 0 && a < 0) q -= 1;
  return q;
}
`,
  },
  fx_ceil_div: {
    deps: [],
    text: `/* ceil(a / b) for b > 0. */
static int32_t fx_ceil_div(int32_t a, int32_t b) {
  return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}
`,
  },
  fx_round_mean: {
    deps: ['fx_types', 'fx_floor_div'],
    text: `/* average-pool.ts roundMean: floor((2 * sum * pa + den) / (2 * den)), den = count * pb; count 0 gives 0. */
static int32_t fx_round_mean(const fx_mean_t *m, int64_t sum, int64_t count) {
  int64_t den, y;
  if (count == 0) return 0;
  den = count * m->pb;
  y = fx_floor_div(2 * sum * m->pa + den, 2 * den);
  return (int32_t)(y < m->qmin ? m->qmin : y > m->qmax ? m->qmax : y);
}
`,
  },
  fx_row_offset: {
    deps: ['fx_types'],
    text: `/* Index walks (gathers, broadcasting): off holds one offset table per dim, concatenated
   (dims[0] entries, then dims[1], ...); the input offset of an output element is the sum
   of its dims' entries, and a negative entry marks the constant (Pad). This returns the
   sum over all dims but the last for output row \`row\`, or -1 if any entry is negative. */
static int32_t fx_row_offset(const fx_dims_t *d, const int32_t *off, int32_t row) {
  int32_t k, start = 0, base = 0, hole = 0;
  for (k = 0; k < d->rank - 1; k++) start += d->dims[k];
  for (k = d->rank - 2; k >= 0; k--) {
    int32_t i = row % d->dims[k], v;
    row /= d->dims[k];
    start -= d->dims[k];
    v = off[start + i];
    if (v < 0) hole = 1;
    base += v;
  }
  return hole ? -1 : base;
}

/* Rows (product of all dims but the last) and the last dim's table. */
static int32_t fx_rows(const fx_dims_t *d) {
  int32_t k, rows = 1;
  for (k = 0; k < d->rank - 1; k++) rows *= d->dims[k];
  return rows;
}

static const int32_t *fx_last_table(const fx_dims_t *d, const int32_t *off) {
  int32_t k, start = 0;
  for (k = 0; k < d->rank - 1; k++) start += d->dims[k];
  return off + start;
}
`,
  },
  fx_check_input: {
    deps: [],
    text: `/* The accumulator bounds assume every input lies in its format (runtime.ts checkFxInput). */
static int fx_check_input(const int32_t *x, int32_t n, int32_t qmin, int32_t qmax) {
  int32_t i;
  for (i = 0; i < n; i++) if (x[i] < qmin || x[i] > qmax) return 0;
  return 1;
}
`,
  },
} as const satisfies Record<string, CSnippet>;
