/**
 * The generated C decoder program (src/codec/c-program.ts) against codec.ts
 * decodeImage: the same bitstream gives the same RGB bytes (FNV-1a 64 and the
 * PPM's pixels), and every stream Node refuses the C program refuses with a
 * message and exit code 3, never a crash (built with ASan + UBSan where they
 * work). Damaged streams with a valid CRC reach the entropy decoder and the
 * networks; there Node and C must agree on success and on the pixels.
 *
 * Given an OUT.png name the program writes src/codec/png.ts's PNG: its bytes equal
 * encodePng of Node's pixels (synthetic streams, one of two stored blocks).
 *
 * With the trained models and the committed fixtures (test/fixtures/codec,
 * scripts/codec/make-fixtures.ts): Node hash == manifest hash == C hash for every
 * fixture, and the C program's PNG file == encodePng of Node's decode, byte for
 * byte; log lines `codec identity ...` and `codec png FILE node FNV c FNV same`.
 * Skipped without gcc or clang.
 */
import assert from 'node:assert/strict';
import { readFixtureManifest } from './fixture-manifest.js';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readBitstream, writeBitstream, type CodecHeader } from '../../src/codec/bitstream.js';
import { createCodec, decodeImage, encodeImage, type Codec, type RgbImage } from '../../src/codec/codec.js';
import { C_PROGRAM_NAME, generateCodecProgram } from '../../src/codec/c-program.js';
import { generateNetworkC } from '../../src/codec/c-network.js';
import { clampTo, paddedSize, tableIndices } from '../../src/codec/latents.js';
import { decodeCodecModel } from '../../src/codec/model-file.js';
import { RansEncoder } from '../../src/codec/rans.js';
import { subpixelConvTranspose } from '../../src/codec/subpixel.js';
import { encodeSymbols } from '../../src/codec/symbols.js';
import type { FxGraph } from '../../src/engine/fx-graph.js';
import { fnv1a64 } from '../../src/engine/hash.js';
import { FxpError } from '../../src/errors.js';
import { crc32 } from '../../src/export/crc32.js';
import { readImage } from '../../src/data/images.js';
import { encodePng } from '../../src/codec/png.js';
import { COMPILERS, tempDir } from '../export/c-tools.js';
import { buildDecoder, runDecoder, sanitizersWork, SANITIZER_ENV, type DecoderRun } from './c-program-tools.js';
import { codecModelFiles, CODEC_MODEL_DIR, testImage } from './codec-fixture.js';
import { syntheticModel } from './codec-synthetic.js';
import { randInt, rng } from './helpers.js';

const cc = COMPILERS.includes('gcc') ? 'gcc' : COMPILERS[0];
const NO_CC = cc === undefined ? 'needs gcc or clang on PATH' : false;

const FIXTURE_DIR = 'test/fixtures/codec';
const MANIFEST = join(FIXTURE_DIR, 'manifest.json');

/** Node's result: the RGB hash, or the FxpError's message. */
function nodeDecode(codec: Codec, bytes: Uint8Array): { hash: string; image: RgbImage } | { error: string } {
  try {
    const image = decodeImage(codec, bytes);
    return { hash: fnv1a64(image.data), image };
  } catch (err) {
    if (err instanceof FxpError) return { error: err.message };
    throw err;
  }
}

function assertRefused(r: DecoderRun, what: string): void {
  assert.equal(r.signal, null, `${what}: killed by ${r.signal}; stderr: ${r.stderr}`);
  assert.equal(r.status, 3, `${what}: exit ${r.status}, stderr: ${r.stderr}`);
  assert.match(r.stderr, /\S/, `${what}: no message`);
  assert.doesNotMatch(r.stderr, /runtime error|AddressSanitizer/, `${what}: sanitizer report`);
}

/** C and Node agree: both refuse, or both give the same pixels. */
function assertAgrees(exe: string, codec: Codec, bytes: Uint8Array, what: string, env: NodeJS.ProcessEnv): 'decoded' | 'refused' {
  const node = nodeDecode(codec, bytes);
  const c = runDecoder(exe, bytes, env);
  if ('error' in node) {
    assertRefused(c, `${what} (node: ${node.error})`);
    return 'refused';
  }
  assert.equal(c.status, 0, `${what}: node decodes it, C exits ${c.status}: ${c.stderr}`);
  assert.equal(c.hash, node.hash, `${what}: RGB hash`);
  assert.deepEqual(c.image, { width: node.image.width, height: node.image.height, rgb: node.image.data }, `${what}: PPM pixels`);
  return 'decoded';
}

/** The bitstream with its header and sections changed (CRC recomputed). */
/** The bitstream with raw header bytes changed (k: model id length), CRC recomputed. */
function patchRaw(bytes: Uint8Array, edit: (b: Uint8Array, k: number) => void): Uint8Array {
  const b = bytes.slice();
  edit(b, b[5]!);
  new DataView(b.buffer).setUint32(b.length - 4, crc32(b, 0, b.length - 4), true);
  return b;
}

function rewrite(bytes: Uint8Array, edit: (h: CodecHeader, s: Uint8Array[]) => [CodecHeader, Uint8Array[]]): Uint8Array {
  const { header, sections } = readBitstream(bytes);
  const [h, s] = edit(header, sections.map((x) => x.slice()));
  return writeBitstream(h, s);
}

/** Mostly small integers, one in ten anywhere in int32 (escape codes, the clamps). */
function wildValues(rand: () => number, n: number): Int32Array {
  return Int32Array.from({ length: n }, () => (rand() < 0.1 ? randInt(rand, -(2 ** 31), 2 ** 31 - 1) : randInt(rand, -4, 4)));
}

/**
 * A valid stream the encoder would never write: z_hat and y symbols with values far
 * outside the tables and the formats, coded with the tables the decoder will pick.
 */
function wildStream(codec: Codec, w: number, h: number, rand: () => number): Uint8Array {
  const { model } = codec;
  const [hz, wz, hy, wy] = [paddedSize(h) >> 6, paddedSize(w) >> 6, paddedSize(h) >> 4, paddedSize(w) >> 4];
  const z = wildValues(rand, model.n * hz * wz);
  const zEnc = new RansEncoder();
  encodeSymbols(zEnc, z, Int32Array.from(z, (_, i) => Math.floor(i / (hz * wz))), model.prior);
  const zHat = clampTo(z.slice(), model.formats.zHat);
  const params = codec.hyperSynthesis.run([{ shape: [1, model.n, hz, wz], data: zHat, format: model.formats.zHat }]).outputs[0]!.data;
  const yEnc = new RansEncoder();
  encodeSymbols(yEnc, wildValues(rand, model.m * hy * wy), tableIndices(params, model.m, hy * wy, model.thresholds), model.gaussian);
  return writeBitstream({ modelId: model.modelId, modelHash: model.hash, quality: model.quality, width: w, height: h }, [zEnc.finish(), yEnc.finish()]);
}

test('C decoder program, synthetic model: same pixels as Node; damaged and hostile streams are refused, never a crash', { skip: NO_CC, timeout: 120_000 }, async () => {
  const { model } = await syntheticModel();
  const codec = createCodec(model, { kernels: 'ref' });
  const sanitize = sanitizersWork(cc!);
  const env = sanitize ? SANITIZER_ENV : process.env;
  const exe = await buildDecoder(cc!, [model], { sanitize });

  // 200x120: the PNG's scanlines (72120 bytes) take two stored blocks.
  const streams = ([[37, 29], [131, 70], [1, 1], [200, 120]] as const).map(([w, h]) => ({ w, h, bytes: encodeImage(codec, testImage(w, h)) }));
  for (const { w, h, bytes } of streams) {
    assert.equal(assertAgrees(exe, codec, bytes, `${w}x${h}`, env), 'decoded');
    const node = decodeImage(codec, bytes);
    const png = runDecoder(exe, bytes, env, 'png');
    assert.equal(png.status, 0, `${w}x${h} to PNG: ${png.stderr}`);
    assert.equal(png.hash, fnv1a64(node.data), `${w}x${h} to PNG: the printed hash is still the RGB bytes'`);
    assert.ok(png.png !== undefined && Buffer.from(png.png).equals(encodePng(node.data, node.width, node.height)), `${w}x${h}: C PNG file differs from encodePng`);
  }

  const rand = rng(7);
  const good = streams[1]!.bytes;
  const refused: [string, Uint8Array][] = [
    ['empty file', new Uint8Array(0)],
    ...[3, 5, 12, 30, good.length >> 1, good.length - 1].map((n): [string, Uint8Array] => [`truncated to ${n} bytes`, good.slice(0, n)]),
    ...Array.from({ length: 6 }, (_, i): [string, Uint8Array] => [`random bytes ${i}`, Uint8Array.from({ length: randInt(rand, 1, 400) }, () => randInt(rand, 0, 255))]),
    ['random bytes after a valid magic', Uint8Array.from([0x46, 0x58, 0x50, 0x43, 1, ...Array.from({ length: 200 }, () => randInt(rand, 0, 255))])],
    ['one flipped bit (CRC)', good.map((b, i) => (i === 40 ? b ^ 4 : b))],
    ['other model hash', rewrite(good, (hd, s) => [{ ...hd, modelHash: '0123456789abcdef' }, s])],
    ['other model id', rewrite(good, (hd, s) => [{ ...hd, modelId: 'another-model' }, s])],
    ['above the decode limit', rewrite(good, (hd, s) => [{ ...hd, width: 4097, height: 4096 }, s])],
    ['above the format limit', patchRaw(good, (b, k) => b.fill(0xff, 15 + k, 19 + k))],
    ['zero width', patchRaw(good, (b, k) => b.fill(0, 15 + k, 17 + k))],
    ['quality 0', patchRaw(good, (b, k) => b.fill(0, 14 + k, 15 + k))],
    ['model id not UTF-8', patchRaw(good, (b) => b.fill(0xc0, 6, 7))],
    ['three sections', rewrite(good, (hd, s) => [hd, [...s, new Uint8Array(4)]])],
    ['empty y stream', rewrite(good, (hd, s) => [hd, [s[0]!, new Uint8Array(0)]])],
    ['y stream cut short', rewrite(good, (hd, s) => [hd, [s[0]!, s[1]!.subarray(0, s[1]!.length - 2)]])],
  ];
  for (const [what, bytes] of refused) {
    assert.throws(() => decodeImage(codec, bytes), FxpError, `${what}: node must refuse it too`);
    assertRefused(runDecoder(exe, bytes, env), what);
  }

  // A byte-order mark before the model id: TextDecoder drops it, so Node decodes; so must C.
  const bom = rewrite(good, (hd, s) => [{ ...hd, modelId: `\ufeff${hd.modelId}` }, s]);
  assert.equal(assertAgrees(exe, codec, bom, 'model id with a BOM', env), 'decoded');

  // Damaged payloads with a valid CRC: the entropy decoder and the clamps see them.
  const outcomes = { decoded: 0, refused: 0 };
  for (let i = 0; i < 24; i++) {
    const which = i % 2;
    const bytes = rewrite(streams[i % 3]!.bytes, (hd, s) => {
      const sec = s[which]!;
      for (let k = 0; k < 1 + (i % 4); k++) sec[randInt(rand, 0, sec.length - 1)] = randInt(rand, 0, 255);
      return [hd, s];
    });
    outcomes[assertAgrees(exe, codec, bytes, `damaged ${which === 0 ? 'z' : 'y'} stream ${i}`, env)]++;
  }
  for (const [w, h] of [[50, 20], [140, 65]] as const) {
    assert.equal(assertAgrees(exe, codec, wildStream(codec, w, h, rand), `${w}x${h} with out-of-range values`, env), 'decoded');
  }
  console.log(`codec C program: synthetic model, ${streams.length} streams and 2 with out-of-range values identical, ${refused.length} hostile inputs refused, damaged streams ${outcomes.decoded} decoded identically / ${outcomes.refused} refused by both (${sanitize ? 'ASan+UBSan' : 'no sanitizers'}, ${cc})`);
});

const SKIP_FIXTURES =
  NO_CC ||
  (codecModelFiles().length === 0 ? `no codec models (q*.fxpcm) in ${CODEC_MODEL_DIR}` : false) ||
  (existsSync(MANIFEST) ? false : `no ${MANIFEST}: run npx tsx scripts/codec/make-fixtures.ts`);

test('codec identity: committed fixtures decode to the manifest hash in Node and in the generated C, and to the same PNG bytes', { skip: SKIP_FIXTURES, timeout: 300_000 }, async () => {
  const models = codecModelFiles().map((f) => decodeCodecModel(new Uint8Array(readFileSync(f)), f));
  const entries = readFixtureManifest(MANIFEST);
  for (const e of entries) {
    const m = models.find((x) => x.hash === e.modelHash);
    assert.ok(m !== undefined, `${e.file} needs model hash ${e.modelHash} (q${e.quality}), ${CODEC_MODEL_DIR} has ${models.map((x) => `q${x.quality} ${x.hash}`).join(', ')}: rerun npx tsx scripts/codec/make-fixtures.ts`);
  }
  const exe = await buildDecoder(cc!, models);
  // Node decodes with the reference kernels (the specification) and with the kernels
  // `fxp codec decode` uses (WASM where available): both must give the manifest's pixels.
  const codecs = new Map(models.map((m) => [m.hash, { ref: createCodec(m, { kernels: 'ref' }), auto: createCodec(m, { kernels: 'auto' }) }]));
  for (const e of entries) {
    const bytes = new Uint8Array(readFileSync(join(FIXTURE_DIR, e.file)));
    const { ref, auto } = codecs.get(e.modelHash)!;
    const img = decodeImage(ref, bytes, e.file);
    const node = fnv1a64(img.data);
    const c = runDecoder(exe, bytes);
    console.log(`codec identity ${e.file.padEnd(28)} node ${node}  c(${cc}) ${c.hash || `exit ${c.status}`}  ${node === e.rgbFnv1a64 && c.hash === node ? 'same' : 'DIFFERENT'}`);
    assert.deepEqual([img.width, img.height], [e.width, e.height], `${e.file}: size`);
    assert.equal(node, e.rgbFnv1a64, `${e.file}: Node hash differs from the manifest`);
    assert.equal(c.status, 0, `${e.file}: C decoder failed: ${c.stderr}`);
    assert.equal(c.hash, node, `${e.file}: C hash differs from Node`);
    // The PNG files, byte for byte: encodePng of Node's pixels and the C program's OUT.png.
    const nodePng = encodePng(img.data, img.width, img.height);
    const cPng = runDecoder(exe, bytes, process.env, 'png');
    const cPngHash = cPng.png === undefined ? `exit ${cPng.status}` : fnv1a64(cPng.png);
    const samePng = cPng.png !== undefined && Buffer.from(cPng.png).equals(nodePng);
    console.log(`codec png ${e.file.padEnd(28)} node ${fnv1a64(nodePng)}  c(${cc}) ${cPngHash}  ${samePng ? 'same' : 'DIFFERENT'} (${nodePng.length} bytes)`);
    assert.equal(cPng.status, 0, `${e.file}: C decoder to PNG failed: ${cPng.stderr}`);
    assert.ok(samePng, `${e.file}: the C program's PNG differs from encodePng of Node's decode`);
    assert.equal(fnv1a64(decodeImage(auto, bytes, e.file).data), node, `${e.file}: Node with kernels 'auto' (WASM) differs from the reference kernels`);
  }
});

test('C decoder generation refuses what it cannot do, naming the node and op', async () => {
  const { model } = await syntheticModel();
  assert.throws(() => generateCodecProgram([]), /at least one codec model/);
  assert.throws(() => generateCodecProgram([model, model]), /given twice/);
  // Stride-2 convolutions: shapes are not [1, c, a*h, b*w] for every input size.
  assert.throws(() => generateNetworkC(subpixelConvTranspose(model.analysis), 'ga', 'ga.c', 'h.h', 'analysis'), /size-generic C needs \[1, c, a\*h, b\*w\]/);
  const q = { signed: true, wl: 8, fl: 4 };
  const add: FxGraph = {
    name: 'add',
    values: [
      { name: 'x', shape: [1, 2, 'H', 'W'], format: q },
      { name: 'y', shape: [1, 2, 'H', 'W'], format: q },
    ],
    nodes: [{ op: 'Add', name: 'twice', attrs: {}, inputs: [0, 0], outputs: [1] }],
    inputs: [0],
    outputs: [1],
  };
  assert.throws(
    () => generateNetworkC(add, 'f', 'f.c', 'h.h', 'add'),
    (err: unknown) => err instanceof FxpError && err.node === 'twice' && err.op === 'Add' && /not supported by the size-generic C/.test(err.message),
  );
  const hs = model.hyperSynthesis;
  const axis2: FxGraph = { ...hs, nodes: hs.nodes.map((n) => (n.op === 'Concat' ? { ...n, attrs: { axis: 2 } } : n)) };
  assert.throws(
    () => generateNetworkC(axis2, 'f', 'f.c', 'h.h', 'hs'),
    (err: unknown) => err instanceof FxpError && err.op === 'Concat' && /axis 2/.test(err.message),
  );
});

const HAS_CC = spawnSync('cc', ['--version'], { stdio: 'ignore' }).status === 0;

test('fxp codec export-c writes a program that builds with the printed line and decodes like Node; fxp codec decode writes its PNG bytes', { skip: HAS_CC ? false : 'needs cc on PATH', timeout: 120_000 }, async () => {
  const { bytes: modelBytes, model } = await syntheticModel();
  const modelDir = tempDir('codec-models');
  writeFileSync(join(modelDir, 'q1.fxpcm'), modelBytes);
  const out = join(tempDir('codec-export'), 'c');
  const cli = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'codec', 'export-c', '--model-dir', modelDir, '-o', out], { encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stderr);
  const build = /^build:\s+(.+)$/m.exec(cli.stdout)?.[1];
  assert.ok(build !== undefined && build.includes('-std=c99') && !build.includes('-lm'), `no build line in:\n${cli.stdout}`);
  const made = spawnSync('sh', ['-c', build], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const stream = encodeImage(createCodec(model, { kernels: 'ref' }), testImage(45, 33));
  const r = runDecoder(join(out, C_PROGRAM_NAME), stream, process.env, 'png');
  assert.equal(r.status, 0, r.stderr);
  const rgb = decodeImage(createCodec(model, { kernels: 'ref' }), stream).data;
  assert.equal(r.hash, fnv1a64(rgb));
  // `fxp codec decode` writes the same PNG file as the C program; --compress other bytes, the same pixels.
  const dir = tempDir('codec-cli-decode');
  writeFileSync(join(dir, 'in.fxpc'), stream);
  for (const extra of [[], ['--compress']]) {
    const png = join(dir, `out${extra.length}.png`);
    const dec = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'codec', 'decode', join(dir, 'in.fxpc'), '-o', png, '--model-dir', modelDir, '--json', ...extra], { encoding: 'utf8' });
    assert.equal(dec.status, 0, dec.stderr);
    assert.equal((JSON.parse(dec.stdout) as { rgbFnv1a64?: unknown }).rgbFnv1a64, r.hash);
    const bytes = readFileSync(png);
    assert.equal(bytes.equals(r.png ?? new Uint8Array(0)), extra.length === 0, `fxp codec decode ${extra.join(' ')}: PNG bytes vs the C program's`);
    assert.equal(fnv1a64((await readImage(png, 'rgb')).data), r.hash, `fxp codec decode ${extra.join(' ')}: pixels`);
  }
});
