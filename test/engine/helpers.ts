/** Single-node fixed-point graphs for hand-computed kernel vectors. */
import assert from 'node:assert/strict';
import type { QFormat } from '../../src/fixed/format.js';
import type { FxGraph, FxOpAttrMap, FxOpType, FxTensor } from '../../src/engine/fx-graph.js';
import { createEngine } from '../../src/engine/runtime.js';
import { simulate } from '../../src/engine/simulate.js';

export function q(signed: boolean, wl: number, fl: number): QFormat {
  return { signed, wl, fl };
}

export interface In {
  readonly shape: readonly number[];
  readonly data: readonly number[];
  readonly format: QFormat;
}

export function singleNode<K extends FxOpType>(op: K, attrs: FxOpAttrMap[K], ins: readonly In[], out: QFormat, name = 'n'): FxGraph {
  const values = [
    ...ins.map((t, i) => ({ name: `x${i}`, shape: ['N', ...t.shape.slice(1)], format: t.format })),
    { name: 'y', shape: [], format: out },
  ];
  const outId = ins.length;
  const inputs = ins.map((_, i) => i);
  return { name: op, values, nodes: [{ op, name, attrs, inputs, outputs: [outId] } as FxGraph['nodes'][number]], inputs, outputs: [outId] };
}

export function tensors(ins: readonly In[]): FxTensor[] {
  return ins.map((t) => ({ shape: t.shape, data: Int32Array.from(t.data), format: t.format }));
}

/** Runs one node on the engine and the simulation; both must give `want` (and the same shape). */
export function check<K extends FxOpType>(op: K, attrs: FxOpAttrMap[K], ins: readonly In[], out: QFormat, want: readonly number[], wantShape?: readonly number[]): void {
  const fx = singleNode(op, attrs, ins, out);
  const inputs = tensors(ins);
  const got = createEngine(fx).run(inputs).outputs[0]!;
  assert.deepEqual(Array.from(got.data), want, `${op}: engine`);
  const sim = simulate(fx, inputs).outputs[0]!;
  assert.deepEqual(Array.from(sim.data), want, `${op}: simulation`);
  if (wantShape !== undefined) assert.deepEqual(got.shape, wantShape, `${op}: shape`);
  assert.deepEqual(sim.shape, got.shape);
}
