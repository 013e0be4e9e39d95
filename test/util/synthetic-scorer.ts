/**
 * A tiny Conv -> ReLU -> Dense net's search space and a synthetic scorer over it
 * whose drop is a sum of per-structure penalties, for testing the search
 * strategies' decisions without running a network.
 */
import { GraphBuilder, type Graph } from '../../src/ir/graph.js';
import { canonicalize } from '../../src/passes/index.js';
import { calibrate } from '../../src/quantize/calibrate.js';
import type { Override } from '../../src/quantize/search/fake-quant.js';
import type { ScoreSource } from '../../src/quantize/search/goyal.js';
import type { Bound, Score, ScoreOptions } from '../../src/quantize/search/scorer.js';
import { searchSpace, type Config, type SearchSpace, type StructFormat } from '../../src/quantize/search/space.js';
import { randomArray, rng } from './random.js';

const CONV = { kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], autoPad: 'NOTSET', group: 1 } as const;

function tinyNet(): Graph {
  const r = rng(5);
  const b = new GraphBuilder('tiny');
  const x = b.addInput('x', ['N', 1, 4, 4]);
  let y = b.addNode('Conv', 'conv', CONV, [x, b.addConstant('w', [2, 1, 3, 3], randomArray(18, r)), b.addConstant('b', [2], randomArray(2, r))]);
  y = b.addNode('Relu', 'relu', {}, [y]);
  y = b.addNode('Flatten', 'flat', { axis: 1 }, [y]);
  y = b.addNode('Dense', 'fc', {}, [y, b.addConstant('fw', [3, 32], randomArray(96, r)), b.addConstant('fb', [3], randomArray(3, r))]);
  b.outputs.push(y);
  return canonicalize(b.finish());
}

export async function tinySpace(): Promise<SearchSpace> {
  const g = tinyNet();
  const stats = await calibrate(g, [[{ shape: [4, 1, 4, 4], data: randomArray(64, rng(9)) }]]);
  return searchSpace(g, stats);
}

export type Pen = (f: StructFormat) => number;

/**
 * drop = sum of per-structure penalties of the quantized structures; records every
 * scored configuration. With `grain`, a score on a prefix of the set (maxImages)
 * rounds the drop up to a multiple of it, as counting a few hundred images would.
 */
export class Synthetic implements ScoreSource {
  readonly calls: { config: (StructFormat | undefined)[]; override?: Override; prefix: boolean }[] = [];
  constructor(
    readonly space: SearchSpace,
    private readonly pens: ReadonlyMap<number, Pen>,
    private readonly grain?: number,
  ) {}
  focus(): Promise<void> {
    return Promise.resolve();
  }
  focusOn(): Promise<void> {
    return Promise.resolve();
  }
  /** The exact drop of a configuration. */
  dropOf(config: Config): number {
    let drop = 0;
    config.forEach((f, sid) => {
      if (f !== undefined) drop += this.pens.get(sid)?.(f) ?? 0;
    });
    return drop;
  }
  score(config: Config, override?: Override, _bound?: Bound, opts?: ScoreOptions): Promise<Score> {
    const merged = config.map((f, sid) => (override?.sid === sid ? override.f : f));
    const prefix = opts?.maxImages !== undefined;
    this.calls.push({ config: merged, override, prefix });
    const drop = this.dropOf(merged);
    const seen = prefix && this.grain !== undefined ? Math.ceil(drop / this.grain) * this.grain : drop;
    return Promise.resolve({ drop: seen, rank: drop, exact: true });
  }
}

