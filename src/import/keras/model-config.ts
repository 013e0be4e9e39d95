/**
 * Reads a Keras `model_config` (Sequential or functional; Keras 2.x layout, also
 * the Keras 1-style Sequential list and Keras 3 inbound-node objects) into one
 * normalized form: layers with, per application, the tensors they read.
 */
import { FxpError } from '../../errors.js';
import { isObject, show, type JsonObject } from './json.js';

/** A Keras tensor: output `tensor` of application `node` of `layer`. */
export interface TensorRef {
  readonly layer: string;
  readonly node: number;
  readonly tensor: number;
}

export interface KerasLayer {
  readonly name: string;
  readonly className: string;
  readonly config: JsonObject;
  /** One entry per application of the layer (shared layers have several). */
  readonly inbound: readonly (readonly TensorRef[])[];
}

export interface KerasModel {
  readonly name: string;
  readonly layers: readonly KerasLayer[];
  readonly inputs: readonly TensorRef[];
  readonly outputs: readonly TensorRef[];
}

const FUNCTIONAL_CLASSES = new Set(['Model', 'Functional']);

export function parseKerasModel(config: unknown, file: string): KerasModel {
  const fail = (msg: string, node?: string): never => {
    throw new FxpError(msg, { file, node });
  };
  if (!isObject(config)) return fail(`model_config must be a JSON object, got ${show(config)}`);
  const className = config['class_name'];
  const body = config['config'];
  if (className === 'Sequential') return parseSequential(body, fail);
  if (typeof className === 'string' && FUNCTIONAL_CLASSES.has(className)) return parseFunctional(body, fail);
  return fail(`unsupported Keras model class ${show(className)} (expected Sequential, Model or Functional)`);
}

type Fail = (msg: string, node?: string) => never;

function layerHeader(raw: unknown, index: number, fail: Fail): { name: string; className: string; config: JsonObject } {
  if (!isObject(raw)) return fail(`layer #${index} must be a JSON object, got ${show(raw)}`);
  const className = raw['class_name'];
  const config = raw['config'];
  if (typeof className !== 'string') return fail(`layer #${index} has no class_name`);
  if (!isObject(config)) return fail(`layer #${index} (${className}) has no config object`);
  const name = raw['name'] ?? config['name'];
  if (typeof name !== 'string' || name === '') return fail(`layer #${index} (${className}) has no name`);
  return { name, className, config };
}

function parseSequential(body: unknown, fail: Fail): KerasModel {
  // Keras <= 2.1 stored the layer list itself; later versions wrap it with a name.
  const rawLayers = Array.isArray(body) ? body : isObject(body) ? body['layers'] : undefined;
  const name = isObject(body) && typeof body['name'] === 'string' ? body['name'] : 'sequential';
  if (!Array.isArray(rawLayers) || rawLayers.length === 0) return fail('Sequential model has no layers');
  const headers = rawLayers.map((l, i) => layerHeader(l, i, fail));
  const first = headers[0]!;
  if (first.className !== 'InputLayer') {
    // Keras builds an implicit InputLayer named `<first>_input` from the first layer's shape.
    const shape = first.config['batch_input_shape'] ?? first.config['batch_shape'];
    const inputShape = first.config['input_shape'];
    const batchShape = Array.isArray(shape) ? shape : Array.isArray(inputShape) ? [null, ...(inputShape as unknown[])] : undefined;
    if (batchShape === undefined) return fail(`Sequential model declares no input shape (first layer has no batch_input_shape)`, first.name);
    headers.unshift({ name: `${first.name}_input`, className: 'InputLayer', config: { batch_input_shape: batchShape } });
  }
  const layers: KerasLayer[] = headers.map((h, i) => ({
    ...h,
    inbound: i === 0 ? [] : [[{ layer: headers[i - 1]!.name, node: 0, tensor: 0 }]],
  }));
  return {
    name,
    layers,
    inputs: [{ layer: layers[0]!.name, node: 0, tensor: 0 }],
    outputs: [{ layer: layers[layers.length - 1]!.name, node: 0, tensor: 0 }],
  };
}

function parseFunctional(body: unknown, fail: Fail): KerasModel {
  if (!isObject(body)) return fail(`functional model config must be an object, got ${show(body)}`);
  const rawLayers = body['layers'];
  if (!Array.isArray(rawLayers) || rawLayers.length === 0) return fail('functional model has no layers');
  const layers = rawLayers.map((raw, i): KerasLayer => {
    const h = layerHeader(raw, i, fail);
    const nodes = isObject(raw) ? raw['inbound_nodes'] : undefined;
    if (nodes !== undefined && !Array.isArray(nodes)) return fail(`inbound_nodes must be a list, got ${show(nodes)}`, h.name);
    return { ...h, inbound: (nodes ?? []).map((n) => parseInboundNode(n, (m) => fail(m, h.name))) };
  });
  const name = typeof body['name'] === 'string' ? body['name'] : 'model';
  return {
    name,
    layers,
    inputs: parseRefList(body['input_layers'], 'input_layers', fail),
    outputs: parseRefList(body['output_layers'], 'output_layers', fail),
  };
}

function parseRef(v: unknown, fail: (msg: string) => never): TensorRef {
  if (!Array.isArray(v) || v.length < 3) return fail(`tensor reference must be [layer, node, tensor], got ${show(v)}`);
  const [layer, node, tensor] = v as unknown[];
  const idx = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;
  if (typeof layer !== 'string' || !idx(node) || !idx(tensor)) return fail(`tensor reference must be [layer, node, tensor], got ${show(v)}`);
  return { layer, node, tensor };
}

/** `[[name, 0, 0], ...]`, or Keras 3's bare `[name, 0, 0]` for a single tensor. */
function parseRefList(v: unknown, what: string, fail: Fail): TensorRef[] {
  if (!Array.isArray(v) || v.length === 0) return fail(`functional model has no ${what}`);
  const refs = typeof v[0] === 'string' ? [v] : v;
  return refs.map((r) => parseRef(r, (m) => fail(`${what}: ${m}`)));
}

/**
 * Keras 2: `[[layer, node, tensor, kwargs], ...]`. Keras 3: `{args, kwargs}` whose
 * args hold `__keras_tensor__` objects with a `keras_history` reference.
 */
function parseInboundNode(n: unknown, fail: (msg: string) => never): TensorRef[] {
  if (Array.isArray(n)) return n.map((r) => parseRef(r, fail));
  if (isObject(n)) {
    const refs: TensorRef[] = [];
    collectKerasTensors(n['args'], refs, fail);
    if (refs.length === 0) return fail(`inbound node reads no tensors: ${show(n)}`);
    return refs;
  }
  return fail(`inbound node must be a list or an object, got ${show(n)}`);
}

function collectKerasTensors(v: unknown, out: TensorRef[], fail: (msg: string) => never): void {
  if (Array.isArray(v)) {
    for (const x of v) collectKerasTensors(x, out, fail);
  } else if (isObject(v) && v['class_name'] === '__keras_tensor__') {
    const cfg = v['config'];
    out.push(parseRef(isObject(cfg) ? cfg['keras_history'] : undefined, fail));
  }
}
