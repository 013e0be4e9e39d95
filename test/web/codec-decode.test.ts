/**
 * Cross-platform codec decode: the same `.fxpc` bitstream decodes to the same RGB
 * bytes in Node and in headless Chromium (the library bundle), compared by the
 * FNV-1a 64 hash of the interleaved RGB bytes; the PNG files are the same bytes
 * too (src/codec/png.ts encodePng: the runner's, the page's "save PNG" download,
 * Node's, and with a C compiler the generated C decoder's OUT.png); and the codec
 * page (web/codec.html) shows that hash for a bitstream named in its address.
 *
 * - Always: the synthetic codec model (test/codec/codec-synthetic.ts) and a small
 *   odd-size image encoded in Node.
 * - With models/codec/q*.fxpcm: the fixtures of test/fixtures/codec/manifest.json
 *   (scripts/codec/make-fixtures.ts), each hash compared with the manifest's; log
 *   lines per fixture: `codec identity FILE node HASH chromium HASH same` and
 *   `codec png FILE node FNV c FNV chromium FNV same` (FNV-1a 64 of the PNG files).
 *   Without the manifest, two temporary fixtures (Kodak crops from ../shared, else
 *   a generated picture) are encoded into a temporary folder instead.
 *
 * Chromium is started once for everything. FXP_CODEC_MODEL_DIR and
 * FXP_CODEC_FIXTURE_DIR point at other models/fixtures; with FXP_WEB_SCREENSHOTS=DIR
 * the page is also saved as DIR/codec-*.png.
 */
import assert from 'node:assert/strict';
import { readFixtureManifest, type FixtureEntry } from '../codec/fixture-manifest.js';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web.js';
import { readBitstream, writeBitstream } from '../../src/codec/bitstream.js';
import { createCodec, decodeImage, encodeImage, type Codec, type RgbImage } from '../../src/codec/codec.js';
import { decodeCodecModel } from '../../src/codec/model-file.js';
import { encodePng } from '../../src/codec/png.js';
import { readImage } from '../../src/data/images.js';
import { cropImage } from '../../src/data/preprocess.js';
import { fnv1a64 } from '../../src/engine/hash.js';
import { buildDecoder, runDecoder } from '../codec/c-program-tools.js';
import { testImage } from '../codec/codec-fixture.js';
import { syntheticModel } from '../codec/codec-synthetic.js';
import { COMPILERS } from '../export/c-tools.js';
import type { CodecRunnerCase, CodecRunnerReport } from './codec-runner.js';
import { browserSkip, launchChromium, pickFile, settled, startServer, type Browser, type TestServer } from './harness.js';
import { REPO, SHARED } from './identity-cases.js';

const skip = browserSkip();
const screenshots = process.env.FXP_WEB_SCREENSHOTS;
const MODEL_DIR = process.env.FXP_CODEC_MODEL_DIR ?? join(REPO, 'models/codec');
/** test/fixtures/codec, or FXP_CODEC_FIXTURE_DIR. */
const FIXTURE_DIR = process.env.FXP_CODEC_FIXTURE_DIR ?? join(REPO, 'test/fixtures/codec');
const MANIFEST = join(FIXTURE_DIR, 'manifest.json');
const KODAK = join(SHARED, 'data/kodak');

interface Fixture {
  readonly entry: FixtureEntry;
  readonly bytes: Uint8Array;
}

interface ModelFile {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly codec: Codec;
}

function modelFileNames(): string[] {
  return existsSync(MODEL_DIR) ? readdirSync(MODEL_DIR).filter((n) => /^q\d+\.fxpcm$/.test(n)).sort() : [];
}

const SKIP_FIXTURES = modelFileNames().length === 0 ? `no codec models (q*.fxpcm) in ${MODEL_DIR}: the trained-model fixtures are skipped` : false;

/** A manifest `file`: a name in test/fixtures/codec, or a path from the repository root. */
function fixtureBytes(file: string): Uint8Array {
  const inDir = join(FIXTURE_DIR, file);
  return new Uint8Array(readFileSync(existsSync(inDir) ? inDir : join(REPO, file)));
}

/**
 * Until scripts/codec/make-fixtures.ts has written the manifest: two crops (Kodak
 * from ../shared when present, else a generated picture) encoded in Node with the
 * lowest and the highest quality, written to `dir` like real fixtures.
 */
async function temporaryFixtures(models: readonly ModelFile[], dir: string): Promise<Fixture[]> {
  const crops: [string, RgbImage][] = [];
  for (const [k, w, h] of [[5, 200, 136], [23, 136, 200]] as const) {
    const png = join(KODAK, `kodim${String(k).padStart(2, '0')}.png`);
    if (existsSync(png)) {
      const img = await readImage(png, 'rgb');
      crops.push([`kodim${k}-${w}x${h}`, cropImage(img, Math.floor((img.width - w) / 2), Math.floor((img.height - h) / 2), w, h)]);
    } else {
      crops.push([`picture-${w}x${h}`, testImage(w, h)]);
    }
  }
  const pick = [models[0]!, models[models.length - 1]!];
  return crops.map(([name, img], i) => {
    const codec = pick[i]!.codec;
    const q = codec.model.quality;
    const bytes = encodeImage(codec, img);
    const file = `${name}-q${q}.fxpc`;
    writeFileSync(join(dir, file), bytes);
    const entry = { file, quality: q, width: img.width, height: img.height, modelHash: codec.model.hash, rgbFnv1a64: fnv1a64(decodeImage(codec, bytes).data) };
    return { entry, bytes };
  });
}

interface Session {
  readonly server: TestServer;
  readonly browser: Browser;
  readonly distDir: string;
  readonly files: Record<string, number>;
}

let session: Session | undefined;
const temp = mkdtempSync(join(tmpdir(), 'fxp-codec-web-'));

before(async () => {
  if (skip !== false) return;
  const distDir = join(temp, 'dist');
  const report = await buildWeb({ outDir: distDir, extraEntries: { 'codec-runner': join(REPO, 'test/web/codec-runner.ts') } });
  const server = await startServer(distDir);
  server.add('/codec.html', readFileSync(join(REPO, 'web/codec.html')));
  session = { server, browser: await launchChromium(), distDir, files: report.files };
});

after(async () => {
  await session?.browser.close();
  await session?.server.close();
  rmSync(temp, { recursive: true, force: true });
});

function live(): Session {
  assert.ok(session !== undefined, 'the browser session did not start');
  return session;
}

/**
 * Decodes in Chromium on a cross-origin-isolated page: `threads` 0 on the page
 * thread with kernels 'auto' (WASM, one thread), else in a Web Worker with the
 * WASM kernels on that many threads.
 */
async function decodeInChromium(s: Session, modelUrls: readonly string[], cases: readonly CodecRunnerCase[], threads = 0): Promise<CodecRunnerReport> {
  const page = await s.browser.newPage();
  try {
    await page.goto(`${s.server.url}/`);
    const call = threads === 0 ? 'decodeCases' : 'decodeCasesInWorker';
    return (await page.evaluate(`import('/dist/codec-runner.js').then((m) => m.${call}(${JSON.stringify(modelUrls)}, ${JSON.stringify(cases)}, ${threads}))`)) as CodecRunnerReport;
  } finally {
    await page.close();
  }
}

async function text(page: Page, selector: string): Promise<string> {
  return (await page.textContent(selector)) ?? '';
}

/** Clicks "save PNG": the downloaded file's bytes, and the FNV-1a 64 of its RGB bytes (decoded by sharp). */
async function savedPng(page: Page, dir: string): Promise<{ name: string; bytes: Buffer; hash: string; width: number; height: number }> {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), page.click('#save-png')]);
  const path = join(dir, download.suggestedFilename());
  await download.saveAs(path);
  const img = await readImage(path, 'rgb');
  return { name: download.suggestedFilename(), bytes: readFileSync(path), hash: fnv1a64(img.data), width: img.width, height: img.height };
}

/** The runner's PNG (base64) as bytes. */
function runnerPng(r: { readonly pngBase64: string }): Buffer {
  return Buffer.from(r.pngBase64, 'base64');
}

async function shot(page: Page, name: string): Promise<void> {
  if (screenshots === undefined) return;
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, `codec-${name}.png`), fullPage: true });
}

test('synthetic codec model: Node and headless Chromium decode a 37x53 bitstream to the same RGB bytes', { skip, timeout: 60_000 }, async () => {
  const s = live();
  const { bytes: modelBytes, model } = await syntheticModel();
  const codec = createCodec(model, { kernels: 'auto' });
  const img = testImage(37, 53);
  const fxpc = encodeImage(codec, img);
  const node = decodeImage(codec, fxpc);
  const nodeHash = fnv1a64(node.data);
  // The bitstream must carry an image: a decode to a flat picture would hash alike anywhere.
  assert.ok(new Set(node.data).size > 10, 'the synthetic decode is nearly constant');
  s.server.add('/codec/synthetic.fxpcm', modelBytes);
  s.server.add('/codec/synthetic-37x53.fxpc', fxpc);
  const report = await decodeInChromium(s, ['/codec/synthetic.fxpcm'], [{ name: 'synthetic-37x53.fxpc', url: '/codec/synthetic-37x53.fxpc' }]);
  const r = report.results[0];
  assert.ok(r !== undefined && !('error' in r), `Chromium failed: ${r !== undefined && 'error' in r ? r.error : 'no result'}`);
  console.log(`codec identity synthetic-37x53.fxpc node ${nodeHash} chromium ${r.hash} ${r.hash === nodeHash ? 'same' : 'DIFFERENT'} (Chromium ${r.ms.toFixed(0)} ms, ${report.kernels})`);
  assert.equal(report.kernels, 'auto: wasm 1 thread', 'the isolated test page must run the WASM kernels');
  assert.deepEqual([r.width, r.height], [37, 53]);
  assert.equal(r.hash, nodeHash);
  assert.ok(runnerPng(r).equals(encodePng(node.data, node.width, node.height)), 'Chromium\'s PNG bytes differ from Node\'s encodePng');
  // A bitstream made by another model is refused, not decoded to something else.
  const other = await decodeInChromium(s, [], [{ name: 'synthetic-37x53.fxpc', url: '/codec/synthetic-37x53.fxpc' }]);
  const o = other.results[0];
  assert.ok(o !== undefined && 'error' in o && /needs model/.test(o.error), JSON.stringify(o));
  for (const f of ['codec-app.js', 'codec-worker.js']) {
    assert.ok((s.files[f] ?? 0) > 1000, `${f} built`);
    assert.doesNotMatch(readFileSync(join(s.distDir, f), 'utf8'), /from ["'](?!\.\/fxpnet\.js)/, `${f} imports only ./fxpnet.js`);
  }
});

test('trained models: every codec fixture decodes in Chromium to the Node decoder\'s RGB hash and PNG bytes (and the C decoder\'s PNG)', { skip: skip || SKIP_FIXTURES, timeout: 120_000 }, async () => {
  const s = live();
  const models: ModelFile[] = modelFileNames().map((name) => {
    const bytes = new Uint8Array(readFileSync(join(MODEL_DIR, name)));
    return { name, bytes, codec: createCodec(decodeCodecModel(bytes, name), { kernels: 'auto' }) };
  });
  const fromManifest = existsSync(MANIFEST);
  let fixtures: Fixture[];
  if (fromManifest) {
    fixtures = readFixtureManifest(MANIFEST, 2).map((entry) => ({ entry, bytes: fixtureBytes(entry.file) }));
  } else {
    console.log(`codec identity: ${MANIFEST} is absent (scripts/codec/make-fixtures.ts writes it); using temporary fixtures encoded now`);
    const dir = join(temp, 'fixtures');
    mkdirSync(dir);
    fixtures = await temporaryFixtures(models, dir);
  }
  const byHash = new Map(models.map((m) => [m.codec.model.hash, m]));
  const used = new Set<ModelFile>();
  for (const { entry } of fixtures) {
    const m = byHash.get(entry.modelHash);
    assert.ok(m !== undefined, `${entry.file} needs the model with hash ${entry.modelHash}; ${MODEL_DIR} has ${models.map((x) => `${x.name} ${x.codec.model.hash}`).join(', ')} (stale fixtures? rerun scripts/codec/make-fixtures.ts)`);
    used.add(m);
  }
  // The Node decoder now must still give the manifest's hash (the models or the decoder did not drift).
  const nodePngs: Buffer[] = [];
  const nodeHashes = fixtures.map(({ entry, bytes }) => {
    const img = decodeImage(byHash.get(entry.modelHash)!.codec, bytes, entry.file);
    assert.deepEqual([img.width, img.height], [entry.width, entry.height], entry.file);
    nodePngs.push(Buffer.from(encodePng(img.data, img.width, img.height)));
    return fnv1a64(img.data);
  });
  // The generated C decoder's OUT.png for each fixture, where a compiler is at hand.
  const cc = COMPILERS[0];
  const exe = cc === undefined ? undefined : await buildDecoder(cc, [...used].map((m) => m.codec.model));
  const cPngs = fixtures.map(({ entry, bytes }) => {
    if (exe === undefined) return undefined;
    const r = runDecoder(exe, bytes, process.env, 'png');
    assert.equal(r.status, 0, `${entry.file}: C decoder failed: ${r.stderr}`);
    return Buffer.from(r.png!);
  });
  if (exe === undefined) console.log('codec png: no gcc or clang on PATH, the C decoder\'s PNG is not compared');
  for (const m of used) s.server.add(`/models/${m.name}`, m.bytes);
  for (const f of fixtures) s.server.add(`/fixtures/${basename(f.entry.file)}`, f.bytes);
  // WASM kernels on the page thread (1 thread) and in a Web Worker on 2 threads.
  for (const [threads, want] of [[0, 'auto: wasm 1 thread'], [2, 'wasm 2 threads']] as const) {
    const report = await decodeInChromium(
      s,
      [...used].map((m) => `/models/${m.name}`),
      fixtures.map((f) => ({ name: f.entry.file, url: `/fixtures/${basename(f.entry.file)}` })),
      threads,
    );
    assert.equal(report.kernels, want);
    assert.equal(report.results.length, fixtures.length);
    fixtures.forEach((f, i) => {
      const r = report.results[i]!;
      if ('error' in r) assert.fail(`${f.entry.file}: Chromium (${report.kernels}) failed: ${r.error}`);
      const same = r.hash === f.entry.rgbFnv1a64 && nodeHashes[i] === f.entry.rgbFnv1a64;
      console.log(`codec identity ${f.entry.file} node ${nodeHashes[i]} chromium ${r.hash} ${same ? 'same' : 'DIFFERENT'} (q${f.entry.quality} ${r.width}x${r.height}, Chromium ${r.ms.toFixed(0)} ms, ${report.kernels})`);
    });
    fixtures.forEach((f, i) => {
      const r = report.results[i]!;
      if (threads !== 0 || 'error' in r) return;
      const node = nodePngs[i]!;
      const c = cPngs[i];
      const chromium = runnerPng(r);
      const same = chromium.equals(node) && (c === undefined || c.equals(node));
      console.log(`codec png ${f.entry.file} node ${fnv1a64(node)} c ${c === undefined ? 'n/a' : fnv1a64(c)} chromium ${fnv1a64(chromium)} ${same ? 'same' : 'DIFFERENT'} (${node.length} bytes)`);
    });
    fixtures.forEach((f, i) => {
      const r = report.results[i]!;
      assert.equal(nodeHashes[i], f.entry.rgbFnv1a64, `${f.entry.file}: Node hash differs from the ${fromManifest ? 'manifest' : 'encoder run'}`);
      assert.ok(!('error' in r) && runnerPng(r).equals(nodePngs[i]!), `${f.entry.file}: Chromium (${report.kernels}) PNG bytes differ from Node's`);
      const c = cPngs[i];
      assert.ok(c === undefined || c.equals(nodePngs[i]!), `${f.entry.file}: the C decoder's PNG bytes differ from Node's`);
      assert.ok(!('error' in r) && r.hash === f.entry.rgbFnv1a64, `${f.entry.file}: Chromium (${report.kernels}) hash differs from Node`);
      assert.ok(!('error' in r) && r.width === f.entry.width && r.height === f.entry.height, `${f.entry.file}: size`);
    });
  }
  assert.equal(new Set(fixtures.map((f) => f.entry.rgbFnv1a64)).size, fixtures.length, 'two fixtures hash alike');
});

test('codec page: a bitstream named in the address is decoded, shown, hashed and saved as PNG', { skip, timeout: 90_000 }, async (t) => {
  const s = live();
  const { bytes: modelBytes, model } = await syntheticModel();
  const codec = createCodec(model, { kernels: 'auto' });
  const fxpc = encodeImage(codec, testImage(37, 53));
  const decoded = decodeImage(codec, fxpc);
  const want = fnv1a64(decoded.data);
  const wantPng = Buffer.from(encodePng(decoded.data, decoded.width, decoded.height));
  s.server.add('/page/synthetic.fxpcm', modelBytes);
  s.server.add('/page/synthetic-37x53.fxpc', fxpc);
  const page = await s.browser.newPage();
  await page.setViewportSize({ width: 1100, height: 900 });
  const downloads = join(temp, 'downloads');
  mkdirSync(downloads, { recursive: true });

  await t.test('index.html links to the codec page', async () => {
    await page.goto(`${s.server.url}/`);
    assert.equal(await page.locator('a[href="codec.html"]').count(), 1);
  });

  await t.test('synthetic model via ?model=&fxpc=', async () => {
    await page.goto(`${s.server.url}/codec.html?model=/page/synthetic.fxpcm&fxpc=/page/synthetic-37x53.fxpc`);
    assert.equal(await settled(page, 30_000), 'done', await text(page, '#error'));
    const hash = await text(page, '#hash');
    console.log(`codec page synthetic-37x53.fxpc: chromium page ${hash} node ${want} (${await text(page, '#decode-ms')} ms, ${await text(page, '#kernels')})`);
    assert.equal(hash, want);
    assert.equal(await text(page, '#width'), '37');
    assert.equal(await text(page, '#height'), '53');
    assert.match(await text(page, '#quality'), new RegExp(`^1 \\(model .* ${model.hash}\\)$`));
    assert.equal(await text(page, '#bpp'), ((8 * fxpc.length) / (37 * 53)).toFixed(4));
    assert.match(await text(page, '#kernels'), /^WASM SIMD kernels, [1-4] threads?, Web Worker$/);
    assert.deepEqual(await page.evaluate(() => { const c = document.querySelector('#codec-canvas') as HTMLCanvasElement; return [c.width, c.height]; }), [37, 53]);
    const saved = await savedPng(page, downloads);
    assert.equal(saved.name, 'synthetic-37x53.png');
    assert.deepEqual([saved.width, saved.height, saved.hash], [37, 53, want], 'the saved PNG holds other pixels');
    assert.ok(saved.bytes.equals(wantPng), 'the saved PNG is not the bytes of Node\'s encodePng');
  });

  await t.test('picked files: a damaged bitstream and a missing model are clear errors; then recovery', async () => {
    await page.goto(`${s.server.url}/codec.html`);
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'idle');
    const file = (name: string, bytes: Uint8Array) => ({ name, mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) });
    const pick = (name: string, bytes: Uint8Array): Promise<void> => pickFile(page, '#fxpc-file', name, bytes);
    await page.setInputFiles('#fxpc-file', file('synthetic-37x53.fxpc', fxpc));
    await page.waitForFunction(() => /now pick the .fxpcm/.test(document.getElementById('status')?.textContent ?? ''));
    await page.setInputFiles('#model-files', file('synthetic.fxpcm', modelBytes));
    assert.equal(await settled(page, 30_000), 'done', await text(page, '#error'));
    assert.equal(await text(page, '#hash'), want);
    const flipped = fxpc.slice();
    flipped[fxpc.length - 10]! ^= 0x10;
    await pick('flipped.fxpc', flipped);
    assert.equal(await settled(page, 10_000), 'error');
    assert.match(await text(page, '#error'), /CRC.*file 'flipped\.fxpc'/);
    assert.equal(await text(page, '#hash'), '', 'a stale hash is still shown');
    const { header, sections } = readBitstream(fxpc);
    await pick('other-model.fxpc', writeBitstream({ ...header, modelHash: '0123456789abcdef' }, sections));
    assert.equal(await settled(page, 10_000), 'error');
    assert.match(await text(page, '#error'), /needs model .* hash 0123456789abcdef; loaded: .*file 'other-model\.fxpc'/);
    await pick('notes.txt', new TextEncoder().encode('hello'));
    assert.equal(await settled(page, 10_000), 'error');
    assert.match(await text(page, '#error'), /not a codec file: 'notes\.txt'/);
    await pick('synthetic-37x53.fxpc', fxpc);
    assert.equal(await settled(page, 30_000), 'done', await text(page, '#error'));
    assert.equal(await text(page, '#hash'), want);
  });

  await t.test('trained model fixture via ?model=q1,q2,...&fxpc=', { skip: SKIP_FIXTURES }, async () => {
    const names = modelFileNames();
    for (const n of names) s.server.add(`/page/models/${n}`, new Uint8Array(readFileSync(join(MODEL_DIR, n))));
    let entry: FixtureEntry;
    let bytes: Uint8Array;
    if (existsSync(MANIFEST)) {
      entry = readFixtureManifest(MANIFEST, 2)[0]!;
      bytes = fixtureBytes(entry.file);
    } else {
      const m = decodeCodecModel(new Uint8Array(readFileSync(join(MODEL_DIR, names[0]!))), names[0]!);
      const c = createCodec(m, { kernels: 'auto' });
      const img = testImage(100, 70);
      bytes = encodeImage(c, img);
      entry = { file: `picture-100x70-q${m.quality}.fxpc`, quality: m.quality, width: 100, height: 70, modelHash: m.hash, rgbFnv1a64: fnv1a64(decodeImage(c, bytes).data) };
    }
    s.server.add(`/page/fixtures/${basename(entry.file)}`, bytes);
    const models = names.map((n) => `/page/models/${n}`).join(',');
    await page.goto(`${s.server.url}/codec.html?model=${models}&fxpc=/page/fixtures/${basename(entry.file)}`);
    assert.equal(await settled(page, 60_000), 'done', await text(page, '#error'));
    const hash = await text(page, '#hash');
    console.log(`codec page ${entry.file}: chromium page ${hash} manifest ${entry.rgbFnv1a64} (${await text(page, '#decode-ms')} ms)`);
    assert.equal(hash, entry.rgbFnv1a64);
    assert.equal(await text(page, '#width'), String(entry.width));
    assert.equal(await text(page, '#height'), String(entry.height));
    assert.match(await text(page, '#quality'), new RegExp(`^${entry.quality} `));
    assert.equal(await page.locator('#models li').count(), names.length);
    const saved = await savedPng(page, downloads);
    const made = names.map((n) => decodeCodecModel(new Uint8Array(readFileSync(join(MODEL_DIR, n))), n)).find((m) => m.hash === entry.modelHash);
    assert.ok(made !== undefined, `${entry.file}: no model with hash ${entry.modelHash}`);
    const img = decodeImage(createCodec(made, { kernels: 'auto' }), bytes);
    console.log(`codec page ${entry.file}: saved PNG ${fnv1a64(saved.bytes)} node ${fnv1a64(encodePng(img.data, img.width, img.height))}`);
    assert.ok(saved.bytes.equals(encodePng(img.data, img.width, img.height)), `${entry.file}: the page's saved PNG differs from Node's`);
    await shot(page, basename(entry.file).replace(/\.fxpc$/, ''));
  });

  await page.close();
  assert.deepEqual(s.browser.errors, []);
});
