/**
 * One step down for a structure, chosen from error statistics (no network run):
 * from (wl, fl) to (wl - 1, fl - 1), which keeps the range and doubles the step,
 * or to (wl - 1, fl), which keeps the step and halves the range (clipping). The
 * one with the smaller expected squared error wins: exact over the tensor for
 * weights and biases, from the calibration histogram of |x| for activations
 * (rounding noise step^2/12 inside the range, clipping error outside).
 *
 * Also the per-bit savings that FxP-QNet's gradual reduction divides by.
 */
import { quantError } from '../range.js';
import type { Histogram } from '../histogram.js';
import { rangeAdaptiveKernel, weightFls, type Config, type SearchSpace, type StructFormat, type Structure } from './space.js';

export type Objective = 'memory' | 'mult' | 'bops' | 'both';
export const OBJECTIVES: readonly Objective[] = ['memory', 'mult', 'bops', 'both'];

function histMse(h: Histogram, signed: boolean, f: StructFormat): number {
  const step = 2 ** -f.fl;
  const clip = (2 ** (signed ? f.wl - 1 : f.wl) - 1) * step;
  const w = h.binWidth;
  let err = 0;
  for (let i = 0; i < h.nBins; i++) {
    const n = h.bins[i]!;
    if (n === 0) continue;
    const c = (i + 0.5) * w;
    err += c > clip ? n * (c - clip) ** 2 : (n * step * step) / 12;
  }
  return err;
}

/** Expected squared quantization error of structure s at format f (relative units per structure). */
export function structureError(space: SearchSpace, s: Structure, f: StructFormat): number {
  if (s.kind === 'activation') {
    const st = space.stats.get(s.valueId);
    return st === undefined ? 0 : histMse(st.hist, s.signed, f);
  }
  const data = space.graph.values[s.valueId]!.data!;
  if (s.kind === 'bias') return quantError(data, { signed: true, wl: f.wl, fl: f.fl });
  if (space.weightScheme === 'range-adaptive') {
    const { values } = rangeAdaptiveKernel(space, s, f);
    let e = 0;
    for (let i = 0; i < data.length; i++) e += (values[i]! - data[i]!) ** 2;
    return e;
  }
  const fls = weightFls(s, f);
  const per = data.length / fls.length;
  let e = 0;
  fls.forEach((fl, c) => (e += quantError(data, { signed: true, wl: f.wl, fl }, c * per, (c + 1) * per)));
  return e;
}

/** The better of the two formats one bit below f. */
export function lowerOne(space: SearchSpace, s: Structure, f: StructFormat): StructFormat {
  const keepRange = { wl: f.wl - 1, fl: f.fl - 1 };
  const keepStep = { wl: f.wl - 1, fl: f.fl };
  return structureError(space, s, keepStep) < structureError(space, s, keepRange) ? keepStep : keepRange;
}

/**
 * What one bit less on structure s saves under the objective, at config:
 *   memory: its element count;
 *   mult:   Goyal's multiplication cost, wl_w * wl_a(out) * MACs, differentiated;
 *   bops:   wl_w * wl_in * MACs, differentiated;
 *   both:   memory / its uniform 8-bit total + mult / its uniform 8-bit total.
 */
export function bitSaving(space: SearchSpace, config: Config, s: Structure, objective: Objective): number {
  if (objective === 'memory') return s.count;
  if (objective === 'both') {
    // Each as a fraction of its uniform 8-bit total, so neither swamps the other.
    const mem8 = 8 * space.structures.reduce((t, x) => t + x.count, 0);
    const mult8 = 64 * space.macs.reduce((t, m) => t + m, 0);
    return s.count / mem8 + (mult8 > 0 ? bitSaving(space, config, s, 'mult') / mult8 : 0);
  }
  const g = space.graph;
  const wlOf = (sid: number | undefined, fallback: number): number => (sid === undefined ? fallback : (config[sid]?.wl ?? fallback));
  if (s.kind === 'bias') return 0;
  if (s.kind === 'weight') {
    const node = s.nodeIndex;
    const macs = space.macs[node]!;
    if (objective === 'mult') return macs * wlOf(space.activationOf.get(g.nodes[node]!.outputs[0]!), 32);
    return macs * wlOf(space.inputStructure[node], 8);
  }
  let total = 0;
  g.nodes.forEach((n, i) => {
    const p = space.paramsOf.get(n.name);
    if (p === undefined) return;
    const reads = objective === 'mult' ? n.outputs[0] === s.valueId : space.inputStructure[i] === s.id;
    if (reads) total += space.macs[i]! * wlOf(p.weight, 32);
  });
  return total;
}
