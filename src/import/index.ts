/** Loads a float model of any supported format, chosen by file name. */
import { existsSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { FxpError } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import { loadKerasH5 } from './keras/index.js';
import { loadTfjsLayers } from './keras/index.js';
import { loadOnnx } from './onnx/index.js';

export type ModelFormat = 'onnx' | 'keras-h5' | 'tfjs-layers';

export function modelFormatOf(path: string): ModelFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.onnx') return 'onnx';
  if (ext === '.h5' || ext === '.hdf5') return 'keras-h5';
  if (ext === '.json') return 'tfjs-layers';
  if (ext === '.keras') throw new FxpError('Keras 3 .keras archives are not supported; save the model as HDF5 (.h5)', { file: path });
  throw new FxpError(`unknown model format '${ext || basename(path)}': expected .onnx, .h5/.hdf5 (Keras) or model.json (TF.js layers)`, { file: path });
}

/** Imports a float model (ONNX, Keras HDF5 or TF.js layers model.json) as a verified graph. */
export async function loadFloatModel(path: string): Promise<Graph> {
  if (!existsSync(path)) throw new FxpError('no such file', { file: path });
  if (!statSync(path).isFile()) throw new FxpError('not a file', { file: path });
  switch (modelFormatOf(path)) {
    case 'onnx':
      return loadOnnx(path);
    case 'keras-h5':
      return loadKerasH5(path);
    case 'tfjs-layers':
      return loadTfjsLayers(path);
  }
}
