/**
 * Conv, ConvTranspose and Dense against naive loops written from the ONNX spec,
 * with the padding resolved here independently of ir/padding.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AutoPad, ConvAttrs, ConvTransposeAttrs, FusedActivation, Pads4 } from '../../src/ir/ops.js';
import { applyActivation } from '../../src/ir/ops.js';
import type { Tensor } from '../../src/tensor.js';
import { assertClose, randomTensor, rng, runOp, t } from './util.js';

/** [padBegin, padEnd, out] for one spatial dim of a Conv, per the ONNX spec. */
function convDim(inSize: number, k: number, s: number, d: number, auto: AutoPad, pb: number, pe: number): [number, number, number] {
  const span = (k - 1) * d + 1;
  if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    const out = Math.ceil(inSize / s);
    const total = Math.max(0, (out - 1) * s + span - inSize);
    const small = Math.floor(total / 2);
    return auto === 'SAME_UPPER' ? [small, total - small, out] : [total - small, small, out];
  }
  if (auto === 'VALID') return [0, 0, Math.ceil((inSize - span + 1) / s)];
  return [pb, pe, Math.floor((inSize + pb + pe - span) / s) + 1];
}

function naiveConv(x: Tensor, w: Tensor, b: Tensor | undefined, a: ConvAttrs): Tensor {
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [m, cg, kh, kw] = w.shape as [number, number, number, number];
  const [pt, , oh] = convDim(h, kh, a.strides[0], a.dilations[0], a.autoPad, a.pads[0], a.pads[2]);
  const [pl, , ow] = convDim(wd, kw, a.strides[1], a.dilations[1], a.autoPad, a.pads[1], a.pads[3]);
  const mg = m / a.group;
  const out = new Float32Array(n * m * oh * ow);
  for (let img = 0; img < n; img++) for (let mo = 0; mo < m; mo++) {
    const gi = Math.floor(mo / mg);
    for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
      let s = b === undefined ? 0 : b.data[mo]!;
      for (let ci = 0; ci < cg; ci++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
        const iy = oy * a.strides[0] + ky * a.dilations[0] - pt;
        const ix = ox * a.strides[1] + kx * a.dilations[1] - pl;
        if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
        s += x.data[((img * c + gi * cg + ci) * h + iy) * wd + ix]! * w.data[((mo * cg + ci) * kh + ky) * kw + kx]!;
      }
      out[((img * m + mo) * oh + oy) * ow + ox] = applyActivation(a.activation, s);
    }
  }
  return { shape: [n, m, oh, ow], data: out };
}

const ACTS: (FusedActivation | undefined)[] = [undefined, { kind: 'Relu' }, { kind: 'Clip', min: -0.5, max: 0.7 }, { kind: 'LeakyRelu', alpha: 0.1 }];
const AUTOS: AutoPad[] = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];

function convCase(rand: () => number, a: ConvAttrs, n: number, c: number, h: number, w: number, m: number, bias: boolean): void {
  const x = randomTensor([n, c, h, w], rand);
  const wt = randomTensor([m, c / a.group, a.kernel[0], a.kernel[1]], rand);
  const b = bias ? randomTensor([m], rand) : undefined;
  const want = naiveConv(x, wt, b, a);
  const got = runOp('Conv', a, [x], b === undefined ? [wt] : [wt, b]);
  assertClose(got, want, 1e-5, JSON.stringify(a));
}

test('Conv: random groups, strides, dilations, auto and asymmetric explicit pads, activations', () => {
  const rand = rng(10);
  const int = (lo: number, hi: number): number => lo + Math.floor(((rand() + 1) / 2) * (hi - lo + 1));
  let cases = 0;
  for (let i = 0; i < 300 && cases < 80; i++) {
    const group = [1, 1, 2, 3][int(0, 3)]!;
    const cg = int(1, 3);
    const mg = int(1, 5);
    const kernel = [int(1, 3), int(1, 3)] as const;
    const strides = [int(1, 3), int(1, 2)] as const;
    const dilations = [int(1, 2), int(1, 2)] as const;
    const autoPad = AUTOS[int(0, 3)]!;
    const pads: Pads4 = [int(0, 2), int(0, 2), int(0, 2), int(0, 2)];
    const h = int(1, 9);
    const w = int(1, 9);
    const a: ConvAttrs = { kernel, strides, dilations, pads, autoPad, group, activation: ACTS[int(0, 3)] };
    const oh = convDim(h, kernel[0], strides[0], dilations[0], autoPad, pads[0], pads[2])[2];
    const ow = convDim(w, kernel[1], strides[1], dilations[1], autoPad, pads[1], pads[3])[2];
    if (oh <= 0 || ow <= 0) continue;
    convCase(rand, a, int(1, 2), group * cg, h, w, group * mg, rand() > -0.5);
    cases++;
  }
  assert.ok(cases >= 60, `only ${cases} valid random cases`);
});

const base: ConvAttrs = { kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], autoPad: 'NOTSET', group: 1 };

test('Conv: depthwise (direct kernel) with multiplier 1 and 2, strided, dilated, SAME', () => {
  const rand = rng(11);
  convCase(rand, { ...base, group: 6 }, 2, 6, 7, 8, 6, true);
  convCase(rand, { ...base, group: 4, strides: [2, 2], autoPad: 'SAME_UPPER' }, 1, 4, 9, 6, 8, true);
  convCase(rand, { ...base, group: 3, dilations: [2, 1], pads: [0, 2, 1, 0], activation: { kind: 'Relu' } }, 2, 3, 6, 5, 3, false);
  convCase(rand, { ...base, group: 5, kernel: [5, 5], pads: [2, 2, 2, 2] }, 1, 5, 3, 3, 5, true);
});

test('Conv: 1x1 (contiguous im2col), wide planes over several column blocks, a single-output-pixel conv', () => {
  const rand = rng(12);
  convCase(rand, { ...base, kernel: [1, 1], pads: [0, 0, 0, 0] }, 2, 5, 6, 7, 6, true);
  convCase(rand, { ...base, kernel: [1, 1], pads: [0, 0, 0, 0], strides: [2, 2] }, 1, 3, 7, 7, 4, true);
  convCase(rand, base, 1, 1, 90, 91, 3, true);
  convCase(rand, { ...base, pads: [0, 0, 0, 0] }, 3, 2, 3, 3, 5, true);
});

test('Conv: hand-computed 3x3 with padding', () => {
  const x = t([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const w = t([1, 1, 3, 3], [0, 1, 0, 1, 1, 1, 0, 1, 0]);
  const got = runOp('Conv', base, [x], [w, t([1], [10])]);
  // plus-shaped sum of each cell and its 4 neighbours, plus 10
  assert.deepEqual([...got.data], [17, 21, 21, 27, 35, 33, 29, 39, 33]);
});

function naiveConvTranspose(x: Tensor, w: Tensor, b: Tensor | undefined, a: ConvTransposeAttrs): Tensor {
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [, mg, kh, kw] = w.shape as [number, number, number, number];
  const m = mg * a.group;
  const cg = c / a.group;
  const dims = [h, wd].map((inSize, i) => {
    const k = [kh, kw][i]!;
    const s = a.strides[i]!;
    const d = a.dilations[i]!;
    const full = s * (inSize - 1) + a.outputPadding[i]! + (k - 1) * d + 1;
    if (a.autoPad === 'VALID') return [0, full] as const;
    if (a.autoPad === 'NOTSET') return [a.pads[i]!, full - a.pads[i]! - a.pads[i + 2]!] as const;
    const total = Math.max(0, full - inSize * s);
    return [a.autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : total - Math.floor(total / 2), inSize * s] as const;
  });
  const [[pt, oh], [pl, ow]] = dims as [readonly [number, number], readonly [number, number]];
  if (oh <= 0 || ow <= 0) return { shape: [n, m, oh, ow], data: new Float32Array(0) };
  const out = new Float32Array(n * m * oh * ow);
  for (let img = 0; img < n; img++) for (let mo = 0; mo < m; mo++) {
    const plane = (img * m + mo) * oh * ow;
    out.fill(b === undefined ? 0 : b.data[mo]!, plane, plane + oh * ow);
  }
  for (let img = 0; img < n; img++) for (let ci = 0; ci < c; ci++) {
    const gi = Math.floor(ci / cg);
    for (let mi = 0; mi < mg; mi++) for (let iy = 0; iy < h; iy++) for (let ix = 0; ix < wd; ix++) {
      for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
        const oy = iy * a.strides[0] + ky * a.dilations[0] - pt;
        const ox = ix * a.strides[1] + kx * a.dilations[1] - pl;
        if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
        const o = ((img * m + gi * mg + mi) * oh + oy) * ow + ox;
        out[o] = out[o]! + x.data[((img * c + ci) * h + iy) * wd + ix]! * w.data[((ci * mg + mi) * kh + ky) * kw + kx]!;
      }
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = applyActivation(a.activation, out[i]!);
  return { shape: [n, m, oh, ow], data: out };
}

test('ConvTranspose: random groups, strides, dilations, pads, output padding', () => {
  const rand = rng(13);
  const int = (lo: number, hi: number): number => lo + Math.floor(((rand() + 1) / 2) * (hi - lo + 1));
  const autos: AutoPad[] = ['NOTSET', 'NOTSET', 'VALID', 'SAME_UPPER', 'SAME_LOWER'];
  let cases = 0;
  for (let i = 0; i < 200 && cases < 40; i++) {
    const group = int(1, 2);
    const cg = int(1, 3);
    const mg = int(1, 3);
    const kernel = [int(1, 4), int(1, 3)] as const;
    const strides = [int(1, 3), int(1, 2)] as const;
    const dilations = [int(1, 2), int(1, 2)] as const;
    const outputPadding = [int(0, strides[0] - 1), int(0, strides[1] - 1)] as const;
    const pads: Pads4 = [int(0, 1), int(0, 1), int(0, 1), int(0, 1)];
    const a: ConvTransposeAttrs = { kernel, strides, dilations, pads, outputPadding, autoPad: autos[int(0, 4)]!, group, activation: ACTS[int(0, 3)] };
    const x = randomTensor([int(1, 2), group * cg, int(1, 5), int(1, 5)], rand);
    const w = randomTensor([group * cg, mg, kernel[0], kernel[1]], rand);
    const b = rand() > 0 ? randomTensor([group * mg], rand) : undefined;
    const want = naiveConvTranspose(x, w, b, a);
    if (want.shape.some((d) => d <= 0)) continue;
    assertClose(runOp('ConvTranspose', a, [x], b === undefined ? [w] : [w, b]), want, 1e-5, JSON.stringify(a));
    cases++;
  }
  assert.ok(cases >= 30);
});

test('Dense: 2-D and 3-D inputs, odd sizes, with and without bias and activation', () => {
  const rand = rng(14);
  for (const [xs, m, bias, act] of [
    [[1, 7], 3, true, undefined],
    [[5, 13], 10, false, { kind: 'Relu' }],
    [[2, 3, 6], 5, true, { kind: 'LeakyRelu', alpha: 0.2 }],
    [[9, 1], 1, true, undefined],
  ] as const) {
    const x = randomTensor(xs, rand);
    const k = xs[xs.length - 1]!;
    const w = randomTensor([m, k], rand);
    const b = bias ? randomTensor([m], rand) : undefined;
    const rows = x.data.length / k;
    const want = new Float32Array(rows * m);
    for (let r = 0; r < rows; r++) for (let j = 0; j < m; j++) {
      let s = b === undefined ? 0 : b.data[j]!;
      for (let p = 0; p < k; p++) s += x.data[r * k + p]! * w.data[j * k + p]!;
      want[r * m + j] = applyActivation(act, s);
    }
    const got = runOp('Dense', { activation: act }, [x], b === undefined ? [w] : [w, b]);
    assertClose(got, { shape: [...xs.slice(0, -1), m], data: want });
  }
});
