import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { FxpError } from '../../src/errors.js';
import { imagePairDataset, mnistDataset, type Batch, type Dataset } from '../../src/data/dataset.js';
import { writeIdxGz } from '../../src/data/idx.js';
import { writePng } from '../../src/data/images.js';

const SHARED = fileURLToPath(new URL('../../../shared/data', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fxp-ds-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function collect(ds: Dataset, batchSize: number): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of ds.batches(batchSize)) out.push(b);
  return out;
}

describe('mnistDataset', () => {
  const mnist = join(dir, 'mnist');
  mkdirSync(mnist);
  // 5 images of 2x2; image i is filled with 10 i; label i is 9 - i.
  writeIdxGz(join(mnist, 'train-images-idx3-ubyte.gz'), [5, 2, 2], Uint8Array.from({ length: 20 }, (_, k) => 10 * Math.floor(k / 4)));
  writeIdxGz(join(mnist, 'train-labels-idx1-ubyte.gz'), [5], Uint8Array.from([9, 8, 7, 6, 5]));

  it('batches a window of the split with labels', async () => {
    const ds = mnistDataset(mnist, 'train', { layout: 'NHWC', offset: 1, limit: 3 });
    assert.equal(ds.length, 3);
    assert.equal(ds.name, 'mnist-train');
    const batches = await collect(ds, 2);
    assert.deepEqual(batches.map((b) => b.input.shape), [[2, 2, 2, 1], [1, 2, 2, 1]]);
    assert.deepEqual(batches.map((b) => Array.from(b.labels ?? [])), [[8, 7], [6]]);
    assert.deepEqual(batches.flatMap((b) => b.names), ['train:1', 'train:2', 'train:3']);
    assert.equal(batches[1]!.input.data[0], Math.fround(30 / 255));
  });

  it('clips the limit to the split and checks its arguments', async () => {
    const ds = mnistDataset(mnist, 'train', { layout: 'NCHW', offset: 3, limit: 100 });
    assert.equal(ds.length, 2);
    assert.deepEqual((await collect(ds, 8))[0]!.input.shape, [2, 1, 2, 2]);
    assert.throws(() => mnistDataset(mnist, 'train', { layout: 'NCHW', offset: 6 }), /offset 6 out of range/);
    await assert.rejects(collect(ds, 0), /batch size/);
  });
});

describe('imagePairDataset', () => {
  const inputs = join(dir, 'in');
  const targets = join(dir, 'gt');
  mkdirSync(inputs);
  mkdirSync(targets);
  const solid = (w: number, h: number, v: number) => ({ width: w, height: h, channels: 3 as const, data: new Uint8Array(w * h * 3).fill(v) });

  it('pairs by file name and splits batches where the size changes', async () => {
    const sizes: [string, number][] = [['a.png', 4], ['b.png', 4], ['c.png', 3], ['d.png', 4], ['e.png', 4], ['f.png', 4]];
    for (const [i, [name, s]] of sizes.entries()) {
      await writePng(join(inputs, name), solid(s, s, 10 * i));
      await writePng(join(targets, name), solid(2 * s, 2 * s, 10 * i + 1));
    }
    const ds = imagePairDataset(inputs, targets, { layout: 'NCHW' });
    assert.equal(ds.length, 6);
    const batches = await collect(ds, 2);
    assert.deepEqual(batches.map((b) => b.names), [['a.png', 'b.png'], ['c.png'], ['d.png', 'e.png'], ['f.png']]);
    assert.deepEqual(batches.map((b) => b.input.shape), [[2, 3, 4, 4], [1, 3, 3, 3], [2, 3, 4, 4], [1, 3, 4, 4]]);
    const second = batches[2]!;
    assert.equal(second.input.data[0], Math.fround(30 / 255));
    assert.deepEqual(second.targets?.map((t) => [t.width, t.data[0]]), [[8, 31], [8, 41]]);
    assert.deepEqual((await collect(imagePairDataset(inputs, targets, { layout: 'NHWC', limit: 2 }), 8)).map((b) => b.names), [['a.png', 'b.png']]);
  });

  it('fails up front when a target is missing', async () => {
    await writePng(join(inputs, 'lonely.png'), solid(4, 4, 0));
    assert.throws(
      () => imagePairDataset(inputs, targets, { layout: 'NCHW' }),
      (err: unknown) => err instanceof FxpError && /no target image 'lonely.png'/.test(err.message) && err.file === join(inputs, 'lonely.png'),
    );
  });

  const haveKodak = existsSync(join(SHARED, 'kodak')) && existsSync(join(SHARED, 'kodak-lr'));
  it('pairs ../shared kodak-lr inputs with kodak targets', { skip: haveKodak ? false : 'needs ../shared/data/kodak and kodak-lr' }, async () => {
    const ds = imagePairDataset(join(SHARED, 'kodak-lr'), join(SHARED, 'kodak'), { layout: 'NCHW' });
    assert.equal(ds.length, 24);
    const batches = await collect(ds, 4);
    const names = batches.flatMap((b) => b.names);
    assert.deepEqual(names, Array.from({ length: 24 }, (_, i) => `kodim${String(i + 1).padStart(2, '0')}.png`));
    for (const b of batches) {
      const [n, c, h, w] = b.input.shape;
      assert.equal(c, 3);
      assert.equal(b.targets?.length, n);
      for (const t of b.targets ?? []) {
        // kodak-lr is int(W / 1.5) x int(H / 1.5) of its target.
        assert.deepEqual([Math.trunc(t.width / 1.5), Math.trunc(t.height / 1.5), t.channels], [w, h, 3]);
      }
    }
    // Portrait images (kodim04 ...) break the landscape runs into separate batches.
    assert.ok(batches.some((b) => b.input.shape[2]! > b.input.shape[3]!));
  });
});
