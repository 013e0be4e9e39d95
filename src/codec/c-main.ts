/**
 * `fxpc_main.c`, the command line of the generated codec decoder:
 *
 *   fxpc_decode IN.fxpc OUT.png   decodes and writes the PNG of src/codec/png.ts
 *                                 encodePng, byte for byte (8-bit RGB, filter 0 on
 *                                 every row, one IDAT of stored deflate blocks);
 *   fxpc_decode IN.fxpc OUT.ppm   any other name: a binary PPM (P6, maxval 255);
 *   both print "fnv1a64 <16 hex digits>" of the interleaved RGB bytes (engine/hash.ts
 *   fnv1a64 of the RGB data);
 *   fxpc_decode --models          lists the models it holds.
 *
 * The PNG is streamed: the CRC-32 of the IDAT chunk and the Adler-32 of the zlib
 * stream are updated as the bytes are written (table-driven CRC, Adler-32 reduced
 * every 5552 bytes as zlib does, so the sums stay below 2^32).
 *
 * Exit codes: 0 ok, 1 usage, 2 file I/O, 3 a bitstream the decoder refuses (message
 * on stderr). Input files are read up to 1 GiB.
 */

export const C_MAIN_SOURCE_NAME = 'fxpc_main.c';

export const C_MAIN_SOURCE = `/* fxpc_main.c: command line of the codec decoder (generated from src/codec/c-main.ts; do not edit).
 *   fxpc_decode IN.fxpc OUT.png   writes the PNG of src/codec/png.ts (byte-identical to Node and the web page)
 *   fxpc_decode IN.fxpc OUT.ppm   any other name: writes a binary PPM
 *   both print "fnv1a64 <hex>" of the RGB bytes
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

/* The PNG of src/codec/png.ts encodePng: signature; IHDR (8-bit RGB, no interlace);
   one IDAT holding zlib header 78 01, the scanlines (filter byte 0, then the row's RGB)
   as stored deflate blocks of 65535 bytes (the last shorter, BFINAL set) and their
   Adler-32; IEND. Integers big-endian except the blocks' LEN/NLEN (little-endian). */
#define FXPC_PNG_BLOCK 65535u

typedef struct {
  FILE *f;
  int ok;
  uint32_t crc;              /* running CRC-32 of the current chunk (type and data) */
  uint32_t adler_a, adler_b; /* Adler-32 of the scanlines so far ... */
  uint32_t adler_n;          /* ... with this many bytes added since the last reduction */
  size_t left;               /* scanline bytes not yet written */
  uint32_t block_left;       /* bytes left in the current stored block */
} fxpc_png;

static uint32_t fxpc_crc_table[256];

static void fxpc_crc_init(void) {
  uint32_t n, c;
  int k;
  for (n = 0; n < 256; n++) {
    c = n;
    for (k = 0; k < 8; k++) c = (c & 1u) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    fxpc_crc_table[n] = c;
  }
}

/* Writes bytes that count towards the chunk's CRC. */
static void fxpc_png_put(fxpc_png *o, const uint8_t *p, size_t n) {
  size_t i;
  uint32_t c = o->crc;
  for (i = 0; i < n; i++) c = fxpc_crc_table[(c ^ p[i]) & 0xffu] ^ (c >> 8);
  o->crc = c;
  if (o->ok && fwrite(p, 1, n, o->f) != n) o->ok = 0;
}

static void fxpc_be32(uint8_t *b, uint32_t v) {
  b[0] = (uint8_t)(v >> 24);
  b[1] = (uint8_t)(v >> 16);
  b[2] = (uint8_t)(v >> 8);
  b[3] = (uint8_t)v;
}

/* The length (outside the CRC), then the type (inside). */
static void fxpc_png_begin(fxpc_png *o, const char *type, uint32_t length) {
  uint8_t b[4];
  fxpc_be32(b, length);
  if (o->ok && fwrite(b, 1, 4, o->f) != 4) o->ok = 0;
  o->crc = 0xffffffffu;
  fxpc_png_put(o, (const uint8_t *)type, 4);
}

static void fxpc_png_end(fxpc_png *o) {
  uint8_t b[4];
  fxpc_be32(b, o->crc ^ 0xffffffffu);
  if (o->ok && fwrite(b, 1, 4, o->f) != 4) o->ok = 0;
}

/* Scanline bytes: a stored-block header before every 65535 of them; Adler-32 over them. */
static void fxpc_png_lines(fxpc_png *o, const uint8_t *p, size_t n) {
  while (n > 0) {
    size_t k, i;
    if (o->block_left == 0) {
      const uint32_t len = o->left < FXPC_PNG_BLOCK ? (uint32_t)o->left : FXPC_PNG_BLOCK;
      uint8_t h[5];
      h[0] = len == o->left ? 1u : 0u;
      h[1] = (uint8_t)len;
      h[2] = (uint8_t)(len >> 8);
      h[3] = (uint8_t)~len;
      h[4] = (uint8_t)(~len >> 8);
      fxpc_png_put(o, h, 5);
      o->block_left = len;
    }
    k = n < o->block_left ? n : o->block_left;
    for (i = 0; i < k; i++) {
      o->adler_a += p[i];
      o->adler_b += o->adler_a;
      if (++o->adler_n == 5552u) {
        o->adler_a %= 65521u;
        o->adler_b %= 65521u;
        o->adler_n = 0;
      }
    }
    fxpc_png_put(o, p, k);
    p += k;
    n -= k;
    o->block_left -= (uint32_t)k;
    o->left -= k;
  }
}

static int fxpc_write_png(const char *path, const fxpc_image *img) {
  static const uint8_t signature[8] = { 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a };
  static const uint8_t zlib_header[2] = { 0x78, 0x01 };
  const uint8_t filter = 0;
  const size_t stride = (size_t)img->width * 3;
  const size_t lines = (stride + 1) * img->height;
  const size_t blocks = (lines + FXPC_PNG_BLOCK - 1) / FXPC_PNG_BLOCK;
  uint8_t b[13];
  fxpc_png o;
  uint32_t row;
  /* The decoder's images (at most 2^24 pixels) are far below PNG's 2^31-1 chunk limit. */
  if (lines > 0x7fffffffu - 6 - 5 * blocks) return 0;
  fxpc_crc_init();
  o.f = fopen(path, "wb");
  if (o.f == NULL) return 0;
  o.ok = fwrite(signature, 1, 8, o.f) == 8;
  fxpc_png_begin(&o, "IHDR", 13);
  fxpc_be32(b, img->width);
  fxpc_be32(b + 4, img->height);
  b[8] = 8;  /* bit depth */
  b[9] = 2;  /* colour type RGB */
  b[10] = 0; /* deflate */
  b[11] = 0; /* filter method 0 */
  b[12] = 0; /* no interlace */
  fxpc_png_put(&o, b, 13);
  fxpc_png_end(&o);

  fxpc_png_begin(&o, "IDAT", (uint32_t)(2 + lines + 5 * blocks + 4));
  fxpc_png_put(&o, zlib_header, 2);
  o.adler_a = 1;
  o.adler_b = 0;
  o.adler_n = 0;
  o.left = lines;
  o.block_left = 0;
  for (row = 0; row < img->height; row++) {
    fxpc_png_lines(&o, &filter, 1);
    fxpc_png_lines(&o, img->rgb + (size_t)row * stride, stride);
  }
  fxpc_be32(b, ((o.adler_b % 65521u) << 16) | (o.adler_a % 65521u));
  fxpc_png_put(&o, b, 4);
  fxpc_png_end(&o);

  fxpc_png_begin(&o, "IEND", 0);
  fxpc_png_end(&o);
  return fclose(o.f) == 0 && o.ok;
}

/* Whether the name ends in ".png" (any case). */
static int fxpc_is_png(const char *path) {
  const size_t n = strlen(path);
  const char *ext = ".png";
  size_t i;
  if (n < 4) return 0;
  for (i = 0; i < 4; i++) {
    const char c = path[n - 4 + i];
    if ((c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c) != ext[i]) return 0;
  }
  return 1;
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
    fprintf(stderr, "usage: %s IN.fxpc OUT.png|OUT.ppm   (or --models)\\n", argc > 0 ? argv[0] : "fxpc_decode");
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
  if (!(fxpc_is_png(argv[2]) ? fxpc_write_png(argv[2], &img) : fxpc_write_ppm(argv[2], &img))) {
    fprintf(stderr, "%s: cannot write\\n", argv[2]);
    free(img.rgb);
    return 2;
  }
  printf("fnv1a64 %016llx\\n", (unsigned long long)fxpc_fnv1a64(img.rgb, (size_t)img.width * img.height * 3));
  free(img.rgb);
  return 0;
}
`;
