/**
 * ONNX QDQ export (src/export/onnx-qdq.ts) run by onnxruntime-node: the model's
 * structure (opset 21, power-of-two scales, zero points 0, integer weights), exact
 * agreement wherever no rounding happens, the one rounding difference (ties), word
 * lengths below the int8/int16 containers, every fixed-point op runnable, errors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import onnxProto from 'onnx-proto';
import type { onnx } from 'onnx-proto';
import { exportOnnxCommand } from '../../src/cli/commands/export-onnx.js';
import { FxpError } from '../../src/errors.js';
import type { QFormat } from '../../src/fixed/format.js';
import type { FxGraph, FxNode, FxOpAttrMap, FxOpType, FxTensor, FxValue, FxWeights } from '../../src/engine/fx-graph.js';
import { createEngine } from '../../src/engine/runtime.js';
import { inferFxNodeShape } from '../../src/engine/shapes.js';
import { encodeFxp } from '../../src/export/fxp-container.js';
import { exportOnnxQdq, ONNX_QDQ_OPSET, type OnnxQdqRounding } from '../../src/export/onnx-qdq.js';
import { ALL_OPS, randomGraph, Rng } from '../engine/random-graph.js';
import { feedsOf, onnxIntegers, ortSession } from './onnx-qdq-agreement.js';

const P = onnxProto.onnx;
const DT = P.TensorProto.DataType;

const q = (signed: boolean, wl: number, fl: number): QFormat => ({ signed, wl, fl });

/** A graph built node by node, with shapes from the engine's own shape inference. */
class Chain {
  readonly values: FxValue[] = [];
  readonly nodes: FxNode[] = [];
  private readonly shapes: number[][] = [];

  input(shape: readonly number[], format: QFormat, name = 'x'): number {
    this.values.push({ name, shape: [...shape], format });
    this.shapes.push([...shape]);
    return this.values.length - 1;
  }

  add<K extends FxOpType>(op: K, attrs: FxOpAttrMap[K], ins: readonly number[], format: QFormat): number {
    const id = this.values.length;
    const node = { op, name: `${op.toLowerCase()}_${this.nodes.length}`, attrs, inputs: [...ins], outputs: [id] } as FxNode;
    const shape = inferFxNodeShape(node, ins.map((i) => this.shapes[i]!));
    this.nodes.push(node);
    this.values.push({ name: `v${id}`, shape, format });
    this.shapes.push(shape);
    return id;
  }

  graph(outputs: readonly number[], inputs: readonly number[] = [0]): FxGraph {
    const last = outputs.map((id) => ({ ...this.values[id]!, name: `y${id}` }));
    const values = this.values.map((v, id) => last.find((_, k) => outputs[k] === id) ?? v);
    return { name: 'chain', values, nodes: this.nodes, inputs: [...inputs], outputs: [...outputs] };
  }
}

function ints(rng: Rng, n: number, lo: number, hi: number): Int32Array {
  return Int32Array.from({ length: n }, () => rng.int(lo, hi));
}

/** Runs both; returns [engine integers, ONNX integers] of every output. */
async function both(fx: FxGraph, inputs: readonly FxTensor[], rounding: OnnxQdqRounding = 'even'): Promise<[Int32Array, Int32Array][]> {
  const ours = createEngine(fx).run(inputs).outputs;
  const session = await ortSession(exportOnnxQdq(fx, { rounding }).bytes, 'all');
  const res = await session.run(feedsOf(fx, inputs));
  await session.release();
  return fx.outputs.map((id, k) => {
    const y = res[fx.values[id]!.name]!;
    assert.deepEqual([...y.dims], [...ours[k]!.shape], `shape of ${fx.values[id]!.name}`);
    return [ours[k]!.data, onnxIntegers(y.data as Float32Array, ours[k]!)];
  });
}

function floatOf(t: onnx.ITensorProto): number[] {
  const raw = t.rawData!;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Array.from({ length: raw.length / 4 }, (_, i) => view.getFloat32(4 * i, true));
}

test('structure: opset 21, a Q/DQ pair per value, power-of-two scales, zero points 0, integer weights and biases', () => {
  const rng = new Rng(5);
  const c = new Chain();
  const x = c.input([1, 3, 6, 6], q(false, 8, 8));
  const w: FxWeights = { shape: [4, 3, 3, 3], data: ints(rng, 108, -128, 127), wl: 8, fl: [7, 6, 7, 8] };
  const conv = c.add('Conv', { kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], autoPad: 'NOTSET', group: 1, weights: w, bias: { kind: 'format', data: ints(rng, 4, -900, 900), format: q(true, 16, 12) }, activation: { kind: 'Relu' } }, [x], q(false, 8, 5));
  const pool = c.add('GlobalAveragePool', {}, [conv], q(false, 6, 5));
  const fx = c.graph([pool]);
  const { bytes, opset, opCount } = exportOnnxQdq(fx);
  assert.equal(opset, ONNX_QDQ_OPSET);
  const m = P.ModelProto.decode(bytes);
  assert.equal(Number(m.opsetImport[0]!.version), 21);
  const g = m.graph!;
  assert.deepEqual(g.input!.map((v) => v.name), ['x']);
  assert.deepEqual(g.output!.map((v) => v.name), [`y${pool}`]);
  const init = new Map(g.initializer!.map((t) => [t.name!, t]));
  // 3 values (input, conv, pool) are quantized; weights and bias are dequantized too.
  assert.equal(opCount.get('QuantizeLinear'), 3);
  assert.equal(opCount.get('DequantizeLinear'), 5);
  for (const n of g.node!.filter((k) => k.opType === 'QuantizeLinear' || k.opType === 'DequantizeLinear')) {
    const scale = init.get(n.input![1]!)!;
    for (const s of floatOf(scale)) {
      if (n.opType === 'QuantizeLinear' || !n.input![0]!.includes('/W')) assert.ok(Number.isInteger(Math.log2(s)), `${n.name}: scale ${s} is not a power of two`);
    }
    const zero = init.get(n.input![2]!)!;
    assert.ok(zero.rawData!.every((b) => b === 0), `${n.name}: zero point`);
  }
  const wq = g.initializer!.find((t) => t.name!.includes('W_quantized'))!;
  assert.equal(wq.dataType, DT.INT8);
  assert.deepEqual(wq.dims!.map(Number), [4, 3, 3, 3]);
  const wdq = g.node!.find((k) => k.opType === 'DequantizeLinear' && k.input![0] === wq.name)!;
  assert.equal(Number(wdq.attribute!.find((a) => a.name === 'axis')?.i), 0, 'per-channel weights along axis 0');
  assert.deepEqual(floatOf(init.get(wdq.input![1]!)!), [2 ** -7, 2 ** -6, 2 ** -7, 2 ** -8]);
  const bq = g.initializer!.find((t) => t.name!.includes('B_quantized'))!;
  assert.equal(bq.dataType, DT.INT32);
  // The 6-bit pool output needs a Clip to [0, 63] * 2^-5 before its uint8 QuantizeLinear; 8-bit values do not.
  assert.equal(opCount.get('Clip'), 1);
});

test('exact where nothing rounds: Conv (dynamic and range-adaptive, per channel, both bias kinds), Dense as Gemm and MatMul, ChannelAffine', async () => {
  const rng = new Rng(11);
  const c = new Chain();
  const fin = q(true, 8, 4);
  const x = c.input([2, 2, 5, 5], fin);
  // Output fl >= fx + fl[c] (+ rangeFl): every channel's result is its accumulator shifted left, nothing rounds.
  const w1: FxWeights = { shape: [3, 2, 3, 3], data: ints(rng, 54, -8, 8), wl: 8, fl: [5, 6, 7] };
  const conv = c.add('Conv', { kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], autoPad: 'SAME_UPPER', group: 1, weights: w1, bias: { kind: 'format', data: ints(rng, 3, -50, 50), format: q(true, 16, 9) } }, [x], q(true, 16, 11));
  const ra: FxWeights = { shape: [3, 2, 1, 1], data: ints(rng, 6, -7, 7), wl: 4, fl: [3, 3, 3], range: { data: Int32Array.from([3, 5, 7]), fl: 2, bits: 4 } };
  const conv2 = c.add('Conv', { kernel: [1, 1], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], autoPad: 'NOTSET', group: 1, weights: ra, bias: { kind: 'accumulator', data: ints(rng, 3, -300, 300), wl: 24 } }, [x], q(true, 16, 9));
  const flat = c.add('Flatten', { axis: 1 }, [conv2], q(true, 16, 9));
  const gemm = c.add('Dense', { weights: { shape: [2, 75], data: ints(rng, 150, -1, 1), wl: 2, fl: [0] } }, [flat], q(true, 16, 9));
  const affine = c.add('ChannelAffine', { weights: { shape: [3], data: Int32Array.from([1, -2, 3]), wl: 4, fl: [0] }, bias: { kind: 'format', data: Int32Array.from([5, 0, -5]), format: q(true, 8, 4) }, activation: { kind: 'Relu' } }, [conv], q(true, 16, 11));
  const fx = c.graph([conv, gemm, affine]);
  const got = await both(fx, [{ shape: [2, 2, 5, 5], data: ints(rng, 100, -20, 20), format: fin }]);
  for (const [ours, theirs] of got) {
    assert.deepEqual(theirs, ours);
    assert.ok(ours.some((v) => v !== 0 && Math.abs(v) < 32767), 'some results are neither zero nor saturated');
  }

  const c3 = new Chain();
  const x3 = c3.input([2, 3, 4], q(true, 8, 2));
  const dense3 = c3.add('Dense', { weights: { shape: [5, 4], data: ints(rng, 20, -100, 100), wl: 8, fl: [6, 6, 7, 7, 8] }, bias: { kind: 'format', data: ints(rng, 5, -100, 100), format: q(true, 12, 8) } }, [x3], q(true, 16, 10));
  const [[ours3, theirs3]] = (await both(c3.graph([dense3]), [{ shape: [2, 3, 4], data: ints(rng, 24, -128, 127), format: q(true, 8, 2) }])) as [[Int32Array, Int32Array]];
  assert.deepEqual(theirs3, ours3);
  assert.ok(ours3.some((v) => v !== 0));
});

test('exact data movement in one format: MaxPool (SAME), Pad, DepthToSpace, Transpose, Resize, Concat, Reshape, Relu, Clip', async () => {
  const rng = new Rng(3);
  const f = q(true, 8, 3);
  const c = new Chain();
  const x = c.input([1, 4, 5, 5], f);
  const pool = c.add('MaxPool', { kernel: [2, 2], strides: [1, 1], dilations: [2, 1], pads: [0, 0, 0, 0], autoPad: 'SAME_UPPER', ceilMode: false }, [x], f);
  const pad = c.add('Pad', { pads: [0, 0, 1, 0, 0, 0, 0, 1], mode: 'constant', value: -7 }, [pool], f);
  const d2s = c.add('DepthToSpace', { blocksize: 2, mode: 'CRD' }, [pad], f);
  const tr = c.add('Transpose', { perm: [0, 1, 3, 2] }, [d2s], f);
  const rs = c.add('Resize', { scales: [1, 1, 2, 1.5], coordinateMode: 'asymmetric', nearestMode: 'floor' }, [tr], f);
  const relu = c.add('Relu', {}, [rs], f);
  const clip = c.add('Clip', { lo: -20, hi: 40 }, [rs], f);
  const cat = c.add('Concat', { axis: 1 }, [relu, clip], f);
  const reshape = c.add('Reshape', { shape: [0, -1] }, [cat], f);
  const edge = c.add('Pad', { pads: [0, 0, 1, 2, 0, 0, 2, 1], mode: 'reflect', value: 0 }, [x], f);
  const fx = c.graph([reshape, edge]);
  for (const [ours, theirs] of await both(fx, [{ shape: [1, 4, 5, 5], data: ints(rng, 100, -128, 127), format: f }])) assert.deepEqual(theirs, ours);
});

test('Pad with per-channel constants: Sub p, Pad with 0, Add p, exact against the engine (ranks 2 to 4, 8 and 16 bits, a format change)', async () => {
  const rng = new Rng(17);
  const c = new Chain();
  const f = q(true, 8, 3);
  const x = c.input([1, 4, 5, 5], f);
  const a = c.add('Pad', { pads: [0, 0, 2, 0, 0, 0, -1, 3], mode: 'constant', value: 5, channelValues: [-128, 127, 0, -37] }, [x], f);
  // Chained, into a coarser unsigned format: each fill is requantized (and saturated) like the elements.
  const b = c.add('Pad', { pads: [0, 0, 1, 1, 0, 0, 0, 1], mode: 'constant', value: 0, channelValues: [3, -3, 100, 7] }, [a], q(false, 8, 1));
  const wide = q(false, 16, 10);
  const x3 = c.input([1, 3, 6], wide, 'x3');
  const y3 = c.add('Pad', { pads: [0, 0, 3, 0, 0, -2], mode: 'constant', value: 0, channelValues: [65535, 0, 40000] }, [x3], wide);
  const s16 = q(true, 16, 12);
  const x2 = c.input([2, 3], s16, 'x2');
  const y2 = c.add('Pad', { pads: [1, 0, 2, 0], mode: 'constant', value: 0, channelValues: [-32768, 32767, -1] }, [x2], s16);
  const fx = c.graph([a, b, y3, y2], [x, x3, x2]);
  const inputs: FxTensor[] = [
    { shape: [1, 4, 5, 5], data: ints(rng, 100, -128, 127), format: f },
    { shape: [1, 3, 6], data: ints(rng, 18, 0, 65535), format: wide },
    { shape: [2, 3], data: ints(rng, 6, -32768, 32767), format: s16 },
  ];
  // Output 1 changes format: its ties round up only in half-up mode (see the rounding test below).
  for (const rounding of ['even', 'half-up'] as const) {
    const got = await both(fx, inputs, rounding);
    got.forEach(([ours, theirs], k) => {
      if (k !== 1 || rounding === 'half-up') assert.deepEqual(theirs, ours, `output ${k} (${rounding})`);
    });
  }
  const model = P.ModelProto.decode(exportOnnxQdq(fx).bytes).graph!;
  const ops = model.node!.map((n) => n.opType);
  assert.equal(ops.filter((o) => o === 'Pad').length, 4);
  assert.ok(ops.includes('Sub') && ops.includes('Add'));
  const p = model.initializer!.find((t) => t.name === 'pad_0/pad_channel_values')!;
  assert.deepEqual([...p.dims!].map(Number), [1, 4, 1, 1]);
  assert.deepEqual(floatOf(p), [-16, 15.875, 0, -4.625]);
  // A mode other than constant is refused, naming the node.
  const edge: FxGraph = { ...fx, nodes: fx.nodes.map((n) => (n.op === 'Pad' && n.name === 'pad_0' ? { ...n, attrs: { ...n.attrs, mode: 'edge' } } : n)) };
  assert.throws(() => exportOnnxQdq(edge), (e: unknown) => e instanceof FxpError && /channelValues need mode 'constant'/.test(e.message) && e.node === 'pad_0' && e.op === 'Pad');
});

test('word lengths below the container: Clip to the format before int8/uint8/int16/uint16 QuantizeLinear', async () => {
  const c = new Chain();
  const x = c.input([1, 41], q(true, 8, 0));
  const outs = [q(true, 4, 0), q(false, 5, 0), q(true, 12, 2), q(false, 16, 3), q(true, 2, -1)].map((f) => c.add('Requantize', {}, [x], f));
  const fx = c.graph(outs);
  const data = Int32Array.from({ length: 41 }, (_, i) => (i - 20) * 6);
  const got = await both(fx, [{ shape: [1, 41], data, format: q(true, 8, 0) }]);
  const [s4, u5, s12, u16, s2] = got.map(([ours, theirs]) => {
    assert.deepEqual(theirs, ours);
    return ours;
  }) as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
  assert.equal(Math.min(...s4), -8);
  assert.equal(Math.max(...s4), 7);
  assert.equal(Math.min(...u5), 0);
  assert.equal(Math.max(...u5), 31);
  assert.equal(Math.max(...s12), 120 * 4);
  assert.equal(Math.max(...u16), 120 * 8);
  assert.deepEqual([Math.min(...s2), Math.max(...s2)], [-2, 1]);
  const types = P.ModelProto.decode(exportOnnxQdq(fx).bytes).graph!.initializer!.filter((t) => t.name!.startsWith('zero_')).map((t) => t.dataType);
  assert.deepEqual(new Set(types), new Set([DT.INT8, DT.UINT8, DT.INT16, DT.UINT16]));
});

test('the one rounding difference: QuantizeLinear rounds ties to even, the engine rounds them up; half-up mode matches', async () => {
  const c = new Chain();
  const x = c.input([1, 8], q(true, 8, 1));
  const conv: FxWeights = { shape: [1, 1, 1, 1], data: Int32Array.from([3]), wl: 4, fl: [2] };
  const y = c.add('Requantize', {}, [x], q(true, 8, 0));
  // x * 0.75 in Q(s,8,3): ties at 1/16 steps for a 1-bit output shift.
  const z = c.add('Conv', { kernel: [1, 1], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], autoPad: 'NOTSET', group: 1, weights: conv }, [c.add('Reshape', { shape: [1, 1, 1, 8] }, [x], q(true, 8, 1))], q(true, 8, 2));
  const fx = c.graph([y, z]);
  // 0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, 1.0
  const input: FxTensor = { shape: [1, 8], data: Int32Array.from([1, 3, 5, 7, -1, -3, -5, 2]), format: q(true, 8, 1) };
  const [[ours, theirs], [oursConv, theirsConv]] = (await both(fx, [input])) as [[Int32Array, Int32Array], [Int32Array, Int32Array]];
  assert.deepEqual(Array.from(ours), [1, 2, 3, 4, 0, -1, -2, 1]);
  assert.deepEqual(Array.from(theirs), [0, 2, 2, 4, 0, -2, -2, 1]);
  assert.notDeepEqual(theirsConv, oursConv, 'the conv outputs hit ties too');
  for (const [a, b] of await both(fx, [input], 'half-up')) assert.deepEqual(b, a);
});

test('every fixed-point op exports to a model onnxruntime runs, with the engine output shapes', async () => {
  const runnable = new Map<FxOpType, number>();
  let identical = 0;
  let identicalUp = 0;
  let total = 0;
  for (const [k, op] of ALL_OPS.entries()) {
    for (let attempt = 0; attempt < 12 && !runnable.has(op); attempt++) {
      const r = randomGraph(7001 * (k + 1) + attempt, op, { wide: attempt % 3 === 2 });
      // One input: the generator's extra inputs may broadcast over the batch, which ONNX's shared 'N' forbids.
      if (r.fx.inputs.length !== 1) continue;
      let ours: FxTensor[];
      let bytes: Uint8Array;
      try {
        ours = createEngine(r.fx).run(r.inputs).outputs;
        bytes = exportOnnxQdq(r.fx).bytes;
      } catch (err) {
        assert.ok(err instanceof FxpError, `${op}: ${String(err)}`);
        continue;
      }
      let res: Record<string, { dims: readonly number[]; data: unknown }>;
      let resUp: typeof res;
      try {
        const session = await ortSession(bytes, 'disabled');
        res = await session.run(feedsOf(r.fx, r.inputs));
        await session.release();
        const up = await ortSession(exportOnnxQdq(r.fx, { rounding: 'half-up' }).bytes, 'disabled');
        resUp = await up.run(feedsOf(r.fx, r.inputs));
        await up.release();
      } catch {
        continue; // onnxruntime's own limits (e.g. output_padding >= stride, edge-padding an empty dim)
      }
      const shapesMatch = r.fx.outputs.every((id, i) => res[r.fx.values[id]!.name]!.dims.join() === ours[i]!.shape.join());
      if (!shapesMatch) continue;
      r.fx.outputs.forEach((id, i) => {
        const theirs = onnxIntegers(res[r.fx.values[id]!.name]!.data as Float32Array, ours[i]!);
        const theirsUp = onnxIntegers(resUp[r.fx.values[id]!.name]!.data as Float32Array, ours[i]!);
        total += theirs.length;
        theirs.forEach((v, j) => (identical += v === ours[i]!.data[j] ? 1 : 0));
        theirsUp.forEach((v, j) => (identicalUp += v === ours[i]!.data[j] ? 1 : 0));
      });
      runnable.set(op, attempt);
    }
  }
  const missing = ALL_OPS.filter((op) => !runnable.has(op));
  assert.deepEqual(missing, [], `no onnxruntime-runnable random graph for ${missing.join(', ')}`);
  const pct = (n: number): string => `${((100 * n) / total).toFixed(1)}%`;
  console.log(`onnx-qdq random graphs: ${runnable.size} ops, identical output integers ${pct(identical)} (rounding even), ${pct(identicalUp)} (half-up) of ${total}`);
  assert.ok(identicalUp >= identical, 'half-up agrees at least as well');
});

test('errors: what ONNX QDQ cannot hold is an FxpError naming the node', () => {
  const c = new Chain();
  const x = c.input([1, 4, 3, 3], q(true, 8, 4));
  const w: FxWeights = { shape: [4, 1, 2, 2], data: new Int32Array(16).fill(1), wl: 8, fl: [5, 6] };
  c.add('ConvTranspose', { kernel: [2, 2], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], autoPad: 'NOTSET', outputPadding: [0, 0], group: 2, weights: w }, [x], q(true, 8, 4));
  assert.throws(() => exportOnnxQdq(c.graph([1]), { file: 'm.fxp' }), (e: unknown) => e instanceof FxpError && /group 2/.test(e.message) && e.node === 'convtranspose_0' && e.file === 'm.fxp');
  const bad = { ...c.graph([1]), outputs: [7] };
  assert.throws(() => exportOnnxQdq(bad), FxpError);
});

test('fxp export-onnx: writes a model onnxruntime loads; rejects a non-.fxp input', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fxp-onnx-'));
  try {
    const c = new Chain();
    const x = c.input([1, 3], q(true, 8, 2));
    const fx = c.graph([c.add('Relu', {}, [x], q(true, 8, 2))]);
    writeFileSync(join(dir, 'm.fxp'), encodeFxp(fx));
    await exportOnnxCommand(join(dir, 'm.fxp'), { output: join(dir, 'm.onnx'), json: true });
    const session = await ortSession(readFileSync(join(dir, 'm.onnx')));
    assert.deepEqual(session.inputNames, ['x']);
    await session.release();
    await assert.rejects(exportOnnxCommand(join(dir, 'm.onnx'), { output: join(dir, 'n.onnx') }), /takes a fixed-point model/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
