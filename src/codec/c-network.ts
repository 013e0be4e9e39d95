/**
 * Size-generic C99 for one image network of the codec (hyper-synthesis,
 * synthesis): one function `int fn(const int32_t *in, int32_t *out, int32_t h,
 * int32_t w)` that runs the graph on a [1, C, h, w] input of any size and
 * allocates its activation memory per call.
 *
 * The node code is the C generator's own (src/export/c): every node is emitted by
 * C_EMITTERS at the unit input [1, C, 1, 1], which declares the parameters
 * (weights, aligned biases, shifts, requantizers: the engine's prepared integers)
 * and a const descriptor. At run time the descriptor is copied and only its shape
 * fields are set for the actual size, so each kernel computes what it computes in
 * `fxp export-c`, bit for bit. Supported are the ops whose parameters do not
 * depend on the spatial size (c-network-patches.ts); anything else is an FxpError.
 *
 * Shapes: every value must be [1, c, ah * h, aw * w] for fixed integers c, ah, aw
 * (checked at three input sizes). Memory: planMemory at the unit sizes c * ah * aw
 * (its greedy plan scales with h * w: all sizes scale by the same factor), one
 * malloc'd arena per storage width, freed before returning. Every tensor of the
 * largest accepted input (MAX_UNITS = h * w) has fewer than 2^31 elements, so the
 * kernels' int32 index arithmetic cannot overflow; larger inputs are refused.
 */
import { FxpError, withContext, wrapError } from '../errors.js';
import type { FxGraph, FxNodeOf, FxOpType } from '../engine/fx-graph.js';
import { bindPlan, prepareEngine, type EnginePlan } from '../engine/plan.js';
import { formatToString, qRange } from '../fixed/format.js';
import { cComment, cInt } from '../export/c/c-text.js';
import { DeclSink, type EmitInput, type NodeCode, type NodeEmitter } from '../export/c/emit-context.js';
import { C_EMITTERS } from '../export/c/emitters.js';
import type { CSourceFile } from '../export/c/generate.js';
import { copyKernel } from '../export/c/kernels-elementwise.js';
import { ARENA_WIDTH, planMemory, type ArenaWidth, type Placement } from '../export/c/memory.js';
import { KernelSet } from '../export/c/runtime.js';
import type { CStorage } from '../export/c/runtime-core.js';
import { ALLOC_SNIPPET, C_NET_CODES, D2S_SNIPPET, patchNode, PROBES, sizeExpr, times, type Struct, type UnitShape } from './c-network-patches.js';

export { C_NET_CODES, type UnitShape } from './c-network-patches.js';

export interface CNetwork {
  /** The C function's name. */
  readonly fn: string;
  readonly file: CSourceFile;
  readonly input: UnitShape;
  readonly output: UnitShape;
  /** Largest h * w the function accepts. */
  readonly maxUnits: number;
  /** Activation memory per input position (h * w), bytes. */
  readonly unitArenaBytes: number;
  /** Bytes of const parameters. */
  readonly parameterBytes: number;
}

/** The generator's DeclSink that also records the descriptors it declares. */
class RecordingSink extends DeclSink {
  readonly structs: Struct[] = [];

  override struct(name: string, type: string, init: string): string {
    this.structs.push({ name, type });
    return super.struct(name, type, init);
  }
}

function unitShapes(fx: FxGraph, plan: EnginePlan, channels: number): (UnitShape | undefined)[] {
  const bound = PROBES.map(([h, w]) => bindPlan(plan, [[1, channels, h, w]]).shapes);
  const unit = bound[0]!;
  const computed = new Set<number>([...fx.inputs, ...fx.nodes.map((n) => n.outputs[0]!)]);
  return fx.values.map((v, id) => {
    if (!computed.has(id)) return undefined;
    const s = unit[id]!;
    const u: UnitShape = { c: s[1] ?? 0, ah: s[2] ?? 0, aw: s[3] ?? 0 };
    PROBES.forEach(([h, w], k) => {
      const t = bound[k]!.at(id)!;
      if (t.length !== 4 || t[0] !== 1 || t[1] !== u.c || t[2] !== u.ah * h || t[3] !== u.aw * w || u.c < 1) {
        throw new FxpError(`value '${v.name}' has shape [${t.join(', ')}] for an input of ${h}x${w}: the size-generic C needs [1, c, a*h, b*w]`);
      }
    });
    return u;
  });
}

const ARENA_TYPE = { 8: 'int8_t', 16: 'int16_t', 32: 'int32_t' } as const satisfies { [W in ArenaWidth]: CStorage };

function storageOf(p: Placement | undefined): CStorage {
  return p?.kind === 'arena' ? p.type : 'int32_t';
}

function pointerOf(p: Placement | undefined): string {
  if (p === undefined) throw new FxpError('internal: a value has no storage');
  switch (p.kind) {
    case 'input':
      return 'in';
    case 'output':
      return 'out';
    case 'arena': {
      const width = ARENA_WIDTH[p.type];
      const at = `a${width} + ${p.offset === 0 ? '0' : `(size_t)${cInt(p.offset)} * (size_t)units`}`;
      return p.type === ARENA_TYPE[width] ? `(${at})` : `(${p.type} *)(${at})`;
    }
  }
}


function emitNode<K extends FxOpType>(node: FxNodeOf<K>, site: Omit<EmitInput<K>, 'node'>): NodeCode {
  const emit = C_EMITTERS[node.op] as NodeEmitter<K>;
  return emit({ node, ...site });
}


/**
 * The C source of `fx` as the function `fn` in `fileName`, which includes
 * `header` (it must define the C_NET_CODES macros and may declare `fn`).
 */
export function generateNetworkC(fx: FxGraph, fn: string, fileName: string, header: string, source: string): CNetwork {
  if (fx.inputs.length !== 1 || fx.outputs.length !== 1) throw new FxpError(`graph '${fx.name}' must have one input and one output for the size-generic C`);
  const inValue = fx.values[fx.inputs[0]!]!;
  const channels = inValue.shape[1];
  if (inValue.shape.length !== 4 || typeof channels !== 'number' || channels < 1) throw new FxpError(`input '${inValue.name}' must be [N, C, H, W] with a fixed C, is [${inValue.shape.join(', ')}]`);
  const plan = prepareEngine(fx);
  const units = unitShapes(fx, plan, channels);
  const unitBound = bindPlan(plan, [[1, channels, 1, 1]]);
  const sizes = units.map((u) => (u === undefined ? 0 : u.c * u.ah * u.aw));
  const maxUnits = Math.floor((2 ** 31 - 1) / Math.max(...sizes));
  const mem = planMemory(fx, sizes, plan.lastUse);
  const sink = new RecordingSink();
  const kernels = new KernelSet();
  const flags = { allocates: false };
  const body: string[] = [];
  plan.nodes.forEach(({ node, inFormats, outFormat }, i) => {
    const ctx = { node: node.name, op: node.op };
    try {
      const first = sink.structs.length;
      const code = emitNode(node, {
        io: { inFormats, outFormat },
        inShapes: node.inputs.map((id) => unitBound.shapes[id]!),
        outShape: unitBound.shapes[node.outputs[0]!]!,
        inTypes: node.inputs.map((id) => storageOf(mem.placements[id])),
        outType: storageOf(mem.placements[node.outputs[0]!]),
        id: `n${i}`,
        out: sink,
      });
      code.kernels.forEach((k) => kernels.add(k));
      const lines = patchNode(node, {
        code,
        structs: sink.structs.slice(first),
        ins: node.inputs.map((id) => pointerOf(mem.placements[id])),
        out: pointerOf(mem.placements[node.outputs[0]!]),
        inShapes: node.inputs.map((id) => units[id]!),
        outShape: units[node.outputs[0]!]!,
        allocates: () => {
          flags.allocates = true;
        },
      });
      const o = node.outputs[0]!;
      body.push(`/* '${cComment(node.name)}' ${node.op} -> ${formatToString(fx.values[o]!.format)} [1, ${units[o]!.c}, ${times(units[o]!.ah, 'h')}, ${times(units[o]!.aw, 'w')}] */`, '{', ...lines.map((l) => `  ${l}`), '}');
    } catch (err) {
      throw err instanceof FxpError ? withContext(err, ctx) : wrapError(err, 'cannot generate size-generic C', ctx);
    }
  });
  for (const [, id] of mem.copies) {
    const k = kernels.add(copyKernel(storageOf(mem.placements[id]), 'int32_t'));
    body.push(`${k}(${sizeExpr(units[id]!)}, ${pointerOf(mem.placements[id])}, out);`);
  }
  if (fx.nodes.some((n) => n.op === 'DepthToSpace')) kernels.add({ name: 'fxn_depth_to_space', snippet: D2S_SNIPPET });

  const widths = ([8, 16, 32] as const).filter((w) => mem.arenaElements[w] > 0);
  if (widths.length > 0) flags.allocates = true;
  const { allocates } = flags;
  if (allocates) kernels.add({ name: 'fxn_alloc', snippet: ALLOC_SNIPPET });
  const { qmin, qmax } = qRange(inValue.format);
  const alloc = widths.flatMap((w) => [
    `a${w} = (${ARENA_TYPE[w]} *)fxn_alloc((size_t)${cInt(mem.arenaElements[w])} * (size_t)units, sizeof(${ARENA_TYPE[w]}));`,
    `if (a${w} == NULL) { rc = ${C_NET_CODES.noMemory}; goto done; }`,
  ]);
  const input = units[fx.inputs[0]!]!;
  const output = units[fx.outputs[0]!]!;
  const text = [
    `/* ${fileName}: size-generic integer C99 of '${cComment(source)}', generated by fxpnet (src/codec/c-network.ts). Do not edit.`,
    ` * ${fn}(in, out, h, w): in [1, ${input.c}, h, w] in ${formatToString(inValue.format)} -> out [1, ${output.c}, ${times(output.ah, 'h')}, ${times(output.aw, 'w')}]`,
    ` * in ${formatToString(fx.values[fx.outputs[0]!]!.format)}, int32 NCHW. Kernels and parameters: src/export/c (the same integers as the TS engine). */`,
    '#include <stddef.h>',
    '#include <stdint.h>',
    '#include <stdlib.h>',
    `#include "${header}"`,
    '',
    kernels.text(['fx_check_input']),
    sink.decls.join('\n'),
    `int ${fn}(const int32_t *in, int32_t *out, int32_t h, int32_t w) {`,
    '  int32_t units;',
    ...widths.map((w) => `  ${ARENA_TYPE[w]} *a${w} = NULL;`),
    allocates ? `  int rc = ${C_NET_CODES.ok};` : '',
    `  if (h < 1 || w < 1 || (int64_t)h * w > ${cInt(maxUnits)}) return ${C_NET_CODES.tooLarge};`,
    '  units = h * w;',
    `  if (!fx_check_input(in, ${sizeExpr(input)}, ${cInt(qmin)}, ${cInt(qmax)})) return ${C_NET_CODES.inputRange};`,
    ...alloc.map((l) => `  ${l}`),
    ...body.map((l) => `  ${l}`),
    ...(allocates ? ['done:', ...widths.map((w) => `  free(a${w});`), '  return rc;'] : [`  return ${C_NET_CODES.ok};`]),
    '}',
    '',
  ].join('\n');
  const unitArenaBytes = widths.reduce((a, w) => a + (mem.arenaElements[w] * w) / 8, 0);
  return { fn, file: { name: fileName, text }, input, output, maxUnits, unitArenaBytes, parameterBytes: sink.arrayBytes };
}
