/**
 * The codec model folder helpers behind `fxp codec encode|decode|eval|export-c`:
 * quality lists are checked, the present qualities come back in numeric order
 * (q10 after q2), and a missing folder, model or corrupt file is one clear error.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadModel, parseQualities, parseQuality, presentQualities } from '../../src/cli/commands/codec-models.js';

test('parseQuality/parseQualities: integers 1..255, duplicates dropped, the option named in errors', () => {
  assert.equal(parseQuality(' 5 '), 5);
  assert.deepEqual(parseQualities('3,1,3,5'), [3, 1, 5]);
  for (const bad of ['0', '256', '2.5', 'x', '']) assert.throws(() => parseQuality(bad), /--quality must be an integer in 1\.\.255/);
  assert.throws(() => parseQualities('1,,2', '--qualities'), /--qualities must be an integer in 1\.\.255, got ''/);
});

test('presentQualities: every q<Q>.fxpcm, ascending by number; none is an error naming the folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fxp-codec-models-'));
  for (const n of ['q10.fxpcm', 'q2.fxpcm', 'q1.fxpcm', 'q3.onnx', 'notes.txt', 'qx.fxpcm']) writeFileSync(join(dir, n), new Uint8Array(1));
  assert.deepEqual(presentQualities(dir), [1, 2, 10]);
  const empty = mkdtempSync(join(tmpdir(), 'fxp-codec-models-'));
  assert.throws(() => presentQualities(empty), (e: Error) => /no codec models \(q\*\.fxpcm\)/.test(e.message) && e.message.includes(empty));
  assert.throws(() => presentQualities(join(empty, 'missing')), /no codec models/);
});

test('loadModel: a missing quality and a corrupt file are clear errors naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fxp-codec-models-'));
  assert.throws(() => loadModel(dir, 4), (e: Error) => /no codec model for quality 4/.test(e.message) && e.message.includes('q4.fxpcm'));
  writeFileSync(join(dir, 'q2.fxpcm'), new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
  assert.throws(() => loadModel(dir, 2), (e: Error) => e.message.includes('q2.fxpcm'));
});
