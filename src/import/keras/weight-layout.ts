/**
 * Keras (channels-last) weight layouts to the IR's ONNX layouts. Pure index
 * permutations: every output element is one input element, nothing is rounded.
 */

/** Conv2D kernel [kh, kw, ci, co] (HWIO) -> W [co, ci, kh, kw] (OIHW). */
export function hwioToOihw(src: Float32Array, kh: number, kw: number, ci: number, co: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < ci; i++) {
        const from = ((y * kw + x) * ci + i) * co;
        for (let o = 0; o < co; o++) out[((o * ci + i) * kh + y) * kw + x] = src[from + o]!;
      }
    }
  }
  return out;
}

/**
 * DepthwiseConv2D kernel [kh, kw, c, mult] -> grouped Conv W [c*mult, 1, kh, kw].
 * TF orders depthwise output channels as c*mult + m, which is exactly ONNX's
 * grouping for group = c (output channels of group c are c*mult .. c*mult+mult-1).
 */
export function depthwiseToOihw(src: Float32Array, kh: number, kw: number, c: number, mult: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let ch = 0; ch < c; ch++) {
        for (let m = 0; m < mult; m++) out[((ch * mult + m) * kh + y) * kw + x] = src[((y * kw + x) * c + ch) * mult + m]!;
      }
    }
  }
  return out;
}

/**
 * Conv2DTranspose kernel [kh, kw, co, ci] -> ConvTranspose W [ci, co, kh, kw].
 * TF's transposed conv scatters x[i][c] * K[y][x][f][c] to output position i*s + y
 * (no kernel flip), the same as ONNX ConvTranspose with W[c][f][y][x].
 */
export function transposeKernelToIohw(src: Float32Array, kh: number, kw: number, co: number, ci: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let f = 0; f < co; f++) {
        const from = ((y * kw + x) * co + f) * ci;
        for (let c = 0; c < ci; c++) out[((c * co + f) * kh + y) * kw + x] = src[from + c]!;
      }
    }
  }
  return out;
}

/** Dense kernel [k, m] (in, out) -> W [m, k] (out, in). */
export function denseKernelToMk(src: Float32Array, k: number, m: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < k; i++) {
    for (let o = 0; o < m; o++) out[o * k + i] = src[i * m + o]!;
  }
  return out;
}
