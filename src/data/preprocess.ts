/**
 * Between 8-bit images and float tensors.
 *
 * Into a tensor: value = fround(pixel * scale), scale 1/255 by default; for every
 * uint8 pixel this equals float32(pixel) / float32(255), what numpy and PyTorch
 * pipelines compute. Out of a tensor (the LRS evaluation protocol): clamp to [0, 1],
 * multiply by 255 in float32, then truncate (or round half up).
 */
import { FxpError } from '../errors.js';
import { tensor, type Tensor } from '../tensor.js';
import { checkImage, type Uint8Image } from './images.js';

export type ImageLayout = 'NCHW' | 'NHWC';

export interface ToTensorOptions {
  /** Multiplies every pixel (default 1/255). */
  readonly scale?: number;
  readonly layout: ImageLayout;
}

/** float32 value of each uint8 pixel. */
function pixelTable(scale: number): Float32Array {
  const lut = new Float32Array(256);
  for (let p = 0; p < 256; p++) lut[p] = p * scale;
  return lut;
}

/** Stacks same-sized images into [n, c, h, w] (NCHW) or [n, h, w, c] (NHWC). */
export function imagesToTensor(imgs: readonly Uint8Image[], { scale = 1 / 255, layout }: ToTensorOptions): Tensor {
  const first = imgs[0];
  if (first === undefined) throw new FxpError('imagesToTensor needs at least one image');
  const { width: w, height: h, channels: c } = first;
  const lut = pixelTable(scale);
  const plane = w * h;
  const out = tensor(layout === 'NCHW' ? [imgs.length, c, h, w] : [imgs.length, h, w, c]);
  imgs.forEach((img, n) => {
    checkImage(img, `image ${n}`);
    if (img.width !== w || img.height !== h || img.channels !== c) {
      throw new FxpError(
        `image ${n} is ${img.width}x${img.height}x${img.channels}, batch is ${w}x${h}x${c}: a batch needs one size`,
      );
    }
    const base = n * plane * c;
    if (layout === 'NHWC') {
      for (let i = 0; i < plane * c; i++) out.data[base + i] = lut[img.data[i]!]!;
      return;
    }
    for (let i = 0; i < plane; i++) {
      for (let k = 0; k < c; k++) out.data[base + k * plane + i] = lut[img.data[i * c + k]!]!;
    }
  });
  return out;
}

/**
 * Images [start, start + count) of an MNIST-style uint8 array [N, h, w] as float
 * pixel/255: [count, h, w, 1] (NHWC) or [count, 1, h, w] (NCHW), the same bytes.
 */
export function mnistBatch(
  images: Uint8Array,
  start: number,
  count: number,
  h: number,
  w: number,
  layout: ImageLayout,
): Tensor {
  const plane = h * w;
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 1) {
    throw new FxpError(`bad batch range start=${start} count=${count}`);
  }
  if ((start + count) * plane > images.length) {
    throw new FxpError(`batch [${start}, ${start + count}) runs past ${Math.floor(images.length / plane)} images`);
  }
  const lut = pixelTable(1 / 255);
  const out = tensor(layout === 'NCHW' ? [count, 1, h, w] : [count, h, w, 1]);
  const src = images.subarray(start * plane, (start + count) * plane);
  for (let i = 0; i < src.length; i++) out.data[i] = lut[src[i]!]!;
  return out;
}

export { resizeImage, type ResizeKernel } from './resample.js';

/** The width x height window whose top-left pixel is (left, top); it must lie inside `img`. */
export function cropImage(img: Uint8Image, left: number, top: number, width: number, height: number): Uint8Image {
  checkImage(img);
  const ok = [left, top, width, height].every(Number.isInteger) && left >= 0 && top >= 0 && width >= 1 && height >= 1;
  if (!ok || left + width > img.width || top + height > img.height) {
    throw new FxpError(`crop ${width}x${height} at (${left}, ${top}) is outside the ${img.width}x${img.height} image`);
  }
  const c = img.channels;
  const data = new Uint8Array(width * height * c);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * img.width + left) * c;
    data.set(img.data.subarray(from, from + width * c), y * width * c);
  }
  return { width, height, channels: c, data };
}

export interface ToImageOptions {
  /** 'truncate' (the LRS protocol) or 'round' (half up). */
  readonly round: 'truncate' | 'round';
  /** Layout of `t` (default NCHW, the IR's activation layout). */
  readonly layout?: ImageLayout;
}

/**
 * Image `index` of a batch [n, c, h, w] (or [n, h, w, c]) with c = 1 or 3:
 * fround(clamp(v, 0, 1) * 255), truncated or rounded. NaN is an error.
 */
export function tensorToImage(t: Tensor, index: number, { round, layout = 'NCHW' }: ToImageOptions): Uint8Image {
  if (t.shape.length !== 4) throw new FxpError(`tensorToImage needs a 4-D tensor, got [${t.shape.join(', ')}]`);
  const [n = 0, d1 = 0, d2 = 0, d3 = 0] = t.shape;
  const [c, h, w] = layout === 'NCHW' ? [d1, d2, d3] : [d3, d1, d2];
  if (c !== 1 && c !== 3) throw new FxpError(`tensorToImage needs 1 or 3 channels, got ${c} (${layout})`);
  if (!Number.isInteger(index) || index < 0 || index >= n) throw new FxpError(`image index ${index} out of range 0..${n - 1}`);
  const plane = h * w;
  const src = t.data.subarray(index * plane * c, (index + 1) * plane * c);
  const data = new Uint8Array(plane * c);
  for (let i = 0; i < plane; i++) {
    for (let k = 0; k < c; k++) {
      const v = src[layout === 'NCHW' ? k * plane + i : i * c + k]!;
      if (Number.isNaN(v)) throw new FxpError(`image ${index} holds NaN at pixel ${i}, channel ${k}`);
      // v is float32, so v * 255 is exact in a double; fround gives PyTorch's float32 product.
      const x = Math.fround(Math.min(1, Math.max(0, v)) * 255);
      data[i * c + k] = round === 'truncate' ? Math.trunc(x) : Math.floor(x + 0.5);
    }
  }
  return { width: w, height: h, channels: c, data };
}
