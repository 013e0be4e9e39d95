/**
 * MNIST-family datasets (MNIST, Fashion-MNIST, KMNIST, ...) from a folder holding the
 * four standard IDX files. Images are uint8 [count, height, width], labels uint8 [count].
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FxpError } from '../errors.js';
import { readIdx } from './idx.js';

export type MnistSplit = 'train' | 'test';

export interface MnistLike {
  /** count x height x width pixels, row-major, 0 = background. */
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
}

/** File-name prefix of each split, as in the original distribution. */
const SPLIT_PREFIX = { train: 'train', test: 't10k' } as const satisfies { [K in MnistSplit]: string };

/** The names a file goes by: gzipped as distributed, gunzipped, or with the '.idxN' variant. */
function candidates(prefix: string, kind: 'images' | 'labels'): string[] {
  const rank = kind === 'images' ? 3 : 1;
  const stems = [`${prefix}-${kind}-idx${rank}-ubyte`, `${prefix}-${kind}.idx${rank}-ubyte`];
  return stems.flatMap((s) => [`${s}.gz`, s]);
}

function findFile(dir: string, prefix: string, kind: 'images' | 'labels'): string {
  const names = candidates(prefix, kind);
  for (const name of names) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  throw new FxpError(`no ${kind} file in '${dir}' (looked for ${names.join(', ')})`, { file: dir });
}

export function loadMnistLike(dir: string, split: MnistSplit): MnistLike {
  const prefix = SPLIT_PREFIX[split];
  const imagesPath = findFile(dir, prefix, 'images');
  const labelsPath = findFile(dir, prefix, 'labels');
  const images = readIdx(imagesPath);
  const labels = readIdx(labelsPath);
  if (!(images.data instanceof Uint8Array) || images.dims.length !== 3) {
    throw new FxpError(`expected uint8 images of rank 3, got rank ${images.dims.length}`, { file: imagesPath });
  }
  if (!(labels.data instanceof Uint8Array) || labels.dims.length !== 1) {
    throw new FxpError(`expected uint8 labels of rank 1, got rank ${labels.dims.length}`, { file: labelsPath });
  }
  const [count = 0, height = 0, width = 0] = images.dims;
  if (labels.dims[0] !== count) {
    throw new FxpError(`label count ${labels.dims[0]} does not match image count ${count} in '${imagesPath}'`, {
      file: labelsPath,
    });
  }
  return { images: images.data, labels: labels.data, count, height, width };
}
