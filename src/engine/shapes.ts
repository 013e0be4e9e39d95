/**
 * Shape inference for the fixed-point graph, shared by the integer engine and the
 * float64 simulation. Each FxNode is viewed as the equivalent float node (weights
 * become parameter-input shapes) so the float IR's checks and messages apply
 * unchanged; Requantize has the shape rules of Identity.
 */
import { FxpError, MAX_TENSOR_ELEMENTS } from '../errors.js';
import type { Node, NodeOf, OpType } from '../ir/ops.js';
import { inferNodeShape } from '../ir/shape.js';
import { sizeOf } from '../tensor.js';
import type { Dim } from '../ir/graph.js';
import type { FxGraph, FxNode, FxNodeOf, FxOpType } from './fx-graph.js';

type Shape = readonly number[];
interface FloatView {
  readonly node: Node;
  readonly shapes: readonly Shape[];
}
type ViewFn<K extends FxOpType> = (n: FxNodeOf<K>, inputs: readonly Shape[]) => FloatView;

function view<K extends OpType>(n: FxNode, op: K, attrs: NodeOf<K>['attrs'], shapes: readonly Shape[]): FloatView {
  const node: NodeOf<K> = { op, name: n.name, attrs, inputs: [], outputs: [] };
  return { node: node as Node, shapes };
}

function withBias(inputs: readonly Shape[], wShape: Shape, bias: { data: Int32Array } | undefined): Shape[] {
  const out: Shape[] = [inputs[0] ?? [], wShape];
  if (bias !== undefined) out.push([bias.data.length]);
  return out;
}

const same = (n: FxNode, inputs: readonly Shape[]): FloatView => view(n, 'Identity', {}, inputs);

const FLOAT_VIEWS = {
  Conv: (n, ins) => {
    const { kernel, strides, dilations, pads, autoPad, group, weights, bias } = n.attrs;
    return view(n, 'Conv', { kernel, strides, dilations, pads, autoPad, group }, withBias(ins, weights.shape, bias));
  },
  ConvTranspose: (n, ins) => {
    const { kernel, strides, dilations, pads, autoPad, outputPadding, group, weights, bias } = n.attrs;
    return view(n, 'ConvTranspose', { kernel, strides, dilations, pads, autoPad, outputPadding, group }, withBias(ins, weights.shape, bias));
  },
  Dense: (n, ins) => view(n, 'Dense', {}, withBias(ins, n.attrs.weights.shape, n.attrs.bias)),
  ChannelAffine: (n, ins) => {
    const c = n.attrs.weights.shape;
    return view(n, 'ChannelAffine', {}, [ins[0] ?? [], c, n.attrs.bias === undefined ? c : [n.attrs.bias.data.length]]);
  },
  Add: (n, ins) => view(n, 'Add', {}, ins),
  Mul: (n, ins) => view(n, 'Mul', {}, ins),
  Concat: (n, ins) => view(n, 'Concat', n.attrs, ins),
  MaxPool: (n, ins) => view(n, 'MaxPool', n.attrs, ins),
  AveragePool: (n, ins) => view(n, 'AveragePool', n.attrs, ins),
  GlobalMaxPool: (n, ins) => view(n, 'GlobalMaxPool', {}, ins),
  GlobalAveragePool: (n, ins) => view(n, 'GlobalAveragePool', {}, ins),
  Relu: same,
  Clip: same,
  LeakyRelu: same,
  Sigmoid: same,
  Tanh: same,
  Softmax: (n, ins) => view(n, 'Softmax', n.attrs, ins),
  Flatten: (n, ins) => view(n, 'Flatten', n.attrs, ins),
  Reshape: (n, ins) => view(n, 'Reshape', n.attrs, ins),
  Transpose: (n, ins) => view(n, 'Transpose', n.attrs, ins),
  Pad: (n, ins) => view(n, 'Pad', n.attrs, ins),
  DepthToSpace: (n, ins) => view(n, 'DepthToSpace', n.attrs, ins),
  Resize: (n, ins) => view(n, 'Resize', n.attrs, ins),
  Requantize: same,
  Identity: same,
} satisfies { [K in FxOpType]: ViewFn<K> };

/** Output shape of one fixed-point node given its input shapes. Throws FxpError on mismatch. */
export function inferFxNodeShape(node: FxNode, inputs: readonly Shape[]): number[] {
  const fn = FLOAT_VIEWS[node.op] as (n: FxNode, i: readonly Shape[]) => FloatView;
  const v = fn(node, inputs);
  return inferNodeShape(v.node, v.shapes);
}

function fmt(s: readonly Dim[]): string {
  return `[${s.join(', ')}]`;
}

/**
 * Checks concrete input shapes against the graph's declared ones. Dim 0 is the
 * batch and may take any size; other numeric declared dims must match exactly,
 * symbolic ones (strings, or numbers <= 0) match any size.
 */
export function checkInputShapes(fx: FxGraph, inputShapes: readonly Shape[]): void {
  if (inputShapes.length !== fx.inputs.length) {
    throw new FxpError(`graph '${fx.name}' takes ${fx.inputs.length} inputs, got ${inputShapes.length}`);
  }
  fx.inputs.forEach((id, i) => {
    const v = fx.values[id]!;
    const given = inputShapes[i]!;
    const ok =
      v.shape.length === 0 ||
      (v.shape.length === given.length && v.shape.every((d, j) => j === 0 || typeof d !== 'number' || d <= 0 || d === given[j]));
    if (!ok) throw new FxpError(`input '${v.name}' expects shape ${fmt(v.shape)} (any batch), got ${fmt(given)}`);
    if (given.some((d) => !Number.isInteger(d) || d < 0)) throw new FxpError(`input '${v.name}' has an invalid shape ${fmt(given)}`);
    if (sizeOf(given) > MAX_TENSOR_ELEMENTS) throw new FxpError(`input '${v.name}' shape ${fmt(given)} is too large`);
  });
}

/** Concrete shapes of every value (by id) for the given input shapes; [] for values never computed. */
export function inferFxShapes(fx: FxGraph, inputShapes: readonly Shape[]): number[][] {
  checkInputShapes(fx, inputShapes);
  const shapes: (number[] | undefined)[] = new Array<number[] | undefined>(fx.values.length);
  fx.inputs.forEach((id, i) => {
    shapes[id] = [...inputShapes[i]!];
  });
  for (const node of fx.nodes) {
    const ins = node.inputs.map((v) => {
      const s = shapes[v];
      if (s === undefined) throw new FxpError(`input '${fx.values[v]?.name ?? v}' is used before it is computed`, { node: node.name, op: node.op });
      return s;
    });
    shapes[node.outputs[0]!] = inferFxNodeShape(node, ins);
  }
  return shapes.map((s) => s ?? []);
}
