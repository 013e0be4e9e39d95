/**
 * The float boundary of a fixed-point model. An FxGraph's meta may declare
 * `inputScale` / `outputScale` (see src/passes/pixel-io.ts): the engine's input is
 * the user's input times inputScale, the user's output is the engine's output
 * divided by outputScale. Both default to 1.
 */
import { FxpError } from '../errors.js';
import { tensor, type Tensor } from '../tensor.js';
import type { FxGraph } from './fx-graph.js';
import { dequantize, type FxEngine } from './runtime.js';

export interface IoScales {
  readonly inputScale: number;
  readonly outputScale: number;
}

function scaleOf(fx: FxGraph, key: 'inputScale' | 'outputScale'): number {
  const raw = fx.meta?.[key];
  if (raw === undefined) return 1;
  const v = Number(raw);
  if (!(v > 0) || !Number.isFinite(v)) throw new FxpError(`model meta ${key} '${raw}' is not a positive number`);
  return v;
}

/** No scaling: the graph reads and writes the user's values. */
export const UNIT_SCALES: IoScales = { inputScale: 1, outputScale: 1 };

/** Whether the model reads and writes another domain than the user's (pixel I/O). */
export function isScaledIo(scales: IoScales): boolean {
  return scales.inputScale !== 1 || scales.outputScale !== 1;
}

export function ioScales(fx: FxGraph): IoScales {
  return { inputScale: scaleOf(fx, 'inputScale'), outputScale: scaleOf(fx, 'outputScale') };
}

function scaleTensor(t: Tensor, s: number): Tensor {
  return s === 1 ? t : tensor(t.shape, Float32Array.from(t.data, (v) => v * s));
}

/** Runs a float input through the engine and returns the float output, honouring the model's I/O scales. */
export function runFloatIO(engine: FxEngine, input: Tensor): Tensor {
  const { inputScale, outputScale } = ioScales(engine.graph);
  const out = engine.run([scaleTensor(input, inputScale)]).outputs[0];
  if (out === undefined) throw new FxpError('model produced no output');
  return fromEngineDomain(dequantize(out), { inputScale, outputScale });
}

/** The input a float graph transformed by foldPixelScales expects, from a user input. */
export function toEngineDomain(t: Tensor, scales: IoScales): Tensor {
  return scaleTensor(t, scales.inputScale);
}

/** The user's output from such a graph's output (divided by outputScale, in float32). */
export function fromEngineDomain(t: Tensor, scales: IoScales): Tensor {
  const s = scales.outputScale;
  return s === 1 ? t : tensor(t.shape, Float32Array.from(t.data, (v) => v / s));
}
