/**
 * The C99 code generator: a fixed-point graph and concrete input shapes in, three
 * source files out (`<name>.h`, `<name>.c`, `<name>_main.c`).
 *
 * The graph is first prepared and bound by the TS engine (src/engine/plan.ts), so
 * every check and every accumulator bound of the reference applies unchanged; an
 * invalid graph or an unbounded accumulator is the engine's FxpError. Each node is
 * then emitted from the engine's own prepared integers (emitters.ts): the C code
 * computes what the reference kernels compute, bit for bit.
 */
import { FxpError, wrapError } from '../../errors.js';
import { formatToString } from '../../fixed/format.js';
import type { FxGraph, FxNode, FxNodeOf, FxOpType } from '../../engine/fx-graph.js';
import { ioScales } from '../../engine/io.js';
import { bindPlan, prepareEngine } from '../../engine/plan.js';
import type { NodeIO } from '../../engine/kernels/ref/kernel.js';
import { sizeOf } from '../../tensor.js';
import { cComment, cIdent, cInt } from './c-text.js';
import { DeclSink, type CAccWidth, type NodeCode, type NodeEmitter } from './emit-context.js';
import { copyKernel } from './kernels-elementwise.js';
import { C_EMITTERS } from './emitters.js';
import { harnessText } from './harness.js';
import { headerText, type CTensorInfo } from './header.js';
import { pixelHelpers } from './pixels.js';
import { ARENA_WIDTH, planMemory, type ArenaWidth, type Placement } from './memory.js';
import { C_MAX_RANK, KernelSet } from './runtime.js';
import type { CStorage } from './runtime-core.js';

export interface CExportOptions {
  /** Prefix of every exported symbol and of the file names; made a C identifier (default: the graph name). */
  readonly name?: string | undefined;
  /** Concrete shape of every graph input, batch first (default: the declared shapes). */
  readonly inputShapes?: readonly (readonly number[])[] | undefined;
  /** Batch size (dim 0 of every input); default 1, or dim 0 of inputShapes. */
  readonly batch?: number | undefined;
  /** Where the model came from, for comments (default: the graph name). */
  readonly source?: string | undefined;
}

export interface CNodeReport {
  readonly node: string;
  readonly op: FxOpType;
  /** C functions it calls. */
  readonly kernels: readonly string[];
  /** C type of the node's accumulation loop ('none' for ops without one). */
  readonly acc: CAccWidth;
  readonly outShape: readonly number[];
}

export interface CSourceFile {
  readonly name: string;
  readonly text: string;
}

export interface CExportResult {
  readonly name: string;
  readonly files: readonly CSourceFile[];
  readonly inputs: readonly CTensorInfo[];
  readonly outputs: readonly CTensorInfo[];
  /** Static RAM of intermediate values (the arenas, .bss), bytes. */
  readonly arenaBytes: number;
  /** Elements of each width's arena. */
  readonly arenaElements: Readonly<Record<ArenaWidth, number>>;
  /** Bytes of the const parameter arrays (weights, biases, shifts, tables, index maps). */
  readonly parameterBytes: number;
  readonly nodes: readonly CNodeReport[];
}

function fmtShape(s: readonly (number | string)[]): string {
  return `[${s.join(', ')}]`;
}

/** Concrete input shapes: the given ones, else the declared ones with the batch in dim 0. */
export function resolveInputShapes(fx: FxGraph, opts: CExportOptions): number[][] {
  const batch = opts.batch;
  if (batch !== undefined && (!Number.isInteger(batch) || batch < 1)) throw new FxpError(`batch must be a positive integer, got ${batch}`);
  return fx.inputs.map((id, i) => {
    const v = fx.values[id]!;
    const given = opts.inputShapes?.[i];
    let shape: number[];
    if (given !== undefined) shape = [...given];
    else {
      const dynamic = v.shape.some((d, j) => j > 0 && (typeof d !== 'number' || d <= 0));
      if (dynamic || v.shape.length === 0) {
        throw new FxpError(`input '${v.name}' has dynamic dims ${fmtShape(v.shape)}: give a concrete shape (e.g. --shape 1,3,64,64); C buffers are sized at generation time`);
      }
      shape = v.shape.map((d, j) => (j === 0 ? 1 : Number(d)));
    }
    if (batch !== undefined && shape.length > 0) shape[0] = batch;
    return shape;
  });
}

interface NodeSite {
  readonly io: NodeIO;
  readonly inShapes: readonly number[][];
  readonly outShape: readonly number[];
  readonly inTypes: readonly CStorage[];
  readonly outType: CStorage;
  readonly id: string;
}

function emitNode<K extends FxOpType>(node: FxNodeOf<K>, site: NodeSite, out: DeclSink): NodeCode {
  const emit = C_EMITTERS[node.op] as NodeEmitter<K>;
  try {
    return emit({ node, ...site, out });
  } catch (err) {
    throw wrapError(err, 'cannot generate C', { node: node.name, op: node.op });
  }
}

/** Declared element type of each width's arena; the other type of the width is reached by a pointer cast. */
const ARENA_TYPE = { 8: 'int8_t', 16: 'int16_t', 32: 'int32_t' } as const satisfies { [W in ArenaWidth]: CStorage };

/** Graph inputs and outputs are int32 (the API); arena values have their own type. */
function storageOf(p: Placement | undefined): CStorage {
  return p?.kind === 'arena' ? p.type : 'int32_t';
}

function pointerOf(p: Placement | undefined, what: string): string {
  if (p === undefined) throw new FxpError(`internal: ${what} has no storage`);
  switch (p.kind) {
    case 'input':
      return `in${p.index}`;
    case 'output':
      return `out${p.index}`;
    case 'arena': {
      const width = ARENA_WIDTH[p.type];
      const arena = `fx_arena${width} + ${p.offset}`;
      return p.type === ARENA_TYPE[width] ? arena : `(${p.type} *)(${arena})`;
    }
  }
}

function nodeComment(fx: FxGraph, node: FxNode, shapes: readonly number[][], acc: CAccWidth): string {
  const ins = node.inputs.map((id) => `${formatToString(fx.values[id]!.format)} ${fmtShape(shapes[id]!)}`).join(', ');
  const o = node.outputs[0]!;
  const accText = acc === 'none' ? '' : `, ${acc} accumulation`;
  return `/* '${cComment(node.name)}' ${node.op}: ${ins} -> ${formatToString(fx.values[o]!.format)} ${fmtShape(shapes[o]!)}${accText} */`;
}

export function generateC(fx: FxGraph, opts: CExportOptions = {}): CExportResult {
  const name = cIdent(opts.name ?? fx.name);
  const N = name.toUpperCase();
  const source = opts.source ?? fx.name;
  if (fx.inputs.length === 0 || fx.outputs.length === 0) throw new FxpError(`graph '${fx.name}' needs at least one input and one output for the C export`);
  const inputShapes = resolveInputShapes(fx, opts);
  const scales = ioScales(fx);
  const plan = prepareEngine(fx);
  const shaped = bindPlan(plan, inputShapes);
  const shapes = shaped.shapes;
  const sizes = shapes.map((s) => sizeOf(s));
  fx.inputs.forEach((id) => {
    if (sizes[id] === 0) throw new FxpError(`input '${fx.values[id]!.name}' has the empty shape ${fmtShape(shapes[id]!)}: the C export needs non-empty tensors`);
  });
  fx.nodes.forEach((node) => {
    const o = node.outputs[0]!;
    if (sizes[o] === 0) throw new FxpError(`output shape ${fmtShape(shapes[o]!)} is empty: the C export needs non-empty tensors`, { node: node.name, op: node.op });
    if (shapes[o]!.length > C_MAX_RANK) throw new FxpError(`output rank ${shapes[o]!.length} exceeds ${C_MAX_RANK}`, { node: node.name, op: node.op });
  });

  const mem = planMemory(fx, sizes, plan.lastUse);
  const sink = new DeclSink();
  const kernels = new KernelSet();
  const codes = plan.nodes.map(({ node, inFormats, outFormat }, i) => {
    const site: NodeSite = {
      io: { inFormats, outFormat },
      inShapes: node.inputs.map((id) => shapes[id]!),
      outShape: shapes[node.outputs[0]!]!,
      inTypes: node.inputs.map((id) => storageOf(mem.placements[id])),
      outType: storageOf(mem.placements[node.outputs[0]!]),
      id: `n${i}`,
    };
    const code = emitNode(node, site, sink);
    for (const k of code.kernels) kernels.add(k);
    return code;
  });
  const tensorInfo = (id: number): CTensorInfo => ({ name: fx.values[id]!.name, shape: shapes[id]!, format: fx.values[id]!.format });
  const inputs = fx.inputs.map(tensorInfo);
  const outputs = fx.outputs.map(tensorInfo);

  const body: string[] = [];
  fx.inputs.forEach((_, k) => body.push(`const int32_t *in${k} = inputs[${k}];`));
  fx.outputs.forEach((_, k) => body.push(`int32_t *out${k} = outputs[${k}];`));
  fx.inputs.forEach((_, k) => body.push(`if (!fx_check_input(in${k}, ${N}_INPUT${k}_SIZE, ${N}_INPUT${k}_QMIN, ${N}_INPUT${k}_QMAX)) return ${N}_ERR_INPUT_RANGE;`));
  fx.nodes.forEach((node, i) => {
    const code = codes[i]!;
    const ins = node.inputs.map((id) => pointerOf(mem.placements[id], `value '${fx.values[id]!.name}'`));
    const o = pointerOf(mem.placements[node.outputs[0]!], `value '${fx.values[node.outputs[0]!]!.name}'`);
    body.push(nodeComment(fx, node, shapes, code.acc), code.call(ins, o));
  });
  for (const [k, id] of mem.copies) {
    const copy = kernels.add(copyKernel(storageOf(mem.placements[id]), 'int32_t'));
    body.push(`${copy}(${cInt(sizes[id]!)}, ${pointerOf(mem.placements[id], `value '${fx.values[id]!.name}'`)}, out${k});`);
  }
  body.push(`return ${N}_OK;`);

  const first = inputs[0]!;
  const imageLayout = first.shape.length === 4 ? (fx.inputLayout === 'NHWC' ? 'NHWC' : 'NCHW') : undefined;
  const single = inputs.length === 1 && outputs.length === 1;
  const widths = ([8, 16, 32] as const).filter((w) => mem.arenaElements[w] > 0);
  const arenaBytes = widths.reduce((a, w) => a + (mem.arenaElements[w] * w) / 8, 0);
  const arenas = widths.map((w) => `static ${ARENA_TYPE[w]} fx_arena${w}[${mem.arenaElements[w]}];\n`).join('');

  const c = [
    `/* ${name}.c: integer-only C99 inference for '${cComment(source)}', generated by fxpnet (fxp export-c). Do not edit.`,
    ` * API: ${name}.h. Numerics: fxpnet docs/c-export.md; every kernel matches the TypeScript`,
    ` * reference kernels (src/engine/kernels/ref) bit for bit. No malloc, no libm, no floating point. */`,
    `#include "${name}.h"`,
    '#include <stddef.h>',
    '#include <stdint.h>',
    '',
    '/* ---- runtime ---- */',
    '',
    kernels.text(['fx_check_input']),
    '/* ---- parameters ---- */',
    '',
    sink.decls.join('\n'),
    '/* ---- intermediate values ---- */',
    '',
    arenas === '' ? '/* none: every value is an input or an output */\n' : arenas,
    `int ${name}_run_multi(const int32_t *inputs[], int32_t *outputs[]) {`,
    ...body.map((l) => `  ${l}`),
    '}',
    '',
    single
      ? `int ${name}_run(const int32_t *input_q, int32_t *output_q) {
  const int32_t *inputs[1];
  int32_t *outputs[1];
  inputs[0] = input_q;
  outputs[0] = output_q;
  return ${name}_run_multi(inputs, outputs);
}
`
      : '',
    pixelHelpers(name, inputs[0]!, imageLayout, scales.inputScale),
  ].join('\n');

  const nodes = fx.nodes.map((node, i): CNodeReport => ({
    node: node.name,
    op: node.op,
    kernels: codes[i]!.kernels.map((k) => k.name),
    acc: codes[i]!.acc,
    outShape: shapes[node.outputs[0]!]!,
  }));
  const header = headerText({ name, source, inputs, outputs, arenaBytes, imageLayout, scales });
  return {
    name,
    files: [
      { name: `${name}.h`, text: header },
      { name: `${name}.c`, text: c },
      { name: `${name}_main.c`, text: harnessText(name, inputs.length, outputs.length) },
    ],
    inputs,
    outputs,
    arenaBytes,
    arenaElements: mem.arenaElements,
    parameterBytes: sink.arrayBytes,
    nodes,
  };
}
