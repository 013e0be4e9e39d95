/**
 * The codec's cross-platform fixtures (docs/codec.md, "Decoding in C"): two
 * odd-sized Kodak crops encoded at every quality, with the FNV-1a 64 of the RGB
 * bytes the Node decoder gives. Node, headless Chromium and the generated C must
 * all decode each file to that hash (test/codec/c-program.test.ts, test/web).
 *
 *   npx tsx scripts/codec/make-fixtures.ts [--kodak ../shared/data/kodak] [--model-dir models/codec] [--out test/fixtures/codec]
 *
 * Writes <out>/<crop>-q<Q>.fxpc for every q<Q>.fxpcm in the model folder and
 * <out>/manifest.json: [{file, quality, width, height, modelHash, rgbFnv1a64}]
 * (file relative to the manifest). Other .fxpc files in <out> are removed, so a
 * rerun after the models change regenerates everything. Paths default relative to
 * the repository root, wherever the script is started from.
 */
import type { FixtureEntry } from '../../test/codec/fixture-manifest.js';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCodec, decodeImage, encodeImage } from '../../src/codec/codec.js';
import { decodeCodecModel } from '../../src/codec/model-file.js';
import { readImage } from '../../src/data/images.js';
import { cropImage } from '../../src/data/preprocess.js';
import { fnv1a64 } from '../../src/engine/hash.js';
import { scriptArgs } from './script-args.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Odd sizes, so that padding and cropping are exercised in both dimensions. */
const CROPS = [
  { image: 'kodim01.png', left: 200, top: 150, width: 100, height: 70 },
  { image: 'kodim23.png', left: 300, top: 100, width: 77, height: 96 },
] as const;

const USAGE = `usage: npx tsx scripts/codec/make-fixtures.ts [options]

Encodes two odd-sized Kodak crops at every quality of the codec models and writes
the cross-platform fixtures (<out>/<crop>-q<Q>.fxpc and <out>/manifest.json with
the FNV-1a 64 of the decoded RGB). Other .fxpc files in <out> are removed.

  --kodak DIR       Kodak PNGs (default: ../shared/data/kodak)
  --model-dir DIR   q<Q>.fxpcm models (default: models/codec)
  --out DIR         fixture folder (default: test/fixtures/codec)
  -h, --help        this text

Relative defaults are taken from the repository root; given paths from the current folder.`;

const values = scriptArgs(USAGE, { kodak: { type: 'string' }, 'model-dir': { type: 'string' }, out: { type: 'string' } });
const pathArg = (v: string | undefined, fallback: string): string => (v === undefined ? resolve(ROOT, fallback) : resolve(v));
const kodak = pathArg(values.kodak, '../shared/data/kodak');
const modelDir = pathArg(values['model-dir'], 'models/codec');
const out = pathArg(values.out, 'test/fixtures/codec');
if (!existsSync(join(kodak, 'kodim01.png'))) {
  process.stderr.write(`no Kodak images in ${kodak} (kodim01.png missing); pass --kodak DIR\n`);
  process.exit(1);
}

const qualities = (existsSync(modelDir) ? readdirSync(modelDir) : [])
  .map((n) => /^q(\d+)\.fxpcm$/.exec(n)?.[1])
  .filter((q): q is string => q !== undefined)
  .map(Number)
  .sort((a, b) => a - b);
if (qualities.length === 0) {
  process.stderr.write(`no q*.fxpcm models in ${modelDir}; pass --model-dir DIR\n`);
  process.exit(1);
}

mkdirSync(out, { recursive: true });
const entries: FixtureEntry[] = [];
const crops = await Promise.all(
  CROPS.map(async (c) => ({ ...c, name: `${c.image.replace(/\.png$/, '')}-${c.width}x${c.height}`, img: cropImage(await readImage(join(kodak, c.image), 'rgb'), c.left, c.top, c.width, c.height) })),
);
for (const q of qualities) {
  const path = join(modelDir, `q${q}.fxpcm`);
  const model = decodeCodecModel(new Uint8Array(readFileSync(path)), path);
  // The reference kernels: the specification every other execution must match.
  const codec = createCodec(model, { kernels: 'ref' });
  for (const c of crops) {
    const bytes = encodeImage(codec, { width: c.width, height: c.height, data: c.img.data });
    const decoded = decodeImage(codec, bytes, c.name);
    const file = `${c.name}-q${q}.fxpc`;
    writeFileSync(join(out, file), bytes);
    entries.push({ file, quality: q, width: c.width, height: c.height, modelHash: model.hash, rgbFnv1a64: fnv1a64(decoded.data) });
    process.stdout.write(`${file}: ${bytes.length} bytes, rgb fnv1a64 ${fnv1a64(decoded.data)} (model ${model.hash})\n`);
  }
}
const keep = new Set(entries.map((e) => e.file));
for (const n of readdirSync(out)) {
  if (n.endsWith('.fxpc') && !keep.has(n)) {
    rmSync(join(out, n));
    process.stdout.write(`removed stale ${n}\n`);
  }
}
writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(entries, null, 2)}\n`);
process.stdout.write(`wrote ${entries.length} fixtures and manifest.json to ${relative(process.cwd(), out) || '.'}\n`);
