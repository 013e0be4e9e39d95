/**
 * TensorFlow.js (wasm backend) on the benchmark's float graphs: a small
 * interpreter mapping the canonical ops to tfjs-core ops in NHWC (tfjs's native
 * layout). NCHW graph inputs are transposed once per run (counted in the time).
 * Optional devDependencies: non-literal specifiers keep typecheck independent of them.
 */
import type * as TfTypes from '@tensorflow/tfjs-core';
import type { Graph } from '../src/ir/graph.js';
import type { FusedActivation, Pair } from '../src/ir/ops.js';
import type { Engine } from './engines.js';
import type { BenchModel } from './models.js';

type Tf = typeof TfTypes;
type T4 = TfTypes.Tensor4D;

const pair = (p: Pair): [number, number] => [p[0], p[1]];

function pads4(p: readonly number[]): [[number, number], [number, number], [number, number], [number, number]] {
  return [[0, 0], [p[0]!, p[2]!], [p[1]!, p[3]!], [0, 0]];
}

function build(tf: Tf, g: Graph): (x: TfTypes.Tensor) => TfTypes.Tensor {
  const consts = new Map<number, TfTypes.Tensor>();
  const constOf = (id: number): TfTypes.Tensor => {
    let t = consts.get(id);
    if (t === undefined) {
      const v = g.values[id]!;
      t = tf.keep(tf.tensor(v.data!, v.shape as number[]));
      consts.set(id, t);
    }
    return t;
  };
  const act = (x: TfTypes.Tensor, a: FusedActivation | undefined): TfTypes.Tensor =>
    a === undefined ? x : a.kind === 'Relu' ? tf.relu(x) : a.kind === 'Clip' ? tf.clipByValue(x, a.min, a.max) : tf.leakyRelu(x, a.alpha);
  // Filters converted once: ONNX [M, C/g, kH, kW] -> tf [kH, kW, C/g, M] (depthwise: [kH, kW, C, 1]).
  const filters = new Map<number, TfTypes.Tensor4D>();
  for (const n of g.nodes) {
    if (n.op !== 'Conv') continue;
    const w = constOf(n.inputs[1]!);
    const dw = n.attrs.group > 1;
    if (dw && n.attrs.group !== w.shape[0]) throw new Error(`grouped (non-depthwise) conv '${n.name}' is not supported`);
    filters.set(n.inputs[1]!, tf.transpose(w, dw ? [2, 3, 0, 1] : [2, 3, 1, 0]) as T4);
  }
  return (input) => {
    const vals = new Map<number, TfTypes.Tensor>([[g.inputs[0]!, input]]);
    for (const n of g.nodes) {
      const x = vals.get(n.inputs[0]!)!;
      let y: TfTypes.Tensor;
      switch (n.op) {
        case 'Conv': {
          const a = n.attrs;
          const f = filters.get(n.inputs[1]!)!;
          const pad = a.autoPad === 'VALID' ? 'valid' : a.autoPad === 'NOTSET' ? pads4(a.pads) : 'same';
          y = a.group > 1
            ? tf.depthwiseConv2d(x as T4, f, pair(a.strides), pad === 'valid' || pad === 'same' ? pad : 'same', 'NHWC', pair(a.dilations))
            : tf.conv2d(x as T4, f, pair(a.strides), pad, 'NHWC', pair(a.dilations));
          if (n.inputs[2] !== undefined) y = tf.add(y, constOf(n.inputs[2]));
          y = act(y, a.activation);
          break;
        }
        case 'ChannelAffine':
          y = act(tf.add(tf.mul(x, constOf(n.inputs[1]!)), constOf(n.inputs[2]!)), n.attrs.activation);
          break;
        case 'Add':
          y = act(tf.add(x, vals.get(n.inputs[1]!)!), n.attrs.activation);
          break;
        case 'MaxPool':
          y = tf.maxPool(x as T4, pair(n.attrs.kernel), pair(n.attrs.strides), n.attrs.autoPad === 'VALID' ? 'valid' : 'same');
          break;
        case 'GlobalMaxPool':
          y = tf.max(x, [1, 2], true);
          break;
        case 'GlobalAveragePool':
          y = tf.mean(x, [1, 2], true);
          break;
        case 'Flatten':
          y = tf.reshape(x, [x.shape[0]!, -1]);
          break;
        case 'Dense':
          y = act(tf.add(tf.matMul(x as TfTypes.Tensor2D, constOf(n.inputs[1]!) as TfTypes.Tensor2D, false, true), n.inputs[2] === undefined ? 0 : constOf(n.inputs[2])), n.attrs.activation);
          break;
        case 'Reshape':
          // Only the layout reshape of a one-channel NHWC input ([N,H,W,1] -> [N,1,H,W]): the same data in NHWC.
          if (x.shape.length !== 4 || x.shape[3] !== 1) throw new Error(`reshape '${n.name}' is not supported`);
          y = x;
          break;
        case 'DepthToSpace': {
          const b = n.attrs.blocksize;
          const [nn, h, w, cc] = x.shape as [number, number, number, number];
          const c = cc / (b * b);
          y = n.attrs.mode === 'CRD'
            ? tf.reshape(tf.transpose(tf.reshape(x, [nn * h, w, c, b, b]), [0, 3, 1, 4, 2]), [nn, h * b, w * b, c])
            : tf.depthToSpace(x as T4, b, 'NHWC');
          break;
        }
        case 'Softmax':
          y = tf.softmax(x);
          break;
        default:
          throw new Error(`op '${n.op}' is not supported`);
      }
      vals.set(n.outputs[0]!, y);
    }
    return vals.get(g.outputs[0]!)!;
  };
}

export async function tfjsWasm(): Promise<Engine> {
  let tf: Tf;
  try {
    const core = '@tensorflow/tfjs-core';
    const wasm = '@tensorflow/tfjs-backend-wasm';
    tf = (await import(core)) as Tf;
    await import(wasm);
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialize');
    await tf.ready();
  } catch (err) {
    const why = `TF.js wasm unavailable: ${err instanceof Error ? err.message : String(err)}`;
    return { name: 'tfjs wasm', prepare: async () => why };
  }
  return {
    name: 'tfjs wasm',
    prepare: async (m: BenchModel) => {
      try {
        const run = build(tf, m.float);
        const nchw = m.float.inputLayout !== 'NHWC';
        return async () => {
          const out = tf.tidy(() => {
            const x = tf.tensor(m.input.data, m.input.shape as number[]);
            return run(nchw ? tf.transpose(x, [0, 2, 3, 1]) : x);
          });
          await out.data();
          out.dispose();
        };
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
    },
  };
}
