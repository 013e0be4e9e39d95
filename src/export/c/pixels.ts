/**
 * The pixel helpers of the generated C: `<name>_quantize_u8` maps 8-bit pixels to
 * input 0's integers through a 256-entry table, and `<name>_quantize_image_u8`
 * reorders one interleaved HWC image into the model's layout on the way. The table
 * is the engine's own input boundary (runtime.ts quantizeInput of the float32
 * pixel/255 tensor that data/preprocess.ts builds), so C needs no float.
 */
import { formatToString } from '../../fixed/format.js';
import { quantizeArray } from '../../fixed/convert.js';
import { sizeOf } from '../../tensor.js';
import { cConstArray, narrowestType } from './c-text.js';
import type { CTensorInfo } from './header.js';

/**
 * The engine's integer for every byte p: x = float32(p * (1/255)) (preprocess.ts
 * pixelTable), times the model's inputScale in float32 when it declares one
 * (engine/io.ts runFloatIO: pixel-domain models read x * 255 = p), then the
 * contract's rounding (quantizeArray).
 */
export function pixelTable(info: CTensorInfo, inputScale: number): Int32Array {
  const lut = new Float32Array(256);
  for (let p = 0; p < 256; p++) lut[p] = p * (1 / 255);
  if (inputScale !== 1) for (let p = 0; p < 256; p++) lut[p] = lut[p]! * inputScale;
  return quantizeArray(lut, info.format);
}

export function pixelHelpers(name: string, info: CTensorInfo, layout: 'NCHW' | 'NHWC' | undefined, inputScale: number): string {
  const table = pixelTable(info, inputScale);
  const type = narrowestType(table, true);
  const parts = [
    cConstArray(
      'fx_pixel_q', type, table,
      `pixel p -> floor(float32(p/255)${inputScale === 1 ? '' : ` * ${inputScale}`} * 2^${info.format.fl} + 1/2), saturated to ${formatToString(info.format)}`,
    ),
    `void ${name}_quantize_u8(const uint8_t *pixels, int32_t *input_q, int32_t count) {
  int32_t i;
  for (i = 0; i < count; i++) input_q[i] = fx_pixel_q[pixels[i]];
}
`,
  ];
  if (layout === 'NCHW') {
    const [, c, h, w] = info.shape as [number, number, number, number];
    parts.push(`void ${name}_quantize_image_u8(const uint8_t *pixels, int32_t *input_q) {
  int32_t ch, i;
  for (ch = 0; ch < ${c}; ch++) {
    for (i = 0; i < ${h * w}; i++) input_q[ch * ${h * w} + i] = fx_pixel_q[pixels[i * ${c} + ch]];
  }
}
`);
  } else if (layout === 'NHWC') {
    parts.push(`void ${name}_quantize_image_u8(const uint8_t *pixels, int32_t *input_q) {
  ${name}_quantize_u8(pixels, input_q, ${sizeOf(info.shape.slice(1))});
}
`);
  }
  return parts.join('\n');
}

