/**
 * BatchNormalization folding.
 *
 * BN(y) = (y - mean) * s + beta with s = gamma / sqrt(var + eps), per channel.
 * - After a Conv/Dense/ConvTranspose with no fused activation, whose output only
 *   the BN reads: fold into its weights and bias (W'[m] = W[m] * s[m],
 *   b'[m] = (b[m] - mean[m]) * s[m] + beta[m]); algebraically exact.
 * - Otherwise (e.g. the Goyal models' Conv -> ReLU -> BN) BN becomes a per-channel
 *   ChannelAffine(scale = s, bias = beta - mean * s).
 */
import { consumers, type Graph } from '../ir/graph.js';
import type { Node, NodeOf } from '../ir/ops.js';
import { GraphRewriter } from './rewrite.js';

interface Affine {
  scale: Float32Array;
  shift: Float32Array;
}

function bnAffine(g: Graph, bn: NodeOf<'BatchNormalization'>): Affine {
  const [, gi, bi, mi, vi] = bn.inputs as [number, number, number, number, number];
  const gamma = g.values[gi]!.data!;
  const beta = g.values[bi]!.data!;
  const mean = g.values[mi]!.data!;
  const variance = g.values[vi]!.data!;
  const c = gamma.length;
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    const s = gamma[i]! / Math.sqrt(variance[i]! + bn.attrs.epsilon);
    scale[i] = s;
    shift[i] = beta[i]! - mean[i]! * s;
  }
  return { scale, shift };
}

type Foldable = NodeOf<'Conv'> | NodeOf<'Dense'> | NodeOf<'ConvTranspose'>;

function isFoldable(n: Node | undefined): n is Foldable {
  return n !== undefined && (n.op === 'Conv' || n.op === 'Dense' || n.op === 'ConvTranspose') && n.attrs.activation === undefined;
}

/** Scales output channel m of the weight by scale[m]. */
function scaleWeights(prev: Foldable, w: Float32Array, shape: readonly number[], scale: Float32Array): Float32Array {
  const out = new Float32Array(w.length);
  if (prev.op === 'ConvTranspose') {
    // W [C, M/group, kh, kw]; output channel m = g * (M/group) + j, input channel c in group g.
    const [cIn, mg, kh, kw] = shape as [number, number, number, number];
    const cg = cIn / prev.attrs.group;
    const k = kh * kw;
    for (let c = 0; c < cIn; c++) {
      const grp = Math.floor(c / cg);
      for (let j = 0; j < mg; j++) {
        const s = scale[grp * mg + j]!;
        const base = (c * mg + j) * k;
        for (let t = 0; t < k; t++) out[base + t] = w[base + t]! * s;
      }
    }
    return out;
  }
  const m = shape[0]!;
  const per = w.length / m;
  for (let i = 0; i < m; i++) {
    const s = scale[i]!;
    for (let t = 0; t < per; t++) out[i * per + t] = w[i * per + t]! * s;
  }
  return out;
}

export function foldBatchNorm(g: Graph): Graph {
  if (!g.nodes.some((n) => n.op === 'BatchNormalization')) return g;
  const readers = consumers(g);
  const producerIndex = new Map<number, number>();
  g.nodes.forEach((n, i) => producerIndex.set(n.outputs[0]!, i));
  const rw = new GraphRewriter(g);
  g.nodes.forEach((bn, i) => {
    if (bn.op !== 'BatchNormalization') return;
    const { scale, shift } = bnAffine(g, bn);
    const x = bn.inputs[0]!;
    const pi = producerIndex.get(x);
    const prev = pi === undefined ? undefined : rw.node(pi);
    if (pi !== undefined && isFoldable(prev) && readers[x]!.length === 1 && !g.outputs.includes(x)) {
      const wv = g.values[prev.inputs[1]!]!;
      const w = scaleWeights(prev, wv.data!, wv.shape as number[], scale);
      const m = scale.length;
      const b = new Float32Array(m);
      const oldB = prev.inputs[2] === undefined ? undefined : g.values[prev.inputs[2]]!.data;
      for (let c = 0; c < m; c++) b[c] = (oldB?.[c] ?? 0) * scale[c]! + shift[c]!;
      const wId = rw.addConstant(`${wv.name}_bnfold`, wv.shape as number[], w);
      const bId = rw.addConstant(`${bn.name}_bias_bnfold`, [m], b);
      rw.replaceNode(pi, { ...prev, inputs: [prev.inputs[0]!, wId, bId] } as Node);
      rw.dropNode(i, x);
      return;
    }
    const c = scale.length;
    const sId = rw.addConstant(`${bn.name}_scale`, [c], scale);
    const bId = rw.addConstant(`${bn.name}_bias`, [c], shift);
    rw.replaceNode(i, { op: 'ChannelAffine', name: bn.name, attrs: {}, inputs: [x, sId, bId], outputs: bn.outputs });
  });
  return rw.finish();
}
