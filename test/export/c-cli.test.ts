/**
 * `fxp export-c` as a command: reads a .fxp, writes the three sources, reports in
 * text or JSON, and turns bad arguments (not a .fxp, dynamic dims without --shape,
 * a bad --batch) into one FxpError each.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { exportCCommand } from '../../src/cli/commands/export-c.js';
import { FxpError } from '../../src/errors.js';
import { writeFxp } from '../../src/export/fxp-file.js';
import { GraphBuilder } from '../../src/ir/graph.js';
import { canonicalize } from '../../src/passes/index.js';
import { calibrate } from '../../src/quantize/calibrate.js';
import { quantizeUniform } from '../../src/quantize/pipeline.js';
import { DEFAULT_UNIFORM } from '../../src/quantize/uniform.js';
import { COMPILERS, NO_COMPILER, compileC, tempDir } from './c-tools.js';

async function captureStdout(fn: () => Promise<void>): Promise<string> {
  const write = process.stdout.write.bind(process.stdout);
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array): boolean => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    await fn();
  } finally {
    process.stdout.write = write;
  }
  return out;
}

/** A small .fxp with a dynamic-size image input: Conv 3x3 + Relu, then GlobalAveragePool. */
async function smallFxp(dir: string): Promise<string> {
  const b = new GraphBuilder('tiny');
  const x = b.addInput('image', ['N', 2, 'H', 'W']);
  const w = Float32Array.from({ length: 36 }, (_, i) => ((i * 37) % 11) / 11 - 0.5);
  const c = b.addNode(
    'Conv', 'conv',
    { kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], autoPad: 'NOTSET', group: 1, activation: { kind: 'Relu' } },
    [x, b.addConstant('w', [2, 2, 3, 3], w)],
  );
  b.outputs = [b.addNode('GlobalAveragePool', 'gap', {}, [c])];
  const g = canonicalize(b.finish());
  const data = Float32Array.from({ length: 2 * 2 * 6 * 6 }, (_, i) => ((i * 13) % 17) / 17);
  const stats = await calibrate(g, [[{ shape: [2, 2, 6, 6], data }]]);
  const path = join(dir, 'tiny.fxp');
  await writeFxp(path, quantizeUniform(g, stats, DEFAULT_UNIFORM).fx);
  return path;
}

test('export-c writes header, model and harness and reports them as JSON', async () => {
  const dir = tempDir('c-cli');
  const model = await smallFxp(dir);
  const outDir = join(dir, 'c');
  const text = await captureStdout(() => exportCCommand(model, { output: outDir, json: true, shape: '1,2,5,7', batch: '3' }));
  const r = JSON.parse(text) as { name: string; files: string[]; build: string; arenaBytes: number; inputs: { shape: number[] }[]; nodes: { op: string; acc: string }[] };
  assert.equal(r.name, 'tiny');
  assert.deepEqual(r.files.map((f) => f.slice(outDir.length + 1)), ['tiny.h', 'tiny.c', 'tiny_main.c']);
  for (const f of r.files) assert.ok(existsSync(f), f);
  assert.deepEqual(r.inputs[0]!.shape, [3, 2, 5, 7]);
  assert.deepEqual(r.nodes.map((n) => `${n.op}:${n.acc}`), ['Conv:int32', 'GlobalAveragePool:int64']);
  assert.ok(r.arenaBytes > 0);
  assert.match(readFileSync(join(outDir, 'tiny.h'), 'utf8'), /int tiny_run\(const int32_t \*input_q, int32_t \*output_q\);/);
  assert.match(r.build, /-std=c99 -Wall -Wextra -Werror -O2/);
});

test('export-c text output names the kernels, the RAM and the build line', { skip: NO_COMPILER }, async () => {
  const dir = tempDir('c-cli-text');
  const model = await smallFxp(dir);
  const outDir = join(dir, 'out');
  const text = await captureStdout(() => exportCCommand(model, { output: outDir, name: 'my-net', shape: '1,2,4,4' }));
  assert.match(text, /fx_conv_w8_a32_i32_/);
  assert.match(text, /static RAM \(activation arenas, \.bss\): \d+ bytes/);
  assert.match(text, /cc -std=c99 -Wall -Wextra -Werror -O2 -o my_net my_net\.c my_net_main\.c/);
  compileC(COMPILERS[0]!, outDir, ['my_net.c', 'my_net_main.c'], 'my_net');
});

test('export-c refuses bad arguments with one clear FxpError each', async () => {
  const dir = tempDir('c-cli-err');
  const model = await smallFxp(dir);
  await assert.rejects(exportCCommand(join(dir, 'model.onnx'), { output: dir }), (e: unknown) => e instanceof FxpError && /takes a fixed-point model \(\.fxp\)/.test(e.message));
  await assert.rejects(exportCCommand(model, { output: dir }), (e: unknown) => e instanceof FxpError && /dynamic dims \[N, 2, H, W\].*--shape/.test(e.message));
  await assert.rejects(exportCCommand(model, { output: dir, shape: '1,2,4,4', batch: '0' }), (e: unknown) => e instanceof FxpError && /--batch/.test(e.message));
  await assert.rejects(exportCCommand(model, { output: dir, shape: '1,3,4,4' }), (e: unknown) => e instanceof FxpError && /expects shape/.test(e.message));
  await assert.rejects(exportCCommand(join(dir, 'missing.fxp'), { output: dir }), FxpError);
});
