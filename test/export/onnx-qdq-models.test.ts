/**
 * Agreement of the ONNX QDQ export (onnxruntime-node, all graph optimizations) with
 * the integer engine on real models, in both rounding modes: examples/fashion-small
 * always; fashion_seq_large and LRS when ../shared is present. The figures are
 * printed. Plain QDQ ('even') differs from the engine only by rounding ties to even,
 * which then propagate; the asserted floors are loose but catch a wrong scale, layout
 * or op mapping. 'half-up' must agree exactly where every op is exact in float.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { mnistDataset, type Dataset } from '../../src/data/dataset.js';
import type { OnnxQdqRounding } from '../../src/export/onnx-qdq.js';
import { createEngine, dequantize } from '../../src/engine/runtime.js';
import { decodeFxp } from '../../src/export/fxp-container.js';
import { exportOnnxQdq } from '../../src/export/onnx-qdq.js';
import { fashionSmallCases, hasShared, lrsCase, REPO, seqLargeCase, SHARED_FILES } from '../web/identity-cases.js';
import { addBatch, agreementBoth, describe, emptyAgreement, ortSession, psnrOf } from './onnx-qdq-agreement.js';

const sharedSkip = hasShared() ? false : 'needs ../shared (fashion_seq_large, LRS, Kodak, Fashion-MNIST)';

async function* batches(data: Dataset, size: number): AsyncGenerator<{ input: { shape: readonly number[]; data: Float32Array }; labels?: Int32Array }> {
  for await (const b of data.batches(size)) yield b.labels === undefined ? { input: b.input } : { input: b.input, labels: b.labels };
}

test('ONNX QDQ export agrees with the engine on examples/fashion-small (500 test images)', async () => {
  const fx = decodeFxp((await fashionSmallCases())[0]!.fxp, 'fashion-small.fxp');
  const r = await agreementBoth(fx, batches(mnistDataset(join(REPO, 'examples/fashion-small'), 'test', { layout: 'NCHW', limit: 500 }), 100));
  for (const [mode, a] of Object.entries(r)) console.log(describe(`examples/fashion-small, 8-bit, 500 test images, rounding ${mode}`, a));
  const even = r.even;
  assert.equal(even.rows, 500);
  assert.ok(even.identical / even.values >= 0.9, 'identical output integers');
  assert.ok(even.top1Same / even.rows >= 0.98, 'top-1 agreement');
  assert.ok(Math.abs(even.engineCorrect - even.onnxCorrect) <= 10, 'accuracy against the labels');
  // Half-up leaves only GlobalAveragePool's division and Softmax in float: almost all identical.
  assert.ok(r['half-up'].identical / r['half-up'].values >= 0.99, 'half-up: identical output integers');
  assert.ok(r['half-up'].identical > even.identical, 'half-up agrees better than plain QDQ');
});

test('ONNX QDQ export agrees with the engine on fashion_seq_large (50 test images)', { skip: sharedSkip }, async () => {
  const fx = decodeFxp((await seqLargeCase()).fxp, 'seq.fxp');
  const r = await agreementBoth(fx, batches(mnistDataset(SHARED_FILES.fashion, 'test', { layout: 'NHWC', limit: 50 }), 50));
  for (const [mode, a] of Object.entries(r)) console.log(describe(`fashion_seq_large, 8-bit per channel, 50 test images, rounding ${mode}`, a));
  assert.ok(r.even.identical / r.even.values >= 0.85, 'identical output integers');
  assert.ok(r.even.top1Same / r.even.rows >= 0.95, 'top-1 agreement');
  assert.ok(r['half-up'].identical / r['half-up'].values >= 0.99, 'half-up: identical output integers');
});

test('ONNX QDQ export agrees with the engine on LRS (64x64 crop of kodak-lr/kodim05); half-up is bit-exact', { skip: sharedSkip }, async () => {
  const c = await lrsCase();
  const fx = decodeFxp(c.fxp, 'lrs.fxp');
  const engine = createEngine(fx);
  const got = new Map<OnnxQdqRounding, ReturnType<typeof emptyAgreement>>();
  for (const rounding of ['even', 'half-up'] as const) {
    const session = await ortSession(exportOnnxQdq(fx, { rounding }).bytes);
    const a = emptyAgreement();
    await addBatch(a, fx, engine, session, dequantize(c.inputs[0]!));
    await session.release();
    console.log(describe(`LRS, 8-bit per channel, 64x64 -> 96x96 RGB, rounding ${rounding}`, a));
    got.set(rounding, a);
  }
  // Plain QDQ: ties (the only first-layer difference) grow through the residual blocks,
  // so many pixels differ, each by a few LSBs.
  const even = got.get('even')!;
  assert.equal(even.values, 3 * 96 * 96);
  assert.ok(even.maxLsb <= 16, 'largest difference');
  assert.ok(psnrOf(even) >= 35, 'PSNR of the ONNX output against the engine');
  // Conv, Add, Relu and DepthToSpace are exact in float here: with half-up rounding every integer agrees.
  const up = got.get('half-up')!;
  assert.equal(up.identical, up.values, `half-up: ${up.values - up.identical} output integers differ`);
});
