/**
 * Calibration sets of image crops: every image is cut into non-overlapping
 * size x size tiles (the remainder at the right and bottom edges is dropped;
 * an image smaller than one tile is used whole).
 */
import { basename } from 'node:path';
import { FxpError } from '../errors.js';
import type { Batch, Dataset } from './dataset.js';
import { readImage, type ColorMode, type Uint8Image } from './images.js';
import { cropImage, imagesToTensor, type ImageLayout } from './preprocess.js';

export interface CropOptions {
  readonly layout: ImageLayout;
  readonly color?: ColorMode;
  /** Tile side in pixels; undefined keeps whole images. */
  readonly size?: number | undefined;
  readonly scale?: number;
}

export function tiles(img: Uint8Image, size: number | undefined): Uint8Image[] {
  if (size === undefined || (img.width < size && img.height < size)) return [img];
  const out: Uint8Image[] = [];
  for (let y = 0; y + size <= img.height; y += size) {
    for (let x = 0; x + size <= img.width; x += size) out.push(cropImage(img, x, y, size, size));
  }
  return out.length > 0 ? out : [img];
}

/** Loads the files now (calibration sets are small) and serves their tiles. */
export async function imageCropDataset(files: readonly string[], opts: CropOptions): Promise<Dataset> {
  if (opts.size !== undefined && (!Number.isInteger(opts.size) || opts.size < 1)) throw new FxpError(`crop size must be a positive integer, got ${opts.size}`);
  const crops: { name: string; img: Uint8Image }[] = [];
  for (const f of files) {
    const img = await readImage(f, opts.color ?? 'keep');
    tiles(img, opts.size).forEach((t, i) => crops.push({ name: `${basename(f)}#${i}`, img: t }));
  }
  return {
    name: `crops(${files.length} images)`,
    length: crops.length,
    async *batches(batchSize: number): AsyncGenerator<Batch> {
      let group: typeof crops = [];
      const flush = (): Batch => ({
        input: imagesToTensor(
          group.map((c) => c.img),
          opts.scale === undefined ? { layout: opts.layout } : { layout: opts.layout, scale: opts.scale },
        ),
        names: group.map((c) => c.name),
      });
      for (const c of crops) {
        const head = group[0]?.img;
        if (head !== undefined && (group.length === batchSize || head.width !== c.img.width || head.height !== c.img.height)) {
          yield flush();
          group = [];
        }
        group.push(c);
      }
      if (group.length > 0) yield flush();
    },
  };
}
