/**
 * A float ONNX (opset 13) writer for the canonical float graphs the benchmark
 * runs on float engines (onnxruntime-node/web): the Keras model and the
 * MobileNetV2-shaped network have no ONNX file of their own. Covers the ops those
 * graphs use; anything else is an FxpError naming the node.
 */
import { FxpError } from '../src/errors.js';
import { OnnxType, OnnxWriter, type OnnxAttr } from '../src/export/onnx-qdq-writer.js';
import type { Graph } from '../src/ir/graph.js';
import { inferShapes } from '../src/ir/shape.js';
import type { FusedActivation, PoolAttrs } from '../src/ir/ops.js';

function poolAttrs(a: PoolAttrs): Record<string, OnnxAttr> {
  const base: Record<string, OnnxAttr> = { kernel_shape: a.kernel, strides: a.strides, ceil_mode: a.ceilMode ? 1 : 0 };
  return a.autoPad === 'NOTSET' ? { ...base, pads: a.pads } : { ...base, auto_pad: a.autoPad };
}

/** `inputShape` (batch first) gives the declared output shapes, batch left symbolic. */
export function floatGraphToOnnx(g: Graph, inputShape: readonly number[]): Uint8Array {
  const shapes = inferShapes(g, [inputShape]);
  const w = new OnnxWriter();
  const name = new Map<number, string>();
  const ref = (id: number): string => {
    const n = name.get(id);
    if (n !== undefined) return n;
    const v = g.values[id]!;
    if (v.data === undefined) throw new FxpError(`value '${v.name}' is used before it is computed`);
    const t = w.tensor(v.name, OnnxType.FLOAT, v.shape as number[], v.data);
    name.set(id, t);
    return t;
  };
  const act = (x: string, a: FusedActivation | undefined, hint: string): string => {
    if (a === undefined) return x;
    if (a.kind === 'Relu') return w.node('Relu', [x], hint);
    if (a.kind === 'LeakyRelu') return w.node('LeakyRelu', [x], hint, { alpha: { float: a.alpha } });
    return w.node('Clip', [x, w.scalar('lo', OnnxType.FLOAT, a.min), w.scalar('hi', OnnxType.FLOAT, a.max)], hint);
  };
  // Graph output names are reserved first: the final Identity nodes write them.
  for (const id of g.outputs) w.unique(g.values[id]!.name);
  for (const id of g.inputs) {
    const v = g.values[id]!;
    w.unique(v.name);
    w.graphInput(v.name, OnnxType.FLOAT, v.shape);
    name.set(id, v.name);
  }
  const emit = (n: Graph['nodes'][number]): string => {
    const ins = n.inputs.map(ref);
    const x = ins[0]!;
    switch (n.op) {
      case 'Conv': {
        const a = n.attrs;
        const attrs: Record<string, OnnxAttr> = { kernel_shape: a.kernel, strides: a.strides, dilations: a.dilations, group: a.group };
        const y = w.node('Conv', ins, n.name, a.autoPad === 'NOTSET' ? { ...attrs, pads: a.pads } : { ...attrs, auto_pad: a.autoPad });
        return act(y, a.activation, `${n.name}_act`);
      }
      case 'Dense': {
        const y = w.node('Gemm', ins, n.name, { transB: 1 });
        return act(y, n.attrs.activation, `${n.name}_act`);
      }
      case 'ChannelAffine': {
        const shape = w.tensor('affine_shape', OnnxType.INT64, [4], [1, -1, 1, 1]);
        const s = w.node('Reshape', [ins[1]!, shape], `${n.name}_s`);
        const b = w.node('Reshape', [ins[2]!, shape], `${n.name}_b`);
        return act(w.node('Add', [w.node('Mul', [x, s], `${n.name}_mul`), b], n.name), n.attrs.activation, `${n.name}_act`);
      }
      case 'Add':
        return act(w.node('Add', ins, n.name), n.attrs.activation, `${n.name}_act`);
      case 'Relu':
        return w.node('Relu', ins, n.name);
      case 'Clip':
        return w.node('Clip', [x, w.scalar('lo', OnnxType.FLOAT, n.attrs.min), w.scalar('hi', OnnxType.FLOAT, n.attrs.max)], n.name);
      case 'MaxPool':
        return w.node('MaxPool', ins, n.name, poolAttrs(n.attrs));
      case 'AveragePool':
        return w.node('AveragePool', ins, n.name, { ...poolAttrs(n.attrs), count_include_pad: n.attrs.countIncludePad ? 1 : 0 });
      case 'GlobalMaxPool':
      case 'GlobalAveragePool':
        return w.node(n.op, ins, n.name);
      case 'Flatten':
      case 'Softmax':
        return w.node(n.op, ins, n.name, { axis: n.attrs.axis });
      case 'Reshape':
        return w.node('Reshape', [x, w.tensor(`${n.name}_shape`, OnnxType.INT64, [n.attrs.shape.length], n.attrs.shape)], n.name);
      case 'DepthToSpace':
        return w.node('DepthToSpace', ins, n.name, { blocksize: n.attrs.blocksize, mode: n.attrs.mode });
      default:
        throw new FxpError(`float ONNX writer: op '${n.op}' is not supported`, { node: n.name, op: n.op });
    }
  };
  for (const n of g.nodes) name.set(n.outputs[0]!, emit(n));
  for (const id of g.outputs) {
    const out = g.values[id]!;
    w.graphOutput(out.name, OnnxType.FLOAT, ['N', ...shapes[id]!.slice(1)]);
    w.node('Identity', [name.get(id)!], out.name, {}, out.name);
  }
  return w.encode(g.name, 13, 7, {}, 'fxpnet bench: float graph');
}
