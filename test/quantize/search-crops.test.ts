/** Image search sets: LR tiles with the matching HR tiles, checked through the float LRS model. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createFloatExecutor } from '../../src/float/executor.js';
import { loadFloatModel } from '../../src/import/index.js';
import { canonicalize } from '../../src/passes/index.js';
import { cropPairSet } from '../../src/quantize/search/crop-pairs.js';
import { imagePsnrs } from '../../src/quantize/search/metric.js';

const SHARED = '../shared';
const LRS = join(SHARED, 'models/hong2021-lrs/lrs_float.onnx');
const have = existsSync(LRS) && existsSync(join(SHARED, 'data/kodak-lr/kodim01.png'));

test('kodak-lr tiles come with the kodak tiles the LRS model maps them to', { skip: have ? false : 'needs ../shared/models/hong2021-lrs and ../shared/data/kodak(-lr)' }, async () => {
  const set = await cropPairSet([join(SHARED, 'data/kodak-lr/kodim01.png')], join(SHARED, 'data/kodak'), { size: 32, layout: 'NCHW', color: 'rgb', limit: 3 });
  assert.equal(set.length, 3);
  const g = canonicalize(await loadFloatModel(LRS));
  const exec = createFloatExecutor(g);
  for await (const b of set.batches(3)) {
    assert.deepEqual(b.input.shape, [3, 3, 32, 32]);
    assert.equal(b.targets![0]!.width, 48);
    const out = exec.run([b.input]).outputs[0]!;
    assert.deepEqual(out.shape, [3, 3, 48, 48]);
    // Aligned tiles: super-resolution is far better than any misaligned comparison.
    for (const p of imagePsnrs(out, b.targets!)) assert.ok(p > 24, `tile PSNR ${p}`);
  }
});

test('a tile size whose target size is not whole is refused', { skip: have ? false : 'needs ../shared/data/kodak(-lr)' }, async () => {
  await assert.rejects(cropPairSet([join(SHARED, 'data/kodak-lr/kodim01.png')], join(SHARED, 'data/kodak'), { size: 33, layout: 'NCHW' }), /not an integer/);
});
