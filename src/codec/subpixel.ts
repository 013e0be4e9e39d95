/**
 * ConvTranspose(5x5, stride 2, pads 2, output padding 1) as its sub-pixel form:
 * a 3x3 stride-1 Conv (pads 1) with 4 * Cout outputs, then DepthToSpace(2, CRD).
 * This is the same computation on the integers, not an approximation: output
 * pixel (2i + rh, 2j + rw) of channel co receives, in both forms, the products
 * x[i + 1 - a, j + 1 - b] * W[ci, co, kh(rh, a), kw(rw, b)] over ci and the taps
 *   k(0, a) = 4, 2, 0 and k(1, a) = -, 3, 1  for a = 0, 1, 2  ('-': no tap, weight 0),
 * the same bias and the same requantization (linear-stage.ts), so the outputs are
 * identical integers (test/codec/codec-subpixel.test.ts checks it). The Conv has
 * fast kernels (WASM); the transposed convolution runs on the reference kernel.
 *
 * Conv output channel co * 4 + rh * 2 + rw holds phase (rh, rw) of channel co,
 * which is what DepthToSpace in CRD mode reads. Per-channel weight formats,
 * ranges and biases are repeated four times. Other ConvTransposes are left alone.
 */
import type { FxBias, FxGraph, FxNode, FxNodeOf, FxValue, FxWeights } from '../engine/fx-graph.js';

/** [phase][tap] -> kernel index; 5 = no tap. */
const TAP = [
  [4, 2, 0],
  [5, 3, 1],
] as const;

function applies(n: FxNodeOf<'ConvTranspose'>): boolean {
  const a = n.attrs;
  return (
    a.group === 1 &&
    a.autoPad === 'NOTSET' &&
    a.weights.shape.length === 4 &&
    a.weights.shape[2] === 5 &&
    a.weights.shape[3] === 5 &&
    a.kernel[0] === 5 &&
    a.kernel[1] === 5 &&
    a.strides.every((s) => s === 2) &&
    a.dilations.every((d) => d === 1) &&
    a.pads.every((p) => p === 2) &&
    a.outputPadding.every((p) => p === 1)
  );
}

function repeat4(a: readonly number[]): number[] {
  return a.flatMap((v) => [v, v, v, v]);
}

function repeat4i(a: Int32Array): Int32Array {
  return Int32Array.from(repeat4([...a]));
}

function subpixelWeights(w: FxWeights): FxWeights {
  const [cin, cout] = w.shape as [number, number, number, number];
  const data = new Int32Array(cout * 4 * cin * 9);
  for (let co = 0; co < cout; co++) {
    for (let rh = 0; rh < 2; rh++) {
      for (let rw = 0; rw < 2; rw++) {
        const oc = co * 4 + rh * 2 + rw;
        for (let ci = 0; ci < cin; ci++) {
          const src = (ci * cout + co) * 25;
          const dst = (oc * cin + ci) * 9;
          for (let a = 0; a < 3; a++) {
            const kh = TAP[rh]![a]!;
            for (let b = 0; b < 3; b++) {
              const kw = TAP[rw]![b]!;
              data[dst + a * 3 + b] = kh === 5 || kw === 5 ? 0 : w.data[src + kh * 5 + kw]!;
            }
          }
        }
      }
    }
  }
  const perChannel = w.fl.length > 1;
  return {
    shape: [cout * 4, cin, 3, 3],
    data,
    wl: w.wl,
    fl: perChannel ? repeat4(w.fl) : [...w.fl],
    range: w.range === undefined ? undefined : { ...w.range, data: perChannel ? repeat4i(w.range.data) : w.range.data },
  };
}

function subpixelBias(b: FxBias | undefined): FxBias | undefined {
  if (b === undefined) return undefined;
  return { ...b, data: repeat4i(b.data) };
}

/** The graph with every eligible ConvTranspose in sub-pixel form (other nodes unchanged). */
export function subpixelConvTranspose(fx: FxGraph): FxGraph {
  const values: FxValue[] = [...fx.values];
  const nodes: FxNode[] = [];
  for (const node of fx.nodes) {
    if (node.op !== 'ConvTranspose' || !applies(node)) {
      nodes.push(node);
      continue;
    }
    const out = node.outputs[0]!;
    const outV = fx.values[out]!;
    const mid = values.length;
    values.push({ name: `${outV.name}/subpixel`, shape: outV.shape.map((d, i) => (i === 1 && typeof d === 'number' ? d * 4 : typeof d === 'number' && i >= 2 ? d >> 1 : d)), format: outV.format });
    const a = node.attrs;
    nodes.push({
      op: 'Conv',
      name: `${node.name}/subpixel`,
      inputs: [...node.inputs],
      outputs: [mid],
      attrs: { kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], autoPad: 'NOTSET', group: 1, weights: subpixelWeights(a.weights), bias: subpixelBias(a.bias), activation: a.activation },
    });
    nodes.push({ op: 'DepthToSpace', name: `${node.name}/d2s`, inputs: [mid], outputs: [out], attrs: { blocksize: 2, mode: 'CRD' } });
  }
  return { ...fx, values, nodes };
}
