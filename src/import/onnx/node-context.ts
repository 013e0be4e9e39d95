/**
 * The NodeContext a converter gets for one ONNX node, backed by the ImportState.
 */
import { FxpError } from '../../errors.js';
import { attributesOf } from './attributes.js';
import type { NodeContext } from './context.js';
import type { NodeProto } from './proto.js';
import type { ImportState } from './state.js';

export interface BoundNodeContext extends NodeContext {
  /** Whether the converter produced the node's first output. */
  bound(): boolean;
}

export function nodeContext(state: ImportState, node: NodeProto, name: string, opType: string): BoundNodeContext {
  const ctx = { file: state.file, node: name, op: opType };
  function fail(msg: string): never {
    throw new FxpError(msg, ctx);
  }
  const inputs = node.input ?? [];
  const outName = node.output?.[0] ?? '';
  if (outName === '') fail('node has no output');
  if (state.ids.has(outName) || state.consts.has(outName)) fail(`output '${outName}' is already defined (ONNX values are assigned once)`);
  let bound = false;

  const slot = (i: number): string | undefined => {
    const nm = inputs[i];
    return nm === undefined || nm === '' ? undefined : nm;
  };
  const lookup = (nm: string, what: string): number => {
    const c = state.consts.get(nm);
    if (c !== undefined) return state.materialize(c);
    const id = state.ids.get(nm);
    if (id !== undefined) return id;
    const dead = state.unsupported.get(nm);
    if (dead !== undefined) fail(`${what} '${nm}' is ${dead}, which the importer does not support`);
    return fail(`${what} '${nm}' is not a graph input, an initializer or the output of an earlier node`);
  };

  return {
    name,
    opType,
    opset: state.opset,
    attrs: attributesOf(node, fail),
    inputCount: inputs.length,
    errorContext: ctx,
    fail,
    input(i, what) {
      const nm = slot(i);
      if (nm === undefined) fail(`missing ${what} (input ${i})`);
      return lookup(nm, what);
    },
    optionalInput(i, what) {
      const nm = slot(i);
      return nm === undefined ? undefined : lookup(nm, what);
    },
    constant(i, what) {
      const nm = slot(i);
      if (nm === undefined) return undefined;
      const c = state.consts.get(nm);
      if (c !== undefined) return c;
      lookup(nm, what); // fails with the precise reason when the name is unknown
      return fail(`${what} '${nm}' must be a constant (an initializer or a Constant node); computed values are not supported`);
    },
    rank(id, what) {
      const r = state.rankOf(id);
      if (r === undefined) fail(`cannot tell the rank of ${what}; declare the graph input shapes in the model`);
      return r;
    },
    knownDims: (id) => state.knownDims(id),
    addConstant: (suffix, dims, data) => state.addConstant(`${name}/${suffix}`, dims, data),
    emit(op, attrs, ins, rank) {
      if (bound) fail('internal: converter emitted two outputs');
      state.ids.set(outName, state.addNode(op, name, attrs, ins, outName, rank));
      bound = true;
    },
    bindConstant(c) {
      if (bound) fail('internal: converter emitted two outputs');
      state.consts.set(outName, { ...c, name: outName });
      bound = true;
    },
    bound: () => bound,
  };
}
