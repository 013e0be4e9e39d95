/**
 * Images on the demo page: decoding a picked file to 8-bit pixels, fitting them to
 * the model's input, and drawing pixels onto canvases. The pixel-to-tensor step is
 * the library's imagesToTensor (pixel/255), the same as `fxp run` in Node.
 */
import { cropImage, resizeImage, type Uint8Image } from '../../src/browser.js';
import type { ModelInfo } from './protocol.js';

/**
 * Decodes a PNG/JPEG file to interleaved RGB bytes. No colour management and no
 * premultiplication, so an sRGB PNG without a colour profile gives its stored bytes,
 * as sharp does in Node. Alpha is dropped.
 */
export async function decodeImage(file: Blob): Promise<Uint8Image> {
  const bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const { width, height } = bitmap;
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (ctx === null) throw new Error('this browser has no 2D canvas');
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    data[j] = rgba[i]!;
    data[j + 1] = rgba[i + 1]!;
    data[j + 2] = rgba[i + 2]!;
  }
  return { width, height, channels: 3, data };
}

/**
 * Gray from RGB: (77 R + 150 G + 29 B + 128) >> 8 (BT.601 luma, weights summing
 * to 256, so a gray pixel R = G = B = v stays exactly v); RGB from gray: copies.
 */
export function toChannels(img: Uint8Image, channels: 1 | 3): Uint8Image {
  if (img.channels === channels) return img;
  const n = img.width * img.height;
  const data = new Uint8Array(n * channels);
  const src = img.data;
  if (channels === 1) {
    for (let i = 0; i < n; i++) data[i] = (77 * src[3 * i]! + 150 * src[3 * i + 1]! + 29 * src[3 * i + 2]! + 128) >> 8;
  } else {
    for (let i = 0; i < n; i++) data[3 * i] = data[3 * i + 1] = data[3 * i + 2] = src[i]!;
  }
  return { width: img.width, height: img.height, channels, data };
}

export interface FittedInput {
  readonly image: Uint8Image;
  /** What was done to the picked image, for the page. */
  readonly note: string;
}

/** Dimension of the model input as a number, or undefined when it is dynamic. */
function fixed(d: number | string | undefined): number | undefined {
  return typeof d === 'number' && d > 0 ? d : undefined;
}

/**
 * Fits a picked image to a 4-D image input: converts to the input's channel count,
 * resizes (Pillow-exact bicubic) to a fixed height x width, or, for dynamic sizes,
 * crops the centre to at most maxSide x maxSide to bound the run time.
 */
export function fitInput(img: Uint8Image, info: ModelInfo, maxSide: number): FittedInput {
  const shape = info.input.shape;
  if (shape.length !== 4) throw new Error(`the demo feeds images to 4-D inputs; '${info.input.name}' has shape [${shape.join(', ')}]`);
  const [c, h, w] = info.layout === 'NCHW' ? [shape[1], shape[2], shape[3]] : [shape[3], shape[1], shape[2]];
  const channels = fixed(c) ?? 3;
  if (channels !== 1 && channels !== 3) throw new Error(`input '${info.input.name}' has ${channels} channels; the demo feeds 1 (gray) or 3 (RGB)`);
  const src = toChannels(img, channels);
  const notes = [channels === 1 ? 'converted to gray' : 'RGB'];
  const fh = fixed(h);
  const fw = fixed(w);
  let out = src;
  if (fh !== undefined && fw !== undefined) {
    if (src.width !== fw || src.height !== fh) {
      out = resizeImage(src, fw, fh, 'bicubic');
      notes.push(`resized ${src.width}x${src.height} to ${fw}x${fh} (bicubic)`);
    }
  } else if (src.width > maxSide || src.height > maxSide) {
    const cw = Math.min(src.width, maxSide);
    const ch = Math.min(src.height, maxSide);
    out = cropImage(src, Math.floor((src.width - cw) / 2), Math.floor((src.height - ch) / 2), cw, ch);
    notes.push(`centre crop ${cw}x${ch} of ${src.width}x${src.height}`);
  }
  return { image: out, note: notes.join(', ') };
}

/** Draws pixels onto a canvas at their own size. */
export function drawImage(canvas: HTMLCanvasElement, img: Uint8Image): void {
  canvas.width = img.width;
  canvas.height = img.height;
  const ctx = canvas.getContext('2d');
  if (ctx === null) return;
  const rgba = new ImageData(img.width, img.height);
  const c = img.channels;
  for (let i = 0, j = 0; j < img.width * img.height; i += 4, j++) {
    rgba.data[i] = img.data[j * c]!;
    rgba.data[i + 1] = img.data[j * c + (c === 3 ? 1 : 0)]!;
    rgba.data[i + 2] = img.data[j * c + (c === 3 ? 2 : 0)]!;
    rgba.data[i + 3] = 255;
  }
  ctx.putImageData(rgba, 0, 0);
}
