import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FxpError } from '../../src/errors.js';
import type { Uint8Image } from '../../src/data/images.js';
import { cropImage, imagesToTensor, mnistBatch, tensorToImage } from '../../src/data/preprocess.js';
import { tensor } from '../../src/tensor.js';

/** 2x2 RGB image: pixel p has channels (10p + 1, 10p + 2, 10p + 3). */
const rgb: Uint8Image = { width: 2, height: 2, channels: 3, data: Uint8Array.from([1, 2, 3, 11, 12, 13, 21, 22, 23, 31, 32, 33]) };

describe('imagesToTensor', () => {
  it('lays out NCHW and NHWC with pixel/255', () => {
    const nchw = imagesToTensor([rgb, rgb], { layout: 'NCHW' });
    assert.deepEqual(nchw.shape, [2, 3, 2, 2]);
    assert.deepEqual(Array.from(nchw.data.subarray(0, 12)), [1, 11, 21, 31, 2, 12, 22, 32, 3, 13, 23, 33].map((v) => Math.fround(v / 255)));
    const nhwc = imagesToTensor([rgb], { layout: 'NHWC', scale: 1 });
    assert.deepEqual(nhwc.shape, [1, 2, 2, 3]);
    assert.deepEqual(Array.from(nhwc.data), Array.from(rgb.data));
  });

  it('gives float32(p) / float32(255) for every byte value', () => {
    const all: Uint8Image = { width: 256, height: 1, channels: 1, data: Uint8Array.from({ length: 256 }, (_, i) => i) };
    const t = imagesToTensor([all], { layout: 'NCHW' });
    for (let p = 0; p < 256; p++) assert.equal(t.data[p], Math.fround(Math.fround(p) / 255));
    assert.equal(t.data[255], 1);
  });

  it('refuses a batch of mixed sizes', () => {
    const small: Uint8Image = { width: 1, height: 1, channels: 3, data: new Uint8Array(3) };
    assert.throws(() => imagesToTensor([rgb, small], { layout: 'NCHW' }), /a batch needs one size/);
    assert.throws(() => imagesToTensor([], { layout: 'NCHW' }), FxpError);
  });
});

describe('mnistBatch', () => {
  const images = Uint8Array.from({ length: 3 * 2 * 2 }, (_, i) => i * 20);
  it('slices images and shapes them for either layout', () => {
    const nhwc = mnistBatch(images, 1, 2, 2, 2, 'NHWC');
    assert.deepEqual(nhwc.shape, [2, 2, 2, 1]);
    assert.deepEqual(Array.from(nhwc.data), [80, 100, 120, 140, 160, 180, 200, 220].map((v) => Math.fround(v / 255)));
    assert.deepEqual(mnistBatch(images, 0, 1, 2, 2, 'NCHW').shape, [1, 1, 2, 2]);
  });
  it('rejects a range past the end', () => {
    assert.throws(() => mnistBatch(images, 2, 2, 2, 2, 'NHWC'), /runs past 3 images/);
  });
});

describe('cropImage', () => {
  it('copies the window', () => {
    const c = cropImage(rgb, 1, 0, 1, 2);
    assert.deepEqual([c.width, c.height, c.channels], [1, 2, 3]);
    assert.deepEqual(Array.from(c.data), [11, 12, 13, 31, 32, 33]);
  });
  it('rejects a window outside the image', () => {
    assert.throws(() => cropImage(rgb, 1, 1, 2, 1), /outside the 2x2 image/);
  });
});

describe('tensorToImage', () => {
  it('clamps to [0, 1], scales by 255 in float32 and truncates (LRS protocol)', () => {
    // Below 0, above 1, float32(128/255) (must come back as 128), 0.999 and 0.5.
    const v = Math.fround(128 / 255);
    const t = tensor([1, 3, 1, 2], Float32Array.from([-0.5, 0.999, 2, 0.5, v, 0.5]));
    const img = tensorToImage(t, 0, { round: 'truncate' });
    assert.deepEqual([img.width, img.height, img.channels], [2, 1, 3]);
    // pixel 0 = (c0, c1, c2) = (-0.5, 2, v), pixel 1 = (0.999, 0.5, 0.5)
    assert.deepEqual(Array.from(img.data), [0, 255, 128, 254, 127, 127]);
    const rounded = tensorToImage(t, 0, { round: 'round' });
    assert.deepEqual(Array.from(rounded.data), [0, 255, 128, 255, 128, 128]);
  });

  it('inverts imagesToTensor exactly for 8-bit data, in both layouts', () => {
    for (const layout of ['NCHW', 'NHWC'] as const) {
      const t = imagesToTensor([rgb, rgb], { layout });
      const back = tensorToImage(t, 1, { round: 'round', layout });
      assert.deepEqual(Array.from(back.data), Array.from(rgb.data));
    }
  });

  it('rejects NaN, bad channel counts and bad indices', () => {
    assert.throws(() => tensorToImage(tensor([1, 1, 1, 1], Float32Array.from([NaN])), 0, { round: 'truncate' }), /NaN/);
    assert.throws(() => tensorToImage(tensor([1, 2, 1, 1]), 0, { round: 'truncate' }), /1 or 3 channels/);
    assert.throws(() => tensorToImage(tensor([1, 1, 1, 1]), 1, { round: 'truncate' }), /out of range/);
  });
});
