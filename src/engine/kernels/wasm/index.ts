/**
 * The fast paths: per op, a WASM kernel (Conv, Dense, Add, ChannelAffine,
 * DepthToSpace, MaxPool, AveragePool, GlobalMaxPool, GlobalAveragePool; all split over the context's threads) that returns the reference
 * kernel wherever its exactness conditions do not hold. Ops without a fast path
 * keep their reference kernel. `accelerate` swaps them into a plan.
 */
import type { FxNode, FxNodeOf, FxOpType } from '../../fx-graph.js';
import type { EnginePlan, NodePlan } from '../../plan.js';
import type { RefKernel } from '../ref/kernel.js';
import { addWasm } from './add.js';
import { channelAffineWasm } from './channel-affine.js';
import type { WasmContext } from './context.js';
import { convWasm } from './conv.js';
import { denseWasm } from './dense.js';
import { depthToSpaceWasm } from './depth-to-space.js';
import { averagePoolWasm, globalAveragePoolWasm, globalMaxPoolWasm, maxPoolWasm } from './pool.js';

export type FastKernels = { readonly [K in FxOpType]?: RefKernel<K> };

export function wasmKernels(ctx: WasmContext): FastKernels {
  return {
    Conv: convWasm(ctx), Dense: denseWasm(ctx), Add: addWasm(ctx), ChannelAffine: channelAffineWasm(ctx), DepthToSpace: depthToSpaceWasm(ctx),
    MaxPool: maxPoolWasm(ctx), AveragePool: averagePoolWasm(ctx), GlobalMaxPool: globalMaxPoolWasm(ctx), GlobalAveragePool: globalAveragePoolWasm(ctx),
  };
}

function fastPrepare<K extends FxOpType>(table: FastKernels, np: NodePlan, node: FxNodeOf<K>): NodePlan {
  const k = table[node.op] as RefKernel<K> | undefined;
  if (k === undefined) return np;
  return { ...np, kernel: k(node, { inFormats: np.inFormats, outFormat: np.outFormat }) };
}

/** The plan with every node that has a fast kernel re-prepared on it (already validated by prepareEngine). */
export function accelerate(plan: EnginePlan, ctx: WasmContext): EnginePlan {
  const table = wasmKernels(ctx);
  return { ...plan, nodes: plan.nodes.map((np) => fastPrepare(table, np, np.node as FxNode)) };
}

export { createWasmContext, createWasmContextSync, type WasmContext, type WasmContextOptions } from './context.js';
export { threadCanBlock, wasmKernelsSupported, wasmKernelsUnavailable } from './loader.js';
