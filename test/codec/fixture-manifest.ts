/**
 * test/fixtures/codec/manifest.json: the committed cross-platform codec fixtures
 * (written by scripts/codec/make-fixtures.ts), read by the C and Chromium identity
 * tests.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

/** One row of the manifest. */
export interface FixtureEntry {
  readonly file: string;
  readonly quality: number;
  readonly width: number;
  readonly height: number;
  readonly modelHash: string;
  /** fnv1a64 (hex) of the Node decoder's interleaved RGB bytes. */
  readonly rgbFnv1a64: string;
}

function isEntry(v: unknown): v is FixtureEntry {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  const int = (x: unknown): boolean => typeof x === 'number' && Number.isInteger(x);
  return typeof o.file === 'string' && int(o.quality) && int(o.width) && int(o.height) && typeof o.modelHash === 'string' && typeof o.rgbFnv1a64 === 'string';
}

/** The manifest's rows; fails the test on anything else, or on fewer than `min` rows. */
export function readFixtureManifest(path: string, min = 1): FixtureEntry[] {
  const rows: unknown = JSON.parse(readFileSync(path, 'utf8'));
  assert.ok(Array.isArray(rows) && rows.length >= min, `${path}: want an array of at least ${min} fixtures`);
  return rows.map((r: unknown, i) => {
    assert.ok(isEntry(r), `${path}[${i}]: want {file, quality, width, height, modelHash, rgbFnv1a64} with integer sizes`);
    return r;
  });
}
