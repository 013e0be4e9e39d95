/** Helpers for the float executor tests: single-op graphs, seeded data, naive references. */
import assert from 'node:assert/strict';
import { GraphBuilder, type Graph } from '../../src/ir/graph.js';
import type { OpAttrMap, OpType } from '../../src/ir/ops.js';
import { runFloat } from '../../src/float/index.js';
import { rng as uniform } from '../util/random.js';
import { sizeOf, stridesOf, type Tensor } from '../../src/tensor.js';

/** Deterministic uniform [-1, 1) generator (test/util/random.ts's mulberry32, scaled). */
export function rng(seed: number): () => number {
  const u = uniform(seed);
  return () => 2 * u() - 1;
}

export function randomTensor(shape: readonly number[], rand: () => number): Tensor {
  return { shape: [...shape], data: Float32Array.from({ length: sizeOf(shape) }, rand) };
}

export function t(shape: readonly number[], values: readonly number[]): Tensor {
  return { shape: [...shape], data: Float32Array.from(values) };
}

/**
 * A graph with one node: `acts` become graph inputs, `params` constants, in that
 * order as the node's inputs.
 */
export function opGraph<K extends OpType>(op: K, attrs: OpAttrMap[K], acts: readonly Tensor[], params: readonly Tensor[] = []): Graph {
  const b = new GraphBuilder(`test_${op}`);
  const ins = acts.map((x, i) => b.addInput(`x${i}`, x.shape));
  const ps = params.map((p, i) => b.addConstant(`p${i}`, p.shape, p.data));
  b.outputs = [b.addNode(op, `${op}_node`, attrs, [...ins, ...ps])];
  return b.finish();
}

export function runOp<K extends OpType>(op: K, attrs: OpAttrMap[K], acts: readonly Tensor[], params: readonly Tensor[] = []): Tensor {
  const out = runFloat(opGraph(op, attrs, acts, params), acts).outputs[0];
  assert.ok(out !== undefined);
  return out;
}

/** Asserts same shape and every element within `tol` (absolute, scaled by max(1, |expected|)). */
export function assertClose(actual: Tensor, expected: Tensor, tol = 1e-5, what = ''): void {
  assert.deepEqual([...actual.shape], [...expected.shape], `${what} shape`);
  assert.equal(actual.data.length, expected.data.length);
  for (let i = 0; i < expected.data.length; i++) {
    const a = actual.data[i]!;
    const e = expected.data[i]!;
    if (!(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)))) {
      assert.fail(`${what} element ${i}: got ${a}, expected ${e}`);
    }
  }
}

/** Naive N-d transpose, by explicit index decomposition. */
export function naiveTranspose(x: Tensor, perm: readonly number[]): Tensor {
  const outShape = perm.map((p) => x.shape[p]!);
  const inStrides = stridesOf(x.shape);
  const out = new Float32Array(x.data.length);
  for (let o = 0; o < out.length; o++) {
    let rem = o;
    let src = 0;
    for (let d = outShape.length - 1; d >= 0; d--) {
      const i = rem % outShape[d]!;
      rem = Math.floor(rem / outShape[d]!);
      src += i * inStrides[perm[d]!]!;
    }
    out[o] = x.data[src]!;
  }
  return { shape: outShape, data: out };
}
