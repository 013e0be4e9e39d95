/**
 * The graph verifier: every importer's and every pass's output must satisfy it.
 * Checks structure (ids, single producers, topological order, arity, constant
 * parameters, attribute sanity) and, given input shapes, shapes too.
 */
import { FxpError } from '../errors.js';
import { sizeOf } from '../tensor.js';
import type { Graph } from './graph.js';
import { OP_ARITY, OP_PARAM_INPUTS, isOpType, type Node } from './ops.js';
import { inferShapes } from './shape.js';

function fail(node: Node | undefined, msg: string): never {
  throw new FxpError(`invalid graph: ${msg}`, node === undefined ? {} : { node: node.name, op: node.op });
}

function checkWindow(node: Node, a: { kernel: readonly number[]; strides: readonly number[]; dilations: readonly number[]; pads: readonly number[] }): void {
  const pos = (xs: readonly number[]): boolean => xs.length === 2 && xs.every((x) => Number.isInteger(x) && x >= 1);
  if (!pos(a.kernel)) fail(node, `kernel [${a.kernel.join(', ')}] must be two positive integers`);
  if (!pos(a.strides)) fail(node, `strides [${a.strides.join(', ')}] must be two positive integers`);
  if (!pos(a.dilations)) fail(node, `dilations [${a.dilations.join(', ')}] must be two positive integers`);
  if (a.pads.length !== 4 || a.pads.some((p) => !Number.isInteger(p) || p < 0)) fail(node, `pads [${a.pads.join(', ')}] must be four non-negative integers`);
}

function checkAttrs(node: Node): void {
  switch (node.op) {
    case 'Conv':
    case 'ConvTranspose':
      checkWindow(node, node.attrs);
      if (!Number.isInteger(node.attrs.group) || node.attrs.group < 1) fail(node, `group ${node.attrs.group} must be a positive integer`);
      break;
    case 'MaxPool':
    case 'AveragePool':
      checkWindow(node, node.attrs);
      break;
    case 'DepthToSpace':
      if (!Number.isInteger(node.attrs.blocksize) || node.attrs.blocksize < 1) fail(node, `blocksize ${node.attrs.blocksize} must be a positive integer`);
      break;
    case 'Clip':
      if (!(node.attrs.min <= node.attrs.max)) fail(node, `min ${node.attrs.min} exceeds max ${node.attrs.max}`);
      break;
    case 'BatchNormalization':
      if (!(node.attrs.epsilon >= 0)) fail(node, `epsilon ${node.attrs.epsilon} must be non-negative`);
      break;
    case 'Pad': {
      const cv = node.attrs.channelValues;
      if (cv === undefined) break;
      if (node.attrs.mode !== 'constant') fail(node, `channelValues need mode 'constant', got '${node.attrs.mode}'`);
      if (!cv.every(Number.isFinite)) fail(node, `channelValues [${cv.join(', ')}] must be finite numbers`);
      break;
    }
    default:
      break;
  }
}

/**
 * Throws FxpError describing the first problem found. With `inputShapes`, also
 * runs shape inference, which checks every op's shape constraints.
 */
export function verifyGraph(g: Graph, inputShapes?: readonly (readonly number[])[]): void {
  const nValues = g.values.length;
  const written = new Array<boolean>(nValues).fill(false);
  const inRange = (id: number): boolean => Number.isInteger(id) && id >= 0 && id < nValues;
  for (const id of g.inputs) {
    if (!inRange(id)) fail(undefined, `graph input id ${id} out of range`);
    if (g.values[id]!.data !== undefined) fail(undefined, `graph input '${g.values[id]!.name}' is a constant`);
    written[id] = true;
  }
  g.values.forEach((v, id) => {
    if (v.data !== undefined) {
      written[id] = true;
      const dims = v.shape;
      if (dims.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0)) fail(undefined, `constant '${v.name}' has a non-concrete shape [${dims.join(', ')}]`);
      if (sizeOf(dims as number[]) !== v.data.length) fail(undefined, `constant '${v.name}' has ${v.data.length} values for shape [${dims.join(', ')}]`);
    }
  });
  const names = new Set<string>();
  for (const node of g.nodes) {
    if (!isOpType(node.op)) fail(node, `unknown op '${String(node.op)}'`);
    if (names.has(node.name)) fail(node, `duplicate node name '${node.name}'`);
    names.add(node.name);
    const [min, max] = OP_ARITY[node.op];
    if (node.inputs.length < min || node.inputs.length > max) fail(node, `takes ${min === max ? min : `${min}-${max}`} inputs, got ${node.inputs.length}`);
    for (const id of node.inputs) {
      if (!inRange(id)) fail(node, `input id ${id} out of range`);
      if (!written[id]) fail(node, `input '${g.values[id]!.name}' is read before it is written (nodes not in topological order?)`);
    }
    for (const pos of OP_PARAM_INPUTS[node.op]) {
      const id = node.inputs[pos];
      if (id !== undefined && g.values[id]!.data === undefined) fail(node, `parameter input ${pos} ('${g.values[id]!.name}') must be a constant`);
    }
    if (node.outputs.length !== 1) fail(node, `must have exactly one output, has ${node.outputs.length}`);
    const out = node.outputs[0]!;
    if (!inRange(out)) fail(node, `output id ${out} out of range`);
    if (written[out]) fail(node, `output '${g.values[out]!.name}' is written twice`);
    written[out] = true;
    checkAttrs(node);
  }
  if (g.outputs.length === 0) fail(undefined, 'graph has no outputs');
  for (const id of g.outputs) {
    if (!inRange(id)) fail(undefined, `graph output id ${id} out of range`);
    if (!written[id]) fail(undefined, `graph output '${g.values[id]!.name}' is never computed`);
  }
  if (inputShapes !== undefined) inferShapes(g, inputShapes);
}
