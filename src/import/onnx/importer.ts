/**
 * ONNX model -> float graph IR. Reads the default-domain opset, decodes the
 * initializers, declares the graph inputs, converts the nodes in order through the
 * versioned op table, and verifies the result (with shapes, when the declared
 * input shapes are static apart from a batch dim).
 */
import { FxpError, MAX_TENSOR_ELEMENTS, withContext, wrapError } from '../../errors.js';
import type { Dim, Graph } from '../../ir/graph.js';
import { verifyGraph } from '../../ir/verify.js';
import { nodeContext } from './node-context.js';
import { DataType, decodeModel, enumName, isDefaultDomain, toInt, type GraphProto, type ModelProto, type NodeProto, type ValueInfoProto } from './proto.js';
import { ImportState, type Probes } from './state.js';
import { ONNX_OPS, selectConverter } from './table.js';
import { decodeTensor } from './tensor.js';

export const MIN_OPSET = 11;
export const MAX_OPSET = 18;

/** Parses an ONNX model. `file` names the model in error messages. */
export function importOnnx(bytes: Uint8Array, file: string): Graph {
  try {
    return importModel(decodeModel(bytes, file), file);
  } catch (err) {
    throw withFile(err instanceof FxpError ? err : wrapError(err, 'failed to import ONNX model'), file);
  }
}

/** Adds the file to an FxpError raised without it (shape inference, the verifier). */
function withFile(e: FxpError, file: string): FxpError {
  return e.file !== undefined ? e : withContext(e, { file });
}

function defaultOpset(model: ModelProto, file: string): number {
  const entry = (model.opsetImport ?? []).find((o) => isDefaultDomain(o.domain));
  if (entry === undefined) throw new FxpError('model imports no default-domain (ai.onnx) opset', { file });
  const v = toInt(entry.version);
  if (v < MIN_OPSET || v > MAX_OPSET) {
    throw new FxpError(`ONNX opset ${v} is not supported (supported: ${MIN_OPSET}-${MAX_OPSET}); convert the model with onnx.version_converter`, { file });
  }
  return v;
}

/** A graph input's declared dims: numbers, dim_param names, '?' for unknown; undefined when the rank is unknown. */
function declaredShape(vi: ValueInfoProto, file: string): Dim[] | undefined {
  const name = vi.name ?? '';
  const tt = vi.type?.tensorType;
  if (tt === null || tt === undefined) throw new FxpError(`graph input '${name}' is not a tensor`, { file });
  const t = tt.elemType ?? 0;
  if (t !== DataType.FLOAT) throw new FxpError(`graph input '${name}' has element type ${enumName(DataType, t)}; only FLOAT inputs are supported`, { file });
  if (tt.shape === null || tt.shape === undefined) return undefined;
  const dims: Dim[] = (tt.shape.dim ?? []).map((d) => {
    if (d.dimParam !== null && d.dimParam !== undefined && d.dimParam !== '') return d.dimParam;
    const v = toInt(d.dimValue);
    return v > 0 ? v : '?';
  });
  const n = dims.reduce<number>((acc, d) => acc * (typeof d === 'number' ? d : 1), 1);
  if (n > MAX_TENSOR_ELEMENTS) {
    throw new FxpError(`graph input '${name}' declares shape [${dims.join(', ')}], over the limit of ${MAX_TENSOR_ELEMENTS} elements`, { file });
  }
  return dims;
}

/** Probes are possible when every input's rank is known and only its leading dim may be symbolic. */
function makeProbes(shapes: readonly (Dim[] | undefined)[]): Probes | undefined {
  if (shapes.some((s) => s === undefined || s.some((d, i) => i > 0 && typeof d !== 'number'))) return undefined;
  const batched = shapes.some((s) => s!.length > 0 && typeof s![0] !== 'number');
  return { a: [], b: batched ? [] : undefined, bBroken: false };
}

function withBatch(shape: readonly Dim[], batch: number): number[] {
  return shape.map((d) => (typeof d === 'number' ? d : batch));
}

function importModel(model: ModelProto, file: string): Graph {
  const opset = defaultOpset(model, file);
  const graph: GraphProto | null | undefined = model.graph;
  if (graph === null || graph === undefined) throw new FxpError('model has no graph', { file });
  if ((graph.sparseInitializer ?? []).length > 0) throw new FxpError('sparse initializers are not supported', { file });

  const consts = new Map(
    (graph.initializer ?? []).map((t) => {
      const c = decodeTensor(t, `initializer '${t.name ?? ''}'`, { file });
      if (c.name === '') throw new FxpError('an initializer has no name', { file });
      return [c.name, c] as const;
    }),
  );
  // Before IR version 4, initializers were also listed as graph inputs.
  const inputs = (graph.input ?? []).filter((vi) => !consts.has(vi.name ?? ''));
  const shapes = inputs.map((vi) => declaredShape(vi, file));
  const probes = makeProbes(shapes);
  const state = new ImportState(file, opset, graph.name || 'onnx', probes);
  for (const [name, c] of consts) state.consts.set(name, c);
  inputs.forEach((vi, i) => {
    const name = vi.name ?? '';
    if (name === '') throw new FxpError('a graph input has no name', { file });
    const s = shapes[i];
    state.addInput(name, s ?? [], s !== undefined, s && withBatch(s, 1), s && withBatch(s, 2));
  });

  (graph.node ?? []).forEach((node, i) => convertNode(state, node, i));

  const outputs = graph.output ?? [];
  if (outputs.length === 0) throw new FxpError('graph has no outputs', { file });
  state.builder.outputs = outputs.map((vi) => outputId(state, vi.name ?? ''));
  const batchName = shapes.find((s) => s !== undefined && typeof s[0] === 'string')?.[0];
  return finish(state, shapes, typeof batchName === 'string' ? batchName : 'batch');
}

function outputId(state: ImportState, name: string): number {
  const c = state.consts.get(name);
  if (c !== undefined) return state.materialize(c);
  const id = state.ids.get(name);
  if (id !== undefined) return id;
  const dead = state.unsupported.get(name);
  throw new FxpError(`graph output '${name}' is ${dead ?? 'never computed'}${dead === undefined ? '' : ', which the importer does not support'}`, { file: state.file });
}

function convertNode(state: ImportState, node: NodeProto, index: number): void {
  const opType = node.opType ?? '';
  const name = node.name || `${opType || 'node'}_${index}`;
  const ctx = { file: state.file, node: name, op: opType };
  if (!isDefaultDomain(node.domain)) {
    throw new FxpError(`unsupported ONNX domain '${node.domain}' for op '${opType}' (only the default domain is supported)`, ctx);
  }
  const convert = selectConverter(opType, state.opset);
  if (convert === undefined) {
    const known = Object.hasOwn(ONNX_OPS, opType) ? ' at this opset' : '';
    throw new FxpError(`unsupported ONNX op '${opType}' (domain '', opset ${state.opset})${known}`, ctx);
  }
  const n = nodeContext(state, node, name, opType);
  try {
    convert(n);
  } catch (err) {
    if (!(err instanceof FxpError)) throw wrapError(err, `failed to convert ONNX op '${opType}'`, ctx);
    // Shape errors raised while emitting name the IR op (Dense); the user knows the ONNX one (Gemm).
    throw err.file === undefined ? new FxpError(err.detail, ctx) : err;
  }
  if (!n.bound()) throw new FxpError('internal: converter produced no output', ctx);
  (node.output ?? []).slice(1).forEach((out, k) => {
    if (out !== '') state.unsupported.set(out, `output ${k + 1} of node '${name}' (${opType})`);
  });
}

function finish(state: ImportState, shapes: readonly (Dim[] | undefined)[], batch: string): Graph {
  const g0 = state.builder.finish();
  verifyGraph(g0);
  g0.values.forEach((v, id) => {
    if (v.data !== undefined || g0.inputs.includes(id)) return;
    const s = state.describedShape(id, batch);
    if (s !== undefined) state.builder.setShape(id, s);
  });
  const g = state.builder.finish();
  if (state.probes !== undefined) verifyGraph(g, shapes.map((s) => withBatch(s ?? [], 1)));
  return g;
}
