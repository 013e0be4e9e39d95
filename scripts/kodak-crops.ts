/**
 * Evaluation crops for quick LRS experiments (sweeps, searches): centre crops of
 * Kodak images from ../shared/data/kodak-lr with the matching 1.5x crops of
 * ../shared/data/kodak, written as PNG pairs. Kodim01-04 are the calibration
 * images, so the default set starts at kodim05.
 *
 *   npx tsx scripts/kodak-crops.ts [--out out/kodak-crops] [--size 96] [--from 5] [--count 8]
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readImage, writePng } from '../src/data/images.js';
import { cropImage } from '../src/data/preprocess.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
}

const out = arg('out', 'out/kodak-crops');
const size = Number(arg('size', '96'));
const from = Number(arg('from', '5'));
const count = Number(arg('count', '8'));
const shared = arg('shared', '../shared/data');
if (size % 2 !== 0) throw new Error('--size must be even (the 1.5x target crop must land on whole pixels)');
mkdirSync(join(out, 'lr'), { recursive: true });
mkdirSync(join(out, 'hr'), { recursive: true });
for (let k = from; k < from + count; k++) {
  const name = `kodim${String(k).padStart(2, '0')}.png`;
  const lr = await readImage(join(shared, 'kodak-lr', name), 'rgb');
  const hr = await readImage(join(shared, 'kodak', name), 'rgb');
  // Even offsets so that 1.5 * x is a whole pixel of the target.
  const x = 2 * Math.floor((lr.width - size) / 4);
  const y = 2 * Math.floor((lr.height - size) / 4);
  await writePng(join(out, 'lr', name), cropImage(lr, x, y, size, size));
  await writePng(join(out, 'hr', name), cropImage(hr, 1.5 * x, 1.5 * y, 1.5 * size, 1.5 * size));
}
process.stdout.write(`wrote ${count} crop pairs (${size}x${size} -> ${1.5 * size}x${1.5 * size}) to ${out}\n`);
