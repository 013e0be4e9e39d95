/**
 * MS-SSIM (Wang, Simoncelli, Bovik 2003), matched to pytorch-msssim's `ms_ssim`
 * (VainF/pytorch-msssim, the implementation CompressAI and most learned-codec
 * papers report with), in float64:
 *
 * - 11-tap Gaussian, sigma 1.5, normalized; separable "valid" filtering (no padding),
 *   so each map is (w - 10) x (h - 10).
 * - C1 = (0.01 L)^2, C2 = (0.03 L)^2 with L = 255 for 8-bit pixels.
 * - 5 scales, weights [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]. Scales 1-4 contribute
 *   mean(cs map); scale 5 contributes mean(ssim map) (luminance only there). Each
 *   mean is clamped at 0 (relu) before the power, as pytorch-msssim does.
 * - Between scales, 2x2 average pooling with stride 2. An odd side is zero-padded by
 *   one pixel on *both* ends and still divided by 4 (torch avg_pool2d with
 *   padding = side % 2, count_include_pad): the first row/column of the next scale is
 *   then darkened. A quirk, kept so numbers compare with published ones; images with
 *   even sides at every scale (multiples of 16, e.g. Kodak) never meet it.
 * - Computed per channel, then the channel values are averaged.
 *
 * Like pytorch-msssim, both sides must exceed (11 - 1) * 2^4 = 160 pixels, so the
 * coarsest scale still holds one 11x11 window.
 */
import { FxpError } from '../errors.js';

const WEIGHTS = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333] as const;
const WIN = 11;
const SIGMA = 1.5;
const K1 = 0.01;
const K2 = 0.03;
export const MS_SSIM_MIN_SIDE = (WIN - 1) * 2 ** (WEIGHTS.length - 1) + 1;

const GAUSS: Float64Array = (() => {
  const g = new Float64Array(WIN);
  let sum = 0;
  for (let i = 0; i < WIN; i++) {
    const x = i - (WIN - 1) / 2;
    g[i] = Math.exp(-(x * x) / (2 * SIGMA * SIGMA));
    sum += g[i]!;
  }
  for (let i = 0; i < WIN; i++) g[i]! /= sum;
  return g;
})();

interface Plane {
  readonly w: number;
  readonly h: number;
  readonly data: Float64Array;
}

/** Separable Gaussian, valid region only: (w - 10) x (h - 10). */
function blur(p: Plane): Plane {
  const ow = p.w - WIN + 1;
  const oh = p.h - WIN + 1;
  const rows = new Float64Array(ow * p.h);
  for (let y = 0; y < p.h; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let k = 0; k < WIN; k++) s += GAUSS[k]! * p.data[y * p.w + x + k]!;
      rows[y * ow + x] = s;
    }
  }
  const out = new Float64Array(ow * oh);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let k = 0; k < WIN; k++) s += GAUSS[k]! * rows[(y + k) * ow + x]!;
      out[y * ow + x] = s;
    }
  }
  return { w: ow, h: oh, data: out };
}

function product(a: Plane, b: Plane): Plane {
  const data = new Float64Array(a.data.length);
  for (let i = 0; i < data.length; i++) data[i] = a.data[i]! * b.data[i]!;
  return { w: a.w, h: a.h, data };
}

/** Mean of the SSIM map and of the contrast-structure map at one scale. */
function ssimAndCs(x: Plane, y: Plane, c1: number, c2: number): { ssim: number; cs: number } {
  const mu1 = blur(x).data;
  const mu2 = blur(y).data;
  const exx = blur(product(x, x)).data;
  const eyy = blur(product(y, y)).data;
  const exy = blur(product(x, y)).data;
  let ssimSum = 0;
  let csSum = 0;
  for (let i = 0; i < mu1.length; i++) {
    const m1 = mu1[i]!;
    const m2 = mu2[i]!;
    const s11 = exx[i]! - m1 * m1;
    const s22 = eyy[i]! - m2 * m2;
    const s12 = exy[i]! - m1 * m2;
    const cs = (2 * s12 + c2) / (s11 + s22 + c2);
    csSum += cs;
    ssimSum += ((2 * m1 * m2 + c1) / (m1 * m1 + m2 * m2 + c1)) * cs;
  }
  return { ssim: ssimSum / mu1.length, cs: csSum / mu1.length };
}

/** torch avg_pool2d(kernel 2, stride 2, padding = side % 2, count_include_pad = true). */
function pool(p: Plane): Plane {
  const padY = p.h % 2;
  const padX = p.w % 2;
  const oh = Math.floor((p.h + 2 * padY - 2) / 2) + 1;
  const ow = Math.floor((p.w + 2 * padX - 2) / 2) + 1;
  const out = new Float64Array(ow * oh);
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      let s = 0;
      for (let dy = 0; dy < 2; dy++) {
        const y = 2 * oy + dy - padY;
        if (y < 0 || y >= p.h) continue;
        for (let dx = 0; dx < 2; dx++) {
          const x = 2 * ox + dx - padX;
          if (x >= 0 && x < p.w) s += p.data[y * p.w + x]!;
        }
      }
      out[oy * ow + ox] = s / 4;
    }
  }
  return { w: ow, h: oh, data: out };
}

function channelPlane(img: Uint8Array, width: number, height: number, channels: number, c: number): Plane {
  const data = new Float64Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = img[i * channels + c]!;
  return { w: width, h: height, data };
}

/** MS-SSIM of two 8-bit HWC images (1 = identical); see the file comment for the exact definition. */
export function msSsim(a: Uint8Array, b: Uint8Array, width: number, height: number, channels: number): number {
  const n = width * height * channels;
  if (!Number.isInteger(channels) || channels < 1 || a.length !== n || b.length !== n) {
    throw new FxpError(`msSsim: images of ${a.length} and ${b.length} bytes, expected ${width}x${height}x${channels} = ${n}`);
  }
  if (Math.min(width, height) < MS_SSIM_MIN_SIDE) {
    throw new FxpError(`msSsim needs both sides >= ${MS_SSIM_MIN_SIDE} pixels (5 scales of an 11x11 window), got ${width}x${height}`);
  }
  const c1 = (K1 * 255) ** 2;
  const c2 = (K2 * 255) ** 2;
  let total = 0;
  for (let c = 0; c < channels; c++) {
    let x = channelPlane(a, width, height, channels, c);
    let y = channelPlane(b, width, height, channels, c);
    let value = 1;
    WEIGHTS.forEach((weight, level) => {
      const { ssim, cs } = ssimAndCs(x, y, c1, c2);
      const last = level === WEIGHTS.length - 1;
      value *= Math.max(0, last ? ssim : cs) ** weight;
      if (!last) {
        x = pool(x);
        y = pool(y);
      }
    });
    total += value;
  }
  return total / channels;
}
