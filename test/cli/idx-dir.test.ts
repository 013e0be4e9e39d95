/**
 * isIdxDir decides whether a data path is an IDX folder (classifier data) or image
 * files. A path to one image file used to throw ENOTDIR from readdirSync, which
 * surfaced as an internal error in `fxp search`/`pareto` with `--search a.png b.png`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isIdxDir } from '../../src/cli/commands/eval.js';
import { isClassifierData } from '../../src/cli/commands/search.js';

test('isIdxDir: IDX folders only; image files, other folders and missing paths are not', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fxp-idx-'));
  const images = mkdtempSync(join(tmpdir(), 'fxp-img-'));
  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), new Uint8Array(4));
  const png = join(images, 'a.png');
  writeFileSync(png, new Uint8Array(8));
  assert.equal(isIdxDir(dir), true);
  assert.equal(isIdxDir(images), false);
  assert.equal(isIdxDir(png), false);
  assert.equal(isIdxDir(join(images, 'missing')), false);
  assert.equal(isClassifierData({ kind: 'float' } as never, { search: [png] }), false);
  assert.equal(isClassifierData({ kind: 'float' } as never, { calib: [dir] }), true);
});
