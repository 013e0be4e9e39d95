/**
 * Agreement of an ONNX QDQ export (run by onnxruntime-node) with the integer engine:
 * the fraction of identical output integers, the largest difference in output LSBs,
 * and for classifiers how often both pick the same top-1 class.
 */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import type { FxGraph, FxTensor } from '../../src/engine/fx-graph.js';
import { createEngine, dequantize } from '../../src/engine/runtime.js';
import { exportOnnxQdq, type OnnxQdqRounding } from '../../src/export/onnx-qdq.js';
import type { Tensor } from '../../src/tensor.js';

export type OrtLevel = 'disabled' | 'basic' | 'extended' | 'all';

export interface Agreement {
  /** Output integers compared. */
  values: number;
  identical: number;
  /** Largest |engine - onnx| in output integers. */
  maxLsb: number;
  /** Sum of squared differences, in output integers. */
  sumSq: number;
  /** 2^wl - 1 of the output format: the peak for PSNR. */
  peak: number;
  /** Rows (batch entries) compared for top-1. */
  rows: number;
  top1Same: number;
  /** Top-1 correct against labels, where labels were given. */
  engineCorrect: number;
  onnxCorrect: number;
}

export function emptyAgreement(): Agreement {
  return { values: 0, identical: 0, maxLsb: 0, sumSq: 0, peak: 1, rows: 0, top1Same: 0, engineCorrect: 0, onnxCorrect: 0 };
}

/**
 * An onnxruntime session. By default with session.disable_double_qdq_remover: that
 * optimizer merges Q1-DQ1-Q2-DQ2 chains (a Requantize) into one pair with the finer
 * scale, dropping the second rounding; `defaults` gives onnxruntime's own options.
 */
export async function ortSession(bytes: Uint8Array, level: OrtLevel = 'all', defaults = false): Promise<ort.InferenceSession> {
  const extra = defaults ? {} : { extra: { session: { disable_double_qdq_remover: '1' } } };
  return ort.InferenceSession.create(bytes, { graphOptimizationLevel: level, logSeverityLevel: 3, ...extra });
}

/** The ONNX model's output as integers of the engine output's format (q = y * 2^fl must be exact). */
export function onnxIntegers(y: Float32Array, like: FxTensor): Int32Array {
  const scale = 2 ** like.format.fl;
  return Int32Array.from(y, (v) => {
    const q = v * scale;
    assert.ok(Number.isInteger(q), `ONNX output ${v} is not on the grid 2^-${like.format.fl}`);
    return q;
  });
}

function argmax(a: ArrayLike<number>, from: number, n: number): number {
  let best = from;
  for (let i = from + 1; i < from + n; i++) if (a[i]! > a[best]!) best = i;
  return best - from;
}

/** Float feeds of the graph inputs (integer inputs dequantized). */
export function feedsOf(fx: FxGraph, inputs: readonly (Tensor | FxTensor)[]): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  fx.inputs.forEach((id, i) => {
    const t = inputs[i]!;
    const f = 'format' in t ? dequantize(t) : t;
    feeds[fx.values[id]!.name] = new ort.Tensor('float32', f.data, [...f.shape]);
  });
  return feeds;
}

/** Adds one batch to `acc`: engine vs ONNX on the first output; top-1 over the last axis of [N, K] outputs. */
export async function addBatch(acc: Agreement, fx: FxGraph, engine: ReturnType<typeof createEngine>, session: ort.InferenceSession, input: Tensor, labels?: ArrayLike<number>): Promise<void> {
  const ours = engine.run([input]).outputs[0]!;
  const res = await session.run(feedsOf(fx, [input]));
  const y = res[fx.values[fx.outputs[0]!]!.name];
  assert.ok(y !== undefined, 'ONNX model has no output of the graph output name');
  assert.deepEqual([...y.dims], [...ours.shape], 'output shape');
  const theirs = onnxIntegers(y.data as Float32Array, ours);
  acc.peak = 2 ** ours.format.wl - 1;
  for (let i = 0; i < theirs.length; i++) {
    const d = Math.abs(theirs[i]! - ours.data[i]!);
    acc.values++;
    acc.sumSq += d * d;
    if (d === 0) acc.identical++;
    if (d > acc.maxLsb) acc.maxLsb = d;
  }
  if (ours.shape.length === 2) {
    const [n = 0, k = 0] = ours.shape;
    for (let r = 0; r < n; r++) {
      const a = argmax(ours.data, r * k, k);
      const b = argmax(theirs, r * k, k);
      acc.rows++;
      if (a === b) acc.top1Same++;
      if (labels !== undefined) {
        if (a === labels[r]) acc.engineCorrect++;
        if (b === labels[r]) acc.onnxCorrect++;
      }
    }
  }
}

/** Exports in both rounding modes, opens the sessions and compares on every batch. */
export async function agreementBoth(fx: FxGraph, batches: AsyncIterable<{ input: Tensor; labels?: ArrayLike<number> }>): Promise<Record<OnnxQdqRounding, Agreement>> {
  const modes: OnnxQdqRounding[] = ['even', 'half-up'];
  const sessions = await Promise.all(modes.map(async (rounding) => ortSession(exportOnnxQdq(fx, { rounding }).bytes)));
  const engine = createEngine(fx);
  const out = { even: emptyAgreement(), 'half-up': emptyAgreement() };
  for await (const b of batches) {
    for (const [i, m] of modes.entries()) await addBatch(out[m], fx, engine, sessions[i]!, b.input, b.labels);
  }
  for (const s of sessions) await s.release();
  return out;
}

/** PSNR of the ONNX output against the engine's, in dB over the output format's range (Infinity when identical). */
export function psnrOf(a: Agreement): number {
  return a.sumSq === 0 ? Infinity : 10 * Math.log10((a.peak * a.peak * a.values) / a.sumSq);
}

export function describe(name: string, a: Agreement): string {
  const pct = (x: number, n: number): string => `${((100 * x) / Math.max(1, n)).toFixed(2)}%`;
  const top = a.rows > 0 ? `, top-1 agreement ${pct(a.top1Same, a.rows)} of ${a.rows}` : '';
  const acc = a.engineCorrect + a.onnxCorrect > 0 ? ` (top-1 vs labels: engine ${pct(a.engineCorrect, a.rows)}, onnx ${pct(a.onnxCorrect, a.rows)})` : '';
  const psnr = a.rows === 0 ? `, PSNR of onnx vs engine ${psnrOf(a).toFixed(2)} dB` : '';
  return `onnx-qdq ${name}: identical output integers ${pct(a.identical, a.values)} of ${a.values}, max difference ${a.maxLsb} LSB${psnr}${top}${acc}`;
}
