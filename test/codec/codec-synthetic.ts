/**
 * A tiny codec with random weights in the exported architecture (N = 4, M = 6),
 * so that conversion, the model file and the codec are tested without the
 * trained models: g_a 4 x Conv5x5/2, g_s 4 x ConvTranspose5x5/2, h_a Conv3x3/1 +
 * 2 x Conv5x5/2, h_s 2 x ConvTranspose5x5/2 + [Conv3x3 means, ReLU(Conv3x3) scales]
 * -> Concat; Clip(0, 4) between layers. Export-time float math only.
 */
import { quantizedCdf } from '../../src/codec/cdf.js';
import { convertCodec } from '../../src/codec/convert.js';
import { decodeCodecModel, encodeCodecModel, type LoadedCodecModel } from '../../src/codec/model-file.js';
import type { CodecSources } from '../../src/codec/sources.js';
import type { CodingTables } from '../../src/codec/tables.js';
import { GraphBuilder, type Graph } from '../../src/ir/graph.js';
import type { FusedActivation } from '../../src/ir/ops.js';
import { tensor, type Tensor } from '../../src/tensor.js';
import { randomArray, rng } from '../util/random.js';

const N = 4;
const M = 6;
const CLIP: FusedActivation = { kind: 'Clip', min: 0, max: 4 };

type Layer = { op: 'Conv' | 'ConvTranspose'; cin: number; cout: number; k: number; s: number; act?: FusedActivation; gain?: number };

function chain(name: string, input: string, cin: number, layers: readonly Layer[], output: string, rand: () => number): Graph {
  const b = new GraphBuilder(name);
  let x = b.addInput(input, [1, cin, 'H', 'W']);
  layers.forEach((l, i) => {
    const p = (l.k - 1) / 2;
    const bound = (l.gain ?? 1) * Math.sqrt(3 / (l.cin * l.k * l.k));
    const wShape = l.op === 'Conv' ? [l.cout, l.cin, l.k, l.k] : [l.cin, l.cout, l.k, l.k];
    const w = b.addConstant(`${name}.${i}.w`, wShape, randomArray(l.cin * l.cout * l.k * l.k, rand, -bound, bound));
    const bias = b.addConstant(`${name}.${i}.b`, [l.cout], randomArray(l.cout, rand, -0.1, 0.3));
    const last = i === layers.length - 1;
    const common = { kernel: [l.k, l.k] as const, strides: [l.s, l.s] as const, dilations: [1, 1] as const, pads: [p, p, p, p] as const, autoPad: 'NOTSET' as const, group: 1, activation: l.act };
    x =
      l.op === 'Conv'
        ? b.addNode('Conv', `${name}.${i}`, common, [x, w, bias], last ? output : undefined)
        : b.addNode('ConvTranspose', `${name}.${i}`, { ...common, outputPadding: [1, 1] }, [x, w, bias], last ? output : undefined);
  });
  b.outputs = [x];
  return b.finish();
}

function hyperSynthesis(rand: () => number): Graph {
  const body = chain('hs', 'z_hat', N, [
    { op: 'ConvTranspose', cin: N, cout: N, k: 5, s: 2, act: CLIP, gain: 4 },
    { op: 'ConvTranspose', cin: N, cout: 6, k: 5, s: 2, act: CLIP, gain: 4 },
  ], 'h', rand);
  const b = new GraphBuilder('hyper_synthesis');
  const ids = body.values.map((v) => (v.data !== undefined ? b.addConstant(v.name, v.shape as number[], v.data) : body.inputs.includes(body.values.indexOf(v)) ? b.addInput(v.name, v.shape) : -1));
  const map = (id: number): number => ids[id]!;
  for (const n of body.nodes) ids[n.outputs[0]!] = b.addNode(n.op, n.name, n.attrs as never, n.inputs.map(map));
  const h = map(body.outputs[0]!);
  const head = (name: string, act: FusedActivation | undefined, gain: number): number => {
    const bound = gain * Math.sqrt(3 / (6 * 9));
    const w = b.addConstant(`${name}.w`, [M, 6, 3, 3], randomArray(M * 6 * 9, rand, -bound, bound));
    const bias = b.addConstant(`${name}.b`, [M], randomArray(M, rand, 0, 1));
    return b.addNode('Conv', name, { kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], autoPad: 'NOTSET', group: 1, activation: act }, [h, w, bias]);
  };
  const mean = head('mean', undefined, 1);
  const scale = head('scale', { kind: 'Relu' }, 1);
  b.outputs = [b.addNode('Concat', 'concat', { axis: 1 }, [mean, scale], 'params')];
  return b.finish();
}

/** A discretized Laplace prior over -30..30 per channel, quantized to 16 bits. */
function prior(): CodingTables {
  const half = 30;
  const cdfs = Array.from({ length: N }, (_, c) => {
    const b = 1 + c;
    const pmf = Float64Array.from({ length: 2 * half + 1 }, (_, i) => Math.exp(-Math.abs(i - half) / b));
    const sum = pmf.reduce((a, x) => a + x, 0);
    return quantizedCdf(Float64Array.from(pmf, (p) => p / sum), 1e-6, 16);
  });
  return { offsets: new Int32Array(N).fill(-half), lengths: new Int32Array(N).fill(2 * half + 1), cdfs };
}

export function syntheticSources(seed = 1): CodecSources {
  const rand = rng(seed);
  const conv = (cin: number, cout: number, act?: FusedActivation, gain?: number): Layer => ({ op: 'Conv', cin, cout, k: 5, s: 2, act, gain });
  const deconv = (cin: number, cout: number, act?: FusedActivation, gain?: number): Layer => ({ op: 'ConvTranspose', cin, cout, k: 5, s: 2, act, gain });
  return {
    dir: 'synthetic',
    quality: 1,
    lambda: 0.01,
    n: N,
    m: M,
    analysis: chain('analysis', 'x', 3, [conv(3, 8, CLIP, 4), conv(8, 8, CLIP, 3), conv(8, 8, CLIP, 3), conv(8, M, undefined, 8)], 'y', rand),
    synthesis: chain('synthesis', 'y_hat', M, [deconv(M, 8, CLIP, 2), deconv(8, 8, CLIP, 2), deconv(8, 8, CLIP, 2), deconv(8, 3, undefined, 0.5)], 'x_hat', rand),
    hyperAnalysis: chain('hyper_analysis', 'y', M, [{ op: 'Conv', cin: M, cout: N, k: 3, s: 1, act: CLIP, gain: 2 }, conv(N, N, CLIP, 2), conv(N, N, undefined, 6)], 'z', rand),
    hyperSynthesis: hyperSynthesis(rand),
    prior: prior(),
  };
}

/** Calibration batches: smooth random 64x64 pictures in [0, 1]. */
export function syntheticBatches(count: number, seed = 2): Tensor[] {
  const rand = rng(seed);
  return Array.from({ length: count }, () => {
    const t = tensor([1, 3, 64, 64]);
    const [a, b, c] = [rand(), rand(), rand()];
    for (let ch = 0; ch < 3; ch++) for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) t.data[(ch * 64 + y) * 64 + x] = Math.min(1, Math.max(0, 0.5 + 0.4 * Math.sin(a * x * 0.3 + b * y * 0.2 + ch * c * 3) + 0.1 * (rand() - 0.5)));
    return t;
  });
}

let cached: { bytes: Uint8Array; model: LoadedCodecModel } | undefined;

/** The synthetic model, converted once per test process. */
export async function syntheticModel(): Promise<{ bytes: Uint8Array; model: LoadedCodecModel }> {
  if (cached === undefined) {
    const m = await convertCodec(syntheticSources(), syntheticBatches(4), { meta: { source: 'synthetic test model' } });
    const { bytes } = encodeCodecModel(m);
    cached = { bytes, model: decodeCodecModel(bytes, 'synthetic.fxpcm') };
  }
  return cached;
}
