/**
 * The plain-TS fast paths (Add, ChannelAffine, DepthToSpace) against the reference
 * kernels, bit for bit, on random 8/12-bit cases where their int32 conditions hold
 * (so the fast code runs), every fused activation and both weight schemes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QFormat } from '../../src/fixed/format.js';
import { qRange } from '../../src/fixed/format.js';
import type { FxActivation, FxGraph, FxOpAttrMap, FxTensor } from '../../src/engine/fx-graph.js';
import { addFast } from '../../src/engine/kernels/wasm/add.js';
import { channelAffineFast } from '../../src/engine/kernels/wasm/channel-affine.js';
import { depthToSpaceFast } from '../../src/engine/kernels/wasm/depth-to-space.js';
import { REF_KERNELS } from '../../src/engine/kernels/ref/index.js';
import type { RefKernel } from '../../src/engine/kernels/ref/kernel.js';
import { inferFxNodeShape } from '../../src/engine/shapes.js';
import { Rng } from './random-graph.js';

type Op = 'Add' | 'ChannelAffine' | 'DepthToSpace';

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

/** Runs `fast` and the reference kernel on one node and asserts equal outputs. */
function compare<K extends Op>(op: K, attrs: FxOpAttrMap[K], ins: readonly FxTensor[], fo: QFormat, fast: RefKernel<K>): void {
  const node = { op, name: 'n', attrs, inputs: ins.map((_, i) => i), outputs: [ins.length] };
  const io = { inFormats: ins.map((t) => t.format), outFormat: fo };
  const shapes = ins.map((t) => t.shape);
  const outShape = inferFxNodeShape(node as FxGraph['nodes'][number], shapes);
  const n = outShape.reduce((a, d) => a * d, 1);
  const want = new Int32Array(n);
  const got = new Int32Array(n).fill(12345); // stale data: the kernel must overwrite every element
  (REF_KERNELS[op] as RefKernel<K>)(node as never, io).bind(shapes, outShape).run(ins.map((t) => t.data), want);
  fast(node as never, io).bind(shapes, outShape).run(ins.map((t) => t.data), got);
  assert.deepEqual(Array.from(got), Array.from(want), `${op} ${JSON.stringify(io)}`);
}

test('Add fast path equals the reference', () => {
  const r = new Rng(11);
  for (let i = 0; i < 300; i++) {
    const shape = [r.int(1, 2), r.int(1, 5), r.int(1, 6), r.int(1, 6)];
    const fo = fmt(r);
    compare('Add', { activation: act(r, fo) }, [data(r, shape, fmt(r)), data(r, shape, fmt(r))], fo, addFast);
  }
});

test('ChannelAffine fast path equals the reference', () => {
  const r = new Rng(12);
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
    compare('ChannelAffine', { weights, bias, activation: act(r, fo) }, [data(r, shape, fi)], fo, channelAffineFast);
  }
});

test('DepthToSpace fast path equals the reference (both modes)', () => {
  const r = new Rng(13);
  for (let i = 0; i < 100; i++) {
    const b = r.int(1, 3);
    const shape = [r.int(1, 2), r.int(1, 3) * b * b, r.int(1, 5), r.int(1, 5)];
    const f = fmt(r);
    compare('DepthToSpace', { blocksize: b, mode: r.bool() ? 'DCR' : 'CRD' }, [data(r, shape, f)], r.bool(0.2) ? fmt(r) : f, depthToSpaceFast);
  }
});
