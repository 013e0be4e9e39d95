/**
 * The integer engine: runs a fixed-point graph on batched inputs (dim 0 = batch)
 * with the reference kernels. Float inputs cross the boundary once, through
 * quantizeInput (the contract's rounding q = clamp(floor(x*2^fl + 1/2))); from
 * there on every value is an Int32Array of integers in its value's format.
 *
 * Intermediates are freed after their last reader unless `keepAll`; graph inputs
 * and outputs are always kept in `values`. Bound plans are cached per input shape.
 */
import { FxpError } from '../errors.js';
import { formatsEqual, formatToString, qRange, type QFormat } from '../fixed/format.js';
import { dequantizeArray, quantizeArray } from '../fixed/convert.js';
import { sizeOf, type Tensor } from '../tensor.js';
import type { FxGraph, FxTensor } from './fx-graph.js';
import { bindPlan, prepareEngine, type EnginePlan, type ShapedPlan } from './plan.js';
import { accelerate, createWasmContextSync, type WasmContext } from './kernels/wasm/index.js';

export interface EngineRunOptions {
  /** Keep every computed value in `values` (default: only inputs and outputs). */
  readonly keepAll?: boolean;
  /** Called with every graph input (after quantization) and node output as it is computed. */
  readonly onValue?: (id: number, t: FxTensor) => void;
}

export interface EngineResult {
  readonly outputs: FxTensor[];
  /** Indexed by value id. */
  readonly values: (FxTensor | undefined)[];
}

export interface FxEngine {
  readonly graph: FxGraph;
  readonly plan: EnginePlan;
  /** The plan bound to these input shapes (cached), e.g. to report accumulator widths. */
  bind(inputShapes: readonly (readonly number[])[]): ShapedPlan;
  run(inputs: readonly (Tensor | FxTensor)[], opts?: EngineRunOptions): EngineResult;
}

const CACHE_SIZE = 8;

function fmt(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

function isFxTensor(t: Tensor | FxTensor): t is FxTensor {
  return 'format' in t;
}

/** The float/fixed boundary: q = clamp(floor(x * 2^fl + 1/2), qmin, qmax). NaN is an FxpError. */
export function quantizeInput(t: Tensor, f: QFormat): FxTensor {
  if (t.data.length !== sizeOf(t.shape)) throw new FxpError(`tensor has ${t.data.length} elements, shape ${fmt(t.shape)} needs ${sizeOf(t.shape)}`);
  return { shape: [...t.shape], data: quantizeArray(t.data, f), format: f };
}

/** Real values q * 2^-fl as float32 (exact for wl <= 24). */
export function dequantize(t: FxTensor): Tensor {
  return { shape: [...t.shape], data: dequantizeArray(t.data, t.format) };
}

/** Checks an integer input against the graph input's format: same format, every value in range. */
export function checkFxInput(t: FxTensor, f: QFormat, name: string): FxTensor {
  if (t.data.length !== sizeOf(t.shape)) throw new FxpError(`input '${name}' has ${t.data.length} elements, shape ${fmt(t.shape)} needs ${sizeOf(t.shape)}`);
  if (!formatsEqual(t.format, f)) {
    throw new FxpError(`input '${name}' is in ${formatToString(t.format)}, the graph expects ${formatToString(f)}`);
  }
  // The accumulator bounds assume every value lies in its format's range.
  const { qmin, qmax } = qRange(f);
  for (let i = 0; i < t.data.length; i++) {
    const q = t.data[i]!;
    if (q < qmin || q > qmax) throw new FxpError(`input '${name}' element ${i} = ${q} is outside ${formatToString(f)}`);
  }
  return t;
}

// --- fast kernels (issue 5): kernel selection ---
export interface EngineOptions {
  /**
   * 'ref' (default): the TS reference kernels. 'wasm': the WASM SIMD kernels where
   * their exactness conditions hold (reference elsewhere); an FxpError where WASM
   * SIMD/threads are unavailable. 'auto': 'wasm' where available, else 'ref'.
   */
  readonly kernels?: 'ref' | 'wasm' | 'auto';
  /** A context from createWasmContext (e.g. with worker threads); default: a new single-threaded one. */
  readonly wasm?: WasmContext;
}

function selectPlan(fx: FxGraph, opts: EngineOptions): { plan: EnginePlan; ctx: WasmContext | undefined } {
  const plan = prepareEngine(fx);
  const kernels = opts.kernels ?? 'ref';
  if (kernels === 'ref') return { plan, ctx: undefined };
  const ctx = opts.wasm ?? createWasmContextSync();
  if (ctx === undefined) {
    if (kernels === 'wasm') throw new FxpError('WASM kernels need WebAssembly SIMD128 and shared memory, which this runtime lacks');
    return { plan, ctx: undefined };
  }
  return { plan: accelerate(plan, ctx), ctx };
}
// --- end fast kernels ---

/**
 * The kernels the command-line tools run: 'auto' (the WASM SIMD kernels are bit
 * for bit the reference kernels', tested), or 'ref' when the environment sets
 * FXP_KERNELS=ref. Browsers (no `process`) get 'auto'.
 */
export function cliKernels(): 'ref' | 'auto' {
  return typeof process === 'object' && process.env?.FXP_KERNELS === 'ref' ? 'ref' : 'auto';
}

export function createEngine(fx: FxGraph, opts: EngineOptions = {}): FxEngine {
  const { plan, ctx } = selectPlan(fx, opts);
  return engineOnPlan(plan, (opts.kernels ?? 'ref') !== 'ref', ctx);
}

/**
 * An engine on an already prepared plan (e.g. bench/profile.ts wraps its kernels
 * in timers), with buffer reuse as createEngine with `kernels` set; `ctx` (the
 * context the plan's WASM kernels run on) holds the value buffers.
 */
export function createEngineOnPlan(plan: EnginePlan, ctx?: WasmContext): FxEngine {
  return engineOnPlan(plan, true, ctx);
}

function engineOnPlan(plan: EnginePlan, reuse: boolean, ctx: WasmContext | undefined): FxEngine {
  const fx = plan.graph;
  const cache = new Map<string, ShapedPlan>();
  const bind = (inputShapes: readonly (readonly number[])[]): ShapedPlan => {
    const key = inputShapes.map((s) => s.join('x')).join('|');
    let shaped = cache.get(key);
    if (shaped === undefined) {
      shaped = bindPlan(plan, inputShapes);
      if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
      cache.set(key, shaped);
    }
    return shaped;
  };

  // --- fast kernels (issue 5): buffer reuse ---
  // Freed intermediates go to a free list by length and back into later nodes and
  // runs. Only when no caller can hold an intermediate (no keepAll, no onValue), and
  // only with opts.kernels set (the reference default allocates every buffer fresh).
  // With a WASM context the buffers are views of its memory (ctx.take, shared by the
  // engines on that context), so WASM kernels read and write them without copies.
  const free = new Map<number, Int32Array[]>();
  const allocate = (n: number, pooled: boolean): Int32Array => (pooled ? (ctx?.take(n) ?? free.get(n)?.pop()) : undefined) ?? new Int32Array(n);
  const release = (a: Int32Array): void => {
    if (ctx?.give(a) === true) return;
    const list = free.get(a.length);
    if (list === undefined) free.set(a.length, [a]);
    else list.push(a);
  };
  // --- end buffer reuse ---

  const run = (inputs: readonly (Tensor | FxTensor)[], runOpts: EngineRunOptions = {}): EngineResult => {
    const { keepAll = false, onValue } = runOpts;
    const pooled = reuse && !keepAll && onValue === undefined;
    if (inputs.length !== fx.inputs.length) throw new FxpError(`graph '${fx.name}' takes ${fx.inputs.length} inputs, got ${inputs.length}`);
    const shaped = bind(inputs.map((t) => t.shape));
    const values: (FxTensor | undefined)[] = new Array<FxTensor | undefined>(fx.values.length);
    fx.inputs.forEach((id, i) => {
      const v = fx.values[id]!;
      const t = inputs[i]!;
      const q = isFxTensor(t) ? checkFxInput(t, v.format, v.name) : quantizeInput(t, v.format);
      values[id] = q;
      onValue?.(id, q);
    });
    plan.nodes.forEach(({ node, outFormat }, index) => {
      const outId = node.outputs[0]!;
      const shape = shaped.shapes[outId]!;
      const ins = node.inputs.map((id) => values[id]!.data);
      // Graph outputs are handed to the caller, and a value no node reads stays in
      // `values`: neither comes from (or goes back to) the free list.
      const out = allocate(sizeOf(shape), pooled && plan.isOutput[outId] !== 1 && plan.lastUse[outId]! > index);
      shaped.nodes[index]!.run(ins, out);
      const t: FxTensor = { shape, data: out, format: outFormat };
      values[outId] = t;
      onValue?.(outId, t);
      if (!keepAll) {
        for (const id of node.inputs) {
          if (plan.lastUse[id] === index && plan.isOutput[id] !== 1 && !fx.inputs.includes(id)) {
            // A node may read one value twice (Add(x, x)): release it once.
            const v = values[id];
            if (pooled && v !== undefined) release(v.data);
            values[id] = undefined;
          }
        }
      }
    });
    return { outputs: fx.outputs.map((id) => values[id]!), values };
  };

  return { graph: fx, plan, bind, run };
}
