/** What the CLI commands need to know about a model, whatever its file format. */
import { FxpError } from '../errors.js';
import type { ColorMode } from '../data/images.js';
import type { ImageLayout } from '../data/preprocess.js';
import { createFloatExecutor } from '../float/executor.js';
import { loadFloatModel } from '../import/index.js';
import type { Graph } from '../ir/graph.js';
import { canonicalize } from '../passes/index.js';
import type { Runner } from '../evaluate.js';
import type { FxGraph } from '../engine/fx-graph.js';
import { runFloatIO } from '../engine/io.js';
import { cliKernels, createEngine } from '../engine/runtime.js';
import { readFxp } from '../export/fxp-file.js';

export interface LoadedModel {
  readonly path: string;
  readonly kind: 'float' | 'fixed';
  /** The canonical float graph (passes applied); for .fxp files, the graph structure without weights. */
  readonly graph: Graph;
  /** The fixed-point graph of .fxp models. */
  readonly fx?: FxGraph | undefined;
  readonly layout: ImageLayout;
  /** Channels of the (single) image input, if known. */
  readonly channels: number | undefined;
  readonly runner: Runner;
}

export function inputChannels(g: Graph, layout: ImageLayout): number | undefined {
  const shape = g.values[g.inputs[0]!]?.shape ?? [];
  if (shape.length !== 4) return undefined;
  const c = layout === 'NHWC' ? shape[3] : shape[1];
  return typeof c === 'number' && c > 0 ? c : undefined;
}

export function colorModeFor(channels: number | undefined): ColorMode {
  return channels === 1 ? 'gray' : channels === 3 ? 'rgb' : 'keep';
}

export function isFxpPath(path: string): boolean {
  return path.toLowerCase().endsWith('.fxp');
}

/** A float-graph view of an FxGraph (structure and shapes, no parameters) for shape tools. */
function structureOf(fx: FxGraph): Graph {
  return { name: fx.name, values: fx.values.map((v) => ({ name: v.name, shape: v.shape })), nodes: [], inputs: fx.inputs, outputs: fx.outputs, inputLayout: fx.inputLayout };
}

async function loadFixedModel(path: string): Promise<LoadedModel> {
  const fx = await readFxp(path);
  if (fx.inputs.length !== 1) throw new FxpError(`models with ${fx.inputs.length} inputs are not supported by this command`, { file: path });
  const graph = structureOf(fx);
  const layout: ImageLayout = fx.inputLayout ?? 'NCHW';
  const engine = createEngine(fx, { kernels: cliKernels() });
  return {
    path,
    kind: 'fixed',
    graph,
    fx,
    layout,
    channels: inputChannels(graph, layout),
    runner: (input) => runFloatIO(engine, input),
  };
}

export async function loadModel(path: string, opts: { raw?: boolean } = {}): Promise<LoadedModel> {
  if (isFxpPath(path)) return loadFixedModel(path);
  const imported = await loadFloatModel(path);
  const graph = opts.raw === true ? imported : canonicalize(imported);
  if (graph.inputs.length !== 1) {
    throw new FxpError(`models with ${graph.inputs.length} inputs are not supported by this command (one image input expected)`, { file: path });
  }
  const layout: ImageLayout = graph.inputLayout ?? 'NCHW';
  const exec = createFloatExecutor(graph);
  return {
    path,
    kind: 'float',
    graph,
    layout,
    channels: inputChannels(graph, layout),
    runner: (input) => {
      const out = exec.run([input]).outputs[0];
      if (out === undefined) throw new FxpError('model produced no output', { file: path });
      return out;
    },
  };
}

/** Parses "1,3,341,512" into dims. */
export function parseShape(s: string): number[] {
  const dims = s.split(/[,x]/).map((d) => Number(d.trim()));
  if (dims.length === 0 || dims.some((d) => !Number.isInteger(d) || d <= 0)) throw new FxpError(`bad shape '${s}': expected positive integers like 1,3,224,224`);
  return dims;
}
