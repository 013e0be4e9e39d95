import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCodec } from '../../src/codec/codec.js';
import { decodeCodecModel, encodeCodecModel } from '../../src/codec/model-file.js';
import { subpixelConvTranspose } from '../../src/codec/subpixel.js';
import { createEngine } from '../../src/engine/runtime.js';
import { FxpError } from '../../src/errors.js';
import { loadFirstModel, SKIP_NO_MODEL } from './codec-fixture.js';
import { syntheticModel } from './codec-synthetic.js';

test('a model file re-encodes to the same bytes and hash', async () => {
  const { bytes, model } = await syntheticModel();
  const again = encodeCodecModel(model);
  assert.equal(again.hash, model.hash);
  assert.deepEqual(again.bytes, bytes);
  assert.equal(model.thresholds.length, model.gaussian.cdfs.length - 1);
  assert.equal(model.prior.cdfs.length, model.n);
});

test('damaged, truncated or foreign model files are one FxpError naming the file', async () => {
  const { bytes } = await syntheticModel();
  const bad = (b: Uint8Array): void => assert.throws(() => decodeCodecModel(b, 'm.fxpcm'), (e: unknown) => e instanceof FxpError && e.file === 'm.fxpcm');
  for (const n of [0, 11, 100, bytes.length >> 1, bytes.length - 1]) bad(bytes.subarray(0, n));
  for (const at of [0, 4, 9, 20, bytes.length >> 1, bytes.length - 3]) {
    const b = bytes.slice();
    b[at]! ^= 0x40;
    bad(b);
  }
});

test('sub-pixel ConvTranspose gives the same integers as the transposed convolution', async () => {
  const { model } = await syntheticModel();
  for (const fx of [model.hyperSynthesis, model.synthesis]) {
    const direct = createEngine(fx, { kernels: 'ref' });
    const sub = createEngine(subpixelConvTranspose(fx), { kernels: 'ref' });
    assert.ok(subpixelConvTranspose(fx).nodes.some((n) => n.op === 'DepthToSpace'));
    const inV = fx.values[fx.inputs[0]!]!;
    const c = inV.shape[1] as number;
    const lim = Math.min(2000, 2 ** (inV.format.wl - 1) - 1);
    const data = new Int32Array(c * 3 * 2);
    let s = 7;
    for (let i = 0; i < data.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      data[i] = ((s >>> 8) % (2 * lim + 1)) - lim;
    }
    const input = { shape: [1, c, 3, 2], data, format: inV.format };
    assert.deepEqual(sub.run([input]).outputs[0]!.data, direct.run([input]).outputs[0]!.data);
  }
  assert.ok(createCodec(model));
});

test('a trained model file decodes and re-encodes to the same bytes', { skip: SKIP_NO_MODEL }, () => {
  const { bytes, model } = loadFirstModel();
  assert.deepEqual(encodeCodecModel(model).bytes, bytes);
});
