/** DOM rendering for the demo page: the model summary, class bars, image panels. */
import type { Uint8Image } from '../../src/browser.js';
import { drawImage } from './image.js';
import type { ModelInfo } from './protocol.js';

type Child = Node | string;

/** The page element #id, which must be a `type` (a page/script mismatch otherwise). */
export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const e = document.getElementById(id);
  if (!(e instanceof type)) throw new Error(`the page has no #${id}`);
  return e;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

export function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

function shapeText(shape: readonly (number | string)[]): string {
  return `[${shape.join(', ')}]`;
}

/** Model header, provenance, input/output and the per-layer formats table. */
export function renderModel(root: HTMLElement, info: ModelInfo): void {
  const s = info.size;
  const facts: [string, string][] = [
    ['file', `${info.file} (${formatBytes(info.bytes)}: weights ${formatBytes(s.weightBits / 8)}, biases ${formatBytes(s.biasBits / 8)}, tables ${formatBytes(s.tableBits / 8)})`],
    ['graph', `${info.graphName}, ${info.layers.length} layers, input layout ${info.layout}`],
    ['input', `${info.input.name} ${shapeText(info.input.shape)} ${info.input.format}`],
    ['output', `${info.output.name} ${shapeText(info.output.shape)} ${info.output.format}`],
    ...Object.entries(info.meta).map(([k, v]): [string, string] => [k, v]),
  ];
  const dl = el('dl', { class: 'facts' });
  for (const [k, v] of facts) dl.append(el('dt', {}, k), el('dd', {}, v));
  const head = el('tr', {}, ...['#', 'layer', 'op', 'weights', 'bias', 'input', 'output'].map((h) => el('th', {}, h)));
  const rows = info.layers.map((r, i) =>
    el('tr', {}, el('td', { class: 'num' }, String(i)), el('td', {}, r.name), el('td', {}, r.op), el('td', {}, r.weights ?? ''), el('td', {}, r.bias ?? ''), el('td', {}, r.input), el('td', {}, r.output)),
  );
  const table = el('table', { id: 'layers' }, el('thead', {}, head), el('tbody', {}, ...rows));
  root.replaceChildren(el('h2', {}, 'Model'), dl, el('h3', {}, 'Per-layer formats Q(signed, word length, fractional length)'), el('div', { class: 'scroll' }, table));
}

/** Horizontal bars, highest first. `probabilities` says whether the values are the model's own. */
export function renderClasses(root: HTMLElement, values: readonly number[], labels: readonly string[] | undefined, probabilities: boolean): void {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => b.v - a.v);
  const list = el('ol', { id: 'classes' });
  for (const { v, i } of order.slice(0, 10)) {
    const name = labels?.[i] ?? `class ${i}`;
    const bar = el('span', { class: 'bar' });
    bar.style.width = `${Math.max(0, Math.min(1, v)) * 100}%`;
    list.append(el('li', {}, el('span', { class: 'label' }, name), el('span', { class: 'track' }, bar), el('span', { class: 'value' }, v.toFixed(4))));
  }
  const note = probabilities ? 'model output (probabilities)' : 'softmax of the model output, computed for display';
  root.replaceChildren(el('h2', {}, 'Output'), el('p', { class: 'note' }, note), list);
}

export interface Panel {
  readonly title: string;
  readonly image: Uint8Image;
  readonly id: string;
}

/** Images side by side, all shown at the width of the largest (pixelated when enlarged). */
export function renderImages(root: HTMLElement, panels: readonly Panel[]): void {
  const width = Math.max(256, ...panels.map((p) => p.image.width));
  const figures = panels.map((p) => {
    const canvas = el('canvas', { id: p.id });
    drawImage(canvas, p.image);
    canvas.style.width = `${width}px`;
    return el('figure', {}, canvas, el('figcaption', {}, `${p.title} (${p.image.width}x${p.image.height})`));
  });
  root.replaceChildren(el('h2', {}, 'Output'), el('div', { class: 'panels' }, ...figures));
}
