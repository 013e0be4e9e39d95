import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { FxpError } from '../../src/errors.js';
import { writeIdxGz } from '../../src/data/idx.js';
import { loadMnistLike } from '../../src/data/mnist.js';

const FASHION = fileURLToPath(new URL('../../../shared/data/fashion-mnist', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fxp-mnist-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function histogram(labels: Uint8Array): number[] {
  const h = new Array<number>(10).fill(0);
  for (const l of labels) h[l]!++;
  return h;
}

function pixelSum(images: Uint8Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += images[i]!;
  return s;
}

describe('loadMnistLike', () => {
  it('loads a synthetic split and checks image/label counts', () => {
    const ok = join(dir, 'ok');
    mkdirSync(ok);
    const images = Uint8Array.from({ length: 3 * 4 * 5 }, (_, i) => i);
    writeIdxGz(join(ok, 't10k-images-idx3-ubyte.gz'), [3, 4, 5], images);
    writeIdxGz(join(ok, 't10k-labels-idx1-ubyte.gz'), [3], Uint8Array.from([2, 0, 1]));
    const set = loadMnistLike(ok, 'test');
    assert.deepEqual([set.count, set.height, set.width], [3, 4, 5]);
    assert.deepEqual(Array.from(set.labels), [2, 0, 1]);
    assert.equal(set.images[59], 59);
    assert.throws(() => loadMnistLike(ok, 'train'), /no images file/);
  });

  it('rejects a label file whose count differs, naming it', () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    writeIdxGz(join(bad, 'train-images-idx3-ubyte.gz'), [3, 2, 2], new Uint8Array(12));
    const labels = join(bad, 'train-labels-idx1-ubyte.gz');
    writeIdxGz(labels, [2], new Uint8Array(2));
    assert.throws(
      () => loadMnistLike(bad, 'train'),
      (err: unknown) => err instanceof FxpError && err.file === labels && /label count 2 does not match image count 3/.test(err.message),
    );
  });

  it('reads real Fashion-MNIST', { skip: existsSync(FASHION) ? false : 'needs ../shared/data/fashion-mnist' }, () => {
    const test = loadMnistLike(FASHION, 'test');
    assert.deepEqual([test.count, test.height, test.width], [10000, 28, 28]);
    assert.deepEqual(histogram(test.labels), new Array<number>(10).fill(1000));
    assert.deepEqual(Array.from(test.labels.subarray(0, 10)), [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    // Reference sums from numpy on the same files.
    assert.equal(pixelSum(test.images, 0, 784), 33456);
    assert.equal(pixelSum(test.images, 0, test.images.length), 573469082);
    const train = loadMnistLike(FASHION, 'train');
    assert.deepEqual([train.count, train.height, train.width], [60000, 28, 28]);
    assert.deepEqual(histogram(train.labels), new Array<number>(10).fill(6000));
    assert.deepEqual(Array.from(train.labels.subarray(0, 5)), [9, 0, 0, 3, 0]);
    assert.equal(pixelSum(train.images, 0, 784), 76247);
  });
});
