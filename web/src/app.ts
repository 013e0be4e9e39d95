/**
 * The fxpnet demo page: pick or drop a `.fxp` model and an image; the page shows
 * the per-layer formats, runs the integer engine (in a Web Worker where there is
 * one) and shows the output with the FNV-1a 64 hash of its integers, the same hash
 * `fxp` and the generated C print for the same model and input.
 *
 * Page state for tests and scripts: body[data-state] is idle | loading | ready |
 * running | done | error; #error holds the message of the last failure.
 */
import { dequantize, imagesToTensor, resizeImage, tensorToImage, type Uint8Image } from '../../src/browser.js';
import { createBackend } from './backend.js';
import { decodeImage, fitInput, toChannels } from './image.js';
import type { ModelInfo, RunResult } from './protocol.js';
import { byId, el, renderClasses, renderImages, renderModel } from './view.js';

type State = 'idle' | 'loading' | 'ready' | 'running' | 'done' | 'error';

const ui = {
  modelFile: byId('model-file', HTMLInputElement),
  imageFile: byId('image-file', HTMLInputElement),
  maxSide: byId('max-side', HTMLInputElement),
  drop: byId('drop', HTMLElement),
  status: byId('status', HTMLElement),
  error: byId('error', HTMLElement),
  model: byId('model', HTMLElement),
  input: byId('input', HTMLElement),
  output: byId('output', HTMLElement),
  hash: byId('hash', HTMLElement),
  details: byId('run-details', HTMLElement),
};

const backend = createBackend(new URL('./worker.js', import.meta.url));
let model: ModelInfo | undefined;
let picked: { name: string; image: Uint8Image } | undefined;
/** Counters of model loads, image loads and runs: a late answer to an older request is dropped. */
const latest = { model: 0, image: 0, run: 0 };

function setState(state: State, message: string): void {
  document.body.dataset.state = state;
  ui.status.textContent = message;
}

function showError(message: string): void {
  ui.error.textContent = message;
  ui.error.hidden = false;
  setState('error', 'error');
}

function clearResult(): void {
  ui.error.hidden = true;
  ui.error.textContent = '';
  ui.output.replaceChildren();
  ui.hash.textContent = '';
  ui.details.textContent = '';
}

async function openModel(file: File): Promise<void> {
  const gen = ++latest.model;
  latest.run++;
  model = undefined;
  clearResult();
  ui.model.replaceChildren();
  setState('loading', `loading ${file.name} ...`);
  try {
    const info = await backend.load(await file.arrayBuffer(), file.name);
    if (gen !== latest.model) return;
    model = info;
    renderModel(ui.model, info);
    setState('ready', `model ${file.name} loaded`);
    await runIfReady();
  } catch (err) {
    if (gen === latest.model) showError(err instanceof Error ? err.message : String(err));
  }
}

async function openImage(file: File): Promise<void> {
  const gen = ++latest.image;
  latest.run++;
  clearResult();
  try {
    const image = await decodeImage(file);
    if (gen !== latest.image) return;
    picked = { name: file.name, image };
    await runIfReady();
  } catch (err) {
    if (gen === latest.image) showError(`cannot read image '${file.name}': ${err instanceof Error ? err.message : String(err)}`);
  }
}

function maxSide(): number {
  const v = Number(ui.maxSide.value);
  return Number.isInteger(v) && v >= 8 ? v : 64;
}

function labelsOf(info: ModelInfo): string[] | undefined {
  const raw = info.meta.classes;
  return raw === undefined ? undefined : raw.split(',').map((s) => s.trim());
}

function showOutput(info: ModelInfo, fed: Uint8Image, r: RunResult): void {
  const out = dequantize({ shape: r.shape, data: r.data, format: r.format });
  const chAxis = info.layout === 'NCHW' ? 1 : 3;
  const outChannels = r.shape[chAxis];
  if (r.shape.length === 4 && (outChannels === 1 || outChannels === 3)) {
    const image = tensorToImage(out, 0, { round: 'truncate', layout: info.layout });
    const bicubic = resizeImage(toChannels(fed, outChannels), image.width, image.height, 'bicubic');
    renderImages(ui.output, [
      { title: 'input', image: fed, id: 'input-canvas' },
      { title: 'bicubic', image: bicubic, id: 'bicubic-canvas' },
      { title: 'fxpnet (integer engine)', image, id: 'output-canvas' },
    ]);
    return;
  }
  const values = Array.from(out.data.subarray(0, out.data.length / (r.shape[0] ?? 1)));
  const sum = values.reduce((a, b) => a + b, 0);
  const isProb = values.every((v) => v >= 0) && Math.abs(sum - 1) < 0.05;
  const shown = isProb ? values : softmax(values);
  renderClasses(ui.output, shown, labelsOf(info), isProb);
}

function softmax(v: readonly number[]): number[] {
  const m = Math.max(...v);
  const e = v.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

async function runIfReady(): Promise<void> {
  const info = model;
  const img = picked;
  if (info === undefined) {
    setState('idle', img === undefined ? 'pick a .fxp model and an image' : `image ${img.name} loaded; now pick a .fxp model`);
    return;
  }
  if (img === undefined) return;
  const gen = ++latest.run;
  try {
    const fitted = fitInput(img.image, info, maxSide());
    ui.input.replaceChildren(el('p', { class: 'note' }, `input: ${img.name}, ${fitted.note}, pixel/255, ${info.layout}`));
    const input = imagesToTensor([fitted.image], { layout: info.layout });
    setState('running', `running ${info.file} on ${img.name} (${backend.kind}) ...`);
    const r = await backend.run(input);
    if (gen !== latest.run) return;
    showOutput(info, fitted.image, r);
    ui.hash.textContent = r.hash;
    ui.details.textContent = `output '${info.output.name}' [${r.shape.join(', ')}] in ${info.output.format}; ${r.ms.toFixed(1)} ms in a ${backend.kind} (${r.kernels})`;
    setState('done', 'done');
  } catch (err) {
    if (gen === latest.run) showError(err instanceof Error ? err.message : String(err));
  }
}

function route(files: ArrayLike<File>): void {
  for (const f of Array.from(files)) {
    if (f.name.toLowerCase().endsWith('.fxp')) void openModel(f);
    else void openImage(f);
  }
}

ui.modelFile.addEventListener('change', () => route(ui.modelFile.files ?? []));
ui.imageFile.addEventListener('change', () => route(ui.imageFile.files ?? []));
ui.maxSide.addEventListener('change', () => void runIfReady());
ui.drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  ui.drop.classList.add('over');
});
ui.drop.addEventListener('dragleave', () => ui.drop.classList.remove('over'));
ui.drop.addEventListener('drop', (e) => {
  e.preventDefault();
  ui.drop.classList.remove('over');
  route(e.dataTransfer?.files ?? []);
});
setState('idle', 'pick a .fxp model and an image');
