/**
 * Keras model config + weights -> float graph. Shared by the HDF5 and TF.js readers.
 *
 * The graph's inputs keep Keras's channels-last shapes (inputLayout 'NHWC') and
 * are transposed to NCHW at once; rank-4 outputs are transposed back to NHWC, so
 * the graph computes exactly the Keras model's function.
 */
import { FxpError, withContext, wrapError } from '../../errors.js';
import { GraphBuilder, type Dim, type Graph } from '../../ir/graph.js';
import { verifyGraph } from '../../ir/verify.js';
import { LayerContext, type KShape, type KTensor } from './context.js';
import { layerConverter } from './layer-table.js';
import { NCHW_TO_NHWC, fromKerasOrder } from './layout.js';
import { parseKerasModel, type KerasLayer, type TensorRef } from './model-config.js';
import type { KerasWeights } from './weights.js';

const MODEL_CLASSES = new Set(['Sequential', 'Model', 'Functional']);

const refKey = (r: TensorRef): string => `${r.layer}\u0000${r.node}\u0000${r.tensor}`;

export function importKerasConfig(config: unknown, weights: KerasWeights, file: string): Graph {
  const model = parseKerasModel(config, file);
  const b = new GraphBuilder(model.name);
  const byName = new Map<string, KerasLayer>();
  for (const l of model.layers) {
    if (byName.has(l.name)) throw new FxpError(`duplicate layer name '${l.name}'`, { file, node: l.name, op: l.className });
    byName.set(l.name, l);
  }
  const ctxFor = (l: KerasLayer): LayerContext => new LayerContext(b, weights, { file, layer: l.name, className: l.className }, l.config);
  const produced = new Map<string, KTensor>();

  for (const ref of model.inputs) {
    const layer = byName.get(ref.layer);
    if (layer === undefined) throw new FxpError(`model input '${ref.layer}' is not a layer of the model`, { file });
    if (layer.className !== 'InputLayer') throw new FxpError(`model input '${ref.layer}' is not an InputLayer`, { file, node: layer.name, op: layer.className });
    if (!produced.has(refKey(ref))) produced.set(refKey(ref), addInput(ctxFor(layer)));
  }

  // Applications in dependency order: config order is topological for plain
  // models; shared layers may need another sweep.
  let pending = model.layers
    .filter((l) => l.className !== 'InputLayer')
    .flatMap((layer) => layer.inbound.map((refs, node) => ({ layer, node, refs })));
  while (pending.length > 0) {
    const waiting: typeof pending = [];
    for (const app of pending) {
      const inputs = app.refs.map((r) => produced.get(refKey(r)));
      if (inputs.every((t): t is KTensor => t !== undefined)) {
        const out = convertLayer(ctxFor(app.layer), app.layer, inputs);
        produced.set(refKey({ layer: app.layer.name, node: app.node, tensor: 0 }), out);
      } else {
        waiting.push(app);
      }
    }
    if (waiting.length === pending.length) {
      const app = waiting[0]!;
      const missing = app.refs.find((r) => !produced.has(refKey(r)))!;
      const why = missing.tensor !== 0 ? ` (output ${missing.tensor}: multi-output layers are not supported)` : '';
      throw new FxpError(`input '${missing.layer}' (application ${missing.node}) is never computed${why}`, { file, node: app.layer.name, op: app.layer.className });
    }
    pending = waiting;
  }

  for (const ref of model.outputs) {
    const t = produced.get(refKey(ref));
    const layer = byName.get(ref.layer);
    if (t === undefined || layer === undefined) throw new FxpError(`model output '${ref.layer}' is never computed`, { file, node: ref.layer });
    const id = t.shape.length === 4 ? ctxFor(layer).node('Transpose', { perm: NCHW_TO_NHWC }, [t.id], 'output_nhwc') : t.id;
    b.outputs.push(id);
  }

  const g = b.finish({ inputLayout: 'NHWC' });
  verifyImported(g, file);
  return g;
}

function convertLayer(ctx: LayerContext, layer: KerasLayer, inputs: readonly KTensor[]): KTensor {
  const convert = layerConverter(layer.className);
  if (convert === undefined) {
    if (MODEL_CLASSES.has(layer.className)) ctx.fail(`nested models are not supported (flatten the model before saving)`);
    ctx.fail(`unsupported Keras layer class '${layer.className}'`);
  }
  try {
    return convert(ctx, inputs);
  } catch (err) {
    throw wrapError(err, `cannot convert layer`, { file: ctx.scope.file, node: layer.name, op: layer.className });
  }
}

/** InputLayer: a graph input with the Keras shape, then NHWC -> NCHW for rank 4. */
function addInput(ctx: LayerContext): KTensor {
  const raw = ctx.cfg.raw('batch_input_shape') ?? ctx.cfg.raw('batch_shape');
  if (!Array.isArray(raw)) ctx.fail(`InputLayer has no batch_input_shape`);
  const rank = raw.length;
  if (rank < 2 || rank > 4) ctx.fail(`input rank ${rank} is not supported (2 to 4)`);
  const shape: KShape = raw.map((d, i) => (i === 0 || d === null ? null : ctx.cfg.checkInt('batch_input_shape', d, 1)));
  const names = rank === 4 ? ['N', 'H', 'W', 'C'] : raw.map((_, i) => (i === 0 ? 'N' : `d${i}`));
  const declared: Dim[] = shape.map((d, i) => d ?? names[i]!);
  const id = ctx.builder.addInput(ctx.name, declared);
  // Checked like every layer output: an absurd declared shape fails here, naming the InputLayer.
  return ctx.tensor(fromKerasOrder(ctx, id, rank), shape);
}

/** Runs the verifier, with batch-1 shapes when the inputs' other dims are all known. */
function verifyImported(g: Graph, file: string): void {
  const shapes = g.inputs.map((id) => g.values[id]!.shape.map((d, i) => (i === 0 ? 1 : d)));
  const concrete = shapes.every((s) => s.every((d): d is number => typeof d === 'number'));
  try {
    verifyGraph(g, concrete ? (shapes as number[][]) : undefined);
  } catch (err) {
    if (err instanceof FxpError) throw withContext(new FxpError(`imported graph fails verification: ${err.detail}`, err), { file });
    throw wrapError(err, 'imported graph fails verification', { file });
  }
}
