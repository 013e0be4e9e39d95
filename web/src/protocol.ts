/**
 * Messages between the demo page and its inference worker. Requests carry an id;
 * every request gets exactly one reply with the same id ('error' included).
 */
import type { Dim, FxLayerRow, FxpSizeReport, QFormat } from '../../src/browser.js';

export interface ValueInfo {
  readonly name: string;
  readonly shape: readonly Dim[];
  readonly format: string;
}

export interface ModelInfo {
  /** The file name the model was loaded from. */
  readonly file: string;
  readonly graphName: string;
  readonly bytes: number;
  readonly size: FxpSizeReport;
  readonly meta: Readonly<Record<string, string>>;
  readonly layout: 'NCHW' | 'NHWC';
  readonly input: ValueInfo;
  readonly output: ValueInfo;
  readonly layers: readonly FxLayerRow[];
}

export interface RunResult {
  readonly shape: readonly number[];
  /** Output integers, in `format`. */
  readonly data: Int32Array;
  readonly format: QFormat;
  /** FNV-1a 64 of the output integers (src/engine/hash.ts). */
  readonly hash: string;
  readonly ms: number;
  /** Which kernels ran, e.g. "WASM SIMD kernels, 2 threads". */
  readonly kernels: string;
}

export type WorkerRequest =
  | { readonly type: 'load'; readonly id: number; readonly file: string; readonly bytes: ArrayBuffer }
  | { readonly type: 'run'; readonly id: number; readonly shape: readonly number[]; readonly data: Float32Array };

export type WorkerReply =
  | { readonly type: 'loaded'; readonly id: number; readonly info: ModelInfo }
  | { readonly type: 'result'; readonly id: number; readonly result: RunResult }
  | { readonly type: 'error'; readonly id: number; readonly message: string };
