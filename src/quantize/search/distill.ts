/**
 * Post-training self-distillation (FxP-QNet's last step): the float network is
 * the teacher, and the quantized network is pulled back toward it layer by
 * layer, in graph order, with no retraining, from prediction-error statistics
 * on the search set:
 *
 *   - rounding choice: for each weighted layer, the weight fractional length is
 *     picked among F - 1, F, F + 1 at the same word length (a coarser step with
 *     a wider range, or the reverse) by the smallest mean squared error of the
 *     layer's output before its activation, after the correction below;
 *   - bias correction: the mean error of that output per channel, e_c =
 *     E[y_q,c - y_f,c] with everything upstream already quantized and corrected,
 *     is folded into the bias, b_c <- b_c - e_c. Behind a Relu the mean is over
 *     the values the Relu passes in either network (runner.ts LayerErrorSums).
 *     The bias keeps its step: if the corrected bias needs more range, its word
 *     length grows (up to 32 bits); a range-adaptive layer's bias is stored in
 *     accumulator units anyway;
 *   - check: the layer's new weights and bias are kept only if they lower the
 *     network's rank error (KL or output MSE against the float network) on the
 *     whole search set; else the layer is put back as it was. The mean error is
 *     the least-squares shift of each channel, not what the network's output
 *     needs: on searched networks close to the float one it can move the logits
 *     the wrong way (fashion-small, goyal at budget 0.01: KL 0.0041 to 0.0075
 *     from the last layer's correction alone).
 *
 * Each correction changes a bias constant of the float graph; the corrected graph
 * is what gets lowered, so the integer model carries the corrected biases.
 */
import type { Graph } from '../../ir/graph.js';
import { fracLength } from '../range.js';
import { maxAbs } from '../uniform.js';
import { errorFedOnUnits } from './fake-quant.js';
import { GPTQ_ROWS, gram } from './gptq.js';
import type { LayerErrorSums } from './runner.js';
import type { Score, Scorer } from './scorer.js';
import { weightUnits, type StructFormat } from './space.js';

export type DistillRounding = 'nearest' | 'gptq';

export interface DistillOptions {
  /** Try F - 1 and F + 1 for the weights (default true). */
  readonly flip?: boolean;
  /**
   * Rounding of the weights: 'nearest' (each weight to its nearest grid point), or
   * 'gptq' (also try error-compensating rounding, gptq.ts, for every candidate
   * format, and keep whichever gives the least output error; Conv with one group
   * and Dense only). Default 'nearest'.
   */
  readonly rounding?: DistillRounding;
  /** Fold the mean error into the bias (default true). */
  readonly biasCorrection?: boolean;
  /** Keep a layer's change only if it lowers the network's rank error on the search set (default true). */
  readonly check?: boolean;
  /** The whole-set score of `start`, where the caller has it (else the check scores it). */
  readonly startScore?: Score;
  readonly onLayer?: (step: DistillStep, done: number, total: number) => void;
}

export interface DistillStep {
  readonly node: string;
  readonly weightBefore: StructFormat;
  readonly weightAfter: StructFormat;
  /** The weights were rounded with error feedback (gptq.ts), not to nearest. */
  readonly gptq?: boolean;
  /** Output MSE (per value, before the activation): at the start format uncorrected, and as chosen. */
  readonly mseBefore: number;
  readonly mseAfter: number;
  /** Largest |e_c| folded into the bias. */
  readonly maxCorrection: number;
  /** The layer's new weights and bias lowered the network's rank error and were kept (else the layer is as it was). */
  readonly applied?: boolean;
  /** Whether the pass this step belongs to was kept (index.ts checks the whole network). */
  readonly kept?: boolean;
}

export interface DistillResult {
  readonly graph: Graph;
  readonly config: StructFormat[];
  readonly steps: DistillStep[];
  /** With the check: the whole-set score of the returned network. */
  readonly score?: Score;
}

export async function distill(scorer: Scorer, start: readonly StructFormat[], opts: DistillOptions = {}): Promise<DistillResult> {
  const config = start.slice();
  const steps: DistillStep[] = [];
  const g0 = scorer.space.graph;
  const layers = g0.nodes.map((n, i) => ({ n, i })).filter(({ n }) => scorer.space.paramsOf.has(n.name));
  const scoreOf = async (c: readonly StructFormat[]): Promise<Score> => {
    await scorer.focus(c, { pos: 0 });
    return scorer.score(c);
  };
  let score = opts.check === false ? undefined : (opts.startScore ?? (await scoreOf(config)));
  for (const { n, i } of layers) {
    const p = scorer.space.paramsOf.get(n.name)!;
    const wf = config[p.weight]!;
    const cands = opts.flip === false ? [wf] : [wf, { wl: wf.wl, fl: wf.fl - 1 }, { wl: wf.wl, fl: wf.fl + 1 }];
    const wId = n.inputs[1]!;
    // Error feedback starts from the float weights, also in a later pass whose graph carries rounded ones.
    const wFloat = scorer.teacher.values[wId]!.data!;
    const parts = opts.rounding === 'gptq' ? await scorer.layerRows(config, i, Math.max(1, Math.ceil(GPTQ_ROWS / scorer.chunkCount))) : undefined;
    // Every candidate rounded to nearest, then (gptq) with error feedback, all scored in one pass over the search set.
    const fed: Float32Array[] = [];
    if (parts !== undefined && parts.length > 0) {
      const h = gram(parts);
      const ws = scorer.space.structures[p.weight]!;
      for (const f of cands) fed.push(errorFedOnUnits(wFloat, f.wl, weightUnits(scorer.space, ws, f), h));
    }
    const all = [...cands, ...cands.slice(0, fed.length)];
    const sums = await scorer.layerErrors(config, i, all, [...cands.map(() => undefined), ...fed]);
    // Range-adaptive layers have a bias (in accumulator units) but no bias structure.
    const correct = opts.biasCorrection !== false && n.inputs[2] !== undefined;
    const mseOf = (s: LayerErrorSums): number => {
      let e = 0;
      for (let c = 0; c < s.sum.length; c++) e += correct && s.counted[c]! > 0 ? s.sumSq[c]! - (s.sum[c]! * s.sum[c]!) / s.counted[c]! : s.sumSq[c]!;
      return e / Math.max(1, s.count * s.sum.length);
    };
    // The least output error wins, ties to the first (nearest before error feedback).
    const options = all.map((f, j) => ({ f, sums: sums[j]!, mse: mseOf(sums[j]!), w: j < cands.length ? undefined : fed[j - cands.length] }));
    let best = options[0]!;
    for (const o of options) if (o.mse < best.mse) best = o;
    const before = { config: config.slice(), w: scorer.space.graph.values[wId]!.data!, b: n.inputs[2] === undefined ? undefined : scorer.space.graph.values[n.inputs[2]]!.data! };
    if (best.w !== undefined) await scorer.patch(wId, best.w);
    config[p.weight] = best.f;
    let maxCorrection = 0;
    if (correct) {
      const bId = n.inputs[2]!;
      const b = scorer.space.graph.values[bId]!.data!;
      const s = best.sums;
      const nb = Float32Array.from(b, (x, c) => (s.counted[c]! > 0 ? x - s.sum[c]! / s.counted[c]! : x));
      for (let c = 0; c < b.length; c++) maxCorrection = Math.max(maxCorrection, Math.abs(nb[c]! - b[c]!));
      if (p.bias !== undefined) {
        // Keep the bias's step; widen the word to the range the corrected bias needs.
        const bf = config[p.bias]!;
        const short = Math.max(0, bf.fl - fracLength(maxAbs(nb), bf.wl, true));
        const wl = Math.min(32, bf.wl + short);
        config[p.bias] = { wl, fl: bf.fl - (bf.wl + short - wl) };
      }
      await scorer.patch(bId, nb);
    }
    const s0 = options[0]!.sums;
    const mseBefore = s0.sumSq.reduce((a, x) => a + x, 0) / Math.max(1, s0.count * s0.sum.length);
    let applied = true;
    if (score !== undefined) {
      const after = await scoreOf(config);
      applied = after.rank <= score.rank;
      if (applied) score = after;
      else {
        config.splice(0, config.length, ...before.config);
        await scorer.patch(wId, before.w);
        if (before.b !== undefined) await scorer.patch(n.inputs[2]!, before.b);
      }
    }
    const step: DistillStep = applied
      ? { node: n.name, weightBefore: wf, weightAfter: best.f, gptq: best.w !== undefined, mseBefore, mseAfter: best.mse, maxCorrection, applied }
      : { node: n.name, weightBefore: wf, weightAfter: wf, gptq: false, mseBefore, mseAfter: mseBefore, maxCorrection: 0, applied };
    steps.push(step);
    opts.onLayer?.(step, steps.length, layers.length);
  }
  return { graph: scorer.space.graph, config, steps, score };
}
