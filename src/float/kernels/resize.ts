/**
 * Resize, nearest mode (ONNX opset 11-19), any rank. Per output coordinate the
 * original coordinate comes from the coordinate transformation mode, then the
 * nearest mode picks an input index, clamped to the input.
 *
 * The arithmetic is float32, step by step (Math.fround), as onnxruntime does it,
 * so that ties (x.5 exactly) resolve the same way; with sizes given, the scale is
 * out/in rounded to float32.
 */
import type { ResizeCoordinateMode, ResizeNearestMode } from '../../ir/ops.js';
import { stridesOf, tensor, type Tensor } from '../../tensor.js';
import { input, type FloatKernel } from '../kernel.js';

const f32 = Math.fround;

function originalCoordinate(mode: ResizeCoordinateMode, xr: number, scale: number, lenOut: number, lenIn: number): number {
  switch (mode) {
    case 'half_pixel':
      return f32(f32(f32(xr + 0.5) / scale) - 0.5);
    case 'pytorch_half_pixel':
      return lenOut > 1 ? f32(f32(f32(xr + 0.5) / scale) - 0.5) : 0;
    case 'align_corners':
      return lenOut === 1 ? 0 : f32(f32(xr * (lenIn - 1)) / (lenOut - 1));
    case 'asymmetric':
      return f32(xr / scale);
    case 'tf_half_pixel_for_nn':
      return f32(f32(xr + 0.5) / scale);
  }
}

/** C's round(): halves away from zero. */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

function nearest(mode: ResizeNearestMode, x: number): number {
  switch (mode) {
    case 'floor':
      return Math.floor(x);
    case 'ceil':
      return Math.ceil(x);
    case 'round_prefer_floor':
      return x === Math.trunc(x) + 0.5 ? Math.floor(x) : roundHalfAway(x);
    case 'round_prefer_ceil':
      return roundHalfAway(x);
  }
}

/**
 * For one dim: the input index read by each output index. A dim whose scale is
 * exactly 1 is copied, as onnxruntime does; the formula agrees except for
 * tf_half_pixel_for_nn with ceil-type rounding, which would shift it by one.
 */
export function resizeIndexMap(
  coordinateMode: ResizeCoordinateMode, nearestMode: ResizeNearestMode, scale: number, lenIn: number, lenOut: number,
): Int32Array {
  const map = new Int32Array(lenOut);
  if (scale === 1 && lenIn === lenOut) {
    for (let o = 0; o < lenOut; o++) map[o] = o;
    return map;
  }
  for (let o = 0; o < lenOut; o++) {
    const i = nearest(nearestMode, originalCoordinate(coordinateMode, o, scale, lenOut, lenIn));
    map[o] = Math.min(lenIn - 1, Math.max(0, i));
  }
  return map;
}

export const prepareResize: FloatKernel<'Resize'> = (node) => (inputs, outShape): Tensor => {
  const x = input(node, inputs, 0);
  const { scales, sizes, coordinateMode, nearestMode } = node.attrs;
  const maps = outShape.map((lenOut, d) => {
    const lenIn = x.shape[d]!;
    const scale = sizes !== undefined ? f32(lenOut / lenIn) : f32(scales[d]!);
    return resizeIndexMap(coordinateMode, nearestMode, scale, lenIn, lenOut);
  });
  const inStrides = stridesOf(x.shape);
  const out = tensor(outShape);
  const y = out.data;
  const r = outShape.length;
  if (r === 0 || y.length === 0) return out;
  const inner = outShape[r - 1]!;
  const last = maps[r - 1]!;
  const idx = new Array<number>(r).fill(0);
  for (let o = 0; o < y.length; o += inner) {
    let src = 0;
    for (let d = 0; d < r - 1; d++) src += maps[d]![idx[d]!]! * inStrides[d]!;
    for (let j = 0; j < inner; j++) y[o + j] = x.data[src + last[j]!]!;
    for (let d = r - 2; d >= 0; d--) {
      if (++idx[d]! < outShape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
};
