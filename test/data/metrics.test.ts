import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FxpError } from '../../src/errors.js';
import { agreement, argmax, klDivergence, mse, psnr, softmaxRows, top1 } from '../../src/data/metrics.js';
import { tensor } from '../../src/tensor.js';

const logits = tensor([3, 3], Float32Array.from([1, 5, 2, 9, 0, 9, -1, -2, -3]));

function close(actual: number, expected: number, tol = 1e-6): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} is not within ${tol} of ${expected}`);
}

describe('classification metrics', () => {
  it('argmax takes the first maximum of each row', () => {
    assert.deepEqual(Array.from(argmax(logits)), [1, 0, 0]);
    assert.deepEqual(Array.from(argmax(tensor([2, 1, 2], Float32Array.from([0, 1, 3, 2])))), [1, 0]);
  });

  it('top1 is the fraction of rows whose argmax is the label', () => {
    assert.equal(top1(logits, Int32Array.from([1, 0, 2])), 2 / 3);
    assert.equal(top1(logits, Uint8Array.from([0, 1, 2])), 0);
    assert.throws(() => top1(logits, [1, 0]), FxpError);
  });

  it('agreement compares two models row by row', () => {
    const other = tensor([3, 3], Float32Array.from([0, 1, 0, 0, 0, 1, 1, 0, 0]));
    assert.equal(agreement(logits, other), 2 / 3);
    assert.equal(agreement(logits, logits), 1);
    assert.throws(() => agreement(logits, tensor([3, 2])), /shapes/);
  });

  it('softmaxRows normalizes rows and survives large logits', () => {
    const p = softmaxRows(tensor([2, 2], Float32Array.from([0, Math.log(3), 1000, 1000])));
    close(p.data[0]!, 0.25);
    close(p.data[1]!, 0.75);
    close(p.data[2]!, 0.5);
    close(p.data[3]!, 0.5);
  });

  it('klDivergence averages KL(p||q) over rows, in nats', () => {
    const p = tensor([2, 2], Float32Array.from([0.5, 0.5, 1, 0]));
    const q = tensor([2, 2], Float32Array.from([0.25, 0.75, 0.5, 0.5]));
    // Row 0: 0.5 ln 2 + 0.5 ln(2/3); row 1: ln 2 (the p = 0 term contributes 0).
    close(klDivergence(p, q), (0.5 * Math.log(2) + 0.5 * Math.log(2 / 3) + Math.log(2)) / 2);
    assert.equal(klDivergence(p, p), 0);
    // q = 0 where p > 0: the epsilon keeps it finite: 1 * (ln 1 - ln 1e-10).
    close(klDivergence(tensor([1, 2], Float32Array.from([1, 0])), tensor([1, 2], Float32Array.from([0, 1]))), 10 * Math.log(10), 1e-9);
  });

  it('klDivergence rejects logits instead of guessing', () => {
    assert.throws(() => klDivergence(logits, logits), /pass probabilities \(softmaxRows\)/);
    const neg = tensor([1, 2], Float32Array.from([1.5, -0.5]));
    assert.throws(() => klDivergence(neg, neg), /entry -0.5/);
  });
});

describe('image metrics', () => {
  it('mse and psnr over all pixels and channels', () => {
    const a = Uint8Array.from([0, 10, 20, 30]);
    const b = Uint8Array.from([0, 12, 20, 26]);
    assert.equal(mse(a, b), (4 + 16) / 4);
    close(psnr(a, b), 10 * Math.log10((255 * 255) / 5), 1e-12);
    close(psnr(a, b, 1), 10 * Math.log10(1 / 5), 1e-12);
    assert.equal(psnr(a, a), Infinity);
    close(psnr(new Uint8Array(6), new Uint8Array(6).fill(255)), 0, 1e-12);
    assert.throws(() => psnr(a, b.subarray(1)), FxpError);
  });
});
