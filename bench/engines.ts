/**
 * The engines the benchmark compares. Each `prepare` returns a runner for one
 * model (one inference on the model's input), or a string saying why the engine
 * cannot run it.
 */
import * as ortNode from 'onnxruntime-node';
import { exportOnnxQdq } from '../src/export/onnx-qdq.js';
import { createEngine } from '../src/engine/runtime.js';
import { createWasmContext, type WasmContext } from '../src/engine/kernels/wasm/index.js';
import type { BenchModel } from './models.js';

export type Runner = () => Promise<unknown>;

export interface Engine {
  readonly name: string;
  prepare(m: BenchModel): Promise<Runner | string>;
  /** Peak memory of the engine's own arena, where it reports one. */
  peakBytes?(): number;
  dispose?(): Promise<void>;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

export function fxpRef(): Engine {
  return {
    name: 'fxp JS ref',
    prepare: async (m) => {
      const e = createEngine(m.fx);
      return async () => e.run([m.input]);
    },
  };
}

export async function fxpWasm(threads: number): Promise<Engine> {
  const ctx: WasmContext | undefined = await createWasmContext(threads);
  return {
    name: `fxp wasm ${threads}T`,
    prepare: async (m) => {
      if (ctx === undefined) return 'WebAssembly SIMD/shared memory unavailable';
      const e = createEngine(m.fx, { kernels: 'wasm', wasm: ctx });
      return async () => e.run([m.input]);
    },
    peakBytes: () => ctx?.peakBytes() ?? 0,
    dispose: async () => ctx?.dispose(),
  };
}

type OrtLike = {
  InferenceSession: { create(bytes: Uint8Array, opts?: object): Promise<{ inputNames: readonly string[]; run(feeds: Record<string, unknown>): Promise<unknown> }> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown;
};

function ortEngine(name: string, ort: OrtLike, model: (m: BenchModel) => Uint8Array, opts: object): Engine {
  return {
    name,
    prepare: async (m) => {
      try {
        const s = await ort.InferenceSession.create(model(m), opts);
        const feeds = { [s.inputNames[0]!]: new ort.Tensor('float32', m.input.data, m.input.shape) };
        return async () => s.run(feeds);
      } catch (err) {
        return message(err);
      }
    },
  };
}

const qdqCache = new WeakMap<BenchModel, Uint8Array>();
function qdq(m: BenchModel): Uint8Array {
  let b = qdqCache.get(m);
  if (b === undefined) {
    b = exportOnnxQdq(m.fx).bytes;
    qdqCache.set(m, b);
  }
  return b;
}

export function ortNodeFloat(threads: number): Engine {
  return ortEngine(`ort-node float ${threads}T`, ortNode, (m) => m.onnx, { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' });
}

export function ortNodeInt8(threads: number): Engine {
  return ortEngine(`ort-node int8 QDQ ${threads}T`, ortNode, qdq, { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' });
}

/** onnxruntime-web reads env.wasm.numThreads once, when its wasm module first initializes: one setting per process. */
export async function ortWeb(threads: number): Promise<Engine> {
  let ort: OrtLike & { env: { wasm: { numThreads?: number } } };
  try {
    // Optional devDependency: a non-literal specifier keeps typecheck independent of it.
    const specifier = 'onnxruntime-web';
    ort = (await import(specifier)) as OrtLike & { env: { wasm: { numThreads?: number } } };
  } catch (err) {
    return { name: 'ort-web wasm', prepare: async () => `onnxruntime-web not installed (${message(err)})` };
  }
  ort.env.wasm.numThreads = threads;
  return ortEngine(`ort-web wasm ${threads}T`, ort, (m) => m.onnx, { executionProviders: ['wasm'] });
}
