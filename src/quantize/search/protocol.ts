/**
 * Requests between the scorer (main thread) and its shards, and the one place
 * that dispatches them to a ShardRunner: worker.ts in a worker thread, pool.ts's
 * in-thread pool otherwise.
 */
import { FxpError } from '../../errors.js';
import type { FxGraph } from '../../engine/fx-graph.js';
import { runFloatIO } from '../../engine/io.js';
import { cliKernels, createEngine } from '../../engine/runtime.js';
import { createFloatExecutor } from '../../float/executor.js';
import type { Graph } from '../../ir/graph.js';
import type { Tensor } from '../../tensor.js';
import type { Override } from './fake-quant.js';
import type { ChunkSums } from './metric.js';
import type { Entry } from './positions.js';
import { ShardRunner, type ChunkInput, type LayerErrorSums, type RunnerInit } from './runner.js';
import type { Config, StructFormat } from './space.js';
import type { LayerRows } from './gptq.js';

export type PoolRequest =
  | { readonly type: 'init'; readonly init: RunnerInit }
  | { readonly type: 'float'; readonly chunks: readonly ChunkInput[] }
  | { readonly type: 'load'; readonly chunks: readonly ChunkInput[] }
  | { readonly type: 'prepare'; readonly config: Config; readonly entry: Entry; readonly fromInput: boolean }
  | { readonly type: 'evaluate'; readonly config: Config; readonly override: Override | undefined; readonly entry: Entry; readonly ids: readonly number[] }
  | { readonly type: 'patch'; readonly valueId: number; readonly data: Float32Array }
  | { readonly type: 'hessian'; readonly sid: number; readonly h: Float64Array }
  | { readonly type: 'layerErrors'; readonly config: Config; readonly nodeIndex: number; readonly candidates: readonly StructFormat[]; readonly weights?: readonly (Float32Array | undefined)[] }
  | { readonly type: 'layerRows'; readonly config: Config; readonly nodeIndex: number; readonly perChunk: number }
  | { readonly type: 'engine'; readonly model: EvalModel }
  | { readonly type: 'engineRun'; readonly input: Tensor };

/** What parallel-eval.ts runs: a fixed-point graph on the integer engine, or a float graph. */
export type EvalModel = { readonly kind: 'fixed'; readonly fx: FxGraph } | { readonly kind: 'float'; readonly graph: Graph };

export type PoolReply = { readonly id: number; readonly ok: true; readonly result: unknown } | { readonly id: number; readonly ok: false; readonly error: string };

/** Replies by request type. */
export interface PoolResults {
  init: undefined;
  float: Tensor[];
  load: undefined;
  prepare: undefined;
  evaluate: ChunkSums[];
  patch: undefined;
  hessian: undefined;
  layerErrors: { id: number; sums: LayerErrorSums[] }[];
  layerRows: { id: number; rows: LayerRows }[] | undefined;
  engine: undefined;
  engineRun: Tensor;
}

/** One shard's state: its runner, created by 'init', or an integer engine, created by 'engine'. */
export class ShardHost {
  private runner: ShardRunner | undefined;
  private engine: ((x: Tensor) => Tensor) | undefined;

  handle(req: PoolRequest): unknown {
    if (req.type === 'init') {
      this.runner = new ShardRunner(req.init);
      return undefined;
    }
    if (req.type === 'engine') {
      const m = req.model;
      if (m.kind === 'fixed') {
        const e = createEngine(m.fx, { kernels: cliKernels() });
        // Honours the model's I/O scales (pixel I/O: pixels in, pixels out).
        this.engine = (x) => runFloatIO(e, x);
      } else {
        const e = createFloatExecutor(m.graph);
        this.engine = (x) => e.run([x]).outputs[0]!;
      }
      return undefined;
    }
    if (req.type === 'engineRun') {
      if (this.engine === undefined) throw new FxpError('internal: engine used before it was created');
      return this.engine(req.input);
    }
    const r = this.runner;
    if (r === undefined) throw new FxpError('internal: search shard used before init');
    switch (req.type) {
      case 'float':
        return r.floatOutputs(req.chunks);
      case 'load':
        r.load(req.chunks);
        return undefined;
      case 'prepare':
        r.prepare(req.config, req.entry, req.fromInput);
        return undefined;
      case 'evaluate':
        return r.evaluate(req.config, req.override, req.entry, req.ids);
      case 'patch':
        r.patch(req.valueId, req.data);
        return undefined;
      case 'hessian':
        r.setHessian(req.sid, req.h);
        return undefined;
      case 'layerErrors':
        return r.layerErrors(req.config, req.nodeIndex, req.candidates, req.weights);
      case 'layerRows':
        return r.layerRows(req.config, req.nodeIndex, req.perChunk);
    }
  }
}
