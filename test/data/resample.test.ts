import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { listImages, readImage, type Uint8Image } from '../../src/data/images.js';
import { psnr } from '../../src/data/metrics.js';
import { resizeImage } from '../../src/data/resample.js';

const SHARED = fileURLToPath(new URL('../../../shared/data', import.meta.url));
const KODAK = `${SHARED}/kodak`;
const KODAK_LR = `${SHARED}/kodak-lr`;
const haveKodak = existsSync(KODAK) && existsSync(KODAK_LR);

function gray(width: number, height: number, values: number[]): Uint8Image {
  return { width, height, channels: 1, data: Uint8Array.from(values) };
}

describe('resizeImage', () => {
  it('nearest picks floor((o + 0.5) * in / out)', () => {
    assert.deepEqual(Array.from(resizeImage(gray(4, 1, [10, 20, 30, 40]), 2, 1, 'nearest').data), [20, 40]);
    assert.deepEqual(Array.from(resizeImage(gray(2, 1, [10, 20]), 4, 1, 'nearest').data), [10, 10, 20, 20]);
    assert.deepEqual(Array.from(resizeImage(gray(1, 3, [1, 2, 3]), 1, 2, 'nearest').data), [1, 3]);
  });

  it('bicubic shrinks a step edge with the widened Keys kernel (hand-computed)', () => {
    // out[0] is centred at 1; after stretching by 2 its taps are k(0.25), k(0.25), k(0.75), k(1.25)
    // = 0.8671875, 0.8671875, 0.2265625, -0.0703125 (sum 1.890625), so
    // out[0] = 255 * (0.2265625 - 0.0703125) / 1.890625 = 21.07 -> 21; out[1] mirrors it -> 234.
    assert.deepEqual(Array.from(resizeImage(gray(4, 1, [0, 0, 255, 255]), 2, 1, 'bicubic').data), [21, 234]);
  });

  it('bicubic keeps constant images constant and is the identity at the same size', () => {
    const flat: Uint8Image = { width: 5, height: 3, channels: 3, data: new Uint8Array(45).fill(77) };
    const up = resizeImage(flat, 13, 8, 'bicubic');
    assert.ok(up.data.every((v) => v === 77));
    const img = gray(3, 2, [1, 50, 200, 9, 0, 255]);
    assert.deepEqual(Array.from(resizeImage(img, 3, 2, 'bicubic').data), Array.from(img.data));
  });

  it('bicubic commutes with mirroring', () => {
    const row = [3, 90, 17, 250, 0, 66, 128];
    const a = resizeImage(gray(7, 1, row), 11, 1, 'bicubic').data;
    const b = resizeImage(gray(7, 1, [...row].reverse()), 11, 1, 'bicubic').data;
    assert.deepEqual(Array.from(a), Array.from(b).reverse());
  });

  it('reproduces ../shared/data/kodak-lr (PIL bicubic) bit for bit and the 32.254 dB bicubic baseline', {
    skip: haveKodak ? false : 'needs ../shared/data/kodak and kodak-lr',
  }, async () => {
    const hr = listImages(KODAK);
    const lr = listImages(KODAK_LR);
    assert.equal(hr.length, 24);
    let sum = 0;
    for (let i = 0; i < hr.length; i++) {
      const a = await readImage(hr[i]!);
      const b = await readImage(lr[i]!);
      const down = resizeImage(a, Math.trunc(a.width / 1.5), Math.trunc(a.height / 1.5), 'bicubic');
      assert.deepEqual([down.width, down.height], [b.width, b.height]);
      assert.ok(Buffer.from(down.data).equals(Buffer.from(b.data)), `${lr[i]} differs from our PIL-style bicubic`);
      sum += psnr(resizeImage(b, a.width, a.height, 'bicubic').data, a.data);
    }
    // ../shared/README.md: "bicubic upscaling alone: 32.254 dB".
    assert.equal((sum / hr.length).toFixed(3), '32.254');
  });
});
