/**
 * The entropy-coding core of the fixed-point image codec: a rANS coder, quantized
 * cdfs, the Gaussian conditional tables, symbol coding with escapes, the image
 * container, and the decoder as C source. Everything on the decode path is
 * integer-only; float appears only where tables are built for export.
 */
export { PRECISION, PROB_SCALE, RANS_L, RansDecoder, RansEncoder, type Cdf } from './rans.js';
export { quantizedCdf, validateCdf } from './cdf.js';
export { erfc, normalCdf, normalQuantile } from './erfc.js';
export { TAIL_MASS, gaussianTables, scaleTable, tailMultiplier } from './gaussian.js';
export { scaleIndex, scaleThresholds, validateScaleThresholds } from './scale-index.js';
export { validateTables, type CodingTables } from './tables.js';
export { decodeSymbols, encodeSymbols, type TableIndex } from './symbols.js';
export { FXPC_MAGIC, FXPC_VERSION, MAX_MODEL_ID_BYTES, MAX_PIXELS, MAX_SECTIONS, readBitstream, writeBitstream, type CodecBitstream, type CodecHeader } from './bitstream.js';
export { C_DECODER_FILES, C_DECODER_HEADER, C_DECODER_HEADER_NAME, C_DECODER_SOURCE, C_DECODER_SOURCE_NAME } from './c-decoder.js';
