/**
 * The browser bundle without a browser: web/dist/fxpnet.js (built into a temporary
 * folder) must build, reach no Node module, and, loaded as a plain ES module,
 * reproduce the Node engine's hash. Runs where Chromium is absent too.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { hashTensor } from '../../src/engine/hash.js';
import { buildForTests } from './harness.js';
import { fashionSmallCases, runCaseInNode } from './identity-cases.js';

type Library = typeof import('../../src/browser.js');

test('the library bundle builds, imports no Node module, and gives the Node hash', async () => {
  const built = await buildForTests();
  try {
    for (const f of ['fxpnet.js', 'app.js', 'worker.js']) assert.ok((built.files[f] ?? 0) > 1000, `${f} built`);
    const source = readFileSync(join(built.distDir, 'fxpnet.js'), 'utf8');
    assert.doesNotMatch(source, /^import .* from ["'](node:|sharp)/m, 'the bundle imports a Node module');
    assert.doesNotMatch(readFileSync(join(built.distDir, 'app.js'), 'utf8'), /from ["'](?!\.\/fxpnet\.js)/, 'app.js imports only ./fxpnet.js');
    const lib = (await import(pathToFileURL(join(built.distDir, 'fxpnet.js')).href)) as Library;
    const c = (await fashionSmallCases())[0]!;
    const out = lib.createEngine(lib.decodeFxp(c.fxp, 'fashion.fxp')).run(c.inputs).outputs;
    assert.equal(lib.hashTensor(out), hashTensor(runCaseInNode(c)));
    assert.throws(() => lib.decodeFxp(new Uint8Array(10), 'x.fxp'), (e: unknown) => e instanceof lib.FxpError && /not an \.fxp file/.test(e.message));
  } finally {
    built.dispose();
  }
});
