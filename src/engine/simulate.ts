/**
 * The float64 fake-quant simulation of a fixed-point graph: a second, independent
 * execution that works on real values (dequantized weights, real sums, products
 * and means in Float64Array) and quantizes each node's result to its output
 * format with the contract's rounding floor(x * 2^fl + 1/2) and saturation.
 *
 * It gives the integer engine's results bit for bit: the graph is first checked
 * with the engine's own preparation (structure and accumulator bounds), and under
 * those bounds every real quantity here is exact in float64 (sim/fake-quant.ts).
 * What it shares with the engine is geometry (padding, shapes, resize maps) and
 * the stored tables, never the integer arithmetic.
 */
import { FxpError, wrapError } from '../errors.js';
import { quantizeArray } from '../fixed/convert.js';
import { pow2 } from '../fixed/pow2.js';
import type { Tensor } from '../tensor.js';
import type { FxGraph, FxNode, FxTensor } from './fx-graph.js';
import { bindPlan, prepareEngine } from './plan.js';
import { checkFxInput } from './runtime.js';
import { SIM_OPS } from './sim/index.js';
import type { SimOp, SimTensor } from './sim/fake-quant.js';

export interface SimulationResult {
  readonly outputs: FxTensor[];
  /** Every computed value (graph inputs included), by value id, as integers. */
  readonly values: (FxTensor | undefined)[];
}

function toFx(t: SimTensor): FxTensor {
  const scale = pow2(t.format.fl);
  return { shape: t.shape, data: Int32Array.from(t.real, (v) => v * scale), format: t.format };
}

function runNode(node: FxNode, ins: readonly SimTensor[], outShape: readonly number[], fo: SimTensor['format']): Float64Array {
  const op = SIM_OPS[node.op] as SimOp<typeof node.op>;
  return (op as (n: FxNode, i: readonly SimTensor[], s: readonly number[], f: SimTensor['format']) => Float64Array)(node, ins, outShape, fo);
}

export function simulate(fx: FxGraph, inputs: readonly (Tensor | FxTensor)[]): SimulationResult {
  const plan = prepareEngine(fx);
  if (inputs.length !== fx.inputs.length) throw new FxpError(`graph '${fx.name}' takes ${fx.inputs.length} inputs, got ${inputs.length}`);
  const shaped = bindPlan(plan, inputs.map((t) => t.shape));
  const sims: (SimTensor | undefined)[] = new Array<SimTensor | undefined>(fx.values.length);
  fx.inputs.forEach((id, i) => {
    const v = fx.values[id]!;
    const f = v.format;
    const t = inputs[i]!;
    const q = 'format' in t ? checkFxInput(t, f, v.name).data : quantizeArray(t.data, f);
    const step = pow2(-f.fl);
    sims[id] = { shape: [...t.shape], real: Float64Array.from(q, (v) => v * step), format: f };
  });
  for (const node of fx.nodes) {
    const out = node.outputs[0]!;
    const fo = fx.values[out]!.format;
    const shape = shaped.shapes[out]!;
    const ins = node.inputs.map((id) => sims[id]!);
    try {
      sims[out] = { shape, real: runNode(node, ins, shape, fo), format: fo };
    } catch (err) {
      throw wrapError(err, 'simulation failed', { node: node.name, op: node.op });
    }
  }
  const values = sims.map((s) => (s === undefined ? undefined : toFx(s)));
  return { outputs: fx.outputs.map((id) => values[id]!), values };
}
