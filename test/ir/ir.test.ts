import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FxpError } from '../../src/errors.js';
import { GraphBuilder, type Graph } from '../../src/ir/graph.js';
import { windowGeometry } from '../../src/ir/padding.js';
import { concreteInputShapes, inferShapes } from '../../src/ir/shape.js';
import { layerStats } from '../../src/ir/stats.js';
import { verifyGraph } from '../../src/ir/verify.js';

const CONV = { kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], autoPad: 'SAME_UPPER', group: 1 } as const;

function convGraph(wShape: number[], inShape: (number | string)[] = ['N', 3, 8, 8]): Graph {
  const b = new GraphBuilder('t');
  const x = b.addInput('x', inShape);
  const w = b.addConstant('w', wShape, new Float32Array(wShape.reduce((a, c) => a * c, 1)));
  b.outputs.push(b.addNode('Conv', 'conv1', CONV, [x, w]));
  return b.finish();
}

test('SAME_UPPER puts the odd padding at the end (TF/Keras), SAME_LOWER at the start', () => {
  const w = { kernel: [3, 3], strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0], autoPad: 'SAME_UPPER' } as const;
  const up = windowGeometry(w, 8, 8);
  assert.deepEqual(up.pads, [0, 0, 1, 1]);
  assert.equal(up.outH, 4);
  const lo = windowGeometry({ ...w, autoPad: 'SAME_LOWER' }, 8, 8);
  assert.deepEqual(lo.pads, [1, 1, 0, 0]);
  const pool = windowGeometry({ kernel: [2, 2], strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0], autoPad: 'SAME_UPPER' }, 7, 7);
  assert.equal(pool.outH, 4);
  assert.deepEqual(pool.pads, [0, 0, 1, 1]);
  const ceil = windowGeometry({ kernel: [2, 2], strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0], autoPad: 'NOTSET', ceilMode: true }, 7, 7);
  assert.equal(ceil.outH, 4);
});

test('shape inference gives concrete shapes and MACs', () => {
  const g = convGraph([4, 3, 3, 3]);
  const shapes = inferShapes(g, [[2, 3, 8, 8]]);
  assert.deepEqual(shapes[g.outputs[0]!], [2, 4, 8, 8]);
  const stats = layerStats(g, shapes);
  assert.equal(stats[0]!.macs, 2 * 4 * 8 * 8 * 27);
  assert.equal(stats[0]!.params, 108);
});

test('mismatched Conv weight shape is an error naming node and op', () => {
  const g = convGraph([4, 5, 3, 3]);
  assert.throws(
    () => verifyGraph(g, [[1, 3, 8, 8]]),
    (e: unknown) => e instanceof FxpError && e.node === 'conv1' && e.op === 'Conv' && /input channels/.test(e.message),
  );
});

test('an input of the wrong shape is rejected', () => {
  const g = convGraph([4, 3, 3, 3], ['N', 3, 8, 8]);
  assert.throws(() => inferShapes(g, [[1, 3, 9, 8]]), /expects shape/);
});

test('absurd sizes are rejected before allocation', () => {
  const g = convGraph([4, 3, 3, 3], ['N', 3, 'H', 'W']);
  assert.throws(() => inferShapes(g, [[1, 3, 1_000_000, 1_000_000]]), /too large/);
});

test('dynamic dims need a concrete shape', () => {
  const g = convGraph([4, 3, 3, 3], ['N', 3, 'H', 'W']);
  assert.throws(() => concreteInputShapes(g, 1), /dynamic dim 'H'/);
  assert.deepEqual(concreteInputShapes(g, 1, { H: 5, W: 6 }), [[1, 3, 5, 6]]);
});

test('verifier rejects non-constant weights, bad arity and out-of-order nodes', () => {
  const b = new GraphBuilder('t');
  const x = b.addInput('x', [1, 3, 4, 4]);
  const w = b.addInput('w', [4, 3, 3, 3]);
  b.outputs.push(b.addNode('Conv', 'c', CONV, [x, w]));
  assert.throws(() => verifyGraph(b.finish()), /must be a constant/);

  const g = convGraph([4, 3, 3, 3]);
  const bad: Graph = { ...g, nodes: [{ ...g.nodes[0]!, inputs: [g.inputs[0]!] }] as Graph['nodes'] };
  assert.throws(() => verifyGraph(bad), /takes 2-3 inputs/);

  const b2 = new GraphBuilder('t');
  const x2 = b2.addInput('x', [1, 4]);
  const r1 = b2.addNode('Relu', 'r1', {}, [x2]);
  const r2 = b2.addNode('Relu', 'r2', {}, [r1]);
  b2.outputs.push(r2);
  const g2 = b2.finish();
  const swapped: Graph = { ...g2, nodes: [g2.nodes[1]!, g2.nodes[0]!] };
  assert.throws(() => verifyGraph(swapped), /read before it is written/);
});
