/**
 * Converts the exported float codec (models/codec/q{Q}/) into fixed-point codec
 * model files (models/codec/q{Q}.fxpcm), calibrated on training crops (never
 * Kodak): the wallpaper crops of /work/codec-data/train_128.npy.
 *
 *   npx tsx scripts/codec/convert.ts [--qualities 1,2,3,4,5] [--src models/codec]
 *       [--out models/codec] [--crops /work/codec-data/train_128.npy] [--count 64]
 *       [--abits 16] [--wbits 8] [--wbits-graph analysis=9,synthesis=10]
 *
 * The committed models were converted with --wbits 10 --wbits-graph analysis=10,synthesis=11
 * (models/codec/README.md). The longer-trained models of session 4 are more sensitive than
 * the first GPU models: with 9-bit analysis, 10-bit synthesis and 8-bit hyper weights, q3
 * lost 0.12 dB on Kodak (BD-rate +5.7% against float); on kodim01-08 at q3 these settings
 * give (bpp / dB, float 0.3739 / 27.234): 8/9/10 0.3764 / 27.150, hyper 10 0.3745 / 27.187,
 * synthesis 12 0.3764 / 27.182, 10/10/11 0.3736 / 27.243 (10/10/10 27.208; 10/10/12 27.241 but 12-bit synthesis weights leave the WASM int32 path:
 * decode 0.76 s against 0.27 s), all 12 0.3738 / 27.235.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CODEC_GRAPHS, convertCodec, type CodecGraphName } from '../../src/codec/convert.js';
import { encodeCodecModel } from '../../src/codec/model-file.js';
import { parseNpyUint8 } from '../../src/codec/npy.js';
import { loadCodecSources } from '../../src/codec/sources.js';
import { tensor, type Tensor } from '../../src/tensor.js';
import { intArg, scriptArgs } from './script-args.js';

const USAGE = `usage: npx tsx scripts/codec/convert.ts [options]

Converts the exported float codec models (<src>/q<Q>/*.onnx) into fixed-point
codec model files (<out>/q<Q>.fxpcm), calibrated on training crops.

  --qualities LIST     comma-separated qualities (default: 1,2,3,4,5)
  --src DIR            exported float models (default: models/codec)
  --out DIR            where q<Q>.fxpcm go (default: models/codec)
  --crops FILE         calibration crops, uint8 .npy [N,H,W,3] (default: /work/codec-data/train_128.npy)
  --count N            calibration crops used, spread over the file (default: 64)
  --abits N            activation bits (default: 16)
  --wbits N            weight bits of every graph (default: 8)
  --wbits-graph LIST   per-graph weight bits, GRAPH=BITS,... with GRAPH one of ${CODEC_GRAPHS.join(', ')}
  -h, --help           this text

The committed models: --wbits 10 --wbits-graph analysis=10,synthesis=11.`;

const parsed = scriptArgs(USAGE, {
  qualities: { type: 'string', default: '1,2,3,4,5' },
  src: { type: 'string', default: 'models/codec' },
  out: { type: 'string', default: 'models/codec' },
  crops: { type: 'string', default: '/work/codec-data/train_128.npy' },
  count: { type: 'string', default: '64' },
  abits: { type: 'string', default: '16' },
  wbits: { type: 'string', default: '8' },
  'wbits-graph': { type: 'string', default: '' },
});
const srcRoot = parsed.src;
const outRoot = parsed.out;
const cropsFile = parsed.crops;
const count = intArg('count', parsed.count, 1, 100000);
const abits = intArg('abits', parsed.abits, 2, 16);
const wbits = intArg('wbits', parsed.wbits, 2, 16);
const graphWeightBits: Partial<Record<CodecGraphName, number>> = {};
for (const kv of parsed['wbits-graph'].split(',').filter((x) => x !== '')) {
  const [name, bits] = kv.split('=');
  if (!(CODEC_GRAPHS as readonly string[]).includes(name ?? '') || !(Number(bits) >= 2 && Number(bits) <= 16)) {
    process.stderr.write(`--wbits-graph: '${kv}' is not GRAPH=BITS with GRAPH one of ${CODEC_GRAPHS.join(', ')} and BITS 2..16\n`);
    process.exit(1);
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
for (const q of parsed.qualities.split(',').map((v) => intArg('qualities', v, 1, 255))) {
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
