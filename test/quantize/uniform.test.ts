import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphBuilder, type Graph } from '../../src/ir/graph.js';
import { canonicalize } from '../../src/passes/index.js';
import { calibrate } from '../../src/quantize/calibrate.js';
import { quantizeUniform } from '../../src/quantize/pipeline.js';
import { DEFAULT_UNIFORM, fusedSoftmaxLogits, LOGIT_BITS, uniformAssignment } from '../../src/quantize/uniform.js';
import { createEngine } from '../../src/engine/runtime.js';
import { simulate } from '../../src/engine/simulate.js';
import type { Tensor } from '../../src/tensor.js';
import { randomArray, rng } from '../util/random.js';

/** x[N,8] -> Dense 8->6 -> Relu -> Dense 6->4 -> Softmax, and (when `tapped`) the logits are also an output. */
function net(tapped: boolean): Graph {
  const r = rng(11);
  const b = new GraphBuilder('mlp');
  const x = b.addInput('x', ['N', 8]);
  let y = b.addNode('Dense', 'fc1', {}, [x, b.addConstant('w1', [6, 8], randomArray(48, r)), b.addConstant('b1', [6], randomArray(6, r))]);
  y = b.addNode('Relu', 'relu', {}, [y]);
  const logits = b.addNode('Dense', 'fc2', {}, [y, b.addConstant('w2', [4, 6], randomArray(24, r)), b.addConstant('b2', [4], randomArray(4, r))]);
  const p = b.addNode('Softmax', 'softmax', { axis: 1 }, [logits]);
  b.outputs.push(p);
  if (tapped) b.outputs.push(logits);
  return canonicalize(b.finish());
}

const input: Tensor = { shape: [16, 8], data: randomArray(128, rng(5), -2, 2) };

async function statsOf(g: Graph) {
  return calibrate(g, (async function* () {
    yield [input];
  })());
}

test('the logits of a layer fused with its Softmax get LOGIT_BITS, other activations the uniform width', async () => {
  const g = net(false);
  const logits = fusedSoftmaxLogits(g);
  assert.equal(logits.length, 1);
  assert.equal(g.values[logits[0]!]!.name, g.nodes.find((n) => n.name === 'fc2')!.outputs.map((o) => g.values[o]!.name)[0]);
  const stats = await statsOf(g);
  const a = uniformAssignment(g, stats, DEFAULT_UNIFORM);
  for (const [id, f] of a.activations) assert.equal(f.wl, id === logits[0] ? LOGIT_BITS : 8, g.values[id]!.name);
  const narrow = uniformAssignment(g, stats, { ...DEFAULT_UNIFORM, logitBits: 8 });
  for (const f of narrow.activations.values()) assert.equal(f.wl, 8);
  // The logits' range top stays where calibration put it: 8 more fractional bits.
  assert.equal(a.activations.get(logits[0]!)!.fl, narrow.activations.get(logits[0]!)!.fl + LOGIT_BITS - 8);
});

test('logits that are also a graph output are stored activations and keep the uniform width', async () => {
  const g = net(true);
  assert.deepEqual(fusedSoftmaxLogits(g), []);
  const a = uniformAssignment(g, await statsOf(g), DEFAULT_UNIFORM);
  for (const f of a.activations.values()) assert.equal(f.wl, 8);
});

test('a fused 16-bit-logit network runs identically in the engine and the simulation', async () => {
  const g = net(false);
  const { fx } = quantizeUniform(g, await statsOf(g), DEFAULT_UNIFORM);
  assert.match(fx.meta?.logits ?? '', /16-bit/);
  const got = createEngine(fx, { kernels: 'ref' }).run([input], { keepAll: true });
  const want = simulate(fx, [input]);
  fx.values.forEach((v, id) => {
    const x = got.values[id];
    const y = want.values[id];
    if (x === undefined && y === undefined) return;
    assert.deepEqual(Array.from(x!.data), Array.from(y!.data), v.name);
  });
});
