/**
 * Classic codecs through sharp (libjpeg-turbo / mozjpeg and libwebp), for the
 * rate-distortion comparison: encode RGB at a quality setting, decode it back,
 * and report the real file size. Node only.
 */
import sharp from 'sharp';
import { wrapError } from '../errors.js';
import type { RgbImage } from './codec.js';

export type BaselineCodec = 'jpeg420' | 'jpeg444' | 'webp';
export const BASELINES: readonly BaselineCodec[] = ['jpeg420', 'jpeg444', 'webp'];

export const BASELINE_LABELS: { readonly [K in BaselineCodec]: string } = {
  jpeg420: 'JPEG 4:2:0',
  jpeg444: 'JPEG 4:4:4',
  webp: 'WebP',
};

export interface BaselineResult {
  readonly bytes: number;
  readonly rgb: Uint8Array;
}

export async function baselineCode(img: RgbImage, codec: BaselineCodec, quality: number): Promise<BaselineResult> {
  try {
    const src = sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });
    const encoded =
      codec === 'webp'
        ? await src.webp({ quality }).toBuffer()
        : await src.jpeg({ quality, chromaSubsampling: codec === 'jpeg420' ? '4:2:0' : '4:4:4' }).toBuffer();
    const { data, info } = await sharp(encoded).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== img.width || info.height !== img.height) throw new Error(`decoded ${info.width}x${info.height}x${info.channels}`);
    return { bytes: encoded.length, rgb: new Uint8Array(data) };
  } catch (err) {
    throw wrapError(err, `${BASELINE_LABELS[codec]} at quality ${quality} failed`);
  }
}
