/**
 * How each op of a size-generic codec network runs at the run-time size
 * (c-network.ts): the C generator's emitter declares the node's parameters and a
 * const descriptor at the unit input; the statements here copy the descriptor and
 * set only its shape fields (h, w, sizes, chunk lengths, gather tables) for the
 * actual h x w. Only ops whose parameters do not depend on the spatial size have
 * an entry; the others are null and refused.
 */
import { FxpError } from '../errors.js';
import type { FxNodeOf, FxOpType } from '../engine/fx-graph.js';
import { transposeGeometry, windowGeometry } from '../ir/padding.js';
import { cInt } from '../export/c/c-text.js';
import type { NodeCode } from '../export/c/emit-context.js';
import type { CSnippet } from '../export/c/runtime-core.js';

/** Return codes of a network function. */
export const C_NET_CODES = { ok: 'FXPC_NET_OK', noMemory: 'FXPC_NET_NOMEM', inputRange: 'FXPC_NET_RANGE', tooLarge: 'FXPC_NET_SIZE' } as const;

/** A value's shape for an input of h x w: [1, c, ah * h, aw * w]. */
export interface UnitShape {
  readonly c: number;
  readonly ah: number;
  readonly aw: number;
}

/** Input sizes [h, w] at which the shapes are checked to be linear (the first one is the unit). */
export const PROBES = [
  [1, 1],
  [2, 3],
  [5, 7],
] as const;

/** A C expression for n * x, simplified for n = 1. */
export function times(n: number, x: string): string {
  return n === 1 ? x : `${cInt(n)} * ${x}`;
}

/** Elements of a value as a C expression in `units` (= h * w). */
export function sizeExpr(u: UnitShape): string {
  return times(u.c * u.ah * u.aw, 'units');
}

export interface Struct {
  readonly name: string;
  readonly type: string;
}

export interface PatchSite<K extends FxOpType> {
  readonly node: FxNodeOf<K>;
  readonly code: NodeCode;
  readonly structs: readonly Struct[];
  readonly ins: readonly string[];
  readonly out: string;
  readonly inShapes: readonly UnitShape[];
  readonly outShape: UnitShape;
  /** Records that the code calls fxn_alloc and may jump to the cleanup. */
  readonly allocates: () => void;
}

/** C statements running the node at the run-time size (h, w in scope; `units` = h * w). */
export type Patch<K extends FxOpType> = (s: PatchSite<K>) => string[];

function only(s: PatchSite<FxOpType>, type: string): Struct {
  const st = s.structs[0];
  if (s.structs.length !== 1 || st?.type !== type) throw new FxpError(`internal: expected one ${type} descriptor, the emitter declared ${s.structs.map((x) => x.type).join(', ') || 'none'}`);
  return st;
}

function kernelOf(s: PatchSite<FxOpType>, i = 0): string {
  const k = s.code.kernels[i];
  if (k === undefined) throw new FxpError(`internal: the emitter returned no kernel ${i}`);
  return k.name;
}

/** Pads must not depend on the input size (they are copied from the unit descriptor). */
function checkPads(s: PatchSite<'Conv' | 'ConvTranspose'>, pads: (h: number, w: number) => readonly number[]): void {
  const x = s.inShapes[0]!;
  const ref = pads(x.ah, x.aw).join(',');
  for (const [h, w] of PROBES) {
    if (pads(x.ah * h, x.aw * w).join(',') !== ref) throw new FxpError('padding depends on the input size (auto_pad): not supported by the size-generic C');
  }
}

const patchConvLike = (s: PatchSite<'Conv' | 'ConvTranspose'>): string[] => {
  const st = only(s, 'fx_conv_t');
  const x = s.inShapes[0]!;
  const y = s.outShape;
  return [
    `fx_conv_t p = ${st.name};`,
    `p.h = ${times(x.ah, 'h')}; p.w = ${times(x.aw, 'w')}; p.oh = ${times(y.ah, 'h')}; p.ow = ${times(y.aw, 'w')};`,
    `${kernelOf(s)}(&p, ${s.ins[0]}, ${s.out});`,
  ];
};

const patchConv: Patch<'Conv'> = (s) => {
  checkPads(s, (h, w) => windowGeometry(s.node.attrs, h, w).pads);
  return patchConvLike(s);
};

const patchConvTranspose: Patch<'ConvTranspose'> = (s) => {
  checkPads(s, (h, w) => transposeGeometry(s.node.attrs, h, w).pads);
  return patchConvLike(s);
};

/** emit-gather.ts emitDepthToSpace's index tables, built for the run-time size. */
export const D2S_SNIPPET: CSnippet = {
  deps: ['fx_elementwise_types'],
  text: `/* DepthToSpace as the gather of emit-gather.ts: the output viewed as [1, c/(b*b), h, b, w, b],
   each dim adding i * stride to the input offset; off holds 1 + c/(b*b) + h + b + w + b entries. */
static void fxn_depth_to_space(fx_gather_t *p, int32_t *off, int32_t c, int32_t h, int32_t w, int32_t b, int crd) {
  const int32_t co = c / (b * b), plane = h * w;
  int32_t dims[6], strides[6], k, i, at = 0;
  dims[0] = 1; dims[1] = co; dims[2] = h; dims[3] = b; dims[4] = w; dims[5] = b;
  strides[0] = c * plane;
  strides[1] = crd ? b * b * plane : plane;
  strides[2] = w;
  strides[3] = crd ? b * plane : b * co * plane;
  strides[4] = 1;
  strides[5] = crd ? plane : co * plane;
  p->out.rank = 6;
  for (k = 0; k < 6; k++) {
    p->out.dims[k] = dims[k];
    for (i = 0; i < dims[k]; i++) off[at++] = i * strides[k];
  }
  p->off = off;
}
`,
};

export const ALLOC_SNIPPET: CSnippet = {
  deps: [],
  text: `/* malloc(count * size), NULL when that overflows size_t. */
static void *fxn_alloc(size_t count, size_t size) {
  if (count == 0) count = 1;
  if (count > (size_t)-1 / size) return NULL;
  return malloc(count * size);
}
`,
};

const patchDepthToSpace: Patch<'DepthToSpace'> = (s) => {
  const st = only(s, 'fx_gather_t');
  const x = s.inShapes[0]!;
  const b = s.node.attrs.blocksize;
  s.allocates();
  return [
    `fx_gather_t p = ${st.name};`,
    `int32_t *off = (int32_t *)fxn_alloc((size_t)(${cInt(1 + x.c / (b * b) + 2 * b)} + ${times(x.ah, 'h')} + ${times(x.aw, 'w')}), sizeof(int32_t));`,
    `if (off == NULL) { rc = ${C_NET_CODES.noMemory}; goto done; }`,
    `fxn_depth_to_space(&p, off, ${cInt(x.c)}, ${times(x.ah, 'h')}, ${times(x.aw, 'w')}, ${cInt(b)}, ${s.node.attrs.mode === 'CRD' ? 1 : 0});`,
    `${kernelOf(s)}(&p, ${s.ins[0]}, ${s.out});`,
    'free(off);',
  ];
};

const patchConcat: Patch<'Concat'> = (s) => {
  const y = s.outShape;
  if (s.node.attrs.axis !== 1) throw new FxpError(`Concat on axis ${s.node.attrs.axis}: the size-generic C concatenates channels (axis 1) only`);
  if (s.structs.length !== s.ins.length || s.structs.some((x) => x.type !== 'fx_concat_t')) throw new FxpError('internal: expected one fx_concat_t per Concat input');
  const plane = times(y.ah * y.aw, 'units');
  let offset = 0;
  return s.ins.flatMap((input, k) => {
    const x = s.inShapes[k]!;
    const lines = [
      `{ fx_concat_t p = ${s.structs[k]!.name};`,
      `  p.chunk = ${times(x.c, plane)}; p.out_chunk = ${times(y.c, plane)}; p.offset = ${times(offset, plane)};`,
      `  ${kernelOf(s, k)}(&p, ${input}, ${s.out}); }`,
    ];
    offset += x.c;
    return lines;
  });
};

/** Element-wise conversions: an fx_map_t of `size` elements, or a plain copy. */
const patchMap: Patch<'Relu' | 'Clip' | 'LeakyRelu' | 'Identity' | 'Requantize'> = (s) => {
  const size = sizeExpr(s.outShape);
  if (s.structs.length === 0) return [`${kernelOf(s)}(${size}, ${s.ins[0]}, ${s.out});`];
  const st = only(s, 'fx_map_t');
  return [`fx_map_t p = ${st.name};`, `p.size = ${size};`, `${kernelOf(s)}(&p, ${s.ins[0]}, ${s.out});`];
};

/** Ops whose C parameters do not depend on the spatial size; null: not supported here. */
const PATCHES = {
  Conv: patchConv,
  ConvTranspose: patchConvTranspose,
  DepthToSpace: patchDepthToSpace,
  Concat: patchConcat,
  Relu: patchMap,
  Clip: patchMap,
  LeakyRelu: patchMap,
  Identity: patchMap,
  Requantize: patchMap,
  Dense: null,
  ChannelAffine: null,
  Add: null,
  Mul: null,
  MaxPool: null,
  AveragePool: null,
  GlobalMaxPool: null,
  GlobalAveragePool: null,
  Sigmoid: null,
  Tanh: null,
  Softmax: null,
  Flatten: null,
  Reshape: null,
  Transpose: null,
  Pad: null,
  Resize: null,
} as const satisfies { [K in FxOpType]: Patch<K> | null };

export function patchNode<K extends FxOpType>(node: FxNodeOf<K>, site: Omit<PatchSite<K>, 'node'>): string[] {
  const patch = PATCHES[node.op] as Patch<K> | null;
  if (patch === null) throw new FxpError('op is not supported by the size-generic C (codec networks use Conv, ConvTranspose, DepthToSpace, Concat and activations)');
  return patch({ node, ...site });
}
