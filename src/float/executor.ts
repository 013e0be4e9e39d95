/**
 * The float reference executor: runs a float graph on batched float32 inputs
 * (dim 0 = batch, 4-D activations NCHW). It is the ground truth for calibration,
 * format search and error measurement.
 *
 * `createFloatExecutor` prepares every node once (weights packed for the GEMM,
 * parameters folded); `run` then only validates shapes and executes. Tensors are
 * immutable once produced: kernels never write into their inputs, so outputs may
 * share buffers with inputs (Reshape, Identity) and a caller's tensors are never
 * modified.
 */
import { FxpError, wrapError } from '../errors.js';
import { producers, type Graph } from '../ir/graph.js';
import type { Node, NodeOf, OpType } from '../ir/ops.js';
import { inferNodeShape, inferShapes } from '../ir/shape.js';
import { sizeOf, type Tensor } from '../tensor.js';
import type { FloatKernelTable, NodeRun } from './kernel.js';
import { FLOAT_KERNELS } from './kernels/table.js';

export interface RunOptions {
  /** Keep every intermediate tensor in RunResult.values (default false: only outputs kept; intermediates freed as soon as no longer needed). With keepAll, every node that can be computed from the supplied values is run, not only those the outputs need. */
  keepAll?: boolean;
  /** Called with every node output as soon as it is computed (calibration uses this to collect statistics without keeping tensors). Receives the tensor after `transform`; not called for `given` values. */
  onValue?: (valueId: number, t: Tensor) => void;
  /** Values supplied by the caller: these replace what the graph would compute (or are the starting point for a partial re-run); nodes whose output is given are skipped. Used later for fake-quant simulation and for re-running only layers downstream of a change. A given value also overrides a graph input or a constant (e.g. fake-quantized weights). When every graph input the outputs need is given or cut off by given values, `inputs` may be empty. */
  given?: ReadonlyMap<number, Tensor>;
  /** Optional per-node hook: called with the node output right after it is computed; may return a replacement tensor (fake quantization uses this). The replacement must have the same shape; it is what downstream nodes, onValue and the result see. */
  transform?: (node: Node, t: Tensor) => Tensor;
}

export interface RunResult {
  outputs: Tensor[];
  /** Indexed by value id; filled for all values when keepAll, otherwise only for the graph outputs. */
  values: (Tensor | undefined)[];
}

export interface FloatExecutor {
  readonly graph: Graph;
  run(inputs: readonly Tensor[], opts?: RunOptions): RunResult;
}

const KERNELS: FloatKernelTable = FLOAT_KERNELS;

function prepareNode<K extends OpType>(node: NodeOf<K>, g: Graph): NodeRun {
  const kernel = KERNELS[node.op];
  try {
    return kernel(node, g);
  } catch (err) {
    throw wrapError(err, 'cannot prepare node', { node: node.name, op: node.op });
  }
}

function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function checkTensor(t: Tensor, what: string): void {
  if (t.data.length !== sizeOf(t.shape)) {
    throw new FxpError(`${what} has ${t.data.length} elements, its shape ${fmt(t.shape)} needs ${sizeOf(t.shape)}`);
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function createFloatExecutor(g: Graph): FloatExecutor {
  const runs = g.nodes.map((node) => prepareNode(node, g));
  const producer = producers(g);
  const isOutput = new Uint8Array(g.values.length);
  for (const id of g.outputs) isOutput[id] = 1;
  const constants = g.values.map((v): Tensor | undefined => (v.data === undefined ? undefined : { shape: v.shape.map(Number), data: v.data }));
  // Input shapes already checked against the graph by inferShapes.
  const validated = new Set<string>();

  const run = (inputs: readonly Tensor[], opts: RunOptions = {}): RunResult => {
    const { keepAll = false, onValue, given, transform } = opts;
    const nValues = g.values.length;
    const values: (Tensor | undefined)[] = constants.slice();

    if (inputs.length !== 0 || g.inputs.length === 0) {
      if (inputs.length !== g.inputs.length) throw new FxpError(`graph '${g.name}' takes ${g.inputs.length} inputs, got ${inputs.length}`);
      inputs.forEach((t, i) => checkTensor(t, `input '${g.values[g.inputs[i]!]!.name}'`));
      const key = inputs.map((t) => t.shape.join('x')).join(',');
      if (!validated.has(key)) {
        inferShapes(g, inputs.map((t) => t.shape));
        validated.add(key);
      }
      g.inputs.forEach((id, i) => (values[id] = inputs[i]));
    }
    const isGiven = new Uint8Array(nValues);
    given?.forEach((t, id) => {
      if (!Number.isInteger(id) || id < 0 || id >= nValues) throw new FxpError(`given value id ${id} out of range (graph has ${nValues} values)`);
      checkTensor(t, `given value '${g.values[id]!.name}'`);
      values[id] = t;
      isGiven[id] = 1;
    });

    // Forward: which values are available without the ones the caller left out.
    const avail = values.map((t) => t !== undefined);
    const computable = new Uint8Array(g.nodes.length);
    g.nodes.forEach((node, i) => {
      const out = node.outputs[0]!;
      if (isGiven[out] || !node.inputs.every((v) => avail[v])) return;
      computable[i] = 1;
      avail[out] = true;
    });
    for (const id of g.outputs) {
      if (!avail[id]) {
        const missing = g.inputs.filter((v) => values[v] === undefined).map((v) => `'${g.values[v]!.name}'`);
        throw new FxpError(`output '${g.values[id]!.name}' cannot be computed: graph inputs ${missing.join(', ')} were neither passed nor cut off by given values`);
      }
    }

    // Backward: the nodes to run, and how many times each value will still be read.
    const needed = keepAll ? computable.slice() : new Uint8Array(g.nodes.length);
    const stack = [...g.outputs];
    while (stack.length > 0) {
      const p = producer[stack.pop()!] ?? -1;
      if (p < 0 || !computable[p] || needed[p]) continue;
      needed[p] = 1;
      stack.push(...g.nodes[p]!.inputs);
    }
    const reads = new Int32Array(nValues);
    g.nodes.forEach((node, i) => {
      if (needed[i]) for (const v of node.inputs) reads[v]!++;
    });

    g.nodes.forEach((node, i) => {
      if (!needed[i]) return;
      const ins = node.inputs.map((v) => values[v]!);
      const outShape = inferNodeShape(node, ins.map((t) => t.shape));
      let t: Tensor;
      try {
        t = runs[i]!(ins, outShape);
      } catch (err) {
        throw wrapError(err, 'float kernel failed', { node: node.name, op: node.op });
      }
      if (transform !== undefined) {
        t = transform(node, t);
        if (!sameShape(t.shape, outShape) || t.data.length !== sizeOf(outShape)) {
          throw new FxpError(`transform returned shape ${fmt(t.shape)} (${t.data.length} elements), expected ${fmt(outShape)}`, { node: node.name, op: node.op });
        }
      }
      const out = node.outputs[0]!;
      values[out] = t;
      onValue?.(out, t);
      if (keepAll) return;
      for (const v of node.inputs) {
        if (--reads[v]! === 0 && !isOutput[v]) values[v] = undefined;
      }
    });

    const outputs = g.outputs.map((id) => values[id]!);
    if (keepAll) return { outputs, values };
    const kept = new Array<Tensor | undefined>(nValues).fill(undefined);
    g.outputs.forEach((id, i) => (kept[id] = outputs[i]));
    return { outputs, values: kept };
  };

  return { graph: g, run };
}

const executors = new WeakMap<Graph, FloatExecutor>();

/** Runs `g` once; the prepared executor is cached per graph object. */
export function runFloat(g: Graph, inputs: readonly Tensor[], opts?: RunOptions): RunResult {
  let ex = executors.get(g);
  if (ex === undefined) {
    ex = createFloatExecutor(g);
    executors.set(g, ex);
  }
  return ex.run(inputs, opts);
}
