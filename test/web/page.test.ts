/**
 * The demo page (web/index.html) in headless Chromium: a model and an image picked
 * through the page's file inputs give the per-layer formats table, the output, and
 * the same output hash as Node computes from the same files; a corrupt `.fxp` gives
 * a clear error on the page quickly, and the page recovers from it.
 *
 * With FXP_WEB_SCREENSHOTS=DIR the page is also saved as DIR/<case>.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { readImage, writePng, type Uint8Image } from '../../src/data/images.js';
import { cropImage, imagesToTensor } from '../../src/data/preprocess.js';
import { hashTensor } from '../../src/engine/hash.js';
import { createEngine } from '../../src/engine/runtime.js';
import { crc32 } from '../../src/export/crc32.js';
import { decodeFxp } from '../../src/export/fxp-container.js';
import { readIdx } from '../../src/data/idx.js';
import { browserSkip, pickFile as pick, settled, withWebSession } from './harness.js';
import { fashionSmallCases, hasShared, lrsCase, REPO, SHARED_FILES } from './identity-cases.js';

const skip = browserSkip();
const screenshots = process.env.FXP_WEB_SCREENSHOTS;

/** Node's answer for a model file and an image file, through the same steps as `fxp run`. */
async function nodeRun(fxp: Uint8Array, png: string, color: 'gray' | 'rgb'): Promise<{ hash: string; top: number; nodes: number }> {
  const fx = decodeFxp(fxp, 'model.fxp');
  const img = await readImage(png, color);
  const out = createEngine(fx).run([imagesToTensor([img], { layout: fx.inputLayout ?? 'NCHW' })]).outputs;
  const data = out[0]!.data;
  const top = data.indexOf(Math.max(...data));
  return { hash: hashTensor(out), top, nodes: fx.nodes.length };
}

async function errorText(page: Page): Promise<string> {
  return (await page.textContent('#error')) ?? '';
}

/** The file with one byte changed and its CRC recomputed, so the decoder gets past the checksum. */
function patchJson(fxp: Uint8Array, from: string, to: string): Uint8Array {
  assert.equal(from.length, to.length);
  const bytes = fxp.slice();
  const jsonLength = new DataView(bytes.buffer).getUint32(8, true);
  const json = new TextDecoder().decode(bytes.subarray(20, 20 + jsonLength));
  const at = json.indexOf(from);
  assert.ok(at >= 0, `'${from}' not in the JSON section`);
  bytes.set(new TextEncoder().encode(to), 20 + at);
  new DataView(bytes.buffer).setUint32(bytes.length - 4, crc32(bytes, 0, bytes.length - 4), true);
  return bytes;
}

test('demo page in headless Chromium', { skip, timeout: 180_000 }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'fxp-page-'));
  try {
    await withWebSession(async ({ server, browser }) => {
      const page = await browser.newPage();
      await page.setViewportSize({ width: 1200, height: 900 });
      await page.goto(`${server.url}/`);
      assert.equal(await page.evaluate(() => document.body.dataset.state), 'idle');

      const fashion = (await fashionSmallCases())[0]!;
      const images = readIdx(join(REPO, 'examples/fashion-small/t10k-images-idx3-ubyte.gz'));
      const first: Uint8Image = { width: 28, height: 28, channels: 1, data: Uint8Array.from(images.data.subarray(0, 784)) };
      const fashionPng = join(tmp, 'fashion-test-0.png');
      await writePng(fashionPng, first);
      const want = await nodeRun(fashion.fxp, fashionPng, 'gray');

      await t.test('classifier: formats table, class probabilities, Node hash', async () => {
        await pick(page, '#model-file', 'fashion-small.fxp', fashion.fxp, 'application/octet-stream');
        await pick(page, '#image-file', 'fashion-test-0.png', readFileSync(fashionPng), 'image/png');
        assert.equal(await settled(page, 60_000), 'done', await errorText(page));
        const hash = (await page.textContent('#hash')) ?? '';
        const details = (await page.textContent('#run-details')) ?? '';
        console.log(`page fashion-small: chromium page ${hash}  node ${want.hash}  (${details.replace(/^.*; /, '')})`);
        // The test server sends COOP/COEP: the worker runs the WASM kernels on its threads.
        assert.match(details, /WASM SIMD kernels, [1-4] threads?\)$/);
        assert.equal(hash, want.hash);
        assert.equal(await page.locator('#layers tbody tr').count(), want.nodes);
        assert.equal(await page.locator('#classes li').count(), 10);
        assert.equal(await page.locator('#classes li .label').first().textContent(), `class ${want.top}`);
        assert.match((await page.textContent('#run-details')) ?? '', /Web Worker/);
        if (screenshots !== undefined) {
          mkdirSync(screenshots, { recursive: true });
          await page.screenshot({ path: join(screenshots, 'fashion-small.png'), fullPage: true });
        }
    });

    await t.test('corrupt .fxp files: a clear error on the page, quickly, then recovery', async () => {
      const flipped = fashion.fxp.slice();
      flipped[Math.floor(flipped.length / 2)]! ^= 0x10;
      const corrupt: [string, Uint8Array, RegExp][] = [
        ['flipped.fxp', flipped, /corrupt \.fxp file: checksum mismatch.*file 'flipped\.fxp'/],
        ['truncated.fxp', fashion.fxp.subarray(0, 1000), /truncated \.fxp file.*file 'truncated\.fxp'/],
        ['image.fxp', new TextEncoder().encode('\x89PNG not a model'), /not an \.fxp file/],
        ['badop.fxp', patchJson(fashion.fxp, '"op":"Conv"', '"op":"Cxnv"'), /invalid \.fxp file.*Cxnv/],
      ];
      for (const [name, bytes, pattern] of corrupt) {
        const start = Date.now();
        await pick(page, '#model-file', name, bytes, 'application/octet-stream');
        assert.equal(await settled(page, 10_000), 'error', `${name}: no error shown`);
        const text = await errorText(page);
        console.log(`page ${name}: "${text}" after ${Date.now() - start} ms`);
        assert.match(text, pattern);
        assert.ok(await page.isVisible('#error'));
        assert.equal(await page.textContent('#hash'), '', `${name}: a stale hash is still shown`);
      }
      await pick(page, '#model-file', 'fashion-small.fxp', fashion.fxp, 'application/octet-stream');
      assert.equal(await settled(page, 60_000), 'done', await errorText(page));
      assert.equal(await page.textContent('#hash'), want.hash);
      assert.ok(!(await page.isVisible('#error')));
    });

    await t.test('image-to-image: LRS output beside bicubic, Node hash', { skip: hasShared() ? false : 'needs ../shared (LRS model, Kodak images)' }, async () => {
      const lrs = await lrsCase();
      const lr = await readImage(join(SHARED_FILES.kodakLr, 'kodim05.png'), 'rgb');
      const crop = cropImage(lr, Math.floor((lr.width - 64) / 2), Math.floor((lr.height - 64) / 2), 64, 64);
      const png = join(tmp, 'kodim05-64.png');
      await writePng(png, crop);
      const lrsWant = await nodeRun(lrs.fxp, png, 'rgb');
      await pick(page, '#model-file', 'lrs-w8a8.fxp', lrs.fxp, 'application/octet-stream');
      await pick(page, '#image-file', 'kodim05-64.png', readFileSync(png), 'image/png');
      assert.equal(await settled(page, 120_000), 'done', await errorText(page));
      const hash = (await page.textContent('#hash')) ?? '';
      console.log(`page lrs kodim05 64x64: chromium page ${hash}  node ${lrsWant.hash}`);
      assert.equal(hash, lrsWant.hash);
      for (const id of ['#output-canvas', '#bicubic-canvas']) {
        assert.deepEqual(await page.evaluate((s) => { const c = document.querySelector(s) as HTMLCanvasElement; return [c.width, c.height]; }, id), [96, 96], id);
      }
      if (screenshots !== undefined) await page.screenshot({ path: join(screenshots, 'lrs.png'), fullPage: true });
    });
    assert.deepEqual(browser.errors, []);
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
