/**
 * The browser entry point of fxpnet (bundled by scripts/build-web.ts into
 * web/dist/fxpnet.js, an ES module): load `.fxp` bytes, run the integer engine,
 * fingerprint the output. Everything here is pure TypeScript over typed arrays;
 * no Node API is reached, so the same integers come out as in Node and in the
 * generated C (test/web/identity.test.ts checks it in headless Chromium).
 *
 * The engine runs the reference kernels by default; with `kernels: 'auto'` the
 * WASM SIMD kernels where the page is cross-origin isolated (shared memory), and
 * with a context from createWasmContext(n) inside a Web Worker, on n threads
 * (more Web Workers on the same memory). Every combination gives the same
 * integers (test/web/identity.test.ts).
 *
 * The codec decoder (src/codec: model file, bitstream, integer decode) is pure as
 * well; web/codec.html decodes `.fxpc` files with it (test/web/codec-decode.test.ts).
 */
export { FxpError } from './errors.js';
export type { Tensor } from './tensor.js';
export { formatToString, qRange, type QFormat } from './fixed/format.js';
export type { FxGraph, FxTensor, FxValue } from './engine/fx-graph.js';
export type { Dim } from './ir/graph.js';
export { decodeFxp, encodeFxp, fxpSizeReport, FXP_MAGIC, FXP_VERSION, type FxpSizeReport } from './export/fxp-container.js';
export { createEngine, dequantize, quantizeInput, type EngineResult, type FxEngine } from './engine/runtime.js';
export { Fnv1a64, fnv1a64, hashInt32, hashTensor } from './engine/hash.js';
export { fxLayerRows, type FxLayerRow } from './cli/fx-summary.js';
export type { Uint8Image } from './data/images.js';
export { cropImage, imagesToTensor, tensorToImage, type ImageLayout } from './data/preprocess.js';
export { resizeImage } from './data/resample.js';
export { createCodec, decodeImage, DEFAULT_MAX_DECODE_PIXELS, type Codec, type RgbImage } from './codec/codec.js';
export { decodeCodecModel, type LoadedCodecModel } from './codec/model-file.js';
export { readBitstream, type CodecBitstream, type CodecHeader } from './codec/bitstream.js';
export { encodePng } from './codec/png.js';
export { threadCanBlock, wasmKernelsSupported, wasmKernelsUnavailable } from './engine/kernels/wasm/loader.js';
export { createWasmContext, type WasmContext, type WasmContextOptions } from './engine/kernels/wasm/context.js';
export type { EngineOptions } from './engine/runtime.js';
