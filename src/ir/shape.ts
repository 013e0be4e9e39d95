/**
 * Shape inference: concrete output shapes for every op, with the checks that make
 * a mismatched model fail here, naming the node, instead of deep inside a kernel.
 */
import { FxpError, MAX_TENSOR_ELEMENTS } from '../errors.js';
import { sizeOf } from '../tensor.js';
import type { Dim, Graph } from './graph.js';
import type { Node, NodeOf, OpType } from './ops.js';
import { transposeGeometry, windowGeometry } from './padding.js';

type Shape = readonly number[];
type ShapeFn<K extends OpType> = (node: NodeOf<K>, inputs: readonly Shape[]) => number[];

function fail(node: Node, msg: string): never {
  throw new FxpError(msg, { node: node.name, op: node.op });
}

function fmt(s: Shape): string {
  return `[${s.join(', ')}]`;
}

/**
 * Why a Pad's channelValues do not fit its input, or undefined when they do (or it
 * has none): the one rule the float kernel, the integer engine and both exports
 * apply. A channel dim that is not a number (an ONNX export's '?') is not counted.
 */
export function padChannelsProblem(attrs: Pick<NodeOf<'Pad'>['attrs'], 'channelValues' | 'mode' | 'pads'>, x: readonly Dim[]): string | undefined {
  const { channelValues: cv, mode, pads } = attrs;
  if (cv === undefined) return undefined;
  if (mode !== 'constant') return `channelValues need mode 'constant', got '${mode}'`;
  if (x.length < 2) return `channelValues need an input of rank >= 2 (channels on dim 1), got [${x.join(', ')}]`;
  if (pads[1] !== 0 || pads[1 + x.length] !== 0) return `channelValues need zero pads on dim 1 (channels), got pads [${pads.join(', ')}]`;
  if (typeof x[1] === 'number' && cv.length !== x[1]) return `channelValues has ${cv.length} values, the input [${x.join(', ')}] has ${x[1]} channels`;
  return undefined;
}

function need(node: Node, s: Shape | undefined, rank: number, what: string): Shape {
  if (s === undefined) fail(node, `missing ${what}`);
  if (s.length !== rank) fail(node, `${what} must have rank ${rank}, got ${fmt(s)}`);
  return s;
}

function same(node: Node, inputs: readonly Shape[]): number[] {
  return [...inputs[0]!];
}

export function broadcastShapes(node: Node, a: Shape, b: Shape): number[] {
  const r = Math.max(a.length, b.length);
  const out = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) fail(node, `cannot broadcast ${fmt(a)} with ${fmt(b)}`);
    out[i] = x === 1 ? y : x;
  }
  return out;
}

function checkChannelParams(node: Node, inputs: readonly Shape[], from: number): void {
  const x = inputs[0]!;
  if (x.length < 2) fail(node, `input must have a channel dim, got ${fmt(x)}`);
  const c = x[1]!;
  for (let i = from; i < inputs.length; i++) {
    const p = inputs[i]!;
    if (sizeOf(p) !== c) fail(node, `parameter ${i} has shape ${fmt(p)}, expected ${c} channel values`);
  }
}

function pool(node: NodeOf<'MaxPool'> | NodeOf<'AveragePool'>, inputs: readonly Shape[]): number[] {
  const [n, c, h, w] = need(node, inputs[0], 4, 'input') as [number, number, number, number];
  const g = windowGeometry(node.attrs, h, w);
  if (g.outH <= 0 || g.outW <= 0) fail(node, `window ${fmt(node.attrs.kernel)} does not fit input ${fmt(inputs[0]!)}`);
  return [n, c, g.outH, g.outW];
}

const SHAPE_FNS = {
  Conv: (node, inputs) => {
    const [n, c, h, w] = need(node, inputs[0], 4, 'input') as [number, number, number, number];
    const ws = need(node, inputs[1], 4, 'weight');
    const [m, cg, kh, kw] = ws as [number, number, number, number];
    const { group } = node.attrs;
    if (group < 1 || c % group !== 0 || m % group !== 0) fail(node, `group ${group} does not divide ${c} input and ${m} output channels`);
    if (cg * group !== c) fail(node, `weight ${fmt(ws)} expects ${cg * group} input channels, input ${fmt(inputs[0]!)} has ${c}`);
    if (kh !== node.attrs.kernel[0] || kw !== node.attrs.kernel[1]) fail(node, `weight ${fmt(ws)} does not match kernel ${fmt(node.attrs.kernel)}`);
    if (inputs[2] !== undefined && sizeOf(inputs[2]) !== m) fail(node, `bias ${fmt(inputs[2])} does not match ${m} output channels`);
    const g = windowGeometry(node.attrs, h, w);
    if (g.outH <= 0 || g.outW <= 0) fail(node, `kernel ${fmt(node.attrs.kernel)} does not fit input ${fmt(inputs[0]!)}`);
    return [n, m, g.outH, g.outW];
  },
  ConvTranspose: (node, inputs) => {
    const [n, c, h, w] = need(node, inputs[0], 4, 'input') as [number, number, number, number];
    const ws = need(node, inputs[1], 4, 'weight');
    const [wc, mg, kh, kw] = ws as [number, number, number, number];
    const { group } = node.attrs;
    if (group < 1 || c % group !== 0) fail(node, `group ${group} does not divide ${c} input channels`);
    if (wc !== c) fail(node, `weight ${fmt(ws)} expects ${wc} input channels, input has ${c}`);
    if (kh !== node.attrs.kernel[0] || kw !== node.attrs.kernel[1]) fail(node, `weight ${fmt(ws)} does not match kernel ${fmt(node.attrs.kernel)}`);
    const m = mg * group;
    if (inputs[2] !== undefined && sizeOf(inputs[2]) !== m) fail(node, `bias ${fmt(inputs[2])} does not match ${m} output channels`);
    const g = transposeGeometry(node.attrs, h, w);
    if (g.outH <= 0 || g.outW <= 0) fail(node, `output size ${g.outH}x${g.outW} is empty`);
    return [n, m, g.outH, g.outW];
  },
  Dense: (node, inputs) => {
    const x = inputs[0]!;
    const ws = need(node, inputs[1], 2, 'weight');
    const [m, k] = ws as [number, number];
    if (x.length < 2) fail(node, `input must be at least 2-D, got ${fmt(x)}`);
    if (x[x.length - 1] !== k) fail(node, `input ${fmt(x)} has ${x[x.length - 1]} features, weight ${fmt(ws)} expects ${k}`);
    if (inputs[2] !== undefined && sizeOf(inputs[2]) !== m) fail(node, `bias ${fmt(inputs[2])} does not match ${m} outputs`);
    return [...x.slice(0, -1), m];
  },
  BatchNormalization: (node, inputs) => {
    checkChannelParams(node, inputs, 1);
    return [...inputs[0]!];
  },
  ChannelAffine: (node, inputs) => {
    checkChannelParams(node, inputs, 1);
    return [...inputs[0]!];
  },
  Relu: same,
  Clip: same,
  LeakyRelu: same,
  Sigmoid: same,
  Tanh: same,
  Softmax: (node, inputs) => {
    const x = inputs[0]!;
    if (node.attrs.axis < 0 || node.attrs.axis >= x.length) fail(node, `axis ${node.attrs.axis} out of range for ${fmt(x)}`);
    return [...x];
  },
  MaxPool: pool,
  AveragePool: pool,
  GlobalMaxPool: (node, inputs) => {
    const x = inputs[0]!;
    if (x.length < 3) fail(node, `input must be at least 3-D, got ${fmt(x)}`);
    return [x[0]!, x[1]!, ...x.slice(2).map(() => 1)];
  },
  GlobalAveragePool: (node, inputs) => {
    const x = inputs[0]!;
    if (x.length < 3) fail(node, `input must be at least 3-D, got ${fmt(x)}`);
    return [x[0]!, x[1]!, ...x.slice(2).map(() => 1)];
  },
  Add: (node, inputs) => broadcastShapes(node, inputs[0]!, inputs[1]!),
  Mul: (node, inputs) => broadcastShapes(node, inputs[0]!, inputs[1]!),
  Concat: (node, inputs) => {
    const first = inputs[0]!;
    const axis = node.attrs.axis;
    if (axis < 0 || axis >= first.length) fail(node, `axis ${axis} out of range for ${fmt(first)}`);
    const out = [...first];
    for (let i = 1; i < inputs.length; i++) {
      const s = inputs[i]!;
      if (s.length !== first.length || s.some((d, j) => j !== axis && d !== first[j])) {
        fail(node, `input ${i} ${fmt(s)} does not match ${fmt(first)} outside axis ${axis}`);
      }
      out[axis]! += s[axis]!;
    }
    return out;
  },
  Flatten: (node, inputs) => {
    const x = inputs[0]!;
    const axis = node.attrs.axis;
    if (axis < 0 || axis > x.length) fail(node, `axis ${axis} out of range for ${fmt(x)}`);
    return [sizeOf(x.slice(0, axis)), sizeOf(x.slice(axis))];
  },
  Reshape: (node, inputs) => {
    const x = inputs[0]!;
    const total = sizeOf(x);
    let infer = -1;
    const out = node.attrs.shape.map((d, i) => {
      if (d === 0) {
        if (i >= x.length) fail(node, `shape ${fmt(node.attrs.shape)} copies dim ${i} that input ${fmt(x)} lacks`);
        return x[i]!;
      }
      if (d === -1) {
        if (infer >= 0) fail(node, `shape ${fmt(node.attrs.shape)} has more than one -1`);
        infer = i;
        return 1;
      }
      if (d < 0 || !Number.isInteger(d)) fail(node, `invalid dim ${d} in shape ${fmt(node.attrs.shape)}`);
      return d;
    });
    const known = sizeOf(out);
    if (infer >= 0) {
      if (known === 0 || total % known !== 0) fail(node, `cannot reshape ${fmt(x)} to ${fmt(node.attrs.shape)}`);
      out[infer] = total / known;
    } else if (known !== total) {
      fail(node, `cannot reshape ${fmt(x)} (${total} elements) to ${fmt(out)} (${known} elements)`);
    }
    return out;
  },
  Transpose: (node, inputs) => {
    const x = inputs[0]!;
    const perm = node.attrs.perm;
    const sorted = [...perm].sort((a, b) => a - b);
    if (perm.length !== x.length || sorted.some((p, i) => p !== i)) fail(node, `perm ${fmt(perm)} is not a permutation of ${x.length} dims`);
    return perm.map((p) => x[p]!);
  },
  Pad: (node, inputs) => {
    const x = inputs[0]!;
    const { pads } = node.attrs;
    if (pads.length !== 2 * x.length) fail(node, `pads ${fmt(pads)} need ${2 * x.length} values for ${fmt(x)}`);
    const out = x.map((d, i) => d + pads[i]! + pads[i + x.length]!);
    if (out.some((d) => d <= 0)) fail(node, `pads ${fmt(pads)} leave an empty tensor from ${fmt(x)}`);
    if (node.attrs.mode === 'reflect' && x.some((d, i) => pads[i]! >= d || pads[i + x.length]! >= d)) {
      fail(node, `reflect pads ${fmt(pads)} must be smaller than the input dims ${fmt(x)}`);
    }
    const problem = padChannelsProblem(node.attrs, x);
    if (problem !== undefined) fail(node, problem);
    return out;
  },
  DepthToSpace: (node, inputs) => {
    const [n, c, h, w] = need(node, inputs[0], 4, 'input') as [number, number, number, number];
    const b = node.attrs.blocksize;
    if (b < 1 || c % (b * b) !== 0) fail(node, `blocksize ${b} does not divide ${c} channels`);
    return [n, c / (b * b), h * b, w * b];
  },
  Resize: (node, inputs) => {
    const x = inputs[0]!;
    const { scales, sizes } = node.attrs;
    if (sizes !== undefined) {
      if (sizes.length !== x.length) fail(node, `sizes ${fmt(sizes)} do not match rank of ${fmt(x)}`);
      return [...sizes];
    }
    if (scales.length !== x.length) fail(node, `scales ${fmt(scales)} do not match rank of ${fmt(x)}`);
    if (scales.some((s) => !(s > 0))) fail(node, `scales ${fmt(scales)} must be positive`);
    return x.map((d, i) => Math.floor(d * scales[i]!));
  },
  Identity: same,
} satisfies { [K in OpType]: ShapeFn<K> };

/** Output shape of one node given its input shapes. Throws FxpError on mismatch. */
export function inferNodeShape(node: Node, inputs: readonly Shape[]): number[] {
  const fn = SHAPE_FNS[node.op] as ShapeFn<typeof node.op>;
  const out = (fn as (n: Node, i: readonly Shape[]) => number[])(node, inputs);
  if (out.some((d) => !Number.isInteger(d) || d < 0)) fail(node, `invalid output shape ${fmt(out)}`);
  const n = sizeOf(out);
  if (n > MAX_TENSOR_ELEMENTS) fail(node, `output shape ${fmt(out)} has ${n} elements, over the limit of ${MAX_TENSOR_ELEMENTS}`);
  return out;
}

/**
 * Concrete shapes of every value for the given input shapes (one per graph input).
 * Symbolic dims in declared input shapes match any size; numeric ones must agree.
 */
export function inferShapes(g: Graph, inputShapes: readonly (readonly number[])[]): number[][] {
  const shapes: (number[] | undefined)[] = g.values.map((v) =>
    v.data !== undefined ? v.shape.map((d) => (typeof d === 'number' ? d : -1)) : undefined,
  );
  if (inputShapes.length !== g.inputs.length) {
    throw new FxpError(`graph '${g.name}' takes ${g.inputs.length} inputs, got ${inputShapes.length}`);
  }
  g.inputs.forEach((id, i) => {
    const declared = g.values[id]!;
    const given = inputShapes[i]!;
    checkDeclared(declared.name, declared.shape, given);
    if (sizeOf(given) > MAX_TENSOR_ELEMENTS) throw new FxpError(`input '${declared.name}' shape ${fmt(given)} is too large`);
    shapes[id] = [...given];
  });
  for (const node of g.nodes) {
    const ins = node.inputs.map((v) => {
      const s = shapes[v];
      if (s === undefined) fail(node, `input '${g.values[v]?.name ?? v}' is used before it is computed`);
      return s;
    });
    shapes[node.outputs[0]!] = inferNodeShape(node, ins);
  }
  return shapes.map((s) => s ?? []);
}

function checkDeclared(name: string, declared: readonly Dim[], given: readonly number[]): void {
  if (declared.length === 0) return;
  const ok = declared.length === given.length && declared.every((d, i) => typeof d !== 'number' || d <= 0 || d === given[i]);
  if (!ok) throw new FxpError(`input '${name}' expects shape [${declared.join(', ')}], got ${fmt(given)}`);
}

/**
 * Replaces symbolic dims of the graph's declared input shapes: the batch dim with
 * `batch`, others with the matching entry of `fill` (by name), else an error.
 */
export function concreteInputShapes(g: Graph, batch = 1, fill: Readonly<Record<string, number>> = {}): number[][] {
  return g.inputs.map((id) => {
    const v = g.values[id]!;
    return v.shape.map((d, i) => {
      if (typeof d === 'number' && d > 0) return d;
      if (i === 0) return batch;
      const name = typeof d === 'string' ? d : `dim${i}`;
      const f = fill[name];
      if (f === undefined) {
        throw new FxpError(`input '${v.name}' has a dynamic dim '${name}' (shape [${v.shape.join(', ')}]); give a concrete input shape`);
      }
      return f;
    });
  });
}
