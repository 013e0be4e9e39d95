/**
 * TF.js layers model reader: model.json (format 'layers-model') whose
 * modelTopology carries the Keras model_config, plus binary weight shards.
 */
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FxpError, wrapError } from '../../errors.js';
import type { Graph } from '../../ir/graph.js';
import { importKerasConfig } from './import-config.js';
import { isObject, show } from './json.js';
import { parseKerasModel } from './model-config.js';
import { readTfjsWeights } from './tfjs-weights.js';

export async function loadTfjsLayers(modelJsonPath: string): Promise<Graph> {
  const file = modelJsonPath;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = isObject(err) ? err['code'] : undefined;
    throw code === 'ENOENT' ? new FxpError('no such file', { file }) : wrapError(err, 'cannot read model.json', { file });
  }
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch (err) {
    throw wrapError(err, 'model.json is not valid JSON', { file });
  }
  if (!isObject(json)) throw new FxpError(`model.json must hold a JSON object, got ${show(json)}`, { file });
  const format = json['format'];
  if (format !== undefined && format !== 'layers-model') {
    throw new FxpError(`model.json format ${show(format)} is not supported (only TF.js layers models, 'layers-model')`, { file });
  }
  const topology = json['modelTopology'];
  if (!isObject(topology)) throw new FxpError('model.json has no modelTopology object', { file });
  // Converted Keras models nest the config under model_config; models saved by tfjs-layers are the config itself.
  const config = isObject(topology['model_config']) ? topology['model_config'] : topology;
  const classes = new Map(parseKerasModel(config, file).layers.map((l) => [l.name, l.className]));
  const weights = await readTfjsWeights(json['weightsManifest'], dirname(file), file, classes);
  return importKerasConfig(config, weights, file);
}
