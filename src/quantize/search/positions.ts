/**
 * Positions in a graph for partial re-runs. Position p (0 <= p <= nodes.length)
 * is the point before node p; the live set at p is every value computed before p
 * (or a graph input) that node p or a later node reads, or that is a graph
 * output. Given the live set at p, running nodes p.. reproduces the outputs, so a
 * change to a structure only re-runs the nodes downstream of it.
 *
 * A structure's entry: weights and biases of node k enter at k (node k re-runs
 * with the candidate parameters); an activation produced by node k enters at
 * k + 1 with that value cached before rounding ("raw"), so each candidate format
 * only rounds the cached value and runs what follows.
 */
import { producers, type Graph } from '../../ir/graph.js';
import type { SearchSpace } from './space.js';

export interface Entry {
  readonly pos: number;
  /** Value kept unrounded in the cache (the activation under search). */
  readonly raw?: number | undefined;
}

/** Value ids of the live set at every position 0..nodes.length. */
export function liveSets(g: Graph): number[][] {
  const prod = producers(g);
  const lastUse = new Array<number>(g.values.length).fill(-1);
  g.nodes.forEach((n, i) => {
    for (const v of n.inputs) lastUse[v] = Math.max(lastUse[v]!, i);
  });
  for (const v of g.outputs) lastUse[v] = g.nodes.length;
  const sets: number[][] = [];
  for (let p = 0; p <= g.nodes.length; p++) {
    const live: number[] = [];
    for (let v = 0; v < g.values.length; v++) {
      if (g.values[v]!.data !== undefined) continue;
      const born = prod[v] ?? -1;
      const isInput = born < 0;
      if (isInput && !g.inputs.includes(v)) continue;
      if ((isInput || born < p) && lastUse[v]! >= p) live.push(v);
    }
    sets.push(live);
  }
  return sets;
}

export function entryOf(space: SearchSpace, sid: number): Entry {
  const s = space.structures[sid]!;
  return s.kind === 'activation' ? { pos: s.nodeIndex + 1, raw: s.valueId } : { pos: s.nodeIndex };
}

/**
 * Structures whose formats are baked into a cache at position `pos` (all of
 * them upstream of it), except the raw value, which stays unrounded there.
 */
export function upstreamOf(space: SearchSpace, entry: Entry): number[] {
  return space.structures.filter((s) => (s.kind === 'activation' ? s.nodeIndex + 1 <= entry.pos && s.valueId !== entry.raw : s.nodeIndex < entry.pos)).map((s) => s.id);
}
