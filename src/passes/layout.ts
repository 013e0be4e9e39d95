/**
 * Canonical layout. Channels-last importers leave explicit Transposes around an
 * NCHW graph; this pass removes the ones that move no data:
 * 1. Transpose followed by Transpose: composed; an identity perm disappears.
 * 2. A Transpose that only moves size-1 dims (e.g. NHWC -> NCHW of a 1-channel
 *    image, or after a global pool) becomes a Reshape (batch dim kept as 0).
 * 3. Transpose [0,2,3,1] -> Flatten(axis 1) -> Dense (Keras's Flatten of an NHWC
 *    tensor): the Transpose is dropped and the Dense weight columns permuted so that
 *    the Dense reads the NCHW flattening. Exact: a permutation of products.
 * 4. Reshape (batch kept) feeding Flatten(axis 1) or another Reshape: bypassed.
 * Rewrites that need static shapes are skipped when the graph has dynamic dims.
 */
import { consumers, producers, type Graph } from '../ir/graph.js';
import type { Node, NodeOf } from '../ir/ops.js';
import { concreteInputShapes, inferShapes } from '../ir/shape.js';
import { GraphRewriter } from './rewrite.js';

function staticShapes(g: Graph): number[][] | undefined {
  try {
    return inferShapes(g, concreteInputShapes(g, 2));
  } catch {
    return undefined;
  }
}

function composeTransposes(g: Graph): Graph {
  const prod = producers(g);
  const readers = consumers(g);
  const rw = new GraphRewriter(g);
  let changed = false;
  g.nodes.forEach((n, i) => {
    if (n.op !== 'Transpose') return;
    const x = n.inputs[0]!;
    const pi = prod[x]!;
    const prev = pi >= 0 ? rw.node(pi) : undefined;
    if (prev?.op === 'Transpose' && readers[x]!.length === 1 && !g.outputs.includes(x)) {
      const perm = n.attrs.perm.map((p) => prev.attrs.perm[p]!);
      rw.replaceNode(i, { ...n, attrs: { perm }, inputs: prev.inputs });
      rw.removeNode(pi);
      changed = true;
    }
  });
  const g2 = changed ? rw.finish() : g;
  const rw2 = new GraphRewriter(g2);
  let dropped = false;
  g2.nodes.forEach((n, i) => {
    if (n.op === 'Transpose' && n.attrs.perm.every((p, j) => p === j)) {
      rw2.dropNode(i, n.inputs[0]!);
      dropped = true;
    }
  });
  return dropped ? rw2.finish() : g2;
}

function transposesToReshapes(g: Graph): Graph {
  const shapes = staticShapes(g);
  if (shapes === undefined) return g;
  const rw = new GraphRewriter(g);
  let changed = false;
  g.nodes.forEach((n, i) => {
    if (n.op !== 'Transpose' || n.attrs.perm[0] !== 0) return;
    const inShape = shapes[n.inputs[0]!]!;
    // Dims other than the batch with size > 1, in the order the perm reads them.
    const moved = n.attrs.perm.filter((p) => p === 0 || inShape[p] !== 1);
    if (moved.some((p, j) => j > 0 && p < moved[j - 1]!)) return;
    const outShape = shapes[n.outputs[0]!]!;
    const shape = [0, ...outShape.slice(1)];
    const reshape: NodeOf<'Reshape'> = { op: 'Reshape', name: n.name, attrs: { shape }, inputs: n.inputs, outputs: n.outputs };
    rw.replaceNode(i, reshape);
    changed = true;
  });
  return changed ? rw.finish() : g;
}

function foldFlattenTranspose(g: Graph): Graph {
  const shapes = staticShapes(g);
  if (shapes === undefined) return g;
  const prod = producers(g);
  const readers = consumers(g);
  const rw = new GraphRewriter(g);
  let changed = false;
  g.nodes.forEach((fl, fi) => {
    if (fl.op !== 'Flatten' || fl.attrs.axis !== 1) return;
    const t = fl.inputs[0]!;
    const ti = prod[t]!;
    const tr = ti >= 0 ? g.nodes[ti] : undefined;
    if (tr?.op !== 'Transpose' || tr.attrs.perm.join() !== '0,2,3,1' || readers[t]!.length !== 1) return;
    const denseIdx = readers[fl.outputs[0]!]!;
    if (g.outputs.includes(fl.outputs[0]!) || denseIdx.length === 0) return;
    if (!denseIdx.every((di) => g.nodes[di]!.op === 'Dense' && g.nodes[di]!.inputs[0] === fl.outputs[0])) return;
    const [, c, h, w] = shapes[tr.inputs[0]!] as [number, number, number, number];
    for (const di of denseIdx) {
      const dense = g.nodes[di] as NodeOf<'Dense'>;
      const wv = g.values[dense.inputs[1]!]!;
      const [m, k] = wv.shape as [number, number];
      const src = wv.data!;
      const dst = new Float32Array(src.length);
      for (let o = 0; o < m; o++) {
        for (let ci = 0; ci < c; ci++) {
          for (let hi = 0; hi < h; hi++) {
            for (let wi = 0; wi < w; wi++) {
              dst[o * k + (ci * h + hi) * w + wi] = src[o * k + (hi * w + wi) * c + ci]!;
            }
          }
        }
      }
      const wId = rw.addConstant(`${wv.name}_nchw`, [m, k], dst);
      rw.replaceNode(di, { ...dense, inputs: [dense.inputs[0]!, wId, ...dense.inputs.slice(2)] });
    }
    rw.replaceNode(fi, { ...fl, inputs: tr.inputs } as Node);
    changed = true;
  });
  return changed ? rw.finish() : g;
}

function bypassReshapes(g: Graph): Graph {
  const prod = producers(g);
  const rw = new GraphRewriter(g);
  let changed = false;
  g.nodes.forEach((n, i) => {
    const flattenLike = (n.op === 'Flatten' && n.attrs.axis === 1) || (n.op === 'Reshape' && n.attrs.shape[0] === 0);
    if (!flattenLike) return;
    const x = n.inputs[0]!;
    const pi = prod[x]!;
    const prev = pi >= 0 ? g.nodes[pi] : undefined;
    if (prev?.op === 'Reshape' && prev.attrs.shape[0] === 0) {
      rw.replaceNode(i, { ...n, inputs: prev.inputs } as Node);
      changed = true;
    }
  });
  return changed ? rw.finish() : g;
}

export function canonicalLayout(g: Graph): Graph {
  return bypassReshapes(foldFlattenTranspose(transposesToReshapes(composeTransposes(g))));
}
