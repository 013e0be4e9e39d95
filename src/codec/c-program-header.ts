/**
 * `fxpc_program.h` of the generated codec decoder: the network return codes, the
 * network function type, the model type (what model-file.ts loads, as the decoder
 * needs it; c-model-tables.ts fills it) and the decode API of fxpc_image.c
 * (c-glue.ts).
 */
import { C_NET_CODES } from './c-network-patches.js';

export const C_PROGRAM_HEADER_NAME = 'fxpc_program.h';
export const C_PROGRAM_HEADER = `/* fxpc_program.h: the codec decoder program (generated from src/codec/c-program-header.ts; do not edit). */
#ifndef FXPC_PROGRAM_H
#define FXPC_PROGRAM_H

#include <stddef.h>
#include <stdint.h>
#include "fxpc_decode.h"

/* Return codes of the network functions. */
#define ${C_NET_CODES.ok} 0
#define ${C_NET_CODES.noMemory} 1
#define ${C_NET_CODES.inputRange} 2
#define ${C_NET_CODES.tooLarge} 3

/* A network on int32 NCHW tensors of batch 1: in [c][h][w] -> out [c'][a*h][b*w]; it
   allocates its activation memory per call and frees it before returning. */
typedef int (*fxpc_net_fn)(const int32_t *in, int32_t *out, int32_t h, int32_t w);

/* One codec model (one quality): what model-file.ts loads, as the decoder needs it. */
typedef struct {
  const uint8_t *id;        /* model id, UTF-8, id_len bytes */
  uint32_t id_len;
  uint8_t hash[8];          /* FNV-1a 64 of the .fxpcm file, as bitstreams carry it */
  uint32_t quality;
  int32_t n, m;             /* channels of z and of y */
  int32_t zhat_min, zhat_max;
  int32_t y_fl, y_min, y_max;
  int32_t x_fl;
  fxpc_tables prior, gaussian;
  const int32_t *thresholds;
  uint32_t threshold_count;
  fxpc_net_fn hyper_synthesis; /* z_hat [n][h/64][w/64] -> [mu | sigma] [2m][h/16][w/16] */
  fxpc_net_fn synthesis;       /* y_hat [m][h/16][w/16] -> x_hat [3][h][w] */
} fxpc_model;

extern const fxpc_model *const fxpc_models[];
extern const uint32_t fxpc_model_count;

/* codec.ts DEFAULT_MAX_DECODE_PIXELS */
#define FXPC_MAX_DECODE_PIXELS 16777216u

/* An 8-bit sRGB image, interleaved RGB, row-major; rgb is malloc'd. */
typedef struct {
  uint32_t width, height;
  uint8_t *rgb;
} fxpc_image;

/* Decodes a bitstream with whichever of fxpc_models made it. Returns 0, or non-zero with
   a message of at most cap bytes (NUL included) in msg; img->rgb is NULL then. */
int fxpc_decode_image(const uint8_t *bytes, size_t size, fxpc_image *img, char *msg, size_t cap);

#endif
`;
