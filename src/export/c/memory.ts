/**
 * Static memory plan of the generated C: where every value lives.
 *
 * Graph inputs are read where the caller keeps them; a node output that is a graph
 * output is written straight into the caller's output buffer (its first listing;
 * repeated listings, and outputs that are graph inputs, are copied at the end).
 * Every other value is stored at the narrowest type of its format (int8_t for an
 * 8-bit signed format, ...) in one static arena per width (8, 16, 32 bits),
 * live from the node that writes it through its last reader (plan.lastUse). Offsets
 * come from the greedy-by-size planner of TFLite Micro: largest values first, each
 * at the lowest offset free of every placed value whose lifetime overlaps its own. A node's inputs stay live while it runs, so a kernel never writes
 * over what it reads. Signed and unsigned values of one width share an arena:
 * C99 6.5p7 lets an object be accessed through the signed or unsigned type
 * corresponding to its declared type; different widths never share one.
 */
import type { FxGraph } from '../../engine/fx-graph.js';
import { storageOfFormat, type CStorage } from './runtime-core.js';

export type ArenaWidth = 8 | 16 | 32;

export const ARENA_WIDTH = {
  int8_t: 8,
  uint8_t: 8,
  int16_t: 16,
  uint16_t: 16,
  int32_t: 32,
} as const satisfies { [T in CStorage]: ArenaWidth };

export type Placement =
  | { readonly kind: 'input'; readonly index: number }
  | { readonly kind: 'output'; readonly index: number }
  | { readonly kind: 'arena'; readonly type: CStorage; readonly offset: number };

export interface MemoryPlan {
  /** Per value id; undefined for values never computed. */
  readonly placements: readonly (Placement | undefined)[];
  /** Elements of each width's arena (0: no arena of that width). */
  readonly arenaElements: Readonly<Record<ArenaWidth, number>>;
  /** Output positions filled by a copy after the last node: [output index, value id]. */
  readonly copies: readonly (readonly [number, number])[];
}

interface Interval {
  readonly id: number;
  readonly size: number;
  /** Index of the node that writes the value. */
  readonly start: number;
  /** Index of the last node that reads it (or writes it, if none reads it). */
  readonly end: number;
}

interface Placed extends Interval {
  readonly offset: number;
}

/** Greedy by size: every interval placed at the lowest offset that no overlapping placed interval covers. */
function greedyBySize(items: readonly Interval[]): { offsets: Map<number, number>; total: number } {
  const order = [...items].sort((a, b) => b.size - a.size || a.start - b.start || a.id - b.id);
  const placed: Placed[] = [];
  const offsets = new Map<number, number>();
  let total = 0;
  for (const it of order) {
    const conflicts = placed.filter((p) => p.start <= it.end && it.start <= p.end).sort((a, b) => a.offset - b.offset);
    let at = 0;
    for (const p of conflicts) {
      if (p.offset - at >= it.size) break;
      at = Math.max(at, p.offset + p.size);
    }
    placed.push({ ...it, offset: at });
    offsets.set(it.id, at);
    total = Math.max(total, at + it.size);
  }
  return { offsets, total };
}

export function planMemory(fx: FxGraph, sizes: readonly number[], lastUse: Int32Array): MemoryPlan {
  const placements: (Placement | undefined)[] = new Array<Placement | undefined>(fx.values.length);
  fx.inputs.forEach((id, index) => {
    placements[id] = { kind: 'input', index };
  });
  const copies: [number, number][] = [];
  fx.outputs.forEach((id, index) => {
    if (placements[id] === undefined) placements[id] = { kind: 'output', index };
    else copies.push([index, id]);
  });
  const byWidth: Record<ArenaWidth, Interval[]> = { 8: [], 16: [], 32: [] };
  fx.nodes.forEach((node, i) => {
    const id = node.outputs[0]!;
    if (placements[id] !== undefined) return;
    byWidth[ARENA_WIDTH[storageOfFormat(fx.values[id]!.format)]].push({ id, size: sizes[id]!, start: i, end: Math.max(i, lastUse[id]!) });
  });
  const arenaElements: Record<ArenaWidth, number> = { 8: 0, 16: 0, 32: 0 };
  for (const w of [8, 16, 32] as const) {
    const { offsets, total } = greedyBySize(byWidth[w]);
    arenaElements[w] = total;
    for (const [id, offset] of offsets) placements[id] = { kind: 'arena', type: storageOfFormat(fx.values[id]!.format), offset };
  }
  return { placements, arenaElements, copies };
}
