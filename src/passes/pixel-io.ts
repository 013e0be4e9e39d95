/**
 * Pixel-domain input and output for image models.
 *
 * Image models take x = pixel / 255 and their output y is turned into pixels as
 * trunc(clamp(y, 0, 1) * 255). In fixed point neither 1/255 nor 255 is a power of
 * two, so an 8-bit input format cannot hold every x exactly (255/255 = 1.0 needs a
 * ninth bit) and an 8-bit output format cannot hit every pixel. This pass folds
 * the two scales into the first and last linear layers, so that the graph reads
 * raw pixel values and writes pixel values:
 *
 *   g'(p) = outputScale * g(p / inputScale)        (inputScale = outputScale = 255)
 *
 * - every reader of the graph input must be a Conv or Dense: W' = W / inputScale
 *   (zero padding stays zero, so this is exact in real arithmetic);
 * - the output's producer must be a Conv, ConvTranspose or Dense (a fused Relu or
 *   LeakyRelu commutes with a positive scale; a Clip's bounds are scaled):
 *   W' = W * outputScale, B' = B * outputScale.
 * With an unsigned 8-bit output format of fractional length 0, saturation is the
 * clamp to [0, 255] and the integer output is the pixel. Runners multiply inputs
 * by inputScale and divide outputs by outputScale (src/engine/io.ts), so users
 * keep feeding pixel/255 and reading [0, 1].
 */
import { FxpError } from '../errors.js';
import { consumers, producers, type Graph } from '../ir/graph.js';
import type { FusedActivation, Node } from '../ir/ops.js';
import { GraphRewriter } from './rewrite.js';

export interface PixelScales {
  readonly inputScale: number;
  readonly outputScale: number;
}

export const PIXEL_SCALES: PixelScales = { inputScale: 255, outputScale: 255 };

function scaled(data: Float32Array, s: number): Float32Array {
  return Float32Array.from(data, (v) => v * s);
}

function scaleActivation(act: FusedActivation | undefined, s: number): FusedActivation | undefined {
  return act?.kind === 'Clip' ? { kind: 'Clip', min: act.min * s, max: act.max * s } : act;
}

export function foldPixelScales(g: Graph, scales: PixelScales = PIXEL_SCALES): Graph {
  if (g.inputs.length !== 1 || g.outputs.length !== 1) throw new FxpError('pixel I/O needs a model with one input and one output');
  const rw = new GraphRewriter(g);
  const input = g.inputs[0]!;
  for (const ni of consumers(g)[input]!) {
    const n = g.nodes[ni]!;
    if ((n.op !== 'Conv' && n.op !== 'Dense') || n.inputs[0] !== input) {
      throw new FxpError('pixel I/O needs every reader of the input to be a Conv or Dense', { node: n.name, op: n.op });
    }
    const w = g.values[n.inputs[1]!]!;
    const wId = rw.addConstant(`${w.name}_pixel_in`, w.shape as number[], scaled(w.data!, 1 / scales.inputScale));
    rw.replaceNode(ni, { ...n, inputs: [n.inputs[0]!, wId, ...n.inputs.slice(2)] } as Node);
  }
  const pi = producers(g)[g.outputs[0]!]!;
  const last = pi >= 0 ? rw.node(pi) : undefined;
  if (last === undefined || (last.op !== 'Conv' && last.op !== 'ConvTranspose' && last.op !== 'Dense')) {
    throw new FxpError('pixel I/O needs the output to come from a Conv, ConvTranspose or Dense', last === undefined ? {} : { node: last.name, op: last.op });
  }
  // The weight may already be the input-scaled one (a single-layer model): read it from the rewriter.
  const w = rw.values[last.inputs[1]!]!;
  const wId = rw.addConstant(`${w.name}_pixel_out`, w.shape as number[], scaled(w.data!, scales.outputScale));
  const b = last.inputs[2] === undefined ? undefined : g.values[last.inputs[2]]!;
  const bIds = b === undefined ? [] : [rw.addConstant(`${b.name}_pixel_out`, b.shape as number[], scaled(b.data!, scales.outputScale))];
  rw.replaceNode(pi, { ...last, attrs: { ...last.attrs, activation: scaleActivation(last.attrs.activation, scales.outputScale) }, inputs: [last.inputs[0]!, wId, ...bIds] } as Node);
  return rw.finish();
}
