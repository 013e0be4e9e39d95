/** Per-layer parameter and multiply-accumulate counts, from concrete shapes. */
import { sizeOf } from '../tensor.js';
import type { Graph } from './graph.js';
import { OP_PARAM_INPUTS } from './ops.js';

export interface LayerStats {
  readonly name: string;
  readonly op: string;
  readonly inputShapes: number[][];
  readonly outputShape: number[];
  readonly params: number;
  /** Multiply-accumulates per batch of the given input shapes. */
  readonly macs: number;
}

export function layerStats(g: Graph, shapes: readonly (readonly number[])[]): LayerStats[] {
  return g.nodes.map((node) => {
    const out = [...shapes[node.outputs[0]!]!];
    const ins = node.inputs.map((v) => [...shapes[v]!]);
    let params = 0;
    for (const pos of OP_PARAM_INPUTS[node.op]) {
      const id = node.inputs[pos];
      if (id !== undefined) params += g.values[id]!.data?.length ?? 0;
    }
    let macs = 0;
    switch (node.op) {
      case 'Conv': {
        const w = ins[1]!;
        macs = sizeOf(out) * w[1]! * w[2]! * w[3]!;
        break;
      }
      case 'ConvTranspose': {
        const w = ins[1]!;
        macs = sizeOf(ins[0]!) * w[1]! * w[2]! * w[3]!;
        break;
      }
      case 'Dense':
        macs = sizeOf(out) * ins[1]![1]!;
        break;
      case 'BatchNormalization':
      case 'ChannelAffine':
      case 'Mul':
        macs = sizeOf(out);
        break;
      default:
        break;
    }
    return { name: node.name, op: node.op, inputShapes: ins, outputShape: out, params, macs };
  });
}
