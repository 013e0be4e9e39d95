/** `fxp run MODEL INPUT`: one input to class probabilities or an output image. */
import { writeFileSync } from 'node:fs';
import { FxpError } from '../../errors.js';
import { writePng } from '../../data/images.js';
import { tensorToImage } from '../../data/preprocess.js';
import { softmaxRows } from '../../data/metrics.js';
import { readInput } from '../inputs.js';
import { loadModel } from '../model.js';
import { formatTable } from '../table.js';

export interface RunOptions {
  output?: string;
  top: string;
  scale: string;
  json?: boolean;
}

export async function runCommand(modelPath: string, inputSpec: string, opts: RunOptions): Promise<void> {
  const model = await loadModel(modelPath);
  const input = await readInput(inputSpec, { layout: model.layout, channels: model.channels, scale: Number(opts.scale) });
  const start = performance.now();
  const out = await model.runner(input);
  const ms = performance.now() - start;
  const isImage = out.shape.length === 4 && (out.shape[1] === 1 || out.shape[1] === 3);
  if (isImage) {
    const path = opts.output ?? 'out.png';
    if (!path.toLowerCase().endsWith('.png')) throw new FxpError(`image outputs are written as PNG; got '${path}'`);
    const img = tensorToImage(out, 0, { round: 'truncate' });
    await writePng(path, img);
    const info = { model: modelPath, input: inputSpec, output: path, width: img.width, height: img.height, channels: img.channels, ms };
    process.stdout.write(opts.json === true ? `${JSON.stringify(info, null, 2)}\n` : `wrote ${path} (${img.width}x${img.height}, ${img.channels} channels) in ${ms.toFixed(1)} ms\n`);
    return;
  }
  const sums = out.data.reduce((s, v) => s + v, 0);
  const probs = Math.abs(sums - 1) < 1e-3 && out.data.every((v) => v >= 0) ? out : softmaxRows(out);
  const ranked = Array.from(probs.data, (p, cls) => ({ class: cls, probability: p })).sort((a, b) => b.probability - a.probability);
  const k = Math.max(1, Number(opts.top) || 5);
  if (opts.output !== undefined) writeFileSync(opts.output, `${JSON.stringify({ shape: out.shape, data: Array.from(out.data) })}\n`);
  if (opts.json === true) {
    process.stdout.write(`${JSON.stringify({ model: modelPath, input: inputSpec, top: ranked.slice(0, k), ms }, null, 2)}\n`);
    return;
  }
  const rows = ranked.slice(0, k).map((r) => [r.class, r.probability.toFixed(4)]);
  process.stdout.write(`${formatTable(['class', 'probability'], rows)}\n`);
  process.stdout.write(`top-1: class ${ranked[0]!.class} (${ms.toFixed(1)} ms)\n`);
}
