export * from './idx.js';
export * from './mnist.js';
export * from './images.js';
export * from './preprocess.js';
export * from './dataset.js';
export * from './metrics.js';
export { MS_SSIM_MIN_SIDE } from './ms-ssim.js';
