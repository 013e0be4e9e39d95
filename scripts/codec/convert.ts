/**
 * Converts the exported float codec (models/codec/q{Q}/) into fixed-point codec
 * model files (models/codec/q{Q}.fxpcm), calibrated on training crops (never
 * Kodak): the wallpaper crops of /work/codec-data/train_128.npy.
 *
 *   npx tsx scripts/codec/convert.ts [--qualities 1,2,3,4] [--src models/codec]
 *       [--out models/codec] [--crops /work/codec-data/train_128.npy] [--count 64]
 *       [--abits 16] [--wbits 8] [--wbits-graph analysis=9,synthesis=10]
 *
 * The committed models were converted with --wbits-graph analysis=9,synthesis=10
 * (models/codec/README.md: with 8-bit weights everywhere the fixed-point codec lost
 * 0.05-0.22 dB against its float model on Kodak; with these, about 0.01 dB).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CODEC_GRAPHS, convertCodec, type CodecGraphName } from '../../src/codec/convert.js';
import { encodeCodecModel } from '../../src/codec/model-file.js';
import { parseNpyUint8 } from '../../src/codec/npy.js';
import { loadCodecSources } from '../../src/codec/sources.js';
import { tensor, type Tensor } from '../../src/tensor.js';

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(name);
  return i > 0 ? (process.argv[i + 1] ?? def) : def;
};
const srcRoot = arg('--src', 'models/codec');
const outRoot = arg('--out', 'models/codec');
const cropsFile = arg('--crops', '/work/codec-data/train_128.npy');
const count = Number(arg('--count', '64'));
const abits = Number(arg('--abits', '16'));
const wbits = Number(arg('--wbits', '8'));
const graphWeightBits: Partial<Record<CodecGraphName, number>> = {};
for (const kv of arg('--wbits-graph', '').split(',').filter((x) => x !== '')) {
  const [name, bits] = kv.split('=');
  if (!(CODEC_GRAPHS as readonly string[]).includes(name ?? '') || !(Number(bits) >= 2 && Number(bits) <= 16)) {
    throw new Error(`--wbits-graph: '${kv}' is not GRAPH=BITS with GRAPH one of ${CODEC_GRAPHS.join(', ')} and BITS 2..16`);
  }
  graphWeightBits[name as CodecGraphName] = Number(bits);
}
const batch = 1; // the exported graphs fix the batch dim at 1

/** `count` crops spread evenly over the file, as batches [B, 3, S, S] of pixel/255. */
function calibrationBatches(): Tensor[] {
  const npy = parseNpyUint8(readFileSync(cropsFile), cropsFile);
  const [total, h, w, c] = npy.shape as [number, number, number, number];
  const out: Tensor[] = [];
  for (let start = 0; start < count; start += batch) {
    const b = Math.min(batch, count - start);
    const t = tensor([b, 3, h, w]);
    for (let k = 0; k < b; k++) {
      const idx = Math.floor(((start + k) * total) / count);
      const img = npy.data.subarray(idx * h * w * c, (idx + 1) * h * w * c);
      for (let ch = 0; ch < 3; ch++) for (let p = 0; p < h * w; p++) t.data[((k * 3 + ch) * h * w) + p] = img[p * c + ch]! / 255;
    }
    out.push(t);
  }
  return out;
}

const batches = calibrationBatches();
for (const q of arg('--qualities', '1,2,3,4').split(',').map(Number)) {
  const dir = join(srcRoot, `q${q}`);
  if (!existsSync(join(dir, 'synthesis.onnx')) || !existsSync(join(dir, 'meta.json'))) {
    process.stdout.write(`q${q}: ${dir} has no exported model yet, skipped\n`);
    continue;
  }
  const t0 = performance.now();
  const src = await loadCodecSources(dir);
  const model = await convertCodec(src, batches, {
    activationBits: abits,
    weightBits: wbits,
    graphWeightBits,
    meta: { source: dir, calibration: `${count} crops of ${cropsFile} (training wallpapers, not Kodak)` },
    onStep: (m) => process.stderr.write(`q${q}: ${m}\n`),
  });
  const { bytes, hash } = encodeCodecModel(model);
  const file = join(outRoot, `q${q}.fxpcm`);
  writeFileSync(file, bytes);
  const f = model.formats;
  process.stdout.write(`q${q}: wrote ${file} (${bytes.length} bytes, hash ${hash}) in ${((performance.now() - t0) / 1000).toFixed(1)} s; y ${JSON.stringify(f.y)} z ${JSON.stringify(f.z)} zHat ${JSON.stringify(f.zHat)} xHat ${JSON.stringify(f.xHat)}\n`);
}
