/**
 * Keras semantics, numerically: imported graphs run on the float executor must
 * match an independent channels-last reference written from TF's definitions
 * (SAME padding with the odd cell at the end, max pooling ignoring padding,
 * average pooling dividing by real cells, H-W-C flatten order, transposed conv as
 * the gradient of a forward conv).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runFloat } from '../../src/float/executor.js';
import { importKerasConfig, type KerasWeights } from '../../src/import/keras/index.js';
import type { Tensor } from '../../src/tensor.js';
import { functionalConfig, seeded, weight, type FixtureLayer, type FixtureWeight } from '../util/keras-fixtures.js';

/** A channels-last image (batch 1). */
interface Img {
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly data: Float64Array;
}

const at = (x: Img, y: number, xx: number, c: number): number => x.data[(y * x.w + xx) * x.c + c]!;
const img = (h: number, w: number, c: number): Img => ({ h, w, c, data: new Float64Array(h * w * c) });

/** TF SAME: out = ceil(in/s), total pad = max((out-1)*s + kd - in, 0), floor(total/2) before. */
function tfPad(inSize: number, k: number, s: number, d: number, same: boolean): { out: number; before: number } {
  const kd = (k - 1) * d + 1;
  if (!same) return { out: Math.floor((inSize - kd) / s) + 1, before: 0 };
  const out = Math.ceil(inSize / s);
  return { out, before: Math.floor(Math.max((out - 1) * s + kd - inSize, 0) / 2) };
}

/** Conv (depthwise when `mult` > 0: kernel [kh, kw, C, mult]; else HWIO). */
function refConv(x: Img, k: FixtureWeight, bias: Float32Array | undefined, s: number, d: number, same: boolean, mult = 0): Img {
  const [kh, kw] = k.shape as [number, number];
  const co = mult > 0 ? x.c * mult : k.shape[3]!;
  const ph = tfPad(x.h, kh, s, d, same);
  const pw = tfPad(x.w, kw, s, d, same);
  const out = img(ph.out, pw.out, co);
  for (let oy = 0; oy < ph.out; oy++) {
    for (let ox = 0; ox < pw.out; ox++) {
      for (let o = 0; o < co; o++) {
        let acc = bias?.[o] ?? 0;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * s + ky * d - ph.before;
          if (iy < 0 || iy >= x.h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * s + kx * d - pw.before;
            if (ix < 0 || ix >= x.w) continue;
            if (mult > 0) {
              const c = Math.floor(o / mult);
              acc += at(x, iy, ix, c) * k.data[((ky * kw + kx) * x.c + c) * mult + (o % mult)]!;
            } else {
              for (let c = 0; c < x.c; c++) acc += at(x, iy, ix, c) * k.data[((ky * kw + kx) * x.c + c) * co + o]!;
            }
          }
        }
        out.data[(oy * out.w + ox) * co + o] = acc;
      }
    }
  }
  return out;
}

function refPool(x: Img, k: number, s: number, same: boolean, kind: 'max' | 'avg'): Img {
  const ph = tfPad(x.h, k, s, 1, same);
  const pw = tfPad(x.w, k, s, 1, same);
  const out = img(ph.out, pw.out, x.c);
  for (let oy = 0; oy < ph.out; oy++) {
    for (let ox = 0; ox < pw.out; ox++) {
      for (let c = 0; c < x.c; c++) {
        let best = -Infinity;
        let sum = 0;
        let n = 0;
        for (let ky = 0; ky < k; ky++) {
          for (let kx = 0; kx < k; kx++) {
            const iy = oy * s + ky - ph.before;
            const ix = ox * s + kx - pw.before;
            if (iy < 0 || iy >= x.h || ix < 0 || ix >= x.w) continue;
            const v = at(x, iy, ix, c);
            best = Math.max(best, v);
            sum += v;
            n++;
          }
        }
        out.data[(oy * out.w + ox) * x.c + c] = kind === 'max' ? best : sum / n;
      }
    }
  }
  return out;
}

/** Keras Conv2DTranspose, padding 'same', no output_padding: out = in*s, the gradient of a SAME conv. */
function refConvTransposeSame(x: Img, k: FixtureWeight, bias: Float32Array, s: number): Img {
  const [kh, kw, f] = k.shape as [number, number, number];
  const out = img(x.h * s, x.w * s, f);
  const beforeH = Math.floor(Math.max((x.h - 1) * s + kh - out.h, 0) / 2);
  const beforeW = Math.floor(Math.max((x.w - 1) * s + kw - out.w, 0) / 2);
  for (let i = 0; i < out.data.length; i++) out.data[i] = bias[i % f]!;
  for (let iy = 0; iy < x.h; iy++) {
    for (let ix = 0; ix < x.w; ix++) {
      for (let ky = 0; ky < kh; ky++) {
        for (let kx = 0; kx < kw; kx++) {
          const oy = iy * s + ky - beforeH;
          const ox = ix * s + kx - beforeW;
          if (oy < 0 || oy >= out.h || ox < 0 || ox >= out.w) continue;
          for (let o = 0; o < f; o++) {
            for (let c = 0; c < x.c; c++) out.data[(oy * out.w + ox) * f + o]! += at(x, iy, ix, c) * k.data[((ky * kw + kx) * f + o) * x.c + c]!;
          }
        }
      }
    }
  }
  return out;
}

const relu = (x: Img): Img => ({ ...x, data: x.data.map((v) => Math.max(v, 0)) });
const add = (a: Img, b: Img): Img => ({ ...a, data: a.data.map((v, i) => v + b.data[i]!) });

function concat(a: Img, b: Img): Img {
  const out = img(a.h, a.w, a.c + b.c);
  for (let p = 0; p < a.h * a.w; p++) {
    for (let c = 0; c < a.c; c++) out.data[p * out.c + c] = a.data[p * a.c + c]!;
    for (let c = 0; c < b.c; c++) out.data[p * out.c + a.c + c] = b.data[p * b.c + c]!;
  }
  return out;
}

function zeroPad(x: Img, t: number, b: number, l: number, r: number): Img {
  const out = img(x.h + t + b, x.w + l + r, x.c);
  for (let y = 0; y < x.h; y++) {
    for (let xx = 0; xx < x.w; xx++) {
      for (let c = 0; c < x.c; c++) out.data[((y + t) * out.w + xx + l) * x.c + c] = at(x, y, xx, c);
    }
  }
  return out;
}

function upsample(x: Img, s: number): Img {
  const out = img(x.h * s, x.w * s, x.c);
  for (let y = 0; y < out.h; y++) {
    for (let xx = 0; xx < out.w; xx++) {
      for (let c = 0; c < x.c; c++) out.data[(y * out.w + xx) * x.c + c] = at(x, Math.floor(y / s), Math.floor(xx / s), c);
    }
  }
  return out;
}

/** Dense over the flattened (H, W, C order) image. */
function dense(flat: Float64Array, k: FixtureWeight, b: Float32Array): Float64Array {
  const [kk, m] = k.shape as [number, number];
  const out = new Float64Array(m);
  for (let o = 0; o < m; o++) {
    let acc = b[o]!;
    for (let i = 0; i < kk; i++) acc += flat[i]! * k.data[i * m + o]!;
    out[o] = acc;
  }
  return out;
}

function toWeights(ws: readonly FixtureWeight[]): KerasWeights {
  const m = new Map<string, Map<string, Tensor>>();
  for (const w of ws) m.set(w.layer, (m.get(w.layer) ?? new Map<string, Tensor>()).set(w.name, { shape: w.shape, data: w.data }));
  return m;
}

describe('Keras semantics on the float executor', () => {
  it('a functional model matches the channels-last reference', () => {
    const H = 7;
    const W = 9;
    const layers: FixtureLayer[] = [
      { className: 'InputLayer', name: 'in', config: { batch_input_shape: [null, H, W, 2] } },
      { className: 'Conv2D', name: 'c1', inbound: ['in'], config: { filters: 3, kernel_size: 3, strides: 2, padding: 'same', activation: 'relu' } },
      { className: 'DepthwiseConv2D', name: 'dw', inbound: ['c1'], config: { kernel_size: 2, depth_multiplier: 2, padding: 'same' } },
      { className: 'Conv2D', name: 'c2', inbound: ['in'], config: { filters: 6, kernel_size: 3, dilation_rate: 2, padding: 'valid' } },
      { className: 'MaxPooling2D', name: 'mp', inbound: ['c2'], config: { pool_size: 2, strides: 1, padding: 'same' } },
      { className: 'ZeroPadding2D', name: 'zp', inbound: ['mp'], config: { padding: [[0, 1], [0, 0]] } },
      { className: 'Add', name: 'sum', inbound: ['dw', 'zp'] },
      { className: 'AveragePooling2D', name: 'ap', inbound: ['sum'], config: { pool_size: 3, strides: 2, padding: 'same' } },
      { className: 'UpSampling2D', name: 'up', inbound: ['ap'], config: { size: 2 } },
      { className: 'Conv2DTranspose', name: 'ct', inbound: ['ap'], config: { filters: 2, kernel_size: 3, strides: 2, padding: 'same' } },
      { className: 'Concatenate', name: 'cat', inbound: ['up', 'ct'], config: { axis: -1 } },
      { className: 'Flatten', name: 'flat', inbound: ['cat'] },
      { className: 'Dense', name: 'fc', inbound: ['flat'], config: { units: 5 } },
    ];
    const ws = [
      weight('c1', 'kernel', [3, 3, 2, 3], 1),
      weight('c1', 'bias', [3], 2),
      weight('dw', 'depthwise_kernel', [2, 2, 3, 2], 3),
      weight('dw', 'bias', [6], 4),
      weight('c2', 'kernel', [3, 3, 2, 6], 5),
      weight('c2', 'bias', [6], 6),
      weight('ct', 'kernel', [3, 3, 2, 6], 7),
      weight('ct', 'bias', [2], 8),
      weight('fc', 'kernel', [4 * 6 * 8, 5], 9),
      weight('fc', 'bias', [5], 10),
    ];
    const byName = (layer: string, name: string): FixtureWeight => ws.find((w) => w.layer === layer && w.name === name)!;
    const g = importKerasConfig(functionalConfig(layers, ['in'], ['fc']), toWeights(ws), 'sem.h5');

    const xdata = seeded(H * W * 2, 42);
    const x: Img = { h: H, w: W, c: 2, data: Float64Array.from(xdata) };
    const c1 = relu(refConv(x, byName('c1', 'kernel'), byName('c1', 'bias').data, 2, 1, true));
    const dw = refConv(c1, byName('dw', 'depthwise_kernel'), byName('dw', 'bias').data, 1, 1, true, 2);
    const c2 = refConv(x, byName('c2', 'kernel'), byName('c2', 'bias').data, 1, 2, false);
    const zp = zeroPad(refPool(c2, 2, 1, true, 'max'), 0, 1, 0, 0);
    const ap = refPool(add(dw, zp), 3, 2, true, 'avg');
    const cat = concat(upsample(ap, 2), refConvTransposeSame(ap, byName('ct', 'kernel'), byName('ct', 'bias').data, 2));
    const want = dense(cat.data, byName('fc', 'kernel'), byName('fc', 'bias').data);

    const got = runFloat(g, [{ shape: [1, H, W, 2], data: xdata }]).outputs[0]!;
    assert.deepEqual(got.shape, [1, 5]);
    for (let i = 0; i < 5; i++) assert.ok(Math.abs(got.data[i]! - want[i]!) < 1e-4, `output ${i}: ${got.data[i]} vs ${want[i]}`);
  });

  it('Reshape and Dense on 4-D tensors follow channels-last order', () => {
    const layers: FixtureLayer[] = [
      { className: 'InputLayer', name: 'in', config: { batch_input_shape: [null, 2, 3, 4] } },
      { className: 'Dense', name: 'd', inbound: ['in'], config: { units: 2, use_bias: false } },
      { className: 'Reshape', name: 'r', inbound: ['d'], config: { target_shape: [3, 2, 2] } },
    ];
    const k = weight('d', 'kernel', [4, 2], 1);
    const g = importKerasConfig(functionalConfig(layers, ['in'], ['r']), toWeights([k]), 'r.h5');
    const xdata = seeded(24, 3);
    const got = runFloat(g, [{ shape: [1, 2, 3, 4], data: xdata }]).outputs[0]!;
    // Channels-last: Dense per pixel, then a row-major reshape of the [2, 3, 2] result; output stays NHWC.
    const want = new Float64Array(12);
    for (let p = 0; p < 6; p++) for (let o = 0; o < 2; o++) for (let c = 0; c < 4; c++) want[p * 2 + o]! += xdata[p * 4 + c]! * k.data[c * 2 + o]!;
    assert.deepEqual(got.shape, [1, 3, 2, 2]);
    for (let i = 0; i < 12; i++) assert.ok(Math.abs(got.data[i]! - want[i]!) < 1e-5, `element ${i}`);
  });
});
