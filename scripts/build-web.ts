/**
 * Builds the browser bundle and the demo page's scripts with esbuild:
 *
 *   web/dist/fxpnet.js   the library (src/browser.ts), one ES module, no dependencies,
 *                        kernels.wasm inlined
 *   web/dist/app.js      the demo page (web/src/app.ts)
 *   web/dist/worker.js   the demo's inference worker (web/src/worker.ts, a module worker)
 *   web/dist/codec-app.js, codec-worker.js   the codec decode page (web/codec.html) and its worker
 *
 * The page scripts import the library as './fxpnet.js' at run time instead of
 * bundling a copy, so the page exercises exactly the bundle users get.
 *
 * Usage: tsx scripts/build-web.ts [--out DIR] [--minify]   (default out: web/dist)
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Modules the library imports only on Node-only paths: sharp and node:fs in
 * src/data/images.ts (the browser entry uses only its pure checkImage), node:fs
 * and node:worker_threads in the thread pool (Web Workers replace it in browsers;
 * the kernel bytes come inlined, see inlineKernels).
 * The browser build replaces them with a module whose every member throws, so a
 * Node-only path reached in a browser fails loudly instead of half-working.
 */
const NODE_ONLY = /^(sharp|node:.+)$/;

const nodeOnlyStubs: Plugin = {
  name: 'node-only-stubs',
  setup(b) {
    b.onResolve({ filter: NODE_ONLY }, (args) => ({ path: args.path, namespace: 'node-only' }));
    b.onLoad({ filter: /.*/, namespace: 'node-only' }, (args) => ({
      loader: 'js',
      contents: `const fail = (k) => () => { throw new Error(${JSON.stringify(args.path)} + (k ? '.' + k : '') + ' is not available in the browser'); };
module.exports = new Proxy(fail(''), { get: (_, k) => (typeof k === 'string' && k !== '__esModule' ? fail(k) : undefined) });`,
    }));
  },
};

/**
 * The WASM kernel bytes: src/engine/kernels/wasm/kernel-bytes.ts reads kernels.wasm
 * with node:fs; in the bundle it is a module holding the same bytes (esbuild's
 * binary loader, base64 in the source: ~36 KB), so the loader stays synchronous and
 * needs no URL. Feature detection (loader.ts) decides at run time whether they run.
 */
const inlineKernels: Plugin = {
  name: 'inline-kernels',
  setup(b) {
    b.onResolve({ filter: /\/kernel-bytes\.js$/ }, (args) => ({ path: join(args.resolveDir, 'kernel-bytes.ts'), namespace: 'kernel-bytes' }));
    b.onLoad({ filter: /.*/, namespace: 'kernel-bytes' }, (args) => ({
      loader: 'js',
      resolveDir: dirname(args.path),
      contents: `import bytes from './kernels.wasm';
export const WASM_URL = undefined;
export function kernelBytes() { return bytes; }`,
    }));
  },
};

/** The demo's imports of the library resolve to the bundle, loaded beside it. */
const libraryExternal: Plugin = {
  name: 'library-external',
  setup(b) {
    b.onResolve({ filter: /\/src\/browser\.js$/ }, () => ({ path: './fxpnet.js', external: true }));
  },
};

export interface WebBuildOptions {
  /** Output folder (default web/dist). */
  readonly outDir?: string;
  readonly minify?: boolean;
  /** More page-side entries (output name to source path), built like app.js (tests use it). */
  readonly extraEntries?: Readonly<Record<string, string>>;
}

export interface WebBuildReport {
  readonly outDir: string;
  /** Output file name to size in bytes. */
  readonly files: Record<string, number>;
}

function common(minify: boolean): BuildOptions {
  return {
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'silent',
    legalComments: 'none',
  };
}

function sizes(meta: Metafile | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [file, info] of Object.entries(meta?.outputs ?? {})) {
    if (!file.endsWith('.map')) out[file.slice(file.lastIndexOf('/') + 1)] = info.bytes;
  }
  return out;
}

export async function buildWeb(opts: WebBuildOptions = {}): Promise<WebBuildReport> {
  const outDir = resolve(opts.outDir ?? join(root, 'web/dist'));
  const minify = opts.minify ?? false;
  const lib = await build({
    ...common(minify),
    entryPoints: { fxpnet: join(root, 'src/browser.ts') },
    outdir: outDir,
    loader: { '.wasm': 'binary' },
    plugins: [inlineKernels, nodeOnlyStubs],
  });
  const app = await build({
    ...common(minify),
    entryPoints: {
      app: join(root, 'web/src/app.ts'),
      worker: join(root, 'web/src/worker.ts'),
      'codec-app': join(root, 'web/src/codec-app.ts'),
      'codec-worker': join(root, 'web/src/codec-worker.ts'),
      ...opts.extraEntries,
    },
    outdir: outDir,
    plugins: [libraryExternal],
  });
  return { outDir, files: { ...sizes(lib.metafile), ...sizes(app.metafile) } };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--out');
  const outDir = at >= 0 ? args[at + 1] : undefined;
  const report = await buildWeb({ outDir, minify: args.includes('--minify') });
  for (const [file, bytes] of Object.entries(report.files)) process.stdout.write(`${join(report.outDir, file)}  ${bytes.toLocaleString('en-US')} bytes\n`);
}
