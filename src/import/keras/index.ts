/** Keras importers: HDF5 (.h5) and TF.js layers (model.json), sharing one config reader. */
export { importKerasConfig } from './import-config.js';
export { loadKerasH5 } from './h5.js';
export { loadTfjsLayers } from './tfjs.js';
export type { KerasWeights } from './weights.js';
