/**
 * The third platform of the identity check: the same identity cases (the same
 * .fxp bytes and integer inputs as the Node/Chromium test) through the generated
 * C, compiled with gcc. Prints one line per case, so CI logs show the Node,
 * Chromium (identity.test.ts) and C hashes of each case side by side.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashTensor } from '../../src/engine/hash.js';
import { generateC } from '../../src/export/c/generate.js';
import { decodeFxp } from '../../src/export/fxp-file.js';
import { buildHarness, COMPILERS, runHarness, tempDir } from '../export/c-tools.js';
import { identityCases, runCaseInNode } from './identity-cases.js';

const cc = COMPILERS.includes('gcc') ? 'gcc' : COMPILERS[0];

test('identity: the generated C gives the same output hash as Node', { skip: cc === undefined ? 'needs gcc or clang on PATH' : false, timeout: 300_000 }, async () => {
  const cases = await identityCases({ skipRandom: true });
  for (const c of cases) {
    const node = hashTensor(runCaseInNode(c));
    const fx = decodeFxp(c.fxp, `${c.name}.fxp`);
    const gen = generateC(fx, { name: c.name.replace(/[^A-Za-z0-9_]/g, '_'), inputShapes: c.inputs.map((t) => t.shape) });
    const exe = await buildHarness(cc!, tempDir('identity-c'), gen);
    const r = runHarness(exe, c.inputs.map((t) => t.data));
    assert.equal(r.status, 0, `${c.name}: harness failed: ${r.stderr}`);
    console.log(`identity ${c.name.padEnd(32)} node ${node}  c(${cc}) ${r.hash}  ${node === r.hash ? 'same' : 'DIFFERENT'}`);
    assert.equal(r.hash, node, `${c.name}: C hash differs from Node`);
  }
});
