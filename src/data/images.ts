/**
 * Image files in and out, through sharp (libvips). Pixels are 8-bit, interleaved
 * HWC, gray (1 channel) or sRGB (3 channels); alpha is always dropped.
 */
import { readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { FxpError, wrapError } from '../errors.js';

export interface Uint8Image {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  /** height x width x channels, row-major. */
  readonly data: Uint8Array;
}

/** 'keep': gray stays gray, everything else becomes sRGB. */
export type ColorMode = 'keep' | 'rgb' | 'gray';

const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.png', '.jpg', '.jpeg']);

/** Throws unless `img.data` has exactly width x height x channels bytes. */
export function checkImage(img: Uint8Image, what = 'image'): void {
  const { width, height, channels } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new FxpError(`${what} has invalid size ${width}x${height}`);
  }
  if (channels !== 1 && channels !== 3) throw new FxpError(`${what} has ${String(channels)} channels, expected 1 or 3`);
  if (img.data.length !== width * height * channels) {
    throw new FxpError(`${what} is ${width}x${height}x${channels} but holds ${img.data.length} bytes`);
  }
}

/** Decodes a PNG or JPEG file. 16-bit files are scaled to 8 bits by libvips' colour conversion. */
export async function readImage(path: string, color: ColorMode = 'keep'): Promise<Uint8Image> {
  try {
    const meta = await sharp(path).metadata();
    const gray = color === 'gray' || (color === 'keep' && (meta.channels ?? 3) <= 2);
    const pipeline = sharp(path)
      .toColourspace(gray ? 'b-w' : 'srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' });
    const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
    const channels = gray ? 1 : 3;
    if (info.channels !== channels) {
      throw new FxpError(`decoder produced ${info.channels} channels, expected ${channels}`, { file: path });
    }
    const img: Uint8Image = { width: info.width, height: info.height, channels, data: new Uint8Array(data) };
    checkImage(img, `image '${path}'`);
    return img;
  } catch (err) {
    throw wrapError(err, 'cannot read image', { file: path });
  }
}

/** The PNG and JPEG files directly inside `dir`, as full paths, sorted by file name. */
export function listImages(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw wrapError(err, 'cannot list image folder', { file: dir });
  }
  return names
    .filter((n) => IMAGE_EXTENSIONS.has(extname(n).toLowerCase()))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((n) => join(dir, n));
}

/** Wraps raw pixels in a sharp pipeline for encoding. */
function sharpFromImage(img: Uint8Image): Sharp {
  checkImage(img);
  const pipeline = sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } });
  // Without this, sharp widens one-channel input to sRGB on output.
  return img.channels === 1 ? pipeline.toColourspace('b-w') : pipeline;
}

/** Writes a lossless 8-bit PNG. */
export async function writePng(path: string, img: Uint8Image): Promise<void> {
  checkImage(img, `image for '${path}'`);
  try {
    await sharpFromImage(img).png().toFile(path);
  } catch (err) {
    throw wrapError(err, 'cannot write PNG', { file: path });
  }
}
