/**
 * Window geometry shared by shape inference, the float executor and the integer
 * engine, so that every execution pads and strides exactly alike.
 */
import type { AutoPad, Pads4, Pair } from './ops.js';

export interface Window {
  readonly kernel: Pair;
  readonly strides: Pair;
  readonly dilations: Pair;
  readonly pads: Pads4;
  readonly autoPad: AutoPad;
  readonly ceilMode?: boolean;
}

export interface WindowGeometry {
  /** top, left, bottom, right, resolved for this input size. */
  readonly pads: Pads4;
  readonly outH: number;
  readonly outW: number;
}

function samePads(inSize: number, k: number, s: number, d: number, upper: boolean): [number, number] {
  const out = Math.ceil(inSize / s);
  const total = Math.max(0, (out - 1) * s + (k - 1) * d + 1 - inSize);
  const small = Math.floor(total / 2);
  return upper ? [small, total - small] : [total - small, small];
}

function outSize(inSize: number, k: number, s: number, d: number, pb: number, pe: number, ceil: boolean): number {
  const span = (k - 1) * d + 1;
  const num = inSize + pb + pe - span;
  if (!ceil) return Math.floor(num / s) + 1;
  let out = Math.ceil(num / s) + 1;
  // The last window must start inside the input or the leading padding.
  if ((out - 1) * s >= inSize + pb) out--;
  return out;
}

/** Resolves auto padding and computes the output size of a conv/pool window. */
export function windowGeometry(w: Window, inH: number, inW: number): WindowGeometry {
  const [kh, kw] = w.kernel;
  const [sh, sw] = w.strides;
  const [dh, dw] = w.dilations;
  let pads: Pads4;
  switch (w.autoPad) {
    case 'NOTSET':
      pads = w.pads;
      break;
    case 'VALID':
      pads = [0, 0, 0, 0];
      break;
    case 'SAME_UPPER':
    case 'SAME_LOWER': {
      const upper = w.autoPad === 'SAME_UPPER';
      const [t, b] = samePads(inH, kh, sh, dh, upper);
      const [l, r] = samePads(inW, kw, sw, dw, upper);
      pads = [t, l, b, r];
      break;
    }
  }
  const ceil = w.ceilMode ?? false;
  return {
    pads,
    outH: outSize(inH, kh, sh, dh, pads[0], pads[2], ceil),
    outW: outSize(inW, kw, sw, dw, pads[1], pads[3], ceil),
  };
}

export interface TransposeWindow extends Window {
  readonly outputPadding: Pair;
}

/** Output geometry of ConvTranspose (ONNX semantics). */
export function transposeGeometry(w: TransposeWindow, inH: number, inW: number): WindowGeometry {
  const dims = [inH, inW].map((inSize, i) => {
    const k = w.kernel[i]!;
    const s = w.strides[i]!;
    const d = w.dilations[i]!;
    const op = w.outputPadding[i]!;
    const full = s * (inSize - 1) + op + (k - 1) * d + 1;
    if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') {
      const out = inSize * s;
      const total = Math.max(0, full - out);
      const half = Math.floor(total / 2);
      const [b, e] = w.autoPad === 'SAME_UPPER' ? [half, total - half] : [total - half, half];
      return { b, e, out };
    }
    const [b, e] = w.autoPad === 'VALID' ? [0, 0] : [w.pads[i]!, w.pads[i + 2]!];
    return { b, e, out: full - b - e };
  });
  const [h, wd] = dims as [(typeof dims)[0], (typeof dims)[0]];
  return { pads: [h.b, wd.b, h.e, wd.e], outH: h.out, outW: wd.out };
}

/**
 * ONNX Pad: the input coordinate that output coordinate o reads in a dim of `size`
 * padded by `begin` in front, or -1 for the constant. Reflect mirrors without
 * repeating the edge; edge repeats it. Negative pads crop.
 */
export function padSourceIndex(o: number, begin: number, size: number, mode: 'constant' | 'reflect' | 'edge'): number {
  let i = o - begin;
  if (i >= 0 && i < size) return i;
  switch (mode) {
    case 'constant':
      return -1;
    case 'edge':
      return i < 0 ? 0 : size - 1;
    case 'reflect': {
      if (size === 1) return 0;
      const period = 2 * (size - 1);
      i = ((i % period) + period) % period;
      return i < size ? i : period - i;
    }
  }
}
