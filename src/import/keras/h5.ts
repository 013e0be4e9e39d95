/**
 * Keras HDF5 (.h5) reader. Keras 2.x `model.save` layout: the model_config JSON
 * attribute on the root; weights under /model_weights/<layer>/, one dataset per
 * name in that group's `weight_names` attribute (e.g. 'conv2d_1/kernel:0').
 *
 * HDF5 errors are made exceptions (h5wasm's throwing error handler) while the file
 * is read, so nothing is printed; they surface as one FxpError naming the file.
 */
import { existsSync, statSync } from 'node:fs';
import h5wasm, { type Dataset, type File as H5File } from 'h5wasm/node';
import { FxpError, MAX_TENSOR_ELEMENTS, wrapError } from '../../errors.js';
import type { Graph } from '../../ir/graph.js';
import type { Tensor } from '../../tensor.js';
import { importKerasConfig } from './import-config.js';
import { parseKerasModel } from './model-config.js';
import { addWeight, shortWeightName, type KerasWeights } from './weights.js';

/** HDF5 type classes (H5T_class_t) that hold weights. */
const H5T_INTEGER = 0;
const H5T_FLOAT = 1;

export async function loadKerasH5(path: string): Promise<Graph> {
  if (!existsSync(path)) throw new FxpError('no such file', { file: path });
  const st = statSync(path);
  if (!st.isFile()) throw new FxpError('not a file', { file: path });
  if (st.size === 0) throw new FxpError('not an HDF5 file: the file is empty', { file: path });
  const module = await h5wasm.ready;
  // Synchronous from here to the end: no other h5wasm user can run while the handler is switched.
  module.activate_throwing_error_handler();
  try {
    return readKerasH5(path);
  } finally {
    module.deactivate_throwing_error_handler();
  }
}

function readKerasH5(path: string): Graph {
  let file: H5File;
  try {
    file = new h5wasm.File(path, 'r');
  } catch (err) {
    throw new FxpError(`not a readable HDF5 file: ${hdf5Reason(err)}`, { file: path });
  }
  try {
    const config = readModelConfig(file, path);
    const classes = new Map(parseKerasModel(config, path).layers.map((l) => [l.name, l.className]));
    const weights = readWeights(file, path, classes);
    return importKerasConfig(config, weights, path);
  } catch (err) {
    throw wrapError(err instanceof FxpError ? err : new Error(hdf5Reason(err)), 'cannot read Keras HDF5 file', { file: path });
  } finally {
    try {
      file.close();
    } catch {
      // A file whose read failed may fail to close as well; the error above is the one to report.
    }
  }
}

/** The innermost reason of an HDF5 error stack ("file signature not found"), else the message. */
function hdf5Reason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const reasons = [...msg.matchAll(/#\d+: .* in [\w.]+\(\): (.*)$/gm)].map((m) => m[1]!.trim());
  return reasons[reasons.length - 1] ?? msg.split('\n')[0]!;
}

/** An attribute holding one string (vlen or fixed-length, or a 1-element list of them). */
function stringAttr(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0];
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  return undefined;
}

/** An attribute holding a list of strings; Keras writes an empty (numeric) array for none. */
function stringListAttr(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v): v is string => typeof v === 'string')) return value;
  if (ArrayBuffer.isView(value) && (value as Uint8Array).length === 0) return [];
  return undefined;
}

function readModelConfig(file: H5File, path: string): unknown {
  const attr = file.attrs['model_config'];
  if (attr === undefined) {
    throw new FxpError('no model_config attribute: the file holds no model architecture (weights saved with save_weights?)', { file: path });
  }
  const text = stringAttr(attr.value);
  if (text === undefined) throw new FxpError('the model_config attribute is not a string', { file: path });
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw wrapError(err, 'the model_config attribute is not valid JSON', { file: path });
  }
}

function readWeights(file: H5File, path: string, classes: ReadonlyMap<string, string>): KerasWeights {
  const root = file.get('model_weights');
  // Weights-only files have no model_config and fail earlier; a config with no weights group has no weights.
  if (root === null) return new Map();
  if (!(root instanceof h5wasm.Group)) throw new FxpError('/model_weights is not a group', { file: path });
  const listed = root.attrs['layer_names'];
  const layerNames = listed === undefined ? root.keys() : stringListAttr(listed.value);
  if (layerNames === undefined) throw new FxpError('/model_weights has a malformed layer_names attribute', { file: path });
  const out = new Map<string, Map<string, Tensor>>();
  for (const layer of layerNames) {
    const where = { file: path, node: layer, op: classes.get(layer) };
    const group = root.get(layer);
    if (!(group instanceof h5wasm.Group)) throw new FxpError(`layer '${layer}' in layer_names has no weight group`, where);
    const names = stringListAttr(group.attrs['weight_names']?.value);
    if (names === undefined) throw new FxpError(`malformed weight_names attribute`, where);
    for (const name of names) {
      const ds = group.get(name);
      if (!(ds instanceof h5wasm.Dataset)) throw new FxpError(`weight '${name}' listed in weight_names is missing`, where);
      addWeight(out, layer, shortWeightName(name), readDataset(ds, name, where));
    }
  }
  return out;
}

function readDataset(ds: Dataset, name: string, where: { file: string; node: string; op: string | undefined }): Tensor {
  const shape = ds.shape;
  const meta = ds.metadata;
  if (shape === null) throw new FxpError(`weight '${name}' has no dataspace`, where);
  const okType = (meta.type === H5T_FLOAT && (meta.size === 4 || meta.size === 8)) || (meta.type === H5T_INTEGER && meta.size <= 4);
  if (!okType) throw new FxpError(`weight '${name}' has an unsupported data type (HDF5 class ${meta.type}, ${meta.size} bytes)`, where);
  const n = shape.reduce((a, d) => a * d, 1);
  if (n > MAX_TENSOR_ELEMENTS) throw new FxpError(`weight '${name}' of shape [${shape.join(', ')}] is over the limit of ${MAX_TENSOR_ELEMENTS} elements`, where);
  const value = ds.value;
  if (!ArrayBuffer.isView(value) || value instanceof DataView || value instanceof BigInt64Array || value instanceof BigUint64Array) {
    throw new FxpError(`weight '${name}' did not read as a numeric array`, where);
  }
  const data = value instanceof Float32Array ? value : Float32Array.from(value as ArrayLike<number>);
  if (data.length !== n) throw new FxpError(`weight '${name}' holds ${data.length} values for shape [${shape.join(', ')}]`, where);
  return { shape, data };
}
