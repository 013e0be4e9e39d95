import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeBitstream, readBitstream } from '../../src/codec/bitstream.js';
import { createCodec, decodeImage, encodeImage, encodeImageDetailed } from '../../src/codec/codec.js';
import { FxpError } from '../../src/errors.js';
import type { LoadedCodecModel } from '../../src/codec/model-file.js';
import { loadFirstModel, SKIP_NO_MODEL, testImage } from './codec-fixture.js';
import { syntheticModel } from './codec-synthetic.js';

/** Each test runs on the synthetic model always, and on a trained model where one exists. */
const MODELS: [string, { skip: string | false }, () => Promise<LoadedCodecModel>][] = [
  ['synthetic model', { skip: false }, async () => (await syntheticModel()).model],
  ['trained model', { skip: SKIP_NO_MODEL }, async () => Promise.resolve(loadFirstModel().model)],
];

for (const [label, opts, load] of MODELS) {
  test(`${label}: decoding gives exactly the encoder reconstruction; odd sizes work`, opts, async () => {
    const model = await load();
    const codec = createCodec(model, { kernels: 'auto' });
    for (const [w, h] of [
      [37, 53],
      [64, 64],
      [70, 1],
    ] as const) {
      const img = testImage(w, h);
      const enc = encodeImageDetailed(codec, img, { reconstruct: true });
      const out = decodeImage(codec, enc.bytes);
      assert.equal(out.width, w);
      assert.equal(out.height, h);
      assert.deepEqual(out.data, enc.reconstruction!.data, `${w}x${h}`);
      assert.equal(readBitstream(enc.bytes).header.modelHash, model.hash);
    }
  });

  test(`${label}: 'ref' and 'auto' kernels give identical bitstreams and pixels`, opts, async () => {
    const model = await load();
    const img = testImage(96, 80);
    const auto = createCodec(model, { kernels: 'auto' });
    const ref = createCodec(model, { kernels: 'ref' });
    const a = encodeImage(auto, img);
    const r = encodeImage(ref, img);
    assert.deepEqual(a, r);
    assert.deepEqual(decodeImage(ref, a).data, decodeImage(auto, a).data);
  });

  test(`${label}: corrupt, truncated and wrong-model bitstreams are one FxpError`, opts, async () => {
    const model = await load();
    const codec = createCodec(model);
    const bytes = encodeImage(codec, testImage(40, 30));
    const flipped = bytes.slice();
    flipped[bytes.length - 10]! ^= 0x10;
    assert.throws(() => decodeImage(codec, flipped, 'x.fxpc'), (e: unknown) => e instanceof FxpError && /CRC/.test(e.message) && e.file === 'x.fxpc');
    for (const n of [0, 3, 10, bytes.length - 1]) assert.throws(() => decodeImage(codec, bytes.subarray(0, n)), FxpError, `truncated to ${n}`);
    const { header, sections } = readBitstream(bytes);
    const otherHash = writeBitstream({ ...header, modelHash: '0123456789abcdef' }, sections);
    assert.throws(() => decodeImage(codec, otherHash), (e: unknown) => e instanceof FxpError && /needs model/.test(e.message));
    // Valid container, damaged payload: an FxpError or some image, never another error.
    const ySec = sections[1]!.slice();
    for (let i = 4; i < ySec.length; i += 7) ySec[i] = (ySec[i]! * 31 + 7) & 0xff;
    const damaged = writeBitstream(header, [sections[0]!, ySec]);
    try {
      const out = decodeImage(codec, damaged);
      assert.equal(out.data.length, 40 * 30 * 3);
    } catch (e) {
      assert.ok(e instanceof FxpError, String(e));
    }
    const huge = writeBitstream({ ...header, width: 5000, height: 5000 }, sections);
    assert.throws(() => decodeImage(codec, huge), (e: unknown) => e instanceof FxpError && /decode limit/.test(e.message));
    const swapped = writeBitstream(header, [sections[1]!, sections[0]!]);
    assert.throws(() => decodeImage(codec, swapped), FxpError);
  });
}
