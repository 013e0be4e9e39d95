/**
 * The real Keras 2.2.4 models of Goyal et al. (../shared/models/goyal2021): import
 * structure, and float top-1 accuracy on the first Fashion-MNIST test images.
 * Skipped when ../shared is absent.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { runFloat } from '../../src/float/executor.js';
import { loadKerasH5 } from '../../src/import/keras/index.js';
import type { Graph } from '../../src/ir/graph.js';
import { inferShapes } from '../../src/ir/shape.js';

const shared = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../shared');
const models = resolve(shared, 'models/goyal2021');
const data = resolve(shared, 'data/fashion-mnist');
const skip = existsSync(models) ? false : 'needs ../shared/models/goyal2021';
const skipData = existsSync(models) && existsSync(data) ? false : 'needs ../shared/models/goyal2021 and ../shared/data/fashion-mnist';

function opCounts(g: Graph): Record<string, number> {
  const c: Record<string, number> = {};
  for (const n of g.nodes) c[n.op] = (c[n.op] ?? 0) + 1;
  return c;
}

describe('Goyal 2021 Keras models', () => {
  it('fashion_keras.h5: 4 Conv2D + BN, 2 MaxPool, global max pool, Dense, softmax', { skip }, async () => {
    const g = await loadKerasH5(resolve(models, 'fashion_keras.h5'));
    assert.deepEqual(g.values[g.inputs[0]!]!.shape, ['N', 28, 28, 1]);
    assert.deepEqual(opCounts(g), { Transpose: 1, Conv: 4, Relu: 4, BatchNormalization: 4, MaxPool: 2, GlobalMaxPool: 1, Flatten: 1, Dense: 1, Softmax: 1 });
    const shapes = inferShapes(g, [[1, 28, 28, 1]]);
    const out = (name: string): number[] => shapes[g.nodes.find((n) => n.name === name)!.outputs[0]!]!;
    assert.deepEqual(out('conv2d_1'), [1, 32, 26, 26]);
    assert.deepEqual(out('conv2d_3'), [1, 64, 12, 12], "'same' conv keeps the size");
    assert.deepEqual(out('max_pooling2d_2'), [1, 64, 5, 5]);
    assert.deepEqual(shapes[g.outputs[0]!], [1, 10]);
  });

  it('fashion_seq_large.h5: 14 Conv2D + BN, 3 MaxPool same, Dense, softmax', { skip }, async () => {
    const g = await loadKerasH5(resolve(models, 'fashion_seq_large.h5'));
    assert.deepEqual(opCounts(g), { Transpose: 1, Conv: 14, Relu: 14, BatchNormalization: 14, MaxPool: 3, GlobalMaxPool: 1, Flatten: 1, Dense: 1, Softmax: 1 });
    const pools = g.nodes.filter((n) => n.op === 'MaxPool');
    assert.ok(pools.every((p) => p.op === 'MaxPool' && p.attrs.autoPad === 'SAME_UPPER'));
    const shapes = inferShapes(g, [[1, 28, 28, 1]]);
    // 26 -> 13 -> 7 (same pooling rounds up) -> 4
    assert.deepEqual(shapes[pools[2]!.outputs[0]!], [1, 64, 4, 4]);
    assert.deepEqual(shapes[g.outputs[0]!], [1, 10]);
  });

  it('fashion_keras.h5 classifies the first 200 Fashion-MNIST test images', { skip: skipData }, async () => {
    const n = 200;
    const images = gunzipSync(readFileSync(resolve(data, 't10k-images-idx3-ubyte.gz'))).subarray(16, 16 + n * 784);
    const labels = gunzipSync(readFileSync(resolve(data, 't10k-labels-idx1-ubyte.gz'))).subarray(8, 8 + n);
    const g = await loadKerasH5(resolve(models, 'fashion_keras.h5'));
    const x = Float32Array.from(images, (p) => p / 255);
    const probs = runFloat(g, [{ shape: [n, 28, 28, 1], data: x }]).outputs[0]!;
    assert.deepEqual(probs.shape, [n, 10]);
    let correct = 0;
    for (let i = 0; i < n; i++) {
      const row = probs.data.subarray(i * 10, i * 10 + 10);
      const sum = row.reduce((a, v) => a + v, 0);
      assert.ok(Math.abs(sum - 1) < 1e-4, 'softmax output sums to 1');
      if (row.indexOf(Math.max(...row)) === labels[i]) correct++;
    }
    assert.ok(correct / n >= 0.85, `top-1 ${correct / n} on ${n} images`);
  });
});
