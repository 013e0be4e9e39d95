/** `.fxp` files: round trip, determinism, size, the file API and encoder-side checks. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { FxGraph, FxNode, FxOpAttrMap } from '../../src/engine/fx-graph.js';
import { FxpError } from '../../src/errors.js';
import { FX_OP_ARITY, FXP_VERSION, decodeFxp, encodeFxp, fxpSizeReport, readFxp, writeFxp } from '../../src/export/fxp-file.js';
import { denseModel, everyOpGraph, resizeSizesGraph } from './fxp-file-fixtures.js';

const dir = await mkdtemp(join(tmpdir(), 'fxp-test-'));
after(() => rm(dir, { recursive: true, force: true }));

function jsonOf(bytes: Uint8Array): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return new TextDecoder().decode(bytes.subarray(20, 20 + view.getUint32(8, true)));
}

test('the fixture covers every FxOpType, both weight schemes and both bias kinds', () => {
  const g = everyOpGraph();
  assert.deepEqual(new Set(g.nodes.map((n) => n.op)), new Set(Object.keys(FX_OP_ARITY)));
  const params = g.nodes.flatMap((n) => ('weights' in n.attrs ? [n.attrs] : []));
  assert.ok(params.some((a) => a.weights.range !== undefined) && params.some((a) => a.weights.range === undefined));
  assert.ok(params.some((a) => a.bias?.kind === 'format') && params.some((a) => a.bias?.kind === 'accumulator'));
});

test('round trip is bit-exact for every op, array and attribute', () => {
  for (const g of [everyOpGraph(1), everyOpGraph(2), resizeSizesGraph(), denseModel(4), denseModel(16)]) {
    const back = decodeFxp(encodeFxp(g), 'mem.fxp');
    assert.deepStrictEqual(back, g);
    // deepStrictEqual compares typed arrays element-wise and by type; double-check the type.
    for (const n of back.nodes) if ('weights' in n.attrs) assert.ok(n.attrs.weights.data instanceof Int32Array);
  }
});

test('encoding is deterministic and canonical', () => {
  const a = encodeFxp(everyOpGraph(5));
  assert.deepEqual(encodeFxp(everyOpGraph(5)), a, 'same graph, same bytes');
  assert.deepEqual(encodeFxp(decodeFxp(a, 'a.fxp')), a, 'decode then encode gives the same bytes');
  assert.notDeepEqual(encodeFxp(everyOpGraph(6)), a, 'different weights, different bytes');

  // Key order comes from the schema, not from how the caller built the objects;
  // undefined optional fields are the same as absent ones.
  const g = denseModel(8);
  const shuffled: FxGraph = {
    outputs: g.outputs,
    inputs: g.inputs,
    nodes: g.nodes.map((n): FxNode => {
      if (n.op !== 'Dense') return n;
      const w = n.attrs.weights;
      const attrs: FxOpAttrMap['Dense'] = { activation: n.attrs.activation, bias: n.attrs.bias, weights: { fl: w.fl, wl: w.wl, data: w.data, shape: w.shape, range: undefined } };
      return { outputs: n.outputs, inputs: n.inputs, attrs, name: n.name, op: n.op };
    }),
    values: g.values.map((v) => ({ format: { fl: v.format.fl, wl: v.format.wl, signed: v.format.signed }, shape: v.shape, name: v.name })),
    name: g.name,
    meta: undefined,
    inputLayout: undefined,
  };
  assert.deepEqual(encodeFxp(shuffled), encodeFxp(g));
  assert.match(jsonOf(encodeFxp(g)), /^\{"name":"dense-8bit","inputs":\[0\],"outputs":\[2\],"values":\[\{"name":"x","shape":\["N",64\],"format":\{"signed":true,"wl":8,"fl":7\}\}/);
});

test('the header is FXPN, version, lengths; the file ends with its CRC-32', () => {
  const bytes = encodeFxp(everyOpGraph());
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 4)), 'FXPN');
  assert.equal(view.getUint16(4, true), FXP_VERSION);
  const [j, b, d] = [view.getUint32(8, true), view.getUint32(12, true), view.getUint32(16, true)];
  assert.equal(bytes.length, 20 + j + 8 * b + d + 4);
  const refs = [...jsonOf(bytes).matchAll(/\{"blob":(\d+)\}/g)].map((m) => Number(m[1]));
  assert.deepEqual(refs, refs.map((_, i) => i), 'blobs are numbered in order of appearance');
  assert.equal(refs.length, b);
});

test('file size scales with the weight word length: 4-bit weights take half the bytes of 8-bit ones', () => {
  const r4 = fxpSizeReport(denseModel(4));
  const r8 = fxpSizeReport(denseModel(8));
  const r16 = fxpSizeReport(denseModel(16));
  const nWeights = 64 * 48 + 48 * 10;
  assert.equal(r4.weightBits, 4 * nWeights);
  assert.equal(r8.weightBits, 2 * r4.weightBits);
  assert.equal(r16.weightBits, 2 * r8.weightBits);
  // 4 and 8 bits: same JSON length, so the whole difference is the weight section.
  assert.equal(r4.headerBytes, r8.headerBytes);
  assert.equal(r8.totalBytes - r4.totalBytes, (4 * nWeights) / 8);
  const blobBytes = (r: typeof r4): number => r.totalBytes - r.headerBytes;
  assert.equal(blobBytes(r16) - blobBytes(r8), (8 * nWeights) / 8);
  assert.equal(r4.biasBits, (48 + 10) * 16);
  assert.equal(encodeFxp(denseModel(4)).length, r4.totalBytes);
  // The whole 4-bit file is under a quarter of its weights as float32.
  assert.ok(r4.totalBytes < nWeights, `${r4.totalBytes} bytes`);
});

test('fxpSizeReport accounts for every blob', () => {
  const g = everyOpGraph();
  const r = fxpSizeReport(g);
  let weightBits = 0;
  let rangeBits = 0;
  for (const n of g.nodes) {
    if (!('weights' in n.attrs)) continue;
    weightBits += n.attrs.weights.data.length * n.attrs.weights.wl;
    const range = n.attrs.weights.range;
    if (range !== undefined) rangeBits += range.data.length * range.bits;
  }
  assert.equal(r.weightBits, weightBits);
  assert.equal(r.rangeBits, rangeBits);
  const blobBits = r.weightBits + r.biasBits + r.tableBits + r.rangeBits;
  // Each blob is padded to a whole byte: at most 7 bits per blob.
  const blobBytes = r.totalBytes - r.headerBytes;
  assert.ok(blobBytes * 8 >= blobBits && blobBytes * 8 - blobBits < 7 * 64, `${blobBytes} bytes for ${blobBits} bits`);
  assert.ok(r.tableBits > 0 && r.biasBits > 0);
});

test('writeFxp / readFxp round-trip through the file system', async () => {
  const path = join(dir, 'model.fxp');
  const g = everyOpGraph(9);
  await writeFxp(path, g);
  assert.deepStrictEqual(await readFxp(path), g);
});

test('readFxp names the file when it is missing or not an .fxp file', async () => {
  const missing = join(dir, 'missing.fxp');
  await assert.rejects(readFxp(missing), (e: unknown) => e instanceof FxpError && e.file === missing && /cannot read/.test(e.message));
  const text = join(dir, 'text.fxp');
  await writeFile(text, 'hello world, this is not a model');
  await assert.rejects(readFxp(text), (e: unknown) => e instanceof FxpError && e.file === text && /not an \.fxp file/.test(e.message));
  await assert.rejects(writeFxp(join(dir, 'no-such-dir', 'x.fxp'), denseModel(4)), (e: unknown) => e instanceof FxpError && /cannot write/.test(e.message));
});

test('the encoder refuses graphs it could not store faithfully, and writes nothing', async () => {
  const g = denseModel(4);
  const fc1 = g.nodes[0]!;
  assert.equal(fc1.op, 'Dense');
  const withWeights = (patch: Partial<FxOpAttrMap['Dense']['weights']>): FxGraph => ({
    ...g,
    nodes: [{ ...fc1, attrs: { ...fc1.attrs, weights: { ...fc1.attrs.weights, ...patch } } } as FxNode, ...g.nodes.slice(1)],
  });
  const cases: [FxGraph, RegExp][] = [
    [withWeights({ data: fc1.attrs.weights.data.map((q, i) => (i === 5 ? 8 : q)) }), /weights\[5\] = 8 does not fit signed 4 bits/],
    [withWeights({ wl: 17 }), /weights wl 17/],
    [withWeights({ fl: [1, 2] }), /fl has 2 entries, expected 1 or 48/],
    [withWeights({ shape: [48, 63] }), /weights hold 3072 values, shape \[48, 63\] needs 3024/],
    [{ ...g, outputs: [7] }, /graph output id 7 out of range/],
    // A caller outside TypeScript's reach (e.g. meta read from a JSON config).
    [{ ...g, meta: JSON.parse('{"ok": "yes", "bad": 3}') as Record<string, string> }, /graph\.meta\.bad: expected a string, got number 3/],
  ];
  for (const [bad, re] of cases) {
    assert.throws(() => encodeFxp(bad), (e: unknown) => e instanceof FxpError && re.test(e.message), re.source);
  }
  const path = join(dir, 'bad.fxp');
  await assert.rejects(writeFxp(path, cases[0]![0]), (e: unknown) => e instanceof FxpError && e.file === path && e.node === 'fc1' && e.op === 'Dense');
  assert.equal(existsSync(path), false);
});

/** everyOpGraph with its Pad in constant mode, per-channel values when given. */
function withPadChannels(channelValues: readonly number[] | undefined, mode: FxOpAttrMap['Pad']['mode'] = 'constant'): FxGraph {
  const g = everyOpGraph(3);
  return {
    ...g,
    nodes: g.nodes.map((n): FxNode => (n.op === 'Pad' ? { ...n, attrs: { ...n.attrs, mode, ...(channelValues === undefined ? {} : { channelValues }) } } : n)),
  };
}

test('Pad channelValues: round trip keeps them, files without them still load and round-trip unchanged', () => {
  // One per channel of the Pad's input ['N', 4, 8, 8]; the file checks int32 bounds (the engine, the format's).
  const g = withPadChannels([-7, 127, 2 ** 31 - 1, -(2 ** 31)]);
  const bytes = encodeFxp(g);
  assert.match(jsonOf(bytes), /"mode":"constant","value":-7,"channelValues":\[-7,127,2147483647,-2147483648\]/);
  const back = decodeFxp(bytes, 'mem.fxp');
  assert.deepStrictEqual(back, g);
  assert.deepEqual(encodeFxp(back), bytes);
  // Absent (an older file) or undefined: no key written, none read back.
  for (const plain of [withPadChannels(undefined), { ...g, nodes: g.nodes.map((n): FxNode => (n.op === 'Pad' ? { ...n, attrs: { ...n.attrs, channelValues: undefined } } : n)) }]) {
    const b = encodeFxp(plain);
    assert.doesNotMatch(jsonOf(b), /channelValues/);
    const pad = decodeFxp(b, 'old.fxp').nodes.find((n) => n.op === 'Pad')!;
    assert.equal('channelValues' in pad.attrs, false);
  }
  assert.deepStrictEqual(decodeFxp(encodeFxp(withPadChannels(undefined)), 'old.fxp'), withPadChannels(undefined));
});

test('Pad channelValues: the encoder refuses a non-constant mode and non-int32 values, naming the node', () => {
  const cases: [FxGraph, RegExp][] = [
    [withPadChannels([1, 2], 'reflect'), /channelValues need mode 'constant', got 'reflect'/],
    [withPadChannels([1, 2 ** 31]), /channelValues \[1, 2147483648\] must be one or more 32-bit integers/],
    [withPadChannels([0.5]), /must be one or more 32-bit integers/],
    [withPadChannels([]), /must be one or more 32-bit integers/],
  ];
  for (const [bad, re] of cases) {
    assert.throws(() => encodeFxp(bad), (e: unknown) => e instanceof FxpError && re.test(e.message) && e.node === 'pad' && e.op === 'Pad', re.source);
  }
});
