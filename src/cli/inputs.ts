/** Reading one model input from the command line: an image file, or `IDX_FILE#INDEX`. */
import { existsSync } from 'node:fs';
import { FxpError } from '../errors.js';
import { readIdx } from '../data/idx.js';
import { readImage } from '../data/images.js';
import { imagesToTensor, type ImageLayout } from '../data/preprocess.js';
import type { Tensor } from '../tensor.js';
import { colorModeFor } from './model.js';

export interface InputSpec {
  readonly layout: ImageLayout;
  readonly channels: number | undefined;
  readonly scale: number;
}

export async function readInput(spec: string, opts: InputSpec): Promise<Tensor> {
  const hash = spec.lastIndexOf('#');
  if (hash > 0 && /\bidx\d?-ubyte(\.gz)?#\d+$/.test(spec)) {
    const file = spec.slice(0, hash);
    const index = Number(spec.slice(hash + 1));
    const idx = readIdx(file);
    if (idx.dims.length !== 3 || !(idx.data instanceof Uint8Array)) throw new FxpError('expected a uint8 image IDX file [N, H, W]', { file });
    const [n, h, w] = idx.dims as [number, number, number];
    if (index >= n) throw new FxpError(`image index ${index} out of range 0..${n - 1}`, { file });
    const data = idx.data.slice(index * h * w, (index + 1) * h * w);
    return imagesToTensor([{ width: w, height: h, channels: 1, data }], { layout: opts.layout, scale: opts.scale });
  }
  if (!existsSync(spec)) throw new FxpError('no such input file', { file: spec });
  const img = await readImage(spec, colorModeFor(opts.channels));
  return imagesToTensor([img], { layout: opts.layout, scale: opts.scale });
}
