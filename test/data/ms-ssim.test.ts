import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FxpError } from '../../src/errors.js';
import { msSsim, psnr } from '../../src/data/metrics.js';

/**
 * Deterministic test images, generated identically by the numpy script that produced
 * the reference numbers below: a blocky gradient `a`, and `b` = a + uniform integer
 * noise in [-amp, amp] from xorshift32, clamped to 0..255.
 */
function pair(width: number, height: number, channels: number, amp: number): { a: Uint8Array; b: Uint8Array } {
  const n = width * height * channels;
  const a = new Uint8Array(n);
  const b = new Uint8Array(n);
  let s = 2463534242;
  for (let i = 0; i < n; i++) {
    const c = i % channels;
    const p = (i - c) / channels;
    const x = p % width;
    const y = (p - x) / width;
    const v = (2 * x + y + 50 * c + (x >> 4) * (y >> 4) * 13) & 255;
    s = (s ^ (s << 13)) >>> 0;
    s = (s ^ (s >>> 17)) >>> 0;
    s = (s ^ (s << 5)) >>> 0;
    a[i] = v;
    b[i] = Math.min(255, Math.max(0, v + (s % (2 * amp + 1)) - amp));
  }
  return { a, b };
}

describe('msSsim', () => {
  it('matches an independent numpy implementation of pytorch-msssim', () => {
    // Reference: a float64 numpy re-implementation of pytorch_msssim.ms_ssim(data_range=255),
    // including its zero-padded average pooling of odd sides (200x170 meets it at 3 scales).
    const rgb = pair(200, 170, 3, 20);
    assert.ok(Math.abs(msSsim(rgb.a, rgb.b, 200, 170, 3) - 0.9797246586276679) < 1e-12);
    assert.ok(Math.abs(psnr(rgb.a, rgb.b) - 26.830865600459113) < 1e-9);
    const gray = pair(176, 176, 1, 60);
    assert.ok(Math.abs(msSsim(gray.a, gray.b, 176, 176, 1) - 0.9177627349497476) < 1e-12);
  });

  it('is 1 for identical images and falls as noise grows', () => {
    const { a } = pair(192, 176, 3, 0);
    assert.equal(msSsim(a, a, 192, 176, 3), 1);
    let last = 1;
    for (const amp of [2, 8, 30, 90]) {
      const { b } = pair(192, 176, 3, amp);
      const v = msSsim(a, b, 192, 176, 3);
      assert.ok(v < last && v > 0, `amp ${amp}: ${v} should be in (0, ${last})`);
      last = v;
    }
  });

  it('is symmetric', () => {
    const { a, b } = pair(170, 161, 1, 25);
    assert.ok(Math.abs(msSsim(a, b, 170, 161, 1) - msSsim(b, a, 170, 161, 1)) < 1e-12);
  });

  it('rejects images too small for 5 scales and mismatched sizes', () => {
    const { a, b } = pair(160, 200, 1, 5);
    assert.throws(() => msSsim(a, b, 160, 200, 1), /both sides >= 161/);
    assert.throws(() => msSsim(a, b.subarray(1), 160, 200, 1), FxpError);
  });
});
