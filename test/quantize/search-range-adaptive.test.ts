/**
 * Range-adaptive weights in the mixed-precision search (`--weight-scheme
 * range-adaptive`): the space stores a kernel and a range per channel, the
 * fake-quant network the scorer runs computes what the integer engine computes
 * from the lowered model, the search's PSNR drop is the engine's, and the cost
 * model counts the stored ranges.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Uint8Image } from '../../src/data/images.js';
import { runFloatIO } from '../../src/engine/io.js';
import { createEngine, dequantize } from '../../src/engine/runtime.js';
import { createFloatExecutor } from '../../src/float/executor.js';
import { GraphBuilder, type Graph } from '../../src/ir/graph.js';
import { canonicalize } from '../../src/passes/index.js';
import { foldPixelScales, PIXEL_SCALES } from '../../src/passes/pixel-io.js';
import { calibrate, type TensorStats } from '../../src/quantize/calibrate.js';
import { costOf } from '../../src/quantize/cost.js';
import { lower } from '../../src/quantize/lower.js';
import { scaleMeta } from '../../src/quantize/pipeline.js';
import { FakeQuantNet, fakeQuant } from '../../src/quantize/search/fake-quant.js';
import { runSearch } from '../../src/quantize/search/index.js';
import { lowerOne, structureError } from '../../src/quantize/search/lowering.js';
import { imagePsnrs } from '../../src/quantize/search/metric.js';
import type { SearchSet } from '../../src/quantize/search/set.js';
import { rangeAdaptiveKernel, searchSpace, toAssignment, uniformConfig, weightRanges, type StructFormat } from '../../src/quantize/search/space.js';
import type { Tensor } from '../../src/tensor.js';
import { randomArray, rng } from '../util/random.js';

const CONV = { kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], autoPad: 'NOTSET', group: 1 } as const;
const N = 12;
const S = 8;
const C = 6;

/** conv 3->6 + ReLU, conv 6->6, Add (residual), conv 6->3: near pass-through, channels of very different scales. */
function imageNet(): Graph {
  const r = rng(5);
  const b = new GraphBuilder('ra');
  const x = b.addInput('x', ['N', 3, S, S]);
  const w1 = randomArray(C * 3 * 9, r).map((v) => 0.05 * v);
  for (let c = 0; c < 3; c++) w1[(c * 3 + c) * 9 + 4] = 1;
  const h = b.addNode('Relu', 'r1', {}, [b.addNode('Conv', 'c1', CONV, [x, b.addConstant('w1', [C, 3, 3, 3], w1), b.addConstant('b1', [C], randomArray(C, r).map((v) => 0.01 * v))])]);
  // Output channel c of c2 has weights of scale 0.02 * 2^-c: per-channel ranges matter.
  const w2 = randomArray(C * C * 9, r).map((v, i) => 0.02 * v * 2 ** -Math.floor(i / (C * 9)));
  const y2 = b.addNode('Conv', 'c2', CONV, [h, b.addConstant('w2', [C, C, 3, 3], w2), b.addConstant('b2', [C], randomArray(C, r).map((v) => 0.01 * v))]);
  const s = b.addNode('Add', 'add', {}, [h, y2]);
  const w3 = randomArray(3 * C * 9, r).map((v) => 0.05 * v);
  for (let c = 0; c < 3; c++) w3[(c * C + c) * 9 + 4] = 1;
  const y = b.addNode('Conv', 'c3', CONV, [s, b.addConstant('w3', [3, C, 3, 3], w3), b.addConstant('b3', [3], randomArray(3, r).map((v) => 0.01 * v))]);
  b.outputs.push(y);
  return canonicalize(b.finish());
}

function images(): { input: Tensor; pixels: Tensor; targets: Uint8Image[] } {
  const r = rng(13);
  const px = Array.from({ length: N * 3 * S * S }, () => Math.floor(r() * 256));
  const input: Tensor = { shape: [N, 3, S, S], data: Float32Array.from(px, (p) => p / 255) };
  const pixels: Tensor = { shape: [N, 3, S, S], data: Float32Array.from(px) };
  const targets = Array.from({ length: N }, (_, i) => {
    const data = new Uint8Array(S * S * 3);
    for (let c = 0; c < 3; c++) for (let p = 0; p < S * S; p++) data[p * 3 + c] = px[(i * 3 + c) * S * S + p]!;
    return { width: S, height: S, channels: 3 as const, data };
  });
  return { input, pixels, targets };
}

let cached: { g: Graph; stats: Map<number, TensorStats> } | undefined;
async function fixture(): Promise<{ g: Graph; stats: Map<number, TensorStats> }> {
  if (cached !== undefined) return cached;
  const g = foldPixelScales(imageNet());
  const stats = await calibrate(g, [[images().pixels]]);
  cached = { g, stats };
  return cached;
}

test('range-adaptive space: weights only (biases in accumulator units), ranges per channel follow fl', async () => {
  const { g, stats } = await fixture();
  const dyn = searchSpace(g, stats, { scales: PIXEL_SCALES, granularity: 'channel' });
  const ra = searchSpace(g, stats, { scales: PIXEL_SCALES, granularity: 'channel', weightScheme: 'range-adaptive' });
  assert.equal(ra.rangeMethod, 'max');
  assert.equal(ra.weightScheme, 'range-adaptive');
  assert.equal(ra.structures.filter((s) => s.kind === 'bias').length, 0);
  assert.equal(dyn.structures.filter((s) => s.kind === 'bias').length, 3);
  const w2 = ra.structures.find((s) => s.kind === 'weight' && s.node === 'c2')!;
  const f0 = uniformConfig(ra, { weight: 6, bias: 16, activation: 10 })[w2.id]!;
  // At the no-clipping F each channel's range is its own max |w|; one F more halves them all.
  assert.deepEqual(weightRanges(w2, f0), w2.channelMaxAbs);
  assert.deepEqual(
    weightRanges(w2, { wl: 6, fl: f0.fl + 1 }),
    w2.channelMaxAbs!.map((m) => m / 2),
  );
  // The diagonal step (wl - 1, fl - 1) keeps the ranges.
  assert.deepEqual(weightRanges(w2, { wl: 5, fl: f0.fl - 1 }), w2.channelMaxAbs);
  const a = toAssignment(ra, uniformConfig(ra, { weight: 6, bias: 16, activation: 10 }));
  const la = a.layers.get('c2')!;
  assert.equal(la.weight.scheme, 'range-adaptive');
  assert.equal(la.bias, undefined);
  if (la.weight.scheme === 'range-adaptive') {
    assert.equal(la.weight.range.length, C);
    assert.equal(la.weight.rangeBits, 16);
  }
  // Per-channel ranges fit the small channels better than power-of-two steps do.
  const fd = uniformConfig(dyn, { weight: 4, bias: 16, activation: 10 });
  const fr = uniformConfig(ra, { weight: 4, bias: 16, activation: 10 });
  const dw2 = dyn.structures.find((s) => s.kind === 'weight' && s.node === 'c2')!;
  assert.ok(structureError(ra, w2, fr[w2.id]!) < structureError(dyn, dw2, fd[dw2.id]!), 'range-adaptive has the smaller weight error at 4 bits');
  assert.ok(lowerOne(ra, w2, fr[w2.id]!).wl === 3);
  // Range method 'mse': at every word length each channel's range is
  // its least-error clip (at most its max), the FL steps halve it, and the weight
  // error is never above the max ranges'.
  const mse = searchSpace(g, stats, { scales: PIXEL_SCALES, granularity: 'channel', weightScheme: 'range-adaptive', rangeMethod: 'mse' });
  assert.equal(mse.rangeMethod, 'mse');
  const m2 = mse.structures.find((s) => s.kind === 'weight' && s.node === 'c2')!;
  for (const wl of [3, 4, 6, 8]) {
    const f = { wl, fl: uniformConfig(mse, { weight: wl, bias: 16, activation: 10 })[m2.id]!.fl };
    const r = weightRanges(m2, f);
    assert.deepEqual(r, m2.clipRanges![wl]);
    r.forEach((x, c) => assert.ok(x <= w2.channelMaxAbs![c]! && x >= 0.5 * w2.channelMaxAbs![c]! - 1e-12));
    assert.deepEqual(weightRanges(m2, { wl, fl: f.fl + 1 }), r.map((x) => x / 2));
    assert.ok(structureError(mse, m2, f) <= structureError(ra, w2, f), `mse ranges no worse at ${wl} bits`);
    const lm = toAssignment(mse, uniformConfig(mse, { weight: wl, bias: 16, activation: 10 })).layers.get('c2')!.weight;
    assert.ok(lm.scheme === 'range-adaptive' && lm.range.every((x, c) => x === r[c]));
  }
  // These weights are uniform, where the maximum is nearly the best clip; still
  // strictly less error at low widths, 4% less at 2 bits.
  for (const wl of [2, 3, 4, 5]) {
    const f = uniformConfig(mse, { weight: wl, bias: 16, activation: 10 })[m2.id]!;
    assert.ok(structureError(mse, m2, f) < (wl === 2 ? 0.97 : 1) * structureError(ra, w2, f), `mse ranges strictly better at ${wl} bits`);
  }
  // With fixed activation bits only the parameters are searched.
  const wOnly = searchSpace(g, stats, { scales: PIXEL_SCALES, granularity: 'channel', weightScheme: 'range-adaptive', activationBits: 12 });
  assert.deepEqual(wOnly.structures.map((s) => s.kind), ['weight', 'weight', 'weight']);
  const add = g.nodes.find((n) => n.op === 'Add')!.outputs[0]!;
  assert.equal(wOnly.fixedActivations.get(add)!.wl, 12);
  assert.deepEqual(wOnly.fixedActivations.get(g.outputs[0]!), { signed: false, wl: 8, fl: 0 });
});

test('the range-adaptive fake-quant network computes what the integer engine computes', async () => {
  const { g, stats } = await fixture();
  const { pixels } = images();
  const space = searchSpace(g, stats, { scales: PIXEL_SCALES, granularity: 'channel', weightScheme: 'range-adaptive' });
  for (const [wl, al, clip] of [
    [8, 12, 0],
    [5, 8, 1],
    [3, 7, 0],
  ] as const) {
    const config: StructFormat[] = uniformConfig(space, { weight: wl, bias: 16, activation: al }).map((f, id) => (space.structures[id]!.kind === 'weight' ? { wl: f.wl, fl: f.fl + clip } : f));
    const fx = lower(g, toAssignment(space, config), { meta: scaleMeta(PIXEL_SCALES) });
    assert.ok(fx.nodes.some((n) => n.op === 'Conv' && n.attrs.weights.range !== undefined && n.attrs.bias?.kind === 'accumulator'));
    const net = new FakeQuantNet(space);
    const qx = { shape: pixels.shape, data: fakeQuant(pixels.data, space.fixedActivations.get(g.inputs[0]!)!) };
    const exec = createFloatExecutor(g);
    const sim = exec.run([qx], { keepAll: true, given: net.params(config, undefined), transform: net.transform(config, undefined) });
    const eng = createEngine(fx).run([pixels], { keepAll: true });
    // Every intermediate activation and the output pixels: the same integers, up to a
    // rounding tie the float32 sum puts on the other side (one step, rarely).
    for (const [k, node] of g.nodes.entries()) {
      const id = node.outputs[0]!;
      const f = fx.values[fx.nodes[k]!.outputs[0]!]!.format;
      const a = sim.values[id]!.data;
      const b = dequantize(eng.values![fx.nodes[k]!.outputs[0]!]!).data;
      let off = 0;
      let worst = 0;
      for (let i = 0; i < a.length; i++) {
        const d = Math.abs(a[i]! - b[i]!) * 2 ** f.fl;
        if (d > 1e-6) off++;
        worst = Math.max(worst, d);
      }
      assert.ok(worst <= 1 + 1e-6, `W${wl}/A${al} ${node.name}: largest difference ${worst} steps`);
      assert.ok(off <= a.length * 0.002, `W${wl}/A${al} ${node.name}: ${off} of ${a.length} values differ`);
    }
  }
});

test('a range-adaptive pixel search: its PSNR drop is the integer engine\'s, and the cost counts the ranges', async () => {
  const { g, stats } = await fixture();
  const { input, pixels, targets } = images();
  const set = pixelSet(input, targets);
  void pixels;
  const r = await runSearch(g, stats, set, { strategy: 'goyal', metric: 'psnr', budget: 0.5, threads: 0, scales: PIXEL_SCALES, granularity: 'channel', weightScheme: 'range-adaptive' });
  assert.ok(r.config.some((f, id) => r.space.structures[id]!.kind === 'weight' && f.wl < 8), 'the search lowered some weights');
  const fx = lower(r.graph, r.assignment, { meta: scaleMeta(PIXEL_SCALES) });
  const engine = imagePsnrs(runFloatIO(createEngine(fx), input), targets);
  const ref = imagePsnrs(createFloatExecutor(imageNet()).run([input]).outputs[0]!, targets);
  const mean = (a: Float64Array): number => a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(mean(ref) - r.searchDrop - mean(engine)) < 0.01, `float ${mean(ref)} - search drop ${r.searchDrop} vs integer engine ${mean(engine)}`);

  const cost = costOf(r.graph, r.assignment, { inputShapes: [[1, 3, S, S]] });
  const row = cost.rows.find((x) => x.name === 'c2')!;
  assert.equal(row.ranges, C);
  assert.equal(row.wlRange, 16);
  assert.equal(row.wlBias, 32);
  assert.equal(row.memoryBits, row.wlWeight * row.weights + 32 * row.biases + row.wlAct * row.activations + 16 * C);
  const ranges = cost.rows.reduce((s, x) => s + 16 * x.ranges, 0);
  assert.equal(ranges, 16 * (C + C + 3));
  assert.equal(cost.scopes.all.total.rangeBits, ranges);
  assert.equal(cost.scopes.all.uniform8.rangeBits, 0);
  const weights = cost.rows.reduce((s, x) => s + x.weights, 0);
  assert.ok(Math.abs(cost.avgWeightStorageBits - cost.avgWeightBits - ranges / weights) < 1e-12);
});

/** The N images as a pixel search set of three chunks of four. */
function pixelSet(input: Tensor, targets: readonly Uint8Image[]): SearchSet {
  return {
    name: 'pixels',
    count: N,
    chunks: [0, 1, 2].map((k) => ({ id: k, input: { shape: [4, 3, S, S], data: input.data.subarray(k * 4 * 3 * S * S, (k + 1) * 4 * 3 * S * S) }, targets: targets.slice(4 * k, 4 * k + 4) })),
  };
}

test('fxpqnet with error-compensating rounding (gptq): kept layers carry grid weights the integer engine reproduces', async () => {
  const { g, stats } = await fixture();
  const { input, targets } = images();
  const set = pixelSet(input, targets);
  for (const weightScheme of ['range-adaptive', 'dynamic'] as const) {
    const r = await runSearch(g, stats, set, {
      strategy: 'fxpqnet', metric: 'psnr', budget: 0.5, threads: 0, scales: PIXEL_SCALES, granularity: 'channel', weightScheme,
      activationBits: 12, distillRounding: 'gptq', biasCorrection: false,
    });
    const steps = r.distill ?? [];
    // The teacher is the float graph as given: layer errors are against it, not against
    // the patched weights (with the patched graph as teacher every gptq layer "matched" and the net lost 11 dB).
    const check = r.distillChecks![0]!;
    if (weightScheme === 'range-adaptive') assert.ok(check.kept && check.dropAfter < 0.6 * check.dropBefore, `gptq kept and the drop cut: ${JSON.stringify(check)}`);
    assert.ok(steps.length === 3, `${weightScheme}: a distillation step per layer`);
    // On this net's correlated pixel inputs error feedback wins somewhere, and never loses: a step is gptq only if its output error is smaller.
    assert.ok(steps.some((s) => s.gptq === true), `${weightScheme}: error-compensating rounding chosen for some layer`);
    for (const s of steps) assert.ok(s.mseAfter <= s.mseBefore + 1e-12, `${weightScheme} ${s.node}: ${s.mseAfter} <= ${s.mseBefore}`);
    const fx = lower(r.graph, r.assignment, { meta: scaleMeta(PIXEL_SCALES) });
    const engine = imagePsnrs(runFloatIO(createEngine(fx), input), targets);
    const ref = imagePsnrs(createFloatExecutor(imageNet()).run([input]).outputs[0]!, targets);
    const mean = (a: Float64Array): number => a.reduce((s, v) => s + v, 0) / a.length;
    assert.ok(Math.abs(mean(ref) - r.searchDrop - mean(engine)) < 0.01, `${weightScheme}: float ${mean(ref)} - search drop ${r.searchDrop} vs integer engine ${mean(engine)}`);
  }
});

for (const [strategy, weightScheme] of [['goyal', 'dynamic'], ['fxpqnet', 'dynamic'], ['goyal', 'range-adaptive'], ['fxpqnet', 'range-adaptive']] as const) {
  test(`${strategy} with error feedback, ${weightScheme} weights: weights are scored error-fed; the lowered model stores those grid weights and the integer engine reproduces the drop`, async () => {
    const { g, stats } = await fixture();
    const { input, targets } = images();
    const set = pixelSet(input, targets);
    const base = { strategy, metric: 'psnr', budget: 0.5, threads: 0, scales: PIXEL_SCALES, granularity: 'layer', weightScheme } as const;
    const near = await runSearch(g, stats, set, base);
    const fed = await runSearch(g, stats, set, { ...base, goyal: { errorFeedback: true }, fxpqnet: { errorFeedback: true } });
    const space = searchSpace(g, stats, base);
    const fedSpace = { ...space, graph: fed.graph };
    // The grid of s at f (on the graph's weights): fake quantization (dynamic) or the range-adaptive kernel.
    const onGrid = (sp: typeof space, s: (typeof space.structures)[number], f: StructFormat): Float32Array =>
      weightScheme === 'dynamic' ? fakeQuant(sp.graph.values[s.valueId]!.data!, { signed: true, wl: f.wl, fl: f.fl }) : Float32Array.from(rangeAdaptiveKernel(sp, s, f).values);
    let changed = 0;
    for (const s of space.structures.filter((x) => x.kind === 'weight')) {
      const f = fed.config[s.id]!;
      const w = fed.graph.values[s.valueId]!.data!;
      assert.deepEqual(w, onGrid(fedSpace, s, f), `${s.node}: the stored weights are on the grid of Q(${f.wl},${f.fl})`);
      const nearest = onGrid(space, s, f);
      if (w.some((v, i) => v !== nearest[i])) changed++;
    }
    assert.ok(changed > 0, 'error feedback moved some weights off their nearest grid point');
    assert.notDeepEqual(fed.graph.values, near.graph.values);
    assert.equal(fed.errorFeedback, true);
    assert.equal(near.errorFeedback, false);
    const fx = lower(fed.graph, fed.assignment, { meta: scaleMeta(PIXEL_SCALES) });
    const engine = imagePsnrs(runFloatIO(createEngine(fx), input), targets);
    const ref = imagePsnrs(createFloatExecutor(imageNet()).run([input]).outputs[0]!, targets);
    const mean = (a: Float64Array): number => a.reduce((s, v) => s + v, 0) / a.length;
    assert.ok(Math.abs(mean(ref) - fed.searchDrop - mean(engine)) < 0.01, `float ${mean(ref)} - search drop ${fed.searchDrop} vs integer engine ${mean(engine)}`);
  });
}

for (const weightScheme of ['dynamic', 'range-adaptive'] as const) {
  test(`goyal with --distill (${weightScheme}, error feedback): one checked self-distillation pass after the search; the integer engine reproduces the drop`, async () => {
    const { g, stats } = await fixture();
    const { input, targets } = images();
    const set = pixelSet(input, targets);
    const base = { strategy: 'goyal', metric: 'psnr', budget: 0.5, threads: 0, scales: PIXEL_SCALES, granularity: 'channel', weightScheme, goyal: { errorFeedback: true } } as const;
    const plain = await runSearch(g, stats, set, base);
    assert.equal(plain.distill, undefined, 'goyal distils only when asked');
    const r = await runSearch(g, stats, set, { ...base, distill: true });
    assert.equal(r.distillChecks?.length, 1);
    const check = r.distillChecks![0]!;
    assert.equal(check.kept, check.rankAfter <= check.rankBefore && check.dropAfter <= Math.max(0.5, check.dropBefore));
    assert.equal(r.distill!.length, 3, 'a distillation step per layer');
    // The search's own choices are the same as without distillation.
    assert.deepEqual(r.goyal!.map((s) => s.chosen), plain.goyal!.map((s) => s.chosen));
    if (check.kept) assert.ok(Math.abs(r.searchDrop - check.dropAfter) < 1e-9);
    else assert.deepEqual(r.config, plain.config);
    // A corrected bias keeps its step (its word widens instead); a layer put back keeps its formats.
    for (const s of r.space.structures.filter((x) => x.kind === 'bias')) {
      assert.equal(r.config[s.id]!.fl, plain.config[s.id]!.fl, `bias of ${s.node}`);
      assert.ok(r.config[s.id]!.wl >= plain.config[s.id]!.wl, `bias of ${s.node}`);
    }
    for (const st of r.distill!) if (st.applied === false) assert.deepEqual(st.weightAfter, st.weightBefore);
    const fx = lower(r.graph, r.assignment, { meta: scaleMeta(PIXEL_SCALES) });
    const engine = imagePsnrs(runFloatIO(createEngine(fx), input), targets);
    const ref = imagePsnrs(createFloatExecutor(imageNet()).run([input]).outputs[0]!, targets);
    const mean = (a: Float64Array): number => a.reduce((s, v) => s + v, 0) / a.length;
    assert.ok(Math.abs(mean(ref) - r.searchDrop - mean(engine)) < 0.01, `float ${mean(ref)} - search drop ${r.searchDrop} vs integer engine ${mean(engine)}`);
  });
}
