/**
 * What the browser tests share: the bundle built into a temporary folder, a
 * localhost HTTP server (the demo page, the bundle, in-memory test files), and
 * Debian's headless Chromium driven by playwright-core with the flags CI uses.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web.js';
import { REPO } from './identity-cases.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A skip message when the browser tests cannot run here, else false. */
export function browserSkip(): string | false {
  if (!existsSync(CHROMIUM)) return `needs ${CHROMIUM} (Debian: apt-get install chromium)`;
  try {
    createRequire(import.meta.url).resolve('playwright-core');
  } catch {
    return 'needs the playwright-core package (npm install)';
  }
  return false;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.png': 'image/png',
};

export interface TestServer {
  readonly url: string;
  /**
   * Whether responses carry COOP: same-origin and COEP: require-corp (default true):
   * pages are then cross-origin isolated, with shared WASM memory. Set false to test
   * the fallback (reference kernels); it applies to pages loaded afterwards.
   */
  isolated: boolean;
  /** Serves `body` at `path` (e.g. '/cases/x.fxp'). */
  add(path: string, body: Uint8Array | string, type?: string): void;
  close(): Promise<void>;
}

/** The headers that make a page (and its workers) cross-origin isolated. */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};

/**
 * Serves the demo (/ and /style.css from web/), the built bundle (/dist/NAME from
 * `distDir`) and whatever `add` registers; everything else is 404. 127.0.0.1, a free port.
 * Every response carries ISOLATION_HEADERS while `isolated`.
 */
export async function startServer(distDir: string): Promise<TestServer> {
  const files = new Map<string, { body: Uint8Array | string; type: string }>();
  const state = { isolated: true };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    let file = files.get(path);
    if (file === undefined) {
      const disk =
        path === '/' ? join(REPO, 'web/index.html')
        : path === '/style.css' ? join(REPO, 'web/style.css')
        : path.startsWith('/dist/') && basename(path) === path.slice(6) ? join(distDir, path.slice(6))
        : undefined;
      if (disk !== undefined && existsSync(disk)) file = { body: readFileSync(disk), type: TYPES[extname(disk)] ?? 'application/octet-stream' };
    }
    if (file === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store', ...(state.isolated ? ISOLATION_HEADERS : {}) }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get isolated() {
      return state.isolated;
    },
    set isolated(v: boolean) {
      state.isolated = v;
    },
    add(path, body, type) {
      files.set(path, { body, type: type ?? TYPES[extname(path)] ?? 'application/octet-stream' });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface Built {
  readonly distDir: string;
  readonly files: Record<string, number>;
  dispose(): void;
}

/** Builds fxpnet.js, app.js, worker.js and the identity runner into a fresh temporary folder. */
export async function buildForTests(): Promise<Built> {
  const distDir = mkdtempSync(join(tmpdir(), 'fxp-web-dist-'));
  const report = await buildWeb({ outDir: distDir, extraEntries: { 'identity-runner': join(REPO, 'test/web/browser-runner.ts') } });
  return { distDir, files: report.files, dispose: () => rmSync(distDir, { recursive: true, force: true }) };
}

export interface Browser {
  readonly context: BrowserContext;
  /** A new page; page errors and console errors are collected in `errors`. */
  newPage(): Promise<Page>;
  readonly errors: string[];
  close(): Promise<void>;
}

/** Chromium with CI's flags and a fresh profile folder (removed on close). */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'fxp-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const errors: string[] = [];
  return {
    context,
    errors,
    async newPage() {
      const page = await context.newPage();
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console: ${m.text()}`);
      });
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** int32 little-endian bytes. */
export function int32Le(data: Int32Array): Uint8Array {
  const out = new Uint8Array(4 * data.length);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setInt32(4 * i, data[i]!, true);
  return out;
}

export interface WebSession {
  readonly built: Built;
  readonly server: TestServer;
  readonly browser: Browser;
}

/** Builds, serves and launches Chromium for `fn`; everything is torn down afterwards, whatever fails. */
export async function withWebSession<T>(fn: (s: WebSession) => Promise<T>): Promise<T> {
  const built = await buildForTests();
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  try {
    server = await startServer(built.distDir);
    browser = await launchChromium();
    return await fn({ built, server, browser });
  } finally {
    await browser?.close();
    await server?.close();
    built.dispose();
  }
}

/** Waits until the page (index.html or codec.html) reports 'done' or 'error' in body[data-state], and returns which. */
export async function settled(page: Page, timeout: number): Promise<string> {
  await page.waitForFunction(() => document.body.dataset.state === 'done' || document.body.dataset.state === 'error', undefined, { timeout });
  return page.evaluate(() => document.body.dataset.state ?? '');
}

/**
 * Picks a file in the input `selector`. The previous pick's state ('done' or
 * 'error') stays set until the page handles the change event, so it is cleared
 * first: settled() then waits for this pick's outcome instead of returning the last one.
 */
export async function pickFile(page: Page, selector: string, name: string, bytes: Uint8Array, mimeType = 'application/octet-stream'): Promise<void> {
  await page.evaluate(() => {
    document.body.dataset.state = 'picking';
  });
  await page.setInputFiles(selector, { name, mimeType, buffer: Buffer.from(bytes) });
}
