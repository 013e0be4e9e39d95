/**
 * `fxpc_main.c`, the command line of the generated codec decoder:
 *
 *   fxpc_decode IN.fxpc OUT.ppm   decodes, writes a binary PPM (P6, maxval 255) and
 *                                 prints "fnv1a64 <16 hex digits>" of the interleaved
 *                                 RGB bytes (engine/hash.ts fnv1a64 of the RGB data);
 *   fxpc_decode --models          lists the models it holds.
 *
 * Exit codes: 0 ok, 1 usage, 2 file I/O, 3 a bitstream the decoder refuses (message
 * on stderr). Input files are read up to 1 GiB.
 */

export const C_MAIN_SOURCE_NAME = 'fxpc_main.c';

export const C_MAIN_SOURCE = `/* fxpc_main.c: command line of the codec decoder (generated from src/codec/c-main.ts; do not edit).
 *   fxpc_decode IN.fxpc OUT.ppm   writes a binary PPM and prints "fnv1a64 <hex>" of the RGB bytes
 *   fxpc_decode --models          lists the models this decoder holds
 * Exit codes: 0 ok, 1 usage, 2 file I/O, 3 a bitstream the decoder refuses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fxpc_program.h"

#define FXPC_MAX_FILE_BYTES ((size_t)1 << 30)

/* The whole file, malloc'd; NULL with *why set on failure. */
static uint8_t *fxpc_read_file(const char *path, size_t *size, const char **why) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf = NULL, *grown;
  size_t cap = 0, len = 0, n;
  *why = "cannot open";
  if (f == NULL) return NULL;
  for (;;) {
    if (len == cap) {
      if (cap >= FXPC_MAX_FILE_BYTES) {
        *why = "larger than 1 GiB";
        goto fail;
      }
      cap = cap == 0 ? 65536 : 2 * cap;
      grown = (uint8_t *)realloc(buf, cap);
      if (grown == NULL) {
        *why = "out of memory";
        goto fail;
      }
      buf = grown;
    }
    n = fread(buf + len, 1, cap - len, f);
    len += n;
    if (n == 0) break;
  }
  if (ferror(f)) {
    *why = "read error";
    goto fail;
  }
  fclose(f);
  *size = len;
  return buf;
fail:
  free(buf);
  fclose(f);
  return NULL;
}

static int fxpc_write_ppm(const char *path, const fxpc_image *img) {
  const size_t n = (size_t)img->width * img->height * 3;
  FILE *f = fopen(path, "wb");
  int ok;
  if (f == NULL) return 0;
  ok = fprintf(f, "P6\\n%lu %lu\\n255\\n", (unsigned long)img->width, (unsigned long)img->height) > 0;
  ok = ok && fwrite(img->rgb, 1, n, f) == n;
  return fclose(f) == 0 && ok;
}

/* FNV-1a 64 (engine/hash.ts): h = 0xcbf29ce484222325; per byte h = (h ^ b) * 0x100000001b3. */
static uint64_t fxpc_fnv1a64(const uint8_t *p, size_t n) {
  uint64_t h = 14695981039346656037ULL;
  size_t i;
  for (i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

static void fxpc_list_models(void) {
  uint32_t i;
  int k;
  for (i = 0; i < fxpc_model_count; i++) {
    const fxpc_model *m = fxpc_models[i];
    printf("q%lu %.*s ", (unsigned long)m->quality, (int)m->id_len, (const char *)m->id);
    for (k = 0; k < 8; k++) printf("%02x", m->hash[k]);
    printf("\\n");
  }
}

int main(int argc, char **argv) {
  static char msg[1024];
  fxpc_image img;
  uint8_t *bytes;
  size_t size = 0;
  const char *why;
  if (argc == 2 && strcmp(argv[1], "--models") == 0) {
    fxpc_list_models();
    return 0;
  }
  if (argc != 3) {
    fprintf(stderr, "usage: %s IN.fxpc OUT.ppm   (or --models)\\n", argc > 0 ? argv[0] : "fxpc_decode");
    return 1;
  }
  bytes = fxpc_read_file(argv[1], &size, &why);
  if (bytes == NULL) {
    fprintf(stderr, "%s: %s\\n", argv[1], why);
    return 2;
  }
  if (fxpc_decode_image(bytes, size, &img, msg, sizeof msg) != 0) {
    fprintf(stderr, "%s: %s\\n", argv[1], msg);
    free(bytes);
    return 3;
  }
  free(bytes);
  if (!fxpc_write_ppm(argv[2], &img)) {
    fprintf(stderr, "%s: cannot write\\n", argv[2]);
    free(img.rgb);
    return 2;
  }
  printf("fnv1a64 %016llx\\n", (unsigned long long)fxpc_fnv1a64(img.rgb, (size_t)img.width * img.height * 3));
  free(img.rgb);
  return 0;
}
`;
