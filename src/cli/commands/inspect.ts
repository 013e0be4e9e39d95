/** `fxp inspect MODEL`: layers, shapes, parameters and MACs. */
import { FxpError } from '../../errors.js';
import type { FxGraph } from '../../engine/fx-graph.js';
import { ioScales } from '../../engine/io.js';
import { accumulatorTable, prepareEngine } from '../../engine/plan.js';
import { fxpSizeReport } from '../../export/fxp-file.js';
import { fxLayerRows } from '../fx-summary.js';
import { concreteInputShapes, inferShapes } from '../../ir/shape.js';
import { layerStats } from '../../ir/stats.js';
import { loadModel, parseShape } from '../model.js';
import { formatTable, humanCount } from '../table.js';

export interface InspectOptions {
  shape?: string;
  raw?: boolean;
  json?: boolean;
}

/** A .fxp model: per-layer formats, accumulator widths and file size. */
function inspectFixed(path: string, fx: FxGraph, opts: InspectOptions): void {
  const plan = prepareEngine(fx);
  const acc = new Map(accumulatorTable(plan).map((r) => [r.node, r]));
  const rows = fxLayerRows(fx).map((r) => ({ ...r, accumulator: acc.get(r.name)?.width ?? '' }));
  const size = fxpSizeReport(fx);
  const { inputScale, outputScale } = ioScales(fx);
  if (opts.json === true) {
    process.stdout.write(`${JSON.stringify({ model: path, name: fx.name, meta: fx.meta ?? {}, inputScale, outputScale, layers: rows, size }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`model  ${path} (fixed point)\n`);
  for (const [k, v] of Object.entries(fx.meta ?? {})) process.stdout.write(`${k.padEnd(12)} ${v}\n`);
  process.stdout.write(
    `\n${formatTable(
      ['layer', 'op', 'weights', 'bias', 'input', 'output', 'accumulator'],
      rows.map((r) => [r.name, r.op, r.weights ?? '', r.bias ?? '', r.input, r.output, r.accumulator === 'wide' ? 'wide (exact)' : r.accumulator]),
      ['l', 'l', 'l', 'l', 'l', 'l', 'l'],
    )}\n\n`,
  );
  process.stdout.write(
    `${rows.length} layers; file ${size.totalBytes.toLocaleString('en-US')} bytes: weights ${(size.weightBits / 8).toLocaleString('en-US')} B, ` +
      `biases ${(size.biasBits / 8).toLocaleString('en-US')} B, tables ${(size.tableBits / 8).toLocaleString('en-US')} B\n`,
  );
}

export async function inspectCommand(path: string, opts: InspectOptions): Promise<void> {
  const model = await loadModel(path, { raw: opts.raw === true });
  if (model.fx !== undefined) {
    inspectFixed(path, model.fx, opts);
    return;
  }
  const g = model.graph;
  let inputShape: number[];
  if (opts.shape !== undefined) {
    inputShape = parseShape(opts.shape);
  } else {
    try {
      inputShape = concreteInputShapes(g, 1)[0]!;
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      throw new FxpError(`${msg} with --shape, e.g. --shape 1,3,341,512`, { file: path });
    }
  }
  const shapes = inferShapes(g, [inputShape]);
  const layers = layerStats(g, shapes);
  const totals = {
    params: layers.reduce((s, l) => s + l.params, 0),
    macs: layers.reduce((s, l) => s + l.macs, 0),
  };
  const input = g.values[g.inputs[0]!]!;
  const outputs = g.outputs.map((id) => ({ name: g.values[id]!.name, shape: shapes[id]! }));
  if (opts.json === true) {
    const json = {
      model: path,
      name: g.name,
      input: { name: input.name, declaredShape: input.shape, shape: inputShape, layout: model.layout },
      outputs,
      layers,
      totals: { layers: layers.length, ...totals },
    };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return;
  }
  const rows = layers.map((l, i) => [i, l.name, l.op, `[${l.outputShape.join(',')}]`, humanCount(l.params), humanCount(l.macs)]);
  const align = ['r', 'l', 'l', 'l', 'r', 'r'] as const;
  process.stdout.write(`model  ${path}\n`);
  process.stdout.write(`input  ${input.name} [${input.shape.join(',')}] (${model.layout}), inspected at [${inputShape.join(',')}]\n`);
  for (const o of outputs) process.stdout.write(`output ${o.name} [${o.shape.join(',')}]\n\n`);
  process.stdout.write(`${formatTable(['#', 'name', 'op', 'output', 'params', 'MACs'], rows, align)}\n\n`);
  process.stdout.write(`${layers.length} layers, ${totals.params.toLocaleString('en-US')} parameters, ${totals.macs.toLocaleString('en-US')} MACs per batch\n`);
}
