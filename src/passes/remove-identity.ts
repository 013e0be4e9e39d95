/** Drops Identity nodes (Dropout imports as Identity): readers use the input instead. */
import type { Graph } from '../ir/graph.js';
import { GraphRewriter } from './rewrite.js';

export function removeIdentity(g: Graph): Graph {
  if (!g.nodes.some((n) => n.op === 'Identity')) return g;
  const rw = new GraphRewriter(g);
  g.nodes.forEach((n, i) => {
    // An Identity that maps a graph input straight to an output must stay.
    if (n.op === 'Identity' && !(g.outputs.includes(n.outputs[0]!) && g.inputs.includes(n.inputs[0]!))) {
      rw.dropNode(i, n.inputs[0]!);
    }
  });
  return rw.finish();
}
