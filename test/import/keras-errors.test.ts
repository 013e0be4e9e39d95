/**
 * Keras importer error paths: every bad input is one FxpError naming the file and,
 * where a layer is at fault, the layer (node) and its class (op). HDF5-level
 * failures run in a child process to prove nothing reaches stderr.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FxpError } from '../../src/errors.js';
import { importKerasConfig, loadKerasH5 } from '../../src/import/keras/index.js';
import { sequentialConfig, tempDir, weight, writeKerasH5, type FixtureLayer, type FixtureWeight } from '../util/keras-fixtures.js';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

interface Expect {
  message: RegExp;
  file?: string;
  node?: string;
  op?: string;
}

function check(err: unknown, want: Expect): true {
  assert.ok(err instanceof FxpError, `expected FxpError, got ${String(err)}`);
  assert.match(err.message, want.message);
  if (want.file !== undefined) assert.equal(err.file, want.file);
  if (want.node !== undefined) assert.equal(err.node, want.node);
  if (want.op !== undefined) assert.equal(err.op, want.op);
  assert.doesNotMatch(err.message, /\n\s+at /, 'no stack trace in the message');
  return true;
}

const conv: FixtureLayer = {
  className: 'Conv2D',
  name: 'c',
  config: { batch_input_shape: [null, 6, 6, 1], filters: 4, kernel_size: [3, 3], padding: 'valid', activation: 'relu' },
};
const convWeights = [weight('c', 'kernel', [3, 3, 1, 4], 1), weight('c', 'bias', [4], 2)];

async function h5(name: string, layers: readonly FixtureLayer[], weights: readonly FixtureWeight[], opts = {}): Promise<string> {
  const path = join(tempDir(), name);
  await writeKerasH5(path, sequentialConfig(layers), weights, opts);
  return path;
}

describe('Keras HDF5 bad files', () => {
  it('not HDF5, truncated, empty and missing files fail cleanly with nothing on stderr', async () => {
    const dir = tempDir();
    const text = join(dir, 'text.h5');
    writeFileSync(text, 'this is not an HDF5 file\n');
    const good = await h5('good.h5', [conv], convWeights);
    const truncated = join(dir, 'truncated.h5');
    const bytes = readFileSync(good);
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const empty = join(dir, 'empty.h5');
    writeFileSync(empty, '');
    const missing = join(dir, 'missing.h5');
    const script = join(dir, 'child.mts');
    const entry = join(repoRoot, 'src/import/keras/index.ts');
    writeFileSync(
      script,
      `import { loadKerasH5 } from ${JSON.stringify(entry)};
for (const p of process.argv.slice(2)) {
  try { await loadKerasH5(p); console.log(JSON.stringify({ ok: true })); }
  catch (e) { console.log(JSON.stringify({ name: e.name, message: e.message, file: e.file })); }
}`,
    );
    const res = spawnSync(process.execPath, ['--import', 'tsx', script, text, truncated, empty, missing, good], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(res.stderr, '', 'nothing printed to stderr');
    assert.equal(res.status, 0);
    const lines = res.stdout.trim().split('\n').map((l) => JSON.parse(l) as { name?: string; message?: string; file?: string; ok?: boolean });
    assert.equal(lines.length, 5);
    const [t, tr, em, mi, ok] = lines as [(typeof lines)[0], (typeof lines)[0], (typeof lines)[0], (typeof lines)[0], (typeof lines)[0]];
    assert.equal(t.name, 'FxpError');
    assert.match(t.message!, /not a readable HDF5 file: file signature not found/);
    assert.equal(t.file, text);
    assert.equal(tr.name, 'FxpError');
    assert.match(tr.message!, /not a readable HDF5 file: truncated file/);
    assert.equal(tr.file, truncated);
    assert.match(em.message!, /empty/);
    assert.match(mi.message!, /no such file/);
    assert.equal(mi.file, missing);
    assert.deepEqual(ok, { ok: true }, 'a good file still loads after the failures');
  });

  it('a file without model_config (weights only)', async () => {
    const path = await h5('weights-only.h5', [conv], convWeights, { omitConfig: true });
    await assert.rejects(loadKerasH5(path), (e) => check(e, { message: /no model_config attribute/, file: path }));
  });

  it('a model_config that is not JSON', async () => {
    const path = await h5('bad-json.h5', [conv], convWeights, { rawConfig: '{"class_name": "Sequential", ' });
    await assert.rejects(loadKerasH5(path), (e) => check(e, { message: /model_config attribute is not valid JSON/, file: path }));
  });

  it('a weight listed in weight_names but not stored', async () => {
    const path = await h5('no-dataset.h5', [conv], convWeights, { dropDatasets: ['c'] });
    await assert.rejects(loadKerasH5(path), (e) => check(e, { message: /weight 'c\/kernel:0' listed in weight_names is missing/, file: path, node: 'c', op: 'Conv2D' }));
  });

  it('a missing weight and a weight of the wrong shape', async () => {
    const noBias = await h5('no-bias.h5', [conv], [convWeights[0]!]);
    await assert.rejects(loadKerasH5(noBias), (e) => check(e, { message: /missing weight 'bias'/, file: noBias, node: 'c', op: 'Conv2D' }));
    const wrong = await h5('wrong.h5', [conv], [weight('c', 'kernel', [3, 3, 2, 4], 1), convWeights[1]!]);
    await assert.rejects(loadKerasH5(wrong), (e) => check(e, { message: /weight 'kernel' has shape \[3, 3, 2, 4\], expected \[3, 3, 1, 4\]/, file: wrong, node: 'c', op: 'Conv2D' }));
  });

  it('an unsupported layer class and an unsupported activation', async () => {
    const lambda = await h5('lambda.h5', [conv, { className: 'Lambda', name: 'lam', config: { function: 'x' } }], convWeights);
    await assert.rejects(loadKerasH5(lambda), (e) => check(e, { message: /unsupported Keras layer class 'Lambda'/, file: lambda, node: 'lam', op: 'Lambda' }));
    const elu = await h5('elu.h5', [{ ...conv, config: { ...conv.config, activation: 'elu' } }], convWeights);
    await assert.rejects(loadKerasH5(elu), (e) => check(e, { message: /unsupported activation 'elu'/, file: elu, node: 'c', op: 'Conv2D' }));
  });
});

describe('Keras configs that cannot be imported', () => {
  const file = 'cfg.h5';
  const noWeights = new Map();
  const fails = (layers: readonly FixtureLayer[], want: Expect): void => {
    assert.throws(() => importKerasConfig(sequentialConfig(layers), noWeights, file), (e) => check(e, { file, ...want }));
  };

  it('rejects absurd sizes before allocating', () => {
    const start = process.memoryUsage().rss;
    fails(
      [{ className: 'Dense', name: 'huge', config: { batch_input_shape: [null, 8], units: 1e12 } }],
      { message: /integer in \[1, 2147483647\]/, node: 'huge', op: 'Dense' },
    );
    fails(
      [{ className: 'Dense', name: 'big', config: { batch_input_shape: [null, 65536], units: 65536 } }],
      { message: /weight 'kernel' of shape \[65536, 65536\] has 4294967296 elements, over the limit/, node: 'big', op: 'Dense' },
    );
    fails(
      [{ className: 'Flatten', name: 'f', config: { batch_input_shape: [null, 100000, 100000, 3] } }],
      { message: /over the limit/, node: 'f_input', op: 'InputLayer' },
    );
    assert.ok(process.memoryUsage().rss - start < 256 * 2 ** 20, 'no large allocation happened');
  });

  it('rejects channels_first, odd BatchNormalization axes, ReLU thresholds and bad windows', () => {
    fails([{ ...conv, config: { ...conv.config, data_format: 'channels_first' } }], { message: /data_format 'channels_first' is not supported/, node: 'c', op: 'Conv2D' });
    const bnInput: FixtureLayer = { className: 'InputLayer', name: 'in', config: { batch_input_shape: [null, 4, 4, 3] } };
    fails([bnInput, { className: 'BatchNormalization', name: 'bn', config: { axis: 1 } }], { message: /axis 1 is not supported/, node: 'bn', op: 'BatchNormalization' });
    fails([bnInput, { className: 'ReLU', name: 'r', config: { threshold: 0.5 } }], { message: /threshold 0.5 is not supported/, node: 'r', op: 'ReLU' });
    fails([bnInput, { className: 'MaxPooling2D', name: 'p', config: { pool_size: 5 } }], { message: /does not fit input/, node: 'p', op: 'MaxPooling2D' });
    fails([bnInput, { className: 'Conv2D', name: 'c', config: { filters: 1, kernel_size: 3, padding: 'causal' } }], { message: /padding 'causal'/, node: 'c', op: 'Conv2D' });
    fails([bnInput, { className: 'UpSampling2D', name: 'u', config: { interpolation: 'bilinear' } }], { message: /bilinear/, node: 'u', op: 'UpSampling2D' });
    fails([bnInput, { className: 'Reshape', name: 'r', config: { target_shape: [5, 5] } }], { message: /cannot reshape/, node: 'r', op: 'Reshape' });
  });

  it('rejects nested models, unknown model classes and models without an input shape', () => {
    fails([{ className: 'InputLayer', name: 'in', config: { batch_input_shape: [null, 3] } }, { className: 'Sequential', name: 'inner', config: { layers: [] } }], { message: /nested models are not supported/, node: 'inner', op: 'Sequential' });
    assert.throws(() => importKerasConfig({ class_name: 'Graph', config: {} }, noWeights, file), (e) => check(e, { message: /unsupported Keras model class "Graph"/, file }));
    fails([{ className: 'Dense', name: 'd', config: { units: 2 } }], { message: /declares no input shape/, node: 'd' });
    assert.throws(() => importKerasConfig('nonsense', noWeights, file), (e) => check(e, { message: /must be a JSON object/, file }));
  });

  it('rejects a functional model whose inputs are never produced', () => {
    const cfg = {
      class_name: 'Model',
      config: {
        name: 'm',
        layers: [
          { name: 'x', class_name: 'InputLayer', config: { batch_input_shape: [null, 3] }, inbound_nodes: [] },
          { name: 'd', class_name: 'Dense', config: { units: 3 }, inbound_nodes: [[['ghost', 0, 0, {}]]] },
        ],
        input_layers: [['x', 0, 0]],
        output_layers: [['d', 0, 0]],
      },
    };
    assert.throws(() => importKerasConfig(cfg, noWeights, file), (e) => check(e, { message: /input 'ghost' .* is never computed/, file, node: 'd', op: 'Dense' }));
  });
});
