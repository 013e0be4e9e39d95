/**
 * Generated C on the real models of ../shared, through an .fxp round trip and the
 * generated harness, with gcc and clang: the LRS super-resolution network (Hong et
 * al., range-adaptive 8-bit weights) on a 32x48 crop of a Kodak image, and Goyal's
 * fashion_seq_large (uniform 8-bit dynamic fixed point) on Fashion-MNIST test
 * images. Output bytes and FNV-1a 64 hashes must equal the TS engine's; the hashes
 * and the object sizes are printed as test diagnostics.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import { mnistDataset } from '../../src/data/dataset.js';
import { readImage } from '../../src/data/images.js';
import { cropImage, imagesToTensor } from '../../src/data/preprocess.js';
import type { FxGraph } from '../../src/engine/fx-graph.js';
import { decodeFxp, encodeFxp } from '../../src/export/fxp-file.js';
import { generateC, outputHash, type CExportResult } from '../../src/export/c/index.js';
import { loadFloatModel } from '../../src/import/index.js';
import { canonicalize } from '../../src/passes/index.js';
import { calibrate } from '../../src/quantize/calibrate.js';
import { calibrateOn, quantizeUniform } from '../../src/quantize/pipeline.js';
import { DEFAULT_UNIFORM, type UniformOptions } from '../../src/quantize/uniform.js';
import type { Tensor } from '../../src/tensor.js';
import { COMPILERS, NO_COMPILER, buildHarnessObject, engineRun, firstDiff, runHarness, sectionSizes, tempDir } from './c-tools.js';

const SHARED = fileURLToPath(new URL('../../../shared/', import.meta.url));
const LRS = join(SHARED, 'models/hong2021-lrs/lrs_float.onnx');
const KODAK_LR = join(SHARED, 'data/kodak-lr');
const SEQ = join(SHARED, 'models/goyal2021/fashion_seq_large.h5');
const FASHION = join(SHARED, 'data/fashion-mnist');
const CCS = COMPILERS.length > 0 ? COMPILERS : ['gcc'];

function skipUnless(paths: readonly string[]): string | false {
  if (NO_COMPILER !== false) return NO_COMPILER;
  const missing = paths.find((p) => !existsSync(p));
  return missing === undefined ? false : `needs ../shared (${missing.slice(SHARED.length)})`;
}

/** Quantizes, then round-trips through the .fxp container as `fxp export-c model.fxp` would read it. */
function lowerViaFxp(g: Parameters<typeof quantizeUniform>[0], stats: Parameters<typeof quantizeUniform>[1], opts: Partial<UniformOptions>, file: string): FxGraph {
  const { fx } = quantizeUniform(g, stats, { ...DEFAULT_UNIFORM, ...opts });
  return decodeFxp(encodeFxp(fx), file);
}

interface RealCase {
  readonly label: string;
  readonly gen: CExportResult;
  readonly inputs: Int32Array[];
  readonly outputs: Int32Array[];
}

async function checkCase(t: TestContext, c: RealCase, cc: string): Promise<void> {
  const { exe, obj } = await buildHarnessObject(cc, tempDir(`c-real-${c.gen.name}-${cc}`), c.gen);
  const r = runHarness(exe, c.inputs);
  assert.equal(r.status, 0, r.stderr);
  const got = new Int32Array(r.bytes.buffer, r.bytes.byteOffset, r.bytes.length / 4);
  const want = c.outputs[0]!;
  const d = firstDiff(got, want);
  assert.equal(d, -1, `${c.label}: output differs at ${d}: C ${got[d]}, engine ${want[d]}`);
  const hash = outputHash(c.outputs);
  assert.equal(r.hash, hash);
  const s = sectionSizes(obj);
  const size = s === undefined ? '' : `; ${cc} -O2 object: .text ${s.text} B, .rodata ${s.rodata} B, .data ${s.data} B, .bss ${s.bss} B`;
  t.diagnostic(`${c.label}: C (${cc}) = engine, fnv1a64 ${hash}${size}; arena ${c.gen.arenaBytes} B, parameters ${c.gen.parameterBytes} B`);
}

async function lrsCase(): Promise<RealCase> {
  const g = canonicalize(await loadFloatModel(LRS));
  // Two 40x40 calibration crops (kodim01, kodim02) are enough for formats and keep the test fast.
  const crops = await Promise.all(['kodim01.png', 'kodim02.png'].map(async (f) => cropImage(await readImage(join(KODAK_LR, f)), 200, 120, 40, 40)));
  const stats = await calibrate(g, [[imagesToTensor(crops, { layout: 'NCHW' })]]);
  const fx = lowerViaFxp(g, stats, { scheme: 'range-adaptive' }, 'lrs_ra8.fxp');
  const img = cropImage(await readImage(join(KODAK_LR, 'kodim05.png')), 100, 80, 48, 32);
  const input: Tensor = imagesToTensor([img], { layout: 'NCHW' });
  const io = engineRun(fx, [input]);
  return { label: 'LRS range-adaptive 8-bit, 1x3x32x48 (kodim05 crop)', gen: generateC(fx, { name: 'lrs', inputShapes: [input.shape], source: 'lrs_float.onnx' }), ...io };
}

async function seqCase(): Promise<RealCase> {
  const g = canonicalize(await loadFloatModel(SEQ));
  const stats = await calibrateOn(g, mnistDataset(FASHION, 'train', { layout: 'NHWC', limit: 50 }));
  const fx = lowerViaFxp(g, stats, {}, 'seq8.fxp');
  let input: Tensor | undefined;
  for await (const b of mnistDataset(FASHION, 'test', { layout: 'NHWC', limit: 4 }).batches(4)) input = b.input;
  assert.ok(input !== undefined);
  const io = engineRun(fx, [input]);
  return { label: 'fashion_seq_large dynamic 8-bit, batch 4', gen: generateC(fx, { name: 'seq_large', batch: 4, source: 'fashion_seq_large.h5' }), ...io };
}

const LRS_SKIP = skipUnless([LRS, KODAK_LR]);
const SEQ_SKIP = skipUnless([SEQ, FASHION]);
const lrs = LRS_SKIP === false ? await lrsCase() : undefined;
const seq = SEQ_SKIP === false ? await seqCase() : undefined;

for (const cc of CCS) {
  test(`${cc}: LRS (../shared) in C equals the engine byte for byte`, { skip: LRS_SKIP }, async (t) => {
    assert.ok(lrs !== undefined);
    await checkCase(t, lrs, cc);
  });
  test(`${cc}: fashion_seq_large (../shared) in C equals the engine byte for byte`, { skip: SEQ_SKIP }, async (t) => {
    assert.ok(seq !== undefined);
    await checkCase(t, seq, cc);
  });
}
