/**
 * Structural check of a fixed-point graph: what the `.fxp` writer requires before
 * it packs anything and what the reader guarantees of every graph it returns.
 *
 * Checks ids, single producers, topological order, arity per op, attribute
 * bounds, parameter shapes against the op (kernel, channel counts, per-channel
 * fl/range/bias lengths) and that every stored integer fits its declared width.
 * It does not infer activation shapes: that needs input sizes and is the
 * planner's job.
 *
 * Bounds (docs/fxp-format.md): weight and activation wl 2..16; bias wl 2..32
 * (unsigned: 2..31, so it fits an Int32Array); range bits 1..31; fl in -64..64
 * (src/fixed/format.ts); |shift| <= 64; every dimension and tensor at most
 * MAX_TENSOR_ELEMENTS elements.
 */
import { FxpError, MAX_TENSOR_ELEMENTS } from '../errors.js';
import type { Dim } from '../ir/graph.js';
import { FX_OP_ARITY, isFxOpType, type FxActivation, type FxBias, type FxExpTable, type FxGraph, type FxNode, type FxNodeOf, type FxOpAttrMap, type FxOpType, type FxTable, type FxValue, type FxWeights } from '../engine/fx-graph.js';
import { EXP_TABLE_FRAC } from '../fixed/exp.js';
import { MAX_FL, MAX_WL, MIN_FL, MIN_WL } from '../fixed/format.js';
import { firstOutOfRange, type BitWidth } from './bitpack.js';




/** Format bounds come from src/fixed/format.ts; the rest are this file's own. */
export const FX_LIMITS = {
  minWl: MIN_WL,
  maxWeightWl: MAX_WL.weight,
  maxActivationWl: MAX_WL.activation,
  /** Biases (either kind) are stored in Int32Arrays, so 32 bits at most. */
  maxBiasWl: Math.min(MAX_WL.bias, 32),
  /** Unsigned, in an Int32Array. */
  maxRangeBits: 31,
  minFl: MIN_FL,
  maxFl: MAX_FL,
  maxAbsShift: 64,
} as const;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

const isInt = (x: number, lo: number, hi: number): boolean => Number.isSafeInteger(x) && x >= lo && x <= hi;
const isFl = (x: number): boolean => isInt(x, FX_LIMITS.minFl, FX_LIMITS.maxFl);
const FL_RANGE = `${FX_LIMITS.minFl}..${FX_LIMITS.maxFl}`;

/**
 * Number of elements of a concrete shape, or undefined when a dim is not a
 * non-negative integer or the shape exceeds MAX_TENSOR_ELEMENTS (checked without
 * allocating, whatever the dims).
 */
export function elementCount(shape: readonly Dim[]): number | undefined {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !isInt(d, 0, MAX_TENSOR_ELEMENTS)) return undefined;
    n *= d;
  }
  return n <= MAX_TENSOR_ELEMENTS ? n : undefined;
}

type Fail = (message: string) => never;

function checkFits(data: Int32Array, w: BitWidth, what: string, fail: Fail): void {
  if (!(data instanceof Int32Array)) fail(`${what} must be an Int32Array`);
  const bad = firstOutOfRange(data, w);
  if (bad >= 0) fail(`${what}[${bad}] = ${data[bad]} does not fit ${w.signed ? 'signed' : 'unsigned'} ${w.bits} bits`);
}

function checkFormat(f: FxValue['format'], maxWl: number, what: string, fail: Fail): void {
  const hi = f.signed ? maxWl : Math.min(maxWl, 31);
  if (typeof f.signed !== 'boolean') fail(`${what} format: signed must be a boolean`);
  if (!isInt(f.wl, FX_LIMITS.minWl, hi)) fail(`${what} format: wl ${f.wl} must be an integer in ${FX_LIMITS.minWl}..${hi}`);
  if (!isFl(f.fl)) fail(`${what} format: fl ${f.fl} must be an integer in ${FL_RANGE}`);
}

function checkShape(shape: readonly Dim[], what: string, fail: Fail): void {
  for (const d of shape) {
    if (typeof d === 'string') continue;
    if (!isInt(d, 0, MAX_TENSOR_ELEMENTS)) fail(`${what} shape [${shape.join(', ')}] has an invalid dimension ${d}`);
  }
  const concrete = shape.filter((d): d is number => typeof d === 'number');
  if (elementCount(concrete) === undefined) fail(`${what} shape [${shape.join(', ')}] exceeds ${MAX_TENSOR_ELEMENTS} elements`);
}

/** Weights of rank `rank` (the op's layout): shape, wl, fl and range bounds, data within wl. Returns the shape. */
function checkWeights(w: FxWeights, rank: number, fail: Fail): readonly number[] {
  if (w.shape.length !== rank) fail(`weights must have rank ${rank}, got shape [${w.shape.join(', ')}]`);
  const n = elementCount(w.shape);
  if (n === undefined) fail(`weights shape [${w.shape.join(', ')}] is invalid or exceeds ${MAX_TENSOR_ELEMENTS} elements`);
  if (!isInt(w.wl, FX_LIMITS.minWl, FX_LIMITS.maxWeightWl)) fail(`weights wl ${w.wl} must be an integer in ${FX_LIMITS.minWl}..${FX_LIMITS.maxWeightWl}`);
  if (w.data.length !== n) fail(`weights hold ${w.data.length} values, shape [${w.shape.join(', ')}] needs ${n}`);
  checkFits(w.data, { bits: w.wl, signed: true }, 'weights', fail);
  for (const f of w.fl) if (!isFl(f)) fail(`weights fl ${f} must be an integer in ${FL_RANGE}`);
  if (w.range !== undefined) {
    const r = w.range;
    if (!isInt(r.bits, 1, FX_LIMITS.maxRangeBits)) fail(`range bits ${r.bits} must be an integer in 1..${FX_LIMITS.maxRangeBits}`);
    if (!isFl(r.fl)) fail(`range fl ${r.fl} must be an integer in ${FL_RANGE}`);
    if (r.data.length !== w.fl.length) fail(`range has ${r.data.length} entries, weights fl has ${w.fl.length}`);
    checkFits(r.data, { bits: r.bits, signed: false }, 'range', fail);
  }
  return w.shape;
}

function checkBias(b: FxBias | undefined, outChannels: number, fail: Fail): void {
  if (b === undefined) return;
  if (b.data.length !== outChannels) fail(`bias has ${b.data.length} values, the op has ${outChannels} output channels`);
  switch (b.kind) {
    case 'format':
      checkFormat(b.format, FX_LIMITS.maxBiasWl, 'bias', fail);
      checkFits(b.data, { bits: b.format.wl, signed: b.format.signed }, 'bias', fail);
      break;
    case 'accumulator':
      if (!isInt(b.wl, FX_LIMITS.minWl, FX_LIMITS.maxBiasWl)) fail(`accumulator bias wl ${b.wl} must be an integer in ${FX_LIMITS.minWl}..${FX_LIMITS.maxBiasWl}`);
      checkFits(b.data, { bits: b.wl, signed: true }, 'bias', fail);
      break;
    default:
      fail(`unknown bias kind '${String((b as { kind: unknown }).kind)}'`);
  }
}

function checkActivation(a: FxActivation | undefined, fail: Fail): void {
  if (a === undefined) return;
  switch (a.kind) {
    case 'Relu':
      break;
    case 'Clip':
      checkClip(a.lo, a.hi, fail);
      break;
    case 'LeakyRelu':
      checkLeaky(a.m, a.shift, fail);
      break;
    default:
      fail(`unknown activation kind '${String((a as { kind: unknown }).kind)}'`);
  }
}

function checkClip(lo: number, hi: number, fail: Fail): void {
  if (!isInt(lo, INT32_MIN, INT32_MAX) || !isInt(hi, INT32_MIN, INT32_MAX) || lo > hi) fail(`clip bounds [${lo}, ${hi}] must be 32-bit integers with lo <= hi`);
}

function checkLeaky(m: number, shift: number, fail: Fail): void {
  if (!isInt(m, INT32_MIN, INT32_MAX)) fail(`LeakyRelu multiplier ${m} must be a 32-bit integer`);
  if (!isInt(shift, -FX_LIMITS.maxAbsShift, FX_LIMITS.maxAbsShift)) fail(`LeakyRelu shift ${shift} must be an integer in -${FX_LIMITS.maxAbsShift}..${FX_LIMITS.maxAbsShift}`);
}

/** Weights, per-channel fl/range, bias and activation of an op with `outChannels` outputs. */
function checkParams(a: { weights: FxWeights; bias?: FxBias | undefined; activation?: FxActivation | undefined }, outChannels: number, fail: Fail): void {
  const nfl = a.weights.fl.length;
  if (nfl !== 1 && nfl !== outChannels) fail(`weights fl has ${nfl} entries, expected 1 or ${outChannels} (one per output channel)`);
  checkBias(a.bias, outChannels, fail);
  checkActivation(a.activation, fail);
}

function checkTable(t: FxTable, fail: Fail): void {
  if (!(t.data instanceof Int32Array)) fail('table must be an Int32Array');
  if (t.data.length < 1 || t.data.length > MAX_TENSOR_ELEMENTS) fail(`table has ${t.data.length} entries`);
  if (!isInt(t.qmin, INT32_MIN, INT32_MAX - (t.data.length - 1))) fail(`table qmin ${t.qmin} puts its ${t.data.length} entries outside the 32-bit range`);
}

/** The digit tables of src/fixed/exp.ts expQ: enough base-256 digits for jMax, 256 Q30 entries each. */
function checkExpTable(e: FxExpTable, fail: Fail): void {
  if (!isFl(e.inFl)) fail(`exp inFl ${e.inFl} must be an integer in ${FL_RANGE}`);
  if (!isInt(e.outFl, FX_LIMITS.minFl, EXP_TABLE_FRAC)) fail(`exp outFl ${e.outFl} must be an integer in ${FX_LIMITS.minFl}..${EXP_TABLE_FRAC}`);
  if (!isInt(e.jMax, 0, Number.MAX_SAFE_INTEGER)) fail(`exp jMax ${e.jMax} must be a non-negative integer`);
  if (e.tables.length < 1 || e.tables.length > 7 || 256 ** e.tables.length <= e.jMax) {
    fail(`exp has ${e.tables.length} digit tables; jMax ${e.jMax} needs ${Math.max(1, Math.ceil(Math.log(e.jMax + 1) / Math.log(256)))} (at most 7)`);
  }
  e.tables.forEach((t, c) => {
    if (!(t instanceof Int32Array) || t.length !== 256) fail(`exp digit table ${c} must be an Int32Array of 256 entries`);
    checkFits(t, { bits: EXP_TABLE_FRAC + 1, signed: false }, `exp digit table ${c}`, fail);
    const over = t.findIndex((v) => v > 2 ** EXP_TABLE_FRAC);
    if (over >= 0) fail(`exp digit table ${c}[${over}] = ${t[over]} exceeds 2^${EXP_TABLE_FRAC}`);
  });
}

const posInt = (x: number): boolean => isInt(x, 1, MAX_TENSOR_ELEMENTS);
const natInt = (x: number): boolean => isInt(x, 0, MAX_TENSOR_ELEMENTS);

function checkWindow(a: { kernel: readonly number[]; strides: readonly number[]; dilations: readonly number[]; pads: readonly number[] }, fail: Fail): void {
  for (const key of ['kernel', 'strides', 'dilations'] as const) {
    if (a[key].length !== 2 || !a[key].every(posInt)) fail(`${key} [${a[key].join(', ')}] must be two positive integers`);
  }
  if (a.pads.length !== 4 || !a.pads.every(natInt)) fail(`pads [${a.pads.join(', ')}] must be four non-negative integers`);
}

function checkAxis(axis: number, fail: Fail): void {
  if (!isInt(axis, 0, 64)) fail(`axis ${axis} must be a non-negative integer`);
}

type AttrCheck<K extends FxOpType> = (attrs: FxOpAttrMap[K], fail: Fail) => void;
const none = (): void => {};

/** Attribute checks by op; a new FxOpType fails to compile until it has one. */
const ATTR_CHECKS: { readonly [K in FxOpType]: AttrCheck<K> } = {
  Conv: (a, fail) => {
    checkWindow(a, fail);
    if (!posInt(a.group)) fail(`group ${a.group} must be a positive integer`);
    const [m, , kh, kw] = checkWeights(a.weights, 4, fail);
    if (kh !== a.kernel[0] || kw !== a.kernel[1]) fail(`weights shape [${a.weights.shape.join(', ')}] disagrees with kernel [${a.kernel.join(', ')}]`);
    if (m! % a.group !== 0) fail(`${m} output channels are not divisible by group ${a.group}`);
    checkParams(a, m!, fail);
  },
  ConvTranspose: (a, fail) => {
    checkWindow(a, fail);
    if (a.outputPadding.length !== 2 || !a.outputPadding.every(natInt)) fail(`outputPadding [${a.outputPadding.join(', ')}] must be two non-negative integers`);
    if (!posInt(a.group)) fail(`group ${a.group} must be a positive integer`);
    const [c, mPerGroup, kh, kw] = checkWeights(a.weights, 4, fail);
    if (kh !== a.kernel[0] || kw !== a.kernel[1]) fail(`weights shape [${a.weights.shape.join(', ')}] disagrees with kernel [${a.kernel.join(', ')}]`);
    if (c! % a.group !== 0) fail(`${c} input channels are not divisible by group ${a.group}`);
    checkParams(a, mPerGroup! * a.group, fail);
  },
  Dense: (a, fail) => checkParams(a, checkWeights(a.weights, 2, fail)[0]!, fail),
  ChannelAffine: (a, fail) => checkParams(a, checkWeights(a.weights, 1, fail)[0]!, fail),
  Add: (a, fail) => checkActivation(a.activation, fail),
  Mul: none,
  Concat: (a, fail) => checkAxis(a.axis, fail),
  MaxPool: checkWindow,
  AveragePool: checkWindow,
  GlobalMaxPool: none,
  GlobalAveragePool: none,
  Relu: none,
  Clip: (a, fail) => checkClip(a.lo, a.hi, fail),
  LeakyRelu: (a, fail) => checkLeaky(a.m, a.shift, fail),
  Sigmoid: (a, fail) => checkTable(a.table, fail),
  Tanh: (a, fail) => checkTable(a.table, fail),
  Softmax: (a, fail) => {
    checkAxis(a.axis, fail);
    checkExpTable(a.exp, fail);
  },
  Flatten: (a, fail) => checkAxis(a.axis, fail),
  Reshape: (a, fail) => {
    if (!a.shape.every((d) => isInt(d, -1, MAX_TENSOR_ELEMENTS))) fail(`shape [${a.shape.join(', ')}] must hold integers >= -1`);
    if (a.shape.filter((d) => d === -1).length > 1) fail(`shape [${a.shape.join(', ')}] has more than one -1`);
  },
  Transpose: (a, fail) => {
    const seen = new Set(a.perm);
    if (seen.size !== a.perm.length || !a.perm.every((p) => isInt(p, 0, a.perm.length - 1))) fail(`perm [${a.perm.join(', ')}] is not a permutation`);
  },
  Pad: (a, fail) => {
    if (a.pads.length % 2 !== 0 || !a.pads.every((p) => isInt(p, -MAX_TENSOR_ELEMENTS, MAX_TENSOR_ELEMENTS))) fail(`pads [${a.pads.join(', ')}] must be an even number of integers`);
    if (!isInt(a.value, INT32_MIN, INT32_MAX)) fail(`pad value ${a.value} must be a 32-bit integer`);
    if (a.channelValues !== undefined) {
      if (a.mode !== 'constant') fail(`channelValues need mode 'constant', got '${a.mode}'`);
      if (a.channelValues.length === 0 || !a.channelValues.every((v) => isInt(v, INT32_MIN, INT32_MAX))) fail(`channelValues [${a.channelValues.join(', ')}] must be one or more 32-bit integers`);
    }
  },
  DepthToSpace: (a, fail) => {
    if (!posInt(a.blocksize)) fail(`blocksize ${a.blocksize} must be a positive integer`);
  },
  Resize: (a, fail) => {
    if (!a.scales.every((s) => Number.isFinite(s) && s > 0)) fail(`scales [${a.scales.join(', ')}] must be positive numbers`);
    if (a.sizes !== undefined && !a.sizes.every(posInt)) fail(`sizes [${a.sizes.join(', ')}] must be positive integers`);
  },
  Requantize: none,
  Identity: none,
};

function checkAttrs<K extends FxOpType>(node: FxNodeOf<K>, fail: Fail): void {
  ATTR_CHECKS[node.op](node.attrs, fail);
}

/** Throws one FxpError naming `file` (and the node and op) for the first problem found. */
export function verifyFxGraph(fx: FxGraph, file?: string): void {
  function fail(message: string, node?: FxNode): never {
    throw new FxpError(`invalid fixed-point graph: ${message}`, { file, node: node?.name, op: node?.op });
  }
  const nValues = fx.values.length;
  const inRange = (id: number): boolean => isInt(id, 0, nValues - 1);
  fx.values.forEach((v, id) => {
    const what = `value ${id} ('${v.name}')`;
    checkShape(v.shape, what, fail);
    checkFormat(v.format, FX_LIMITS.maxActivationWl, what, fail);
  });
  const written = new Array<boolean>(nValues).fill(false);
  for (const id of fx.inputs) {
    if (!inRange(id)) fail(`graph input id ${id} out of range (graph has ${nValues} values)`);
    if (written[id]) fail(`graph input ${id} is listed twice`);
    written[id] = true;
  }
  const names = new Set<string>();
  for (const node of fx.nodes) {
    const nodeFail: Fail = (message) => fail(message, node);
    if (!isFxOpType(node.op)) nodeFail(`unknown op '${String(node.op)}'`);
    if (names.has(node.name)) nodeFail(`duplicate node name '${node.name}'`);
    names.add(node.name);
    const [min, max] = FX_OP_ARITY[node.op];
    if (node.inputs.length < min || node.inputs.length > max) nodeFail(`takes ${min === max ? min : `${min} or more`} inputs, got ${node.inputs.length}`);
    for (const id of node.inputs) {
      if (!inRange(id)) nodeFail(`input id ${id} out of range (graph has ${nValues} values)`);
      if (!written[id]) nodeFail(`input '${fx.values[id]!.name}' is read before it is written (nodes not in topological order?)`);
    }
    if (node.outputs.length !== 1) nodeFail(`must have exactly one output, has ${node.outputs.length}`);
    const out = node.outputs[0]!;
    if (!inRange(out)) nodeFail(`output id ${out} out of range (graph has ${nValues} values)`);
    if (written[out]) nodeFail(`output '${fx.values[out]!.name}' is written twice (or is a graph input)`);
    written[out] = true;
    checkAttrs(node, nodeFail);
  }
  if (fx.outputs.length === 0) fail('graph has no outputs');
  for (const id of fx.outputs) {
    if (!inRange(id)) fail(`graph output id ${id} out of range (graph has ${nValues} values)`);
    if (!written[id]) fail(`graph output '${fx.values[id]!.name}' is never computed`);
  }
}
