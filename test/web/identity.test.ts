/**
 * Cross-platform identity: the same `.fxp` bytes and integer inputs give the same
 * output integers in Node and in headless Chromium (the library bundle, loaded from
 * a localhost server). The hashes are printed so CI logs show them beside the C
 * harness's (test/web/identity-cases.ts builds the cases for every platform).
 *
 * In Chromium every case runs three ways on a cross-origin-isolated page (the
 * test server sends COOP/COEP): reference kernels on the page thread, WASM kernels
 * on one thread in a Web Worker, and on two threads (a Web Worker plus a kernel
 * worker, every job split); all must give Node's reference-kernel hash. One case
 * runs on a page without isolation, where 'auto' falls back to the reference.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { hashTensor } from '../../src/engine/hash.js';
import type { RunnerCase, RunnerKernels, RunnerReport } from './browser-runner.js';
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

/** The page's script: run `cases` with `mode`, on the page or in a module worker. */
function runnerCall(cases: readonly RunnerCase[], mode: RunnerKernels, where: 'page' | 'worker'): string {
  const fn = where === 'page' ? 'runCases' : 'runCasesInWorker';
  return `import('/dist/identity-runner.js').then((m) => m.${fn}(${JSON.stringify(cases)}, ${JSON.stringify(mode)}))`;
}

test('identity: Node and headless Chromium give byte-identical outputs (reference kernels, WASM 1 and 2 threads)', { skip, timeout: 180_000 }, async () => {
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
    assert.equal(await page.evaluate('crossOriginIsolated'), true, 'the test server must make the page cross-origin isolated');
    const version = browser.context.browser()?.version() ?? (await page.evaluate('navigator.userAgent'));
    console.log(`identity: Node ${process.version}, Chromium ${String(version)}, bundle fxpnet.js ${built.files['fxpnet.js']} bytes, hardwareConcurrency ${String(await page.evaluate('navigator.hardwareConcurrency'))}`);
    const runs: [string, RunnerKernels, 'page' | 'worker', number][] = [
      ['reference kernels, page thread', { kernels: 'ref' }, 'page', 0],
      ['WASM kernels, 1 thread, Web Worker', { kernels: 'wasm', threads: 1 }, 'worker', 1],
      ['WASM kernels, 2 threads (every job split), Web Worker + 1 kernel worker', { kernels: 'wasm', threads: 2, splitAll: true }, 'worker', 2],
    ];
    for (const [label, mode, where, threads] of runs) {
      const report = (await page.evaluate(runnerCall(runnerCases, mode, where))) as RunnerReport;
      console.log(`identity run: ${label}: chromium ran ${report.kernels}, ${report.wasmCalls} WASM kernel calls`);
      assert.equal(report.threads, threads, `${label}: ${report.kernels}`);
      if (threads > 0) assert.ok(report.wasmCalls > cases.length, `${label}: the WASM kernels were not used (${report.wasmCalls} calls)`);
      assert.equal(report.results.length, cases.length);
      for (const r of report.results) {
        const node = nodeHashes.get(r.name);
        if ('error' in r) assert.fail(`${r.name}: Chromium (${report.kernels}) failed: ${r.error}`);
        const extra = r.name.startsWith('random-') ? '' : `  (Chromium ${r.ms.toFixed(0)} ms)`;
        console.log(`identity ${r.name.padEnd(32)} node ${node}  chromium ${r.hash}  ${node === r.hash ? 'same' : 'DIFFERENT'}  [${report.kernels}]${extra}`);
      }
      for (const r of report.results) assert.ok(!('error' in r) && r.hash === nodeHashes.get(r.name), `${r.name}: Chromium (${report.kernels}) hash differs from Node`);
    }
    await page.close();

    // Without COOP/COEP: no shared memory, so 'auto' falls back to the reference kernels, same integers.
    server.isolated = false;
    const plain = await browser.newPage();
    await plain.goto(`${server.url}/`);
    assert.equal(await plain.evaluate('crossOriginIsolated'), false);
    const one = runnerCases.filter((c) => c.name === 'fashion-small-w8a8');
    const fallback = (await plain.evaluate(runnerCall(one, { kernels: 'auto' }, 'worker'))) as RunnerReport;
    const r = fallback.results[0];
    assert.ok(r !== undefined && !('error' in r), JSON.stringify(fallback));
    console.log(`identity ${r.name.padEnd(32)} node ${nodeHashes.get(r.name)}  chromium ${r.hash}  [not isolated, ${fallback.kernels}]`);
    assert.match(fallback.kernels, /^auto: reference \(the page is not cross-origin isolated/);
    assert.equal(r.hash, nodeHashes.get(r.name));
    const wasm = (await plain.evaluate(runnerCall(one, { kernels: 'wasm', threads: 2 }, 'worker'))) as RunnerReport;
    assert.match(wasm.kernels, /^no WASM: the page is not cross-origin isolated/);
    await plain.close();
    server.isolated = true;
    assert.deepEqual(browser.errors, []);
  });
});

after(() => {
  // Without Chromium the Node hashes still go to the log, for comparison with the C harness.
  if (skip !== false) for (const [name, h] of nodeHashes) console.log(`identity ${name.padEnd(32)} node ${h}`);
});
