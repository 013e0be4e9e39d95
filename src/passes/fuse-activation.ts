/**
 * Fuses Relu / Clip / LeakyRelu into the Conv, ConvTranspose, Dense, ChannelAffine
 * or Add that produces their input, when that op has no activation yet and nothing
 * else reads its output. Exact: the activation is applied to the same values.
 */
import { consumers, type Graph } from '../ir/graph.js';
import type { FusedActivation, Node, NodeOf } from '../ir/ops.js';
import { GraphRewriter } from './rewrite.js';

function asActivation(n: Node): FusedActivation | undefined {
  switch (n.op) {
    case 'Relu':
      return { kind: 'Relu' };
    case 'Clip':
      return { kind: 'Clip', min: n.attrs.min, max: n.attrs.max };
    case 'LeakyRelu':
      return { kind: 'LeakyRelu', alpha: n.attrs.alpha };
    default:
      return undefined;
  }
}

type Fusable = NodeOf<'Conv'> | NodeOf<'ConvTranspose'> | NodeOf<'Dense'> | NodeOf<'ChannelAffine'> | NodeOf<'Add'>;

function isFusable(n: Node | undefined): n is Fusable {
  return n !== undefined && (n.op === 'Conv' || n.op === 'ConvTranspose' || n.op === 'Dense' || n.op === 'ChannelAffine' || n.op === 'Add');
}

export function fuseActivation(g: Graph): Graph {
  const readers = consumers(g);
  const producerIndex = new Map<number, number>();
  g.nodes.forEach((n, i) => producerIndex.set(n.outputs[0]!, i));
  const rw = new GraphRewriter(g);
  let changed = false;
  g.nodes.forEach((n, i) => {
    const act = asActivation(n);
    if (act === undefined) return;
    const x = n.inputs[0]!;
    const pi = producerIndex.get(x);
    if (pi === undefined || readers[x]!.length !== 1 || g.outputs.includes(x)) return;
    const prev = rw.node(pi);
    if (!isFusable(prev) || prev.attrs.activation !== undefined) return;
    // Keep the activation's output value (its name may be a graph output).
    rw.replaceNode(pi, { ...prev, attrs: { ...prev.attrs, activation: act }, outputs: n.outputs } as Node);
    rw.removeNode(i);
    changed = true;
  });
  return changed ? rw.finish() : g;
}
