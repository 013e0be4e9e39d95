/**
 * Datasets as the CLI's `eval` sees them: a name, a length, and batches of input
 * tensors with either class labels or target images.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { FxpError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { listImages, readImage, type ColorMode, type Uint8Image } from './images.js';
import { loadMnistLike, type MnistSplit } from './mnist.js';
import { imagesToTensor, mnistBatch, type ImageLayout } from './preprocess.js';

export interface Batch {
  readonly input: Tensor;
  /** Class labels, one per input (classification sets). */
  readonly labels?: Int32Array;
  /** Ground-truth images, one per input (image-to-image sets). */
  readonly targets?: Uint8Image[];
  /** One identifier per input: a file name or `split:index`. */
  readonly names: string[];
}

export interface Dataset {
  readonly name: string;
  readonly length: number;
  /** Batches of at most `batchSize` inputs, in a fixed order. */
  batches(batchSize: number): AsyncIterable<Batch>;
}

function checkBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new FxpError(`batch size must be a positive integer, got ${batchSize}`);
}

export interface MnistDatasetOptions {
  readonly layout: ImageLayout;
  /** At most this many images (after `offset`). */
  readonly limit?: number;
  /** Skip this many images first (default 0). */
  readonly offset?: number;
}

/** Images [offset, offset + limit) of an MNIST-style split, as pixel/255 with labels. */
export function mnistDataset(dir: string, split: MnistSplit, { layout, limit, offset = 0 }: MnistDatasetOptions): Dataset {
  const set = loadMnistLike(dir, split);
  if (!Number.isInteger(offset) || offset < 0 || offset > set.count) {
    throw new FxpError(`offset ${offset} out of range 0..${set.count}`, { file: dir });
  }
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new FxpError(`bad limit ${limit}`);
  const length = Math.min(set.count - offset, limit ?? Infinity);
  return {
    name: `${basename(dir)}-${split}`,
    length,
    async *batches(batchSize: number): AsyncGenerator<Batch> {
      checkBatchSize(batchSize);
      for (let i = 0; i < length; i += batchSize) {
        const start = offset + i;
        const count = Math.min(batchSize, length - i);
        const names = Array.from({ length: count }, (_, k) => `${split}:${start + k}`);
        yield {
          input: mnistBatch(set.images, start, count, set.height, set.width, layout),
          labels: Int32Array.from(set.labels.subarray(start, start + count)),
          names,
        };
      }
    },
  };
}

export interface ImagePairOptions {
  readonly layout: ImageLayout;
  readonly limit?: number;
  /** Color handling of both inputs and targets (default 'keep'). */
  readonly color?: ColorMode;
  /** Pixel scale of inputs (default 1/255). */
  readonly scale?: number;
}

interface Pending {
  readonly name: string;
  readonly input: Uint8Image;
  readonly target: Uint8Image;
}

/**
 * Each image of `inputDir` with the image of the same file name in `targetDir`
 * (super-resolution, denoising, codecs). A missing target is an error at
 * construction. Consecutive inputs of one size share a batch; a size change
 * starts a new one, so mixed-size folders give smaller batches.
 */
export function imagePairDataset(inputDir: string, targetDir: string, opts: ImagePairOptions): Dataset {
  const { layout, limit, color = 'keep', scale } = opts;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new FxpError(`bad limit ${limit}`);
  const inputs = listImages(inputDir).slice(0, limit);
  const pairs = inputs.map((inputPath) => {
    const name = basename(inputPath);
    const targetPath = join(targetDir, name);
    if (!existsSync(targetPath)) throw new FxpError(`no target image '${name}' in '${targetDir}'`, { file: inputPath });
    return { name, inputPath, targetPath };
  });
  if (pairs.length === 0 && limit !== 0) throw new FxpError(`no PNG or JPEG images in '${inputDir}'`, { file: inputDir });

  const toBatch = (group: readonly Pending[]): Batch => ({
    input: imagesToTensor(
      group.map((p) => p.input),
      scale === undefined ? { layout } : { layout, scale },
    ),
    targets: group.map((p) => p.target),
    names: group.map((p) => p.name),
  });

  return {
    name: `${basename(inputDir)}-${basename(targetDir)}`,
    length: pairs.length,
    async *batches(batchSize: number): AsyncGenerator<Batch> {
      checkBatchSize(batchSize);
      let group: Pending[] = [];
      for (const { name, inputPath, targetPath } of pairs) {
        const input = await readImage(inputPath, color);
        const target = await readImage(targetPath, color);
        const head = group[0]?.input;
        const fits = head === undefined || (head.width === input.width && head.height === input.height && head.channels === input.channels);
        if (!fits || group.length === batchSize) {
          yield toBatch(group);
          group = [];
        }
        group.push({ name, input, target });
      }
      if (group.length > 0) yield toBatch(group);
    },
  };
}
