/** Error paths of the integer engine: every one an FxpError naming what is wrong. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FxpError } from '../../src/errors.js';
import type { FxGraph, FxOpAttrMap, FxWeights } from '../../src/engine/fx-graph.js';
import { createEngine } from '../../src/engine/runtime.js';
import { simulate } from '../../src/engine/simulate.js';
import { q, singleNode } from './helpers.js';

function throwsFxp(fn: () => unknown, pattern: RegExp, node?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof FxpError, `expected FxpError, got ${String(err)}`);
    assert.match(err.message, pattern);
    if (node !== undefined) assert.equal(err.node, node);
    return true;
  });
}

test('an accumulator bound reaching 2^53 is rejected at prepare, naming the node and op', () => {
  // 256 weights of -2^15 on 32-bit inputs: 256 * 2^15 * 2^31 = 2^54.
  const weights: FxWeights = { shape: [1, 256], data: new Int32Array(256).fill(-32768), wl: 16, fl: [0] };
  const fx = singleNode('Dense', { weights }, [{ shape: [1, 256], data: [], format: q(true, 32, 0) }], q(true, 16, 0), 'huge_dense');
  throwsFxp(() => createEngine(fx), /accumulator bound .* reaches 2\^53/, 'huge_dense');
  throwsFxp(() => createEngine(fx), /op 'Dense'/);
  throwsFxp(() => simulate(fx, []), /2\^53/, 'huge_dense');
  // Half the taps: 2^53 exactly is still rejected, 2^52 + bias passes as 'wide'.
  const half: FxWeights = { ...weights, shape: [1, 128], data: new Int32Array(128).fill(-32768) };
  throwsFxp(() => createEngine(singleNode('Dense', { weights: half }, [{ shape: [1, 128], data: [], format: q(true, 32, 0) }], q(true, 16, 0))), /2\^53/);
  const quarter: FxWeights = { ...weights, shape: [1, 64], data: new Int32Array(64).fill(-32768) };
  const ok = createEngine(singleNode('Dense', { weights: quarter }, [{ shape: [1, 64], data: [], format: q(true, 32, 0) }], q(true, 16, 0)));
  assert.deepEqual(ok.plan.nodes[0]!.kernel.acc, { width: 'wide', bound: 2 ** 52, post: { width: 'wide', bound: 2 ** 52 } });
});

test('the range product and left shifts are bounded too', () => {
  const weights: FxWeights = { shape: [1, 4], data: new Int32Array(4).fill(32767), wl: 16, fl: [15], range: { data: Int32Array.from([2 ** 30]), fl: 0, bits: 31 } };
  const fx = singleNode('Dense', { weights }, [{ shape: [1, 4], data: [], format: q(true, 16, 0) }], q(true, 16, 0), 'scaled');
  throwsFxp(() => createEngine(fx), /range-scaled accumulator bound .* 2\^53/, 'scaled');
  const shift = singleNode('Requantize', {}, [{ shape: [1, 1], data: [], format: q(true, 32, 0) }], q(true, 8, 30), 'up');
  throwsFxp(() => createEngine(shift), /requantized value bound .* 2\^53/, 'up');
});

test('a shape-dependent bound (GlobalAveragePool) is rejected when the input shape is bound', () => {
  const fx = singleNode('GlobalAveragePool', {}, [{ shape: [1, 1, -1, -1], data: [], format: q(true, 32, 0) }], q(true, 16, 0), 'gap');
  const engine = createEngine(fx);
  assert.equal(engine.plan.nodes[0]!.kernel.acc, undefined);
  assert.equal(engine.bind([[1, 1, 4, 4]]).nodes[0]!.acc.width, 'wide');
  throwsFxp(() => engine.bind([[1, 1, 2048, 1024]]), /window sum .* 2\^53/, 'gap');
});

const relu: FxGraph = singleNode('Relu', {}, [{ shape: [1, 2, 3], data: [], format: q(true, 8, 0) }], q(true, 8, 0), 'r');

test('wrong input count, shape, size, format and range are rejected', () => {
  const engine = createEngine(relu);
  const good = { shape: [2, 2, 3], data: new Int32Array(12), format: q(true, 8, 0) };
  assert.equal(engine.run([good]).outputs[0]!.data.length, 12);
  throwsFxp(() => engine.run([]), /takes 1 inputs, got 0/);
  throwsFxp(() => engine.run([good, good]), /takes 1 inputs, got 2/);
  throwsFxp(() => engine.run([{ ...good, shape: [2, 3, 3], data: new Int32Array(18) }]), /expects shape \[N, 2, 3\] \(any batch\), got \[2, 3, 3\]/);
  throwsFxp(() => engine.run([{ ...good, shape: [2, 2, 3, 1] }]), /expects shape/);
  throwsFxp(() => engine.run([{ ...good, data: new Int32Array(5) }]), /has 5 elements/);
  throwsFxp(() => engine.run([{ ...good, format: q(true, 8, 1) }]), /is in Q\(s,8,1\), the graph expects Q\(s,8,0\)/);
  throwsFxp(() => engine.run([{ ...good, data: new Int32Array(12).fill(300) }]), /element 0 = 300 is outside/);
  throwsFxp(() => engine.run([{ shape: [1, 2, 3], data: new Float32Array(6).fill(Number.NaN) }]), /NaN/);
  throwsFxp(() => simulate(relu, []), /takes 1 inputs, got 0/);
});

test('malformed graphs and parameters are rejected at prepare', () => {
  throwsFxp(() => createEngine({ ...relu, nodes: [{ ...relu.nodes[0]!, inputs: [1] }] }), /used before it is computed/, 'r');
  throwsFxp(() => createEngine({ ...relu, nodes: [{ ...relu.nodes[0]!, inputs: [0, 0] }] }), /takes 1 inputs, got 2/, 'r');
  throwsFxp(() => createEngine({ ...relu, outputs: [5] }), /never computed/);
  throwsFxp(() => createEngine({ ...relu, values: [relu.values[0]!, { ...relu.values[1]!, format: q(false, 32, 0) }] }), /UQ\(32,0\): word length must be in 2..31 to fit Int32Array/);
  const weights: FxWeights = { shape: [1, 2], data: Int32Array.from([9, 0]), wl: 4, fl: [0] };
  throwsFxp(() => createEngine(singleNode('Dense', { weights }, [{ shape: [1, 2], data: [], format: q(true, 8, 0) }], q(true, 8, 0), 'd')), /weight 0 = 9 does not fit 4 bits/, 'd');
  const table = { qmin: 0, data: new Int32Array(0) };
  throwsFxp(() => createEngine(singleNode('Sigmoid', { table }, [{ shape: [1, 2], data: [], format: q(true, 8, 0) }], q(true, 8, 0), 's')), /table is empty/, 's');
  const pad = { pads: [0, 1, 0, 0], mode: 'constant' as const, value: 200 };
  throwsFxp(() => createEngine(singleNode('Pad', pad, [{ shape: [1, 2], data: [], format: q(true, 8, 0) }], q(true, 8, 0), 'p')), /pad value 200/, 'p');
  throwsFxp(() => createEngine(singleNode('Clip', { lo: 3, hi: 1 }, [{ shape: [1, 2], data: [], format: q(true, 8, 0) }], q(true, 8, 0), 'c')), /lo 3 exceeds hi 1/, 'c');
});

test('Pad channelValues: wrong length, non-constant mode and out-of-range values name the node and op', () => {
  const x = [{ shape: [1, 3, 2], data: [], format: q(true, 8, 0) }];
  const input = [{ shape: [1, 3, 2], data: new Int32Array(6), format: q(true, 8, 0) }];
  const pad = (over: Partial<FxOpAttrMap['Pad']>): FxGraph => singleNode('Pad', { pads: [0, 0, 1, 0, 0, 1], mode: 'constant', value: 0, channelValues: [1, 2, 3], ...over }, x, q(true, 8, 0), 'p');
  const opIs = (fn: () => unknown): void => assert.throws(fn, (err: unknown) => err instanceof FxpError && err.op === 'Pad');
  // Length: checked when the shapes are known (engine bind, simulation).
  const short = createEngine(pad({ channelValues: [1, 2] }));
  throwsFxp(() => short.run(input), /channelValues has 2 values, the input \[1, 3, 2\] has 3 channels/, 'p');
  opIs(() => short.run(input));
  throwsFxp(() => simulate(pad({ channelValues: [1, 2, 3, 4] }), input), /channelValues has 4 values/, 'p');
  throwsFxp(() => createEngine(pad({ pads: [0, 1, 0, 0, 0, 0] })).run(input), /zero pads on dim 1/, 'p');
  // Mode and range: checked at prepare.
  throwsFxp(() => createEngine(pad({ mode: 'edge' })), /channelValues need mode 'constant', got 'edge'/, 'p');
  opIs(() => createEngine(pad({ mode: 'reflect' })));
  throwsFxp(() => createEngine(pad({ channelValues: [1, 128, 3] })), /pad channel value 1 = 128 must be an integer in the input format \[-128, 127\]/, 'p');
  throwsFxp(() => createEngine(pad({ channelValues: [1, 0.5, 3] })), /pad channel value 1 = 0.5/, 'p');
  // The right length runs.
  assert.deepEqual(Array.from(createEngine(pad({})).run(input).outputs[0]!.data), [1, 0, 0, 1, 2, 0, 0, 2, 3, 0, 0, 3]);
});

test('shape mismatches inside the graph name the node', () => {
  const weights: FxWeights = { shape: [2, 3, 1, 1], data: new Int32Array(6), wl: 4, fl: [0] };
  const attrs = { kernel: [1, 1] as const, strides: [1, 1] as const, dilations: [1, 1] as const, pads: [0, 0, 0, 0] as const, autoPad: 'NOTSET' as const, group: 1, weights };
  const fx = singleNode('Conv', attrs, [{ shape: [1, 2, 3, 3], data: [], format: q(true, 8, 0) }], q(true, 8, 0), 'conv1');
  const engine = createEngine(fx);
  throwsFxp(() => engine.run([{ shape: [1, 2, 3, 3], data: new Int32Array(18), format: q(true, 8, 0) }]), /expects 3 input channels/, 'conv1');
});
