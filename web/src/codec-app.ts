/**
 * The codec decode page (web/codec.html): pick or drop one or more `.fxpcm` codec
 * models and a `.fxpc` bitstream; the page decodes it with the integer-only
 * decoder (in a Web Worker where there is one), draws the image and shows its
 * size, quality, rate, decode time and the FNV-1a 64 hash of its RGB bytes: the
 * hash the Node decoder and the generated C give for the same bitstream. "Save
 * PNG" saves encodePng (src/codec/png.ts) of the decoded pixels: the same bytes
 * as `fxp codec decode -o x.png` and the C decoder's x.png, not the canvas's PNG.
 *
 * URL form, for links and tests: codec.html?model=URL[&model=URL...]&fxpc=URL
 * (a `model` value may also list URLs separated by commas), resolved against the page.
 *
 * Page state for tests and scripts: body[data-state] is idle | loading | ready |
 * decoding | done | error; #error holds the message of the last failure.
 */
import { encodePng } from '../../src/browser.js';
import { createCodecBackend } from './codec-backend.js';
import type { CodecModelInfo, DecodeResult } from './codec-protocol.js';
import { drawImage } from './image.js';
import { byId, el, formatBytes } from './view.js';

type State = 'idle' | 'loading' | 'ready' | 'decoding' | 'done' | 'error';

interface Named {
  readonly name: string;
  readonly bytes: Uint8Array;
}

const ui = {
  modelFiles: byId('model-files', HTMLInputElement),
  fxpcFile: byId('fxpc-file', HTMLInputElement),
  drop: byId('drop', HTMLElement),
  status: byId('status', HTMLElement),
  error: byId('error', HTMLElement),
  models: byId('models', HTMLUListElement),
  result: byId('result', HTMLElement),
  canvas: byId('codec-canvas', HTMLCanvasElement),
  save: byId('save-png', HTMLButtonElement),
  facts: {
    file: byId('fxpc-name', HTMLElement),
    width: byId('width', HTMLElement),
    height: byId('height', HTMLElement),
    quality: byId('quality', HTMLElement),
    bpp: byId('bpp', HTMLElement),
    bytes: byId('fxpc-bytes', HTMLElement),
    ms: byId('decode-ms', HTMLElement),
    kernels: byId('kernels', HTMLElement),
    hash: byId('hash', HTMLElement),
  },
};

const backend = createCodecBackend(new URL('./codec-worker.js', import.meta.url));
/** Loaded models by hash (a model loaded again replaces itself). */
const models = new Map<string, CodecModelInfo>();
/** Model loads in flight: a decode waits for them, so it sees every model picked before it. */
const loading = new Set<Promise<unknown>>();
let stream: Named | undefined;
let shown: DecodeResult | undefined;
/** Bumped by every pick: a late answer to an older pick is dropped. */
let generation = 0;

function setState(state: State, message: string): void {
  document.body.dataset.state = state;
  ui.status.textContent = message;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function showError(text: string): void {
  ui.error.textContent = text;
  ui.error.hidden = false;
  setState('error', 'error');
}

function clearResult(): void {
  ui.error.hidden = true;
  ui.error.textContent = '';
  ui.result.hidden = true;
  ui.save.disabled = true;
  shown = undefined;
  for (const e of Object.values(ui.facts)) e.textContent = '';
}

function renderModels(): void {
  const sorted = [...models.values()].sort((a, b) => a.quality - b.quality || a.file.localeCompare(b.file));
  ui.models.replaceChildren(...sorted.map((m) => el('li', {}, `q${m.quality} ${m.modelId} `, el('code', {}, m.hash), ` (${m.file}, ${formatBytes(m.bytes)})`)));
}

function showResult(r: DecodeResult): void {
  drawImage(ui.canvas, { width: r.width, height: r.height, channels: 3, data: r.rgb });
  const f = ui.facts;
  f.file.textContent = r.file;
  f.width.textContent = String(r.width);
  f.height.textContent = String(r.height);
  f.quality.textContent = `${r.quality} (model ${r.modelId} ${r.modelHash})`;
  f.bpp.textContent = r.bpp.toFixed(4);
  f.bytes.textContent = r.bytes.toLocaleString('en-US');
  f.ms.textContent = r.ms.toFixed(1);
  f.kernels.textContent = `${r.kernels}, ${backend.kind}`;
  f.hash.textContent = r.hash;
  ui.result.hidden = false;
  ui.save.disabled = false;
  shown = r;
}

async function loadModel(m: Named): Promise<void> {
  const p = backend.load(m.bytes, m.name);
  loading.add(p);
  try {
    const info = await p;
    models.set(info.hash, info);
    renderModels();
  } finally {
    loading.delete(p);
  }
}

async function decodeIfReady(gen: number): Promise<void> {
  await Promise.allSettled([...loading]);
  if (gen !== generation) return;
  const s = stream;
  if (s === undefined) {
    setState(models.size === 0 ? 'idle' : 'ready', models.size === 0 ? 'pick .fxpcm models and a .fxpc bitstream' : `${models.size} model(s) loaded; now pick a .fxpc bitstream`);
    return;
  }
  if (models.size === 0) {
    setState('idle', `bitstream ${s.name} picked; now pick the .fxpcm model(s)`);
    return;
  }
  setState('decoding', `decoding ${s.name} (${backend.kind}) ...`);
  const r = await backend.decode(s.bytes, s.name);
  if (gen !== generation) return;
  showResult(r);
  setState('done', 'done');
}

/** Loads the models, then decodes the bitstream picked last (this one or an earlier one). */
async function open(modelFiles: readonly Named[], streamFile: Named | undefined): Promise<void> {
  const gen = ++generation;
  clearResult();
  if (streamFile !== undefined) stream = streamFile;
  try {
    if (modelFiles.length > 0) setState('loading', `loading ${modelFiles.map((m) => m.name).join(', ')} ...`);
    await Promise.all(modelFiles.map(loadModel));
    await decodeIfReady(gen);
  } catch (err) {
    if (gen === generation) showError(message(err));
  }
}

async function named(f: File): Promise<Named> {
  return { name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) };
}

async function route(files: ArrayLike<File>): Promise<void> {
  const list = Array.from(files);
  const lower = (f: File): string => f.name.toLowerCase();
  const other = list.filter((f) => !lower(f).endsWith('.fxpcm') && !lower(f).endsWith('.fxpc'));
  if (other.length > 0) {
    showError(`not a codec file: ${other.map((f) => `'${f.name}'`).join(', ')} (models end in .fxpcm, bitstreams in .fxpc)`);
    return;
  }
  const streams = list.filter((f) => lower(f).endsWith('.fxpc'));
  const last = streams[streams.length - 1];
  await open(await Promise.all(list.filter((f) => lower(f).endsWith('.fxpcm')).map(named)), last === undefined ? undefined : await named(last));
}

async function fetchNamed(url: string): Promise<Named> {
  const abs = new URL(url, document.baseURI);
  const res = await fetch(abs);
  if (!res.ok) throw new Error(`cannot fetch ${abs.href}: HTTP ${res.status}`);
  const name = decodeURIComponent(abs.pathname.slice(abs.pathname.lastIndexOf('/') + 1)) || abs.href;
  return { name, bytes: new Uint8Array(await res.arrayBuffer()) };
}

/** codec.html?model=...&fxpc=...: fetches the files and opens them as if picked. */
async function openFromUrl(params: URLSearchParams): Promise<void> {
  const modelUrls = params.getAll('model').flatMap((v) => v.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  const fxpc = params.get('fxpc') ?? undefined;
  if (modelUrls.length === 0 && fxpc === undefined) return;
  const gen = ++generation;
  setState('loading', 'fetching the files named in the address ...');
  try {
    const [fetched, streamFile] = await Promise.all([Promise.all(modelUrls.map(fetchNamed)), fxpc === undefined ? undefined : fetchNamed(fxpc)]);
    if (gen === generation) await open(fetched, streamFile);
  } catch (err) {
    if (gen === generation) showError(message(err));
  }
}

function savePng(): void {
  const r = shown;
  if (r === undefined) return;
  let png: Uint8Array<ArrayBuffer>;
  try {
    png = encodePng(r.rgb, r.width, r.height);
  } catch (err) {
    showError(message(err));
    return;
  }
  const a = el('a', { href: URL.createObjectURL(new Blob([png], { type: 'image/png' })), download: `${r.file.replace(/\.fxpc$/i, '')}.png` });
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
}

ui.modelFiles.addEventListener('change', () => void route(ui.modelFiles.files ?? []));
ui.fxpcFile.addEventListener('change', () => void route(ui.fxpcFile.files ?? []));
ui.save.addEventListener('click', savePng);
ui.drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  ui.drop.classList.add('over');
});
ui.drop.addEventListener('dragleave', () => ui.drop.classList.remove('over'));
ui.drop.addEventListener('drop', (e) => {
  e.preventDefault();
  ui.drop.classList.remove('over');
  void route(e.dataTransfer?.files ?? []);
});
clearResult();
setState('idle', 'pick .fxpcm models and a .fxpc bitstream');
void openFromUrl(new URLSearchParams(location.search));
