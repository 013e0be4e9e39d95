/**
 * Strategy 'fxpqnet': gradual, label-free reduction in the manner of FxP-QNet
 * (Shawahna et al. 2022). Every data structure (the weights, biases and
 * activations of every layer) starts at a safe high precision; precision is
 * then lowered where it costs least, the cost of a step being the increase of
 * the network's prediction error against the float network (metric.ts `rank`:
 * KL for classifiers, output MSE for image networks) per bit saved under the
 * objective (lowering.ts). It stops when no step fits the budget.
 *
 *   1. uniform descent: all structures together, one bit at a time from
 *      `startBits`, while the drop stays within `uniformShare` of the budget;
 *   2. rounds: score one step down of every structure still open, from its own
 *      position (a sweep in graph order, so partial re-runs stay cheap), on a
 *      prefix of the set (`rankImages`); take the steps in order of cost per bit
 *      saved while their estimated drops fit the budget left, at most
 *      `acceptShare` of the open structures; check the combination on the whole
 *      set and halve it until it fits.
 *   3. endgame: once no step's prefix estimate fits the budget left, or the
 *      cheapest that seemed to fit did not, the estimates are too coarse to
 *      choose by (a few images' worth of drop); the steps are then checked one
 *      by one on the whole set, in order of cost, each on top of those accepted
 *      before it. Checks score a passing configuration on the whole set (no
 *      confident early pass), so the drop carried forward is not an estimate
 *      that stopped because it happened to be low. A structure is closed only when
 *      its step alone fails a whole-set check (or it is at `minBits`, or a bit
 *      less saves nothing), never on a prefix estimate.
 *   4. self-distillation (distill.ts) after the rounds; rounds and distillation
 *      repeat `passes` times.
 */
import { bitSaving, lowerOne, type Objective } from './lowering.js';
import type { ScoreSource } from './goyal.js';
import type { Score } from './scorer.js';
import { startFl, type StructFormat } from './space.js';

export interface FxpQNetOptions {
  readonly budget: number;
  readonly objective?: Objective;
  /** Safe starting word length (default 16). */
  readonly startBits?: number;
  readonly minBits?: number;
  /** Fraction of the budget the uniform descent may use (default 0.25). */
  readonly uniformShare?: number;
  /** Most steps taken per round, as a fraction of the open structures (default 0.3). */
  readonly acceptShare?: number;
  /** Most rounds (default 40). */
  readonly maxRounds?: number;
  /**
   * Score every configuration with the weights rounded with error feedback
   * (OPTQ/GPTQ, gptq.ts) instead of to nearest; H of each layer's input is taken
   * once, in graph order, from the network at the starting precision (default false).
   */
  readonly errorFeedback?: boolean;
  /** Classifiers: images the cost of a step is estimated on (a spread prefix of the set; default 300); checks use all. */
  readonly rankImages?: number;
  readonly onRound?: (r: FxpQNetRound) => void;
}

export interface FxpQNetRound {
  readonly round: number;
  readonly open: number;
  readonly accepted: number;
  /** Steps checked one by one on the whole set (the endgame); 0 in a batch round. */
  readonly checked: number;
  readonly drop: number;
  readonly rank: number;
}

export interface FxpQNetResult {
  readonly config: StructFormat[];
  readonly rounds: FxpQNetRound[];
  readonly uniformBits: number;
  /** The drop on the whole search set. */
  readonly drop: number;
  /** Accepted configurations undone by the final check. */
  readonly backedOff: number;
}

const MAX_BITS = { weight: 16, bias: 32, activation: 16 } as const;

/** The drop on the whole search set; with `bound`, stopped early only once it is sure to exceed it. */
async function scoreAll(scorer: ScoreSource, config: readonly StructFormat[], bound?: number): Promise<Score> {
  await scorer.focus(config, { pos: 0 });
  return scorer.score(config, undefined, bound === undefined ? undefined : { value: bound, whole: true });
}

export async function fxpqnetSearch(scorer: ScoreSource, opts: FxpQNetOptions, start?: readonly StructFormat[]): Promise<FxpQNetResult> {
  const space = scorer.space;
  const objective = opts.objective ?? 'memory';
  const minBits = opts.minBits ?? 2;
  const budget = opts.budget;
  let config: StructFormat[];
  let uniformBits = opts.startBits ?? 16;
  let cur: Score;
  if (start !== undefined) {
    config = start.slice();
    cur = await scoreAll(scorer, config);
  } else {
    const at = (wl: number): StructFormat[] => space.structures.map((s) => ({ wl: Math.min(wl, MAX_BITS[s.kind]), fl: startFl(s, Math.min(wl, MAX_BITS[s.kind])) }));
    config = at(uniformBits);
    if (opts.errorFeedback === true) for (const st of space.structures) if (st.kind === 'weight') await scorer.setErrorFeedback?.(config, st.id);
    cur = await scoreAll(scorer, config);
    const limit = budget * (opts.uniformShare ?? 0.25);
    while (uniformBits > minBits) {
      const trial = at(uniformBits - 1);
      const sc = await scoreAll(scorer, trial, limit);
      if (sc.drop > limit) break;
      config = trial;
      cur = sc;
      uniformBits--;
    }
  }

  const open = new Set(space.structures.filter((s) => config[s.id]!.wl > minBits).map((s) => s.id));
  const rounds: FxpQNetRound[] = [];
  // Every accepted configuration, for the final check's back-off.
  const history: StructFormat[][] = [config];
  for (let round = 1; round <= (opts.maxRounds ?? 40) && open.size > 0; round++) {
    const left = budget - cur.drop;
    const openBefore = open.size;
    const rankImages = opts.rankImages ?? 300;
    // Step costs are compared on the same spread prefix of the set (scorer.ts).
    await scorer.focus(config, { pos: 0 });
    const base = await scorer.score(config, undefined, undefined, { maxImages: rankImages });
    const steps: { sid: number; f: StructFormat; dDrop: number; cost: number }[] = [];
    for (const s of space.structures) {
      if (!open.has(s.id)) continue;
      const saving = bitSaving(space, config, s, objective);
      if (!(saving > 0)) {
        open.delete(s.id);
        continue;
      }
      const f = lowerOne(space, s, config[s.id]!);
      await scorer.focusOn(config, s.id);
      // Bounded well past the budget left: such a step is not taken in a batch, and
      // its cost (from a lower bound) only orders it in the endgame.
      const sc = await scorer.score(config, { sid: s.id, f }, { value: base.drop + 2 * left }, { maxImages: rankImages });
      steps.push({ sid: s.id, f, dDrop: Math.max(0, sc.drop - base.drop), cost: (sc.rank - base.rank) / saving });
    }
    steps.sort((a, b) => a.cost - b.cost || a.sid - b.sid);
    let take: typeof steps = [];
    let sum = 0;
    const most = Math.max(1, Math.ceil(open.size * (opts.acceptShare ?? 0.3)));
    for (const st of steps) {
      if (take.length >= most) break;
      if (sum + st.dDrop > left) continue;
      take.push(st);
      sum += st.dDrop;
    }
    let accepted = 0;
    let checked = 0;
    const accept = (trial: StructFormat[], sc: Score, taken: readonly { sid: number; f: StructFormat }[]): void => {
      config = trial;
      cur = sc;
      history.push(config);
      accepted += taken.length;
      for (const st of taken) if (st.f.wl <= minBits) open.delete(st.sid);
    };
    while (take.length > 0) {
      const trial = config.slice();
      for (const st of take) trial[st.sid] = st.f;
      const sc = await scoreAll(scorer, trial, budget);
      if (sc.drop <= budget) {
        accept(trial, sc, take);
        break;
      }
      if (take.length === 1) {
        open.delete(take[0]!.sid);
        break;
      }
      take = take.slice(0, Math.ceil(take.length / 2));
    }
    if (accepted === 0) {
      // Endgame (also when the cheapest step that seemed to fit did not): every
      // other open step on the whole set, cheapest first, on top of the accepted ones.
      for (const st of steps) {
        if (!open.has(st.sid)) continue;
        const trial = config.slice();
        trial[st.sid] = st.f;
        checked++;
        const sc = await scoreAll(scorer, trial, budget);
        if (sc.drop <= budget) accept(trial, sc, [st]);
        else open.delete(st.sid);
      }
    }
    const r = { round, open: open.size, accepted, checked, drop: cur.drop, rank: cur.rank };
    rounds.push(r);
    opts.onRound?.(r);
    if (accepted === 0 && open.size === openBefore) break;
  }
  // Checks score passing configurations on the whole set, so this backs off only
  // from a given start past the budget; kept as the contract's last guard.
  let backedOff = 0;
  for (let i = history.length - 1; i >= 0; i--) {
    const exact = await scoreAll(scorer, history[i]!);
    config = history[i]!;
    cur = exact;
    if (exact.drop <= budget) break;
    backedOff++;
  }
  return { config, rounds, uniformBits, drop: cur.drop, backedOff };
}
