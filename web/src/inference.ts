/**
 * What the demo's worker does, as plain functions (the page calls them directly
 * where no Worker is available): decode an `.fxp` file, describe it, run one input.
 */
import { createEngine, decodeFxp, formatToString, fxLayerRows, fxpSizeReport, FxpError, hashTensor, type FxGraph, type Tensor } from '../../src/browser.js';
import type { KernelChoice } from './kernels.js';
import type { ModelInfo, RunResult, ValueInfo } from './protocol.js';

export interface Session {
  readonly info: ModelInfo;
  run(input: Tensor): RunResult;
  /** Stops the kernel threads of its WASM context, if any. */
  dispose(): Promise<void>;
}

function valueInfo(fx: FxGraph, id: number): ValueInfo {
  const v = fx.values[id]!;
  return { name: v.name, shape: v.shape, format: formatToString(v.format) };
}

/**
 * Decodes and prepares a model on `kernels` (default: the reference kernels); every
 * problem with the bytes is an FxpError naming `file`. The session owns `kernels.ctx`.
 */
export function openModel(bytes: Uint8Array, file: string, kernels?: KernelChoice): Session {
  const fx = decodeFxp(bytes, file);
  if (fx.inputs.length !== 1 || fx.outputs.length !== 1) {
    throw new FxpError(`the demo runs models with one input and one output; this one has ${fx.inputs.length} and ${fx.outputs.length}`, { file });
  }
  const engine = createEngine(fx, kernels?.options ?? { kernels: 'ref' });
  const label = kernels?.label ?? 'reference kernels';
  const info: ModelInfo = {
    file,
    graphName: fx.name,
    bytes: bytes.length,
    size: fxpSizeReport(fx),
    meta: { ...(fx.meta ?? {}) },
    layout: fx.inputLayout ?? 'NCHW',
    input: valueInfo(fx, fx.inputs[0]!),
    output: valueInfo(fx, fx.outputs[0]!),
    layers: fxLayerRows(fx),
  };
  return {
    info,
    run(input: Tensor): RunResult {
      const start = performance.now();
      const out = engine.run([input]).outputs[0]!;
      const ms = performance.now() - start;
      // Outputs may be views of the WASM memory: copy them out (the reply transfers the buffer).
      return { shape: out.shape, data: out.data.slice(), format: out.format, hash: hashTensor(out), ms, kernels: label };
    },
    dispose: async () => {
      await kernels?.ctx?.dispose();
    },
  };
}

/** The text shown for an error: an FxpError's message as is, anything else marked internal. */
export function errorMessage(err: unknown): string {
  if (err instanceof FxpError) return err.message;
  if (err instanceof Error) return `internal error: ${err.message}`;
  return `internal error: ${String(err)}`;
}
