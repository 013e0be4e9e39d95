/**
 * Search sets for image-to-image models: size x size tiles of the input images
 * with the matching tiles of their targets (same file name in `targetDir`), for
 * super-resolution (Kodak LR -> HR: scale 1.5) or same-size models (scale 1).
 * The scale is the target/input width ratio rounded to a half; tile origins are
 * multiples of `size`, which must make every target origin an integer.
 * With `limit`, tiles are taken evenly spaced over all tiles in file order.
 */
import { basename, join } from 'node:path';
import { existsSync } from 'node:fs';
import { FxpError } from '../../errors.js';
import type { Batch, Dataset } from '../../data/dataset.js';
import { readImage, type ColorMode, type Uint8Image } from '../../data/images.js';
import { cropImage, imagesToTensor, type ImageLayout } from '../../data/preprocess.js';

export interface CropPairOptions {
  readonly size: number;
  readonly layout: ImageLayout;
  readonly color?: ColorMode;
  readonly limit?: number | undefined;
}

export async function cropPairSet(files: readonly string[], targetDir: string, opts: CropPairOptions): Promise<Dataset> {
  const { size } = opts;
  if (!Number.isInteger(size) || size < 1) throw new FxpError(`crop size must be a positive integer, got ${size}`);
  const tiles: { name: string; input: Uint8Image; target: Uint8Image }[] = [];
  for (const f of files) {
    const tPath = join(targetDir, basename(f));
    if (!existsSync(tPath)) throw new FxpError(`no target image '${basename(f)}' in '${targetDir}'`, { file: f });
    const img = await readImage(f, opts.color ?? 'keep');
    const tgt = await readImage(tPath, opts.color ?? 'keep');
    const scale = Math.round((2 * tgt.width) / img.width) / 2;
    const ts = size * scale;
    if (!Number.isInteger(ts)) throw new FxpError(`crop size ${size} times scale ${scale} is not an integer`, { file: f });
    let k = 0;
    for (let y = 0; y + size <= img.height && (y + size) * scale <= tgt.height; y += size) {
      for (let x = 0; x + size <= img.width && (x + size) * scale <= tgt.width; x += size) {
        tiles.push({ name: `${basename(f)}#${k++}`, input: cropImage(img, x, y, size, size), target: cropImage(tgt, x * scale, y * scale, ts, ts) });
      }
    }
  }
  if (tiles.length === 0) throw new FxpError(`no ${size}x${size} tiles in the search images`);
  const limit = opts.limit ?? tiles.length;
  const step = tiles.length / Math.min(limit, tiles.length);
  const chosen = Array.from({ length: Math.min(limit, tiles.length) }, (_, i) => tiles[Math.floor(i * step)]!);
  return {
    name: `crops(${files.length} images, ${size}px)`,
    length: chosen.length,
    async *batches(batchSize: number): AsyncGenerator<Batch> {
      for (let i = 0; i < chosen.length; i += batchSize) {
        const part = chosen.slice(i, i + batchSize);
        yield { input: imagesToTensor(part.map((t) => t.input), { layout: opts.layout }), targets: part.map((t) => t.target), names: part.map((t) => t.name) };
      }
    },
  };
}
