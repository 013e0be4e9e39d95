import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FxpError } from '../../src/errors.js';
import { listImages, readImage, writePng, type Uint8Image } from '../../src/data/images.js';

const dir = mkdtempSync(join(tmpdir(), 'fxp-img-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function pattern(width: number, height: number, channels: 1 | 3): Uint8Image {
  const data = Uint8Array.from({ length: width * height * channels }, (_, i) => (i * 37 + (i >> 5)) & 255);
  return { width, height, channels, data };
}

async function rejectsNaming(p: Promise<unknown>, file: string, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof FxpError, `expected FxpError, got ${String(err)}`);
    assert.equal(err.file, file);
    assert.match(err.message, pattern);
    assert.doesNotMatch(err.message, /\n\s+at /, 'no stack trace in the message');
    return true;
  });
}

describe('images', () => {
  it('round-trips RGB and gray PNGs losslessly', async () => {
    for (const channels of [3, 1] as const) {
      const img = pattern(7, 5, channels);
      const path = join(dir, `rt${channels}.png`);
      await writePng(path, img);
      const back = await readImage(path);
      assert.deepEqual([back.width, back.height, back.channels], [7, 5, channels]);
      assert.deepEqual(Array.from(back.data), Array.from(img.data));
    }
  });

  it('converts gray to RGB and RGB to gray on request', async () => {
    const path = join(dir, 'g.png');
    await writePng(path, { width: 2, height: 1, channels: 1, data: Uint8Array.from([10, 200]) });
    const rgb = await readImage(path, 'rgb');
    assert.equal(rgb.channels, 3);
    assert.deepEqual(Array.from(rgb.data), [10, 10, 10, 200, 200, 200]);
    const rgbPath = join(dir, 'c.png');
    await writePng(rgbPath, { width: 1, height: 1, channels: 3, data: Uint8Array.from([90, 90, 90]) });
    const gray = await readImage(rgbPath, 'gray');
    assert.equal(gray.channels, 1);
    assert.equal(gray.data.length, 1);
    assert.ok(Math.abs(gray.data[0]! - 90) <= 1, `gray of (90,90,90) is ${gray.data[0]}`);
  });

  it('rejects corrupt, truncated and missing files with an FxpError naming them', async () => {
    const garbage = join(dir, 'garbage.png');
    writeFileSync(garbage, 'not an image at all');
    await rejectsNaming(readImage(garbage), garbage, /cannot read image: .*unsupported image format/);
    const good = join(dir, 'big.png');
    await writePng(good, pattern(64, 64, 3));
    const bytes = readFileSync(good);
    const cut = join(dir, 'cut.png');
    writeFileSync(cut, bytes.subarray(0, bytes.length >> 1));
    await rejectsNaming(readImage(cut), cut, /cannot read image/);
    const missing = join(dir, 'missing.png');
    await rejectsNaming(readImage(missing), missing, /cannot read image/);
  });

  it('refuses to write an image whose data does not match its size', async () => {
    await assert.rejects(writePng(join(dir, 'x.png'), { width: 2, height: 2, channels: 3, data: new Uint8Array(11) }), FxpError);
  });

  it('lists png/jpg/jpeg files sorted by name', () => {
    const sub = mkdtempSync(join(dir, 'list-'));
    for (const n of ['b.png', 'a.JPG', 'c.jpeg', 'notes.txt', 'a0.png']) writeFileSync(join(sub, n), '');
    assert.deepEqual(listImages(sub), ['a.JPG', 'a0.png', 'b.png', 'c.jpeg'].map((n) => join(sub, n)));
    assert.throws(() => listImages(join(dir, 'no-such-dir')), FxpError);
  });
});
