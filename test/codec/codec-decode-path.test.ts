/**
 * The decoder must give the same bits on every machine, so its code path has no
 * float math: no Math.exp/log/sqrt/pow (their last bits differ between engines),
 * no erf, no float arrays, no division. This reads the decode-path sources and
 * checks them (whole files, or the decoding functions of files that also hold
 * export-time code). The integer engine has its own tests.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const FORBIDDEN = /Math\.(exp|expm1|log|log2|log10|log1p|sqrt|cbrt|pow|hypot|sin|cos|tan|atan|atan2|fround|random)\b|\berfc?\s*\(|normalCdf|normalQuantile|Float(32|64)Array|parseFloat/;
/** a / b between operands (comments and strings removed first). */
const DIVISION = /[\w)\]]\s*\/\s*[\w(]/;

function strip(src: string): string {
  return src
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .replace(/`[^`]*`/g, '``')
    .replace(/'[^'\n]*'/g, "''");
}

/**
 * From the line starting with `start` to the first following line that is exactly
 * "}" (one declaration), or to the end of the file for a '// ---' section marker.
 */
function block(file: string, start: string): string {
  const src = readFileSync(file, 'utf8');
  const i = src.indexOf(start);
  assert.ok(i >= 0, `${start} not found in ${file}`);
  if (start.startsWith('// ---')) return src.slice(i);
  const end = src.indexOf('\n}\n', i);
  return src.slice(i, end < 0 ? undefined : end + 2);
}

const WHOLE = ['src/codec/codec.ts', 'src/codec/latents.ts', 'src/codec/subpixel.ts', 'src/codec/tables.ts', 'src/codec/bitstream.ts'];
const PARTS: [string, string][] = [
  ['src/codec/rans.ts', 'export class RansDecoder'],
  ['src/codec/symbols.ts', 'export function decodeSymbols'],
  ['src/codec/scale-index.ts', 'export function scaleIndex'],
  ['src/codec/scale-index.ts', 'export function validateScaleThresholds'],
  ['src/codec/cdf.ts', 'export function validateCdf'],
  ['src/codec/model-file.ts', '// --- decoding ---'],
];

test('the decode path has no float math and no division', () => {
  const sources: [string, string][] = [...WHOLE.map((f): [string, string] => [f, readFileSync(f, 'utf8')]), ...PARTS.map(([f, s]): [string, string] => [`${f}: ${s}`, block(f, s)])];
  for (const [name, src] of sources) {
    const code = strip(src);
    const lines = code.split('\n');
    lines.forEach((line, i) => {
      assert.doesNotMatch(line, FORBIDDEN, `${name} line ${i + 1}: ${line.trim()}`);
      assert.doesNotMatch(line, DIVISION, `${name} line ${i + 1}: ${line.trim()}`);
    });
  }
});

test('the checker catches what it looks for', () => {
  assert.match(strip('const a = Math.exp(x);'), FORBIDDEN);
  assert.match(strip('const a = b / c;'), DIVISION);
  assert.doesNotMatch(strip('// a / b\nconst s = x >> 2;'), DIVISION);
});
