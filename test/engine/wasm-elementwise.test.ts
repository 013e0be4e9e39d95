/**
 * The WASM elementwise kernels (Add, ChannelAffine, DepthToSpace) against the
 * reference kernels, bit for bit, on random 4-12-bit cases where their int32
 * conditions hold (so the fast code runs; counted), every fused activation and
 * both weight schemes, with inputs and output both copied through the arena and
 * in place in WASM memory (ctx.take), the output full of stale data. Threaded
 * runs: threads.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QFormat } from '../../src/fixed/format.js';
import { qRange } from '../../src/fixed/format.js';
import type { FxActivation, FxGraph, FxOpAttrMap, FxTensor } from '../../src/engine/fx-graph.js';
import { addWasm } from '../../src/engine/kernels/wasm/add.js';
import { channelAffineWasm } from '../../src/engine/kernels/wasm/channel-affine.js';
import { depthToSpaceWasm } from '../../src/engine/kernels/wasm/depth-to-space.js';
import { createWasmContextSync, wasmKernelsSupported, type WasmContext } from '../../src/engine/kernels/wasm/index.js';
import { REF_KERNELS } from '../../src/engine/kernels/ref/index.js';
import type { RefKernel } from '../../src/engine/kernels/ref/kernel.js';
import { inferFxNodeShape } from '../../src/engine/shapes.js';
import { Rng } from './random-graph.js';

type Op = 'Add' | 'ChannelAffine' | 'DepthToSpace';

const skip = wasmKernelsSupported() ? false : 'WebAssembly SIMD128/shared memory unavailable';

function fmt(r: Rng): QFormat {
  return { signed: r.bool(0.7), wl: r.int(4, 12), fl: r.int(-2, 10) };
}

function data(r: Rng, shape: readonly number[], f: QFormat): FxTensor {
  const { qmin, qmax } = qRange(f);
  return { shape, format: f, data: Int32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, () => r.int(qmin, qmax)) };
}

function act(r: Rng, fo: QFormat): FxActivation | undefined {
  const { qmin, qmax } = qRange(fo);
  switch (r.int(0, 3)) {
    case 0:
      return { kind: 'Relu' };
    case 1:
      return { kind: 'Clip', lo: r.int(qmin, 0), hi: r.int(0, qmax) };
    case 2:
      return { kind: 'LeakyRelu', m: r.int(0, 255), shift: r.int(0, 10) };
    default:
      return undefined;
  }
}

/** A copy of `a` in WASM memory (a buffer the runtime would take for a value). */
function inWasm(ctx: WasmContext, a: Int32Array): Int32Array {
  const t = ctx.take(a.length)!;
  assert.notEqual(ctx.addressOf(t), undefined);
  t.set(a);
  return t;
}

/**
 * Runs `fast` and the reference kernel on one node and asserts equal outputs;
 * `inPlace`: inputs and output live in WASM memory. Returns whether the WASM kernel ran.
 */
function compare<K extends Op>(ctx: WasmContext, op: K, attrs: FxOpAttrMap[K], ins: readonly FxTensor[], fo: QFormat, fast: RefKernel<K>, inPlace: boolean): boolean {
  const node = { op, name: 'n', attrs, inputs: ins.map((_, i) => i), outputs: [ins.length] };
  const io = { inFormats: ins.map((t) => t.format), outFormat: fo };
  const shapes = ins.map((t) => t.shape);
  const outShape = inferFxNodeShape(node as FxGraph['nodes'][number], shapes);
  const n = outShape.reduce((a, d) => a * d, 1);
  const want = new Int32Array(n);
  (REF_KERNELS[op] as RefKernel<K>)(node as never, io).bind(shapes, outShape).run(ins.map((t) => t.data), want);
  const stale = new Int32Array(n).fill(12345); // the kernel must overwrite every element
  const got = inPlace ? inWasm(ctx, stale) : stale;
  const inputs = ins.map((t) => (inPlace ? inWasm(ctx, t.data) : t.data));
  const before = ctx.calls();
  fast(node as never, io).bind(shapes, outShape).run(inputs, got);
  assert.deepEqual(Array.from(got), Array.from(want), `${op} ${JSON.stringify(io)} ${inPlace ? 'in place' : 'staged'}`);
  inputs.forEach((t, i) => assert.deepEqual(Array.from(t), Array.from(ins[i]!.data), `${op}: input ${i} changed`));
  if (inPlace) for (const t of [got, ...inputs]) assert.ok(ctx.give(t));
  return ctx.calls() > before;
}

test('Add: WASM equals the reference', { skip }, () => {
  const ctx = createWasmContextSync()!;
  const r = new Rng(11);
  let fast = 0;
  for (let i = 0; i < 300; i++) {
    const shape = [r.int(1, 2), r.int(1, 5), r.int(1, 6), r.int(1, 6)];
    const fo = fmt(r);
    if (compare(ctx, 'Add', { activation: act(r, fo) }, [data(r, shape, fmt(r)), data(r, shape, fmt(r))], fo, addWasm(ctx), i % 2 === 0)) fast++;
  }
  assert.ok(fast > 150, `WASM Add ran ${fast} times`);
});

test('ChannelAffine: WASM equals the reference', { skip }, () => {
  const ctx = createWasmContextSync()!;
  const r = new Rng(12);
  let fast = 0;
  for (let i = 0; i < 300; i++) {
    const c = r.int(1, 6);
    const shape = [r.int(1, 2), c, r.int(1, 5), r.int(1, 5)];
    const fi = fmt(r);
    const fo = fmt(r);
    const wl = r.int(2, 8);
    const w = Int32Array.from({ length: c }, () => r.int(-(2 ** (wl - 1)), 2 ** (wl - 1) - 1));
    const perChannel = r.bool();
    const fl = Array.from({ length: perChannel ? c : 1 }, () => r.int(-2, wl + 2));
    const range = r.bool(0.4) ? { data: Int32Array.from({ length: fl.length }, () => r.int(1, 255)), fl: r.int(0, 10), bits: 8 } : undefined;
    const weights = { shape: [c], data: w, wl, fl: range === undefined ? fl : fl.map(() => wl - 1), range };
    const bias = r.bool() ? { kind: 'accumulator' as const, data: Int32Array.from({ length: c }, () => r.int(-500, 500)), wl: 16 } : undefined;
    if (compare(ctx, 'ChannelAffine', { weights, bias, activation: act(r, fo) }, [data(r, shape, fi)], fo, channelAffineWasm(ctx), i % 2 === 0)) fast++;
  }
  assert.ok(fast > 100, `WASM ChannelAffine ran ${fast} times`);
});

test('DepthToSpace: WASM equals the reference (both modes)', { skip }, () => {
  const ctx = createWasmContextSync()!;
  const r = new Rng(13);
  let fast = 0;
  for (let i = 0; i < 100; i++) {
    const b = r.int(1, 3);
    const shape = [r.int(1, 2), r.int(1, 3) * b * b, r.int(1, 5), r.int(1, 5)];
    const f = fmt(r);
    if (compare(ctx, 'DepthToSpace', { blocksize: b, mode: r.bool() ? 'DCR' : 'CRD' }, [data(r, shape, f)], r.bool(0.2) ? fmt(r) : f, depthToSpaceWasm(ctx), i % 2 === 0)) fast++;
  }
  assert.ok(fast > 60, `WASM DepthToSpace ran ${fast} times`);
});

test('value buffers: take/give recycle views of WASM memory that survive its growth', { skip }, () => {
  const ctx = createWasmContextSync()!;
  const a = ctx.take(1000)!;
  const p = ctx.addressOf(a);
  assert.ok(p !== undefined && p % 16 === 0);
  a.fill(7);
  assert.equal(ctx.addressOf(new Int32Array(4)), undefined);
  assert.equal(ctx.give(new Int32Array(1000)), false);
  const before = ctx.peakBytes();
  ctx.alloc(64 * 2 ** 20); // grows the memory: new buffer object, old views stay valid
  assert.ok(ctx.peakBytes() > before);
  assert.ok(a.every((v) => v === 7));
  assert.equal(ctx.addressOf(a), p);
  const b = ctx.take(1000)!;
  assert.notEqual(ctx.addressOf(b), p);
  assert.ok(ctx.give(a));
  assert.equal(ctx.take(1000), a, 'a given buffer is reused for the same length');
  assert.equal(ctx.take(2 ** 29), undefined, 'value buffers stop before the memory limit');
});
