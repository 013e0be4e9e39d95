/**
 * Cross-platform identity: the same `.fxp` bytes and integer inputs give the same
 * output integers in Node and in headless Chromium (the library bundle, loaded from
 * a localhost server). The hashes are printed so CI logs show them beside the C
 * harness's (test/web/identity-cases.ts builds the cases for every platform).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { hashTensor } from '../../src/engine/hash.js';
import type { RunnerCase, RunnerResult } from './browser-runner.js';
import { browserSkip, int32Le, withWebSession } from './harness.js';
import { hasShared, identityCases, runCaseInNode, type IdentityCase } from './identity-cases.js';

const skip = browserSkip();
let cases: IdentityCase[] = [];
const nodeHashes = new Map<string, string>();

before(async () => {
  cases = await identityCases();
  for (const c of cases) nodeHashes.set(c.name, hashTensor(runCaseInNode(c)));
});

test('identity cases: generated models and every fixed-point op are covered', () => {
  const names = cases.map((c) => c.name);
  assert.ok(names.includes('fashion-small-w8a8'), names.join(', '));
  assert.equal(new Set(names).size, names.length, 'case names are unique');
  const random = names.filter((n) => n.startsWith('random-'));
  assert.ok(random.length >= 40, `only ${random.length} random cases`);
  if (hasShared()) assert.ok(names.includes('fashion_seq_large-w8a8') && names.includes('lrs-w8a8-kodim05-64'), 'shared models present but not in the cases');
  else console.log('identity: ../shared is absent; fashion_seq_large and LRS cases skipped');
  // Outputs must not be trivially equal: distinct cases give distinct hashes.
  assert.equal(new Set(nodeHashes.values()).size, nodeHashes.size, 'two cases hash alike');
});

test('identity: Node and headless Chromium give byte-identical outputs', { skip, timeout: 180_000 }, async () => {
  await withWebSession(async ({ built, server, browser }) => {
    const runnerCases: RunnerCase[] = cases.map((c) => {
      server.add(`/cases/${c.name}.fxp`, c.fxp);
      return {
        name: c.name,
        fxpUrl: `/cases/${c.name}.fxp`,
        inputs: c.inputs.map((t, i) => {
          const url = `/cases/${c.name}.input${i}.bin`;
          server.add(url, int32Le(t.data));
          return { shape: t.shape, format: t.format, url };
        }),
      };
    });
    const page = await browser.newPage();
    await page.goto(`${server.url}/`);
    const results = (await page.evaluate(`import('/dist/identity-runner.js').then((m) => m.runCases(${JSON.stringify(runnerCases)}))`)) as RunnerResult[];
    const version = browser.context.browser()?.version() ?? (await page.evaluate('navigator.userAgent'));
    console.log(`identity: Node ${process.version}, Chromium ${String(version)}, bundle fxpnet.js ${built.files['fxpnet.js']} bytes`);
    assert.equal(results.length, cases.length);
    for (const r of results) {
      const node = nodeHashes.get(r.name);
      if ('error' in r) assert.fail(`${r.name}: Chromium failed: ${r.error}`);
      const extra = r.name.startsWith('random-') ? '' : `  (Chromium ${r.ms.toFixed(0)} ms)`;
      console.log(`identity ${r.name.padEnd(32)} node ${node}  chromium ${r.hash}  ${node === r.hash ? 'same' : 'DIFFERENT'}${extra}`);
    }
    for (const r of results) assert.ok(!('error' in r) && r.hash === nodeHashes.get(r.name), `${r.name}: Chromium hash differs from Node`);
    assert.deepEqual(browser.errors, []);
  });
});

after(() => {
  // Without Chromium the Node hashes still go to the log, for comparison with the C harness.
  if (skip !== false) for (const [name, h] of nodeHashes) console.log(`identity ${name.padEnd(32)} node ${h}`);
});
