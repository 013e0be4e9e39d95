/**
 * `.fxp` round trip of real models lowered by the quantization pipeline: the
 * decoded graph re-encodes to the same bytes and the integer engine gives the
 * same integers on both.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createEngine } from '../../src/engine/runtime.js';
import { decodeFxp, encodeFxp, fxpSizeReport } from '../../src/export/fxp-file.js';
import { loadFloatModel } from '../../src/import/index.js';
import { canonicalize } from '../../src/passes/index.js';
import { calibrate } from '../../src/quantize/calibrate.js';
import { quantizeUniform } from '../../src/quantize/pipeline.js';
import { DEFAULT_UNIFORM } from '../../src/quantize/uniform.js';
import type { Tensor } from '../../src/tensor.js';
import { rng } from './fxp-file-fixtures.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fashion = join(root, 'examples', 'fashion-small', 'model.onnx');
const lrs = join(root, '..', 'shared', 'models', 'hong2021-lrs', 'lrs_float.onnx');

function randomInput(shape: number[], seed: number): Tensor {
  const rand = rng(seed);
  return { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rand()) };
}

async function roundTrip(path: string, input: Tensor, variants: readonly (readonly ['dynamic' | 'range-adaptive', 'layer' | 'channel', number])[]): Promise<void> {
  const g = canonicalize(await loadFloatModel(path));
  const stats = await calibrate(g, [[input]]);
  for (const [scheme, granularity, weightBits] of variants) {
    const { fx } = quantizeUniform(g, stats, { ...DEFAULT_UNIFORM, scheme, granularity, weightBits });
    const bytes = encodeFxp(fx);
    const back = decodeFxp(bytes, path);
    assert.deepEqual(encodeFxp(back), bytes, `${scheme} ${weightBits}-bit re-encodes to the same bytes`);
    const want = createEngine(fx).run([input]).outputs;
    const got = createEngine(back).run([input]).outputs;
    assert.equal(got.length, want.length);
    want.forEach((w, i) => {
      assert.deepEqual(got[i]!.data, w.data, `output ${i} bit-identical`);
      assert.deepEqual(got[i]!.format, w.format);
    });
    const r = fxpSizeReport(fx);
    assert.equal(r.totalBytes, bytes.length);
    if (scheme === 'range-adaptive') assert.ok(r.rangeBits > 0);
  }
}

test('examples/fashion-small: both weight schemes survive the file bit for bit', { skip: existsSync(fashion) ? false : 'needs examples/fashion-small/model.onnx' }, async () => {
  await roundTrip(fashion, randomInput([2, 1, 28, 28], 1), [
    ['dynamic', 'channel', 4],
    ['dynamic', 'layer', 8],
    ['range-adaptive', 'channel', 8],
  ]);
});

test('Hong et al. LRS network (DepthToSpace, residual adds) survives the file bit for bit', { skip: existsSync(lrs) ? false : 'needs ../shared/models/hong2021-lrs/lrs_float.onnx' }, async () => {
  await roundTrip(lrs, randomInput([1, 3, 12, 12], 2), [['range-adaptive', 'channel', 8]]);
});
