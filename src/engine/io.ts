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
  const y = dequantize(out);
  return outputScale === 1 ? y : tensor(y.shape, Float32Array.from(y.data, (v) => v / outputScale));
}

/** The input a float graph transformed by foldPixelScales expects, from a user input. */
export function toEngineDomain(t: Tensor, scales: IoScales): Tensor {
  return scaleTensor(t, scales.inputScale);
}
