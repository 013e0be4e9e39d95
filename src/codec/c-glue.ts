/**
 * The fixed C of the codec decoder's decode path, `fxpc_image.c` (API and model
 * type: c-program-header.ts), which mirrors, step for step:
 *   bitstream.ts readBitstream  fxpc_read_header: structure (magic, version, id
 *                               length, section table, lengths, no trailing bytes),
 *                               then CRC-32, then the fields (UTF-8 id, quality,
 *                               width, height, at most 2^28 pixels);
 *   codec.ts decodeImage        the 2^24-pixel decode limit, the model with the
 *                               header's id and hash, 2 sections, then z_hat
 *                               (prior tables by channel, clamped), h_s, table
 *                               indices, y symbols (Gaussian tables), y_hat, g_s,
 *                               pixels, crop;
 *   latents.ts                  clampTo, tableIndices, yHat, pixelsFromXhat.
 * Every failure is a return code and a message, never an abort: the input is
 * checked before each read, every buffer size before its allocation.
 *
 * The model id is compared as TextDecoder('utf-8', { fatal: true }) returns it:
 * malformed UTF-8 is an error and a leading byte-order mark is dropped.
 *
 * Numerics of the integer steps (all int32 values, int64 where a product needs it):
 *   y_hat = clamp(clamp(sym, +-2^16) * 2^fy + mu, Fy): |.| < 2^16 * 2^24 + 2^31 < 2^41;
 *   pixel = clamp(floor((x * 255 + 2^(fx-1)) / 2^fx), 0, 255), or x * 255 * 2^-fx for
 *   fx <= 0 (fx >= -8): |x| < 2^15 gives |.| < 2^31; the shifts never touch a
 *   negative value (fxpc_floor_shift).
 */

export const C_IMAGE_SOURCE_NAME = 'fxpc_image.c';

export const C_IMAGE_SOURCE = `/* fxpc_image.c: the codec decode path (generated from src/codec/c-glue.ts; do not edit).
   Mirrors bitstream.ts readBitstream, codec.ts decodeImage and latents.ts step for step. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fxpc_program.h"

#define FXPC_FORMAT_VERSION 1u
#define FXPC_MAX_ID_BYTES 64u
#define FXPC_MAX_SECTIONS 16u
/* bitstream.ts MAX_PIXELS (2^28) */
#define FXPC_FORMAT_MAX_PIXELS 268435456u

typedef struct {
  const uint8_t *id; /* as decoded: without a leading byte-order mark */
  uint32_t id_len;
  const uint8_t *hash;
  uint32_t quality, width, height, count;
  const uint8_t *section[FXPC_MAX_SECTIONS];
  uint32_t length[FXPC_MAX_SECTIONS];
} fxpc_header;

#if defined(__GNUC__)
static int fxpc_fail(char *msg, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#endif

static int fxpc_fail(char *msg, size_t cap, const char *fmt, ...) {
  va_list ap;
  if (cap > 0) {
    va_start(ap, fmt);
    vsnprintf(msg, cap, fmt, ap);
    va_end(ap);
  }
  return 1;
}

static uint32_t fxpc_u16(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
}

static uint32_t fxpc_u32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* CRC-32 of zlib (reflected 0xEDB88320, init and final xor 0xFFFFFFFF), bit by bit. */
static uint32_t fxpc_crc32(const uint8_t *p, size_t n) {
  uint32_t c = 0xffffffffu;
  size_t i;
  int k;
  for (i = 0; i < n; i++) {
    c ^= p[i];
    for (k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return c ^ 0xffffffffu;
}

/* Well-formed UTF-8 (Unicode table 3-7): what a fatal TextDecoder accepts. */
static int fxpc_utf8_ok(const uint8_t *s, uint32_t n) {
  uint32_t i = 0, len, k;
  while (i < n) {
    const uint32_t c = s[i];
    uint32_t lo = 0x80u, hi = 0xbfu;
    if (c < 0x80u) {
      i++;
      continue;
    }
    if (c >= 0xc2u && c <= 0xdfu) len = 2;
    else if (c >= 0xe0u && c <= 0xefu) {
      len = 3;
      if (c == 0xe0u) lo = 0xa0u;
      if (c == 0xedu) hi = 0x9fu;
    } else if (c >= 0xf0u && c <= 0xf4u) {
      len = 4;
      if (c == 0xf0u) lo = 0x90u;
      if (c == 0xf4u) hi = 0x8fu;
    } else return 0;
    if (n - i < len || s[i + 1] < lo || s[i + 1] > hi) return 0;
    for (k = 2; k < len; k++) if (s[i + k] < 0x80u || s[i + k] > 0xbfu) return 0;
    i += len;
  }
  return 1;
}

static void fxpc_hex(const uint8_t *b, char *out) {
  static const char digits[] = "0123456789abcdef";
  int i;
  for (i = 0; i < 8; i++) {
    out[2 * i] = digits[b[i] >> 4];
    out[2 * i + 1] = digits[b[i] & 15u];
  }
  out[16] = 0;
}

/* bitstream.ts readBitstream: the structure, then the CRC, then the fields. */
static int fxpc_read_header(const uint8_t *b, size_t size, fxpc_header *h, char *msg, size_t cap) {
  uint32_t k, i;
  size_t header_end, left;
  uint64_t payload = 0;
  const uint8_t *at;
  memset(h, 0, sizeof *h);
  if (size < 4) return fxpc_fail(msg, cap, "truncated bitstream: %lu bytes end inside the magic", (unsigned long)size);
  if (memcmp(b, "FXPC", 4) != 0) return fxpc_fail(msg, cap, "not an FXPC bitstream: bad magic bytes %02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
  if (size < 6) return fxpc_fail(msg, cap, "truncated bitstream: %lu bytes end inside the header", (unsigned long)size);
  if (b[4] != FXPC_FORMAT_VERSION) return fxpc_fail(msg, cap, "unsupported FXPC version %u, this reader knows version %u", (unsigned)b[4], FXPC_FORMAT_VERSION);
  k = b[5];
  if (k < 1 || k > FXPC_MAX_ID_BYTES) return fxpc_fail(msg, cap, "model id length %lu is outside 1..%u", (unsigned long)k, FXPC_MAX_ID_BYTES);
  if (size < 20 + (size_t)k) return fxpc_fail(msg, cap, "truncated bitstream: %lu bytes end inside the header", (unsigned long)size);
  h->count = b[19 + k];
  if (h->count < 1 || h->count > FXPC_MAX_SECTIONS) return fxpc_fail(msg, cap, "bitstream must have 1..%u sections, got %lu", FXPC_MAX_SECTIONS, (unsigned long)h->count);
  header_end = 20 + (size_t)k + 4 * (size_t)h->count;
  if (size < header_end + 4) return fxpc_fail(msg, cap, "truncated bitstream: %lu bytes end inside the section table", (unsigned long)size);
  for (i = 0; i < h->count; i++) {
    h->length[i] = fxpc_u32(b + 20 + k + 4 * i);
    payload += h->length[i];
  }
  left = size - header_end - 4;
  if (payload > left) return fxpc_fail(msg, cap, "truncated bitstream: section lengths sum to %llu, exceeding the %lu bytes present", (unsigned long long)payload, (unsigned long)left);
  if (payload < left) return fxpc_fail(msg, cap, "bitstream has %llu trailing bytes after its %llu section bytes", (unsigned long long)(left - payload), (unsigned long long)payload);
  if (fxpc_u32(b + size - 4) != fxpc_crc32(b, size - 4)) {
    return fxpc_fail(msg, cap, "CRC mismatch: stored 0x%08lx, computed 0x%08lx", (unsigned long)fxpc_u32(b + size - 4), (unsigned long)fxpc_crc32(b, size - 4));
  }
  if (!fxpc_utf8_ok(b + 6, k)) return fxpc_fail(msg, cap, "model id is not valid UTF-8");
  h->id = b + 6;
  h->id_len = k;
  if (k >= 3 && b[6] == 0xefu && b[7] == 0xbbu && b[8] == 0xbfu) {
    h->id += 3;
    h->id_len -= 3;
  }
  h->hash = b + 6 + k;
  h->quality = b[14 + k];
  h->width = fxpc_u16(b + 15 + k);
  h->height = fxpc_u16(b + 17 + k);
  if (h->quality < 1) return fxpc_fail(msg, cap, "quality must be an integer in 1..255, got 0");
  if (h->width < 1) return fxpc_fail(msg, cap, "image width must be an integer in 1..65535, got 0");
  if (h->height < 1) return fxpc_fail(msg, cap, "image height must be an integer in 1..65535, got 0");
  if ((uint64_t)h->width * h->height > FXPC_FORMAT_MAX_PIXELS) {
    return fxpc_fail(msg, cap, "image of %lu x %lu pixels is larger than the limit of 2^28 pixels", (unsigned long)h->width, (unsigned long)h->height);
  }
  at = b + header_end;
  for (i = 0; i < h->count; i++) {
    h->section[i] = at;
    at += h->length[i];
  }
  return 0;
}

/* codec.ts codecFor: the model with the header's id and hash. */
static const fxpc_model *fxpc_find_model(const fxpc_header *h, char *msg, size_t cap) {
  char want[17], have[17], list[512];
  size_t used = 0;
  uint32_t i;
  for (i = 0; i < fxpc_model_count; i++) {
    const fxpc_model *m = fxpc_models[i];
    if (m->id_len == h->id_len && memcmp(m->id, h->id, h->id_len) == 0 && memcmp(m->hash, h->hash, 8) == 0) return m;
  }
  list[0] = 0;
  for (i = 0; i < fxpc_model_count && used + 1 < sizeof list; i++) {
    const fxpc_model *m = fxpc_models[i];
    int n;
    fxpc_hex(m->hash, have);
    n = snprintf(list + used, sizeof list - used, "%s%.*s q%lu %s", i > 0 ? ", " : "", (int)m->id_len, (const char *)m->id, (unsigned long)m->quality, have);
    if (n < 0) break;
    used += (size_t)n;
  }
  fxpc_hex(h->hash, want);
  fxpc_fail(msg, cap, "bitstream needs model '%.*s' quality %lu with hash %s; loaded: %s", (int)h->id_len, (const char *)h->id, (unsigned long)h->quality, want,
            fxpc_model_count > 0 ? list : "none");
  return NULL;
}

/* malloc(count * size), NULL when that overflows size_t. */
static void *fxpc_alloc(size_t count, size_t size) {
  if (count == 0) count = 1;
  if (count > (size_t)-1 / size) return NULL;
  return malloc(count * size);
}

/* floor(x / 2^s), never shifting a negative value. */
static int64_t fxpc_floor_shift(int64_t x, int32_t s) {
  return x >= 0 ? x >> s : -1 - ((-1 - x) >> s);
}

/* latents.ts pixelsFromXhat for one value. */
static uint8_t fxpc_pixel(int32_t xq, int32_t fx) {
  const int64_t q = (int64_t)xq * 255;
  const int64_t p = fx > 0 ? fxpc_floor_shift(q + ((int64_t)1 << (fx - 1)), fx) : q * ((int64_t)1 << -fx);
  return (uint8_t)(p < 0 ? 0 : p > 255 ? 255 : p);
}

static const char *fxpc_coder_error(int e) {
  return e == FXPC_TRUNCATED ? "truncated bitstream" : e == FXPC_CORRUPT ? "corrupt bitstream" : "internal: bad coding table index";
}

static const char *fxpc_net_error(int e) {
  return e == FXPC_NET_NOMEM ? "out of memory" : e == FXPC_NET_SIZE ? "image too large for the decoder" : "internal: a network input is outside its format";
}

/* decodeSymbols + RansDecoder.finish on one section: FXPC_OK or the coder's error. */
static int fxpc_decode_section(const uint8_t *sec, uint32_t len, const fxpc_tables *t, const int32_t *index, int32_t *out, size_t n) {
  fxpc_rans_dec d;
  int e = fxpc_rans_init(&d, sec, len);
  if (e == FXPC_OK) e = fxpc_decode_symbols(&d, t, index, out, n);
  if (e == FXPC_OK) e = fxpc_rans_finish(&d);
  return e;
}

int fxpc_decode_image(const uint8_t *bytes, size_t size, fxpc_image *img, char *msg, size_t cap) {
  fxpc_header h;
  const fxpc_model *m;
  int32_t *index = NULL, *zhat = NULL, *params = NULL, *yhat = NULL, *x = NULL;
  uint8_t *rgb = NULL;
  uint32_t pad_w, pad_h, hz, wz, hy, wy, c, row, col;
  size_t nz, ny, plane, k;
  int rc = 1, e;
  img->width = 0;
  img->height = 0;
  img->rgb = NULL;
  if (fxpc_read_header(bytes, size, &h, msg, cap)) return 1;
  if ((uint64_t)h.width * h.height > FXPC_MAX_DECODE_PIXELS) {
    return fxpc_fail(msg, cap, "image of %lux%lu is larger than the decode limit of %lu pixels", (unsigned long)h.width, (unsigned long)h.height, (unsigned long)FXPC_MAX_DECODE_PIXELS);
  }
  m = fxpc_find_model(&h, msg, cap);
  if (m == NULL) return 1;
  if (h.count != 2) return fxpc_fail(msg, cap, "codec bitstream must have 2 sections (z, y), has %lu", (unsigned long)h.count);
  pad_w = ((h.width + 63u) >> 6) << 6;
  pad_h = ((h.height + 63u) >> 6) << 6;
  hz = pad_h >> 6;
  wz = pad_w >> 6;
  hy = pad_h >> 4;
  wy = pad_w >> 4;

  /* z_hat: table = channel; clamped to the z_hat format (clampTo). */
  plane = (size_t)hz * wz;
  nz = (size_t)m->n * plane;
  index = (int32_t *)fxpc_alloc(nz, sizeof(int32_t));
  zhat = (int32_t *)fxpc_alloc(nz, sizeof(int32_t));
  if (index == NULL || zhat == NULL) goto nomem;
  for (k = 0; k < nz; k++) index[k] = (int32_t)(k / plane);
  e = fxpc_decode_section(h.section[0], h.length[0], &m->prior, index, zhat, nz);
  if (e != FXPC_OK) {
    fxpc_fail(msg, cap, "%s in the z stream", fxpc_coder_error(e));
    goto done;
  }
  for (k = 0; k < nz; k++) zhat[k] = zhat[k] < m->zhat_min ? m->zhat_min : zhat[k] > m->zhat_max ? m->zhat_max : zhat[k];
  free(index);
  index = NULL;

  /* params = h_s(z_hat) = [mu | sigma], then the table of every y element (tableIndices). */
  ny = (size_t)m->m * hy * wy;
  params = (int32_t *)fxpc_alloc(2 * ny, sizeof(int32_t));
  if (params == NULL) goto nomem;
  e = m->hyper_synthesis(zhat, params, (int32_t)hz, (int32_t)wz);
  if (e != FXPC_NET_OK) {
    fxpc_fail(msg, cap, "hyper-synthesis: %s", fxpc_net_error(e));
    goto done;
  }
  index = (int32_t *)fxpc_alloc(ny, sizeof(int32_t));
  yhat = (int32_t *)fxpc_alloc(ny, sizeof(int32_t));
  if (index == NULL || yhat == NULL) goto nomem;
  for (k = 0; k < ny; k++) index[k] = (int32_t)fxpc_scale_index(params[ny + k], m->thresholds, m->threshold_count);
  e = fxpc_decode_section(h.section[1], h.length[1], &m->gaussian, index, yhat, ny);
  if (e != FXPC_OK) {
    fxpc_fail(msg, cap, "%s in the y stream", fxpc_coder_error(e));
    goto done;
  }

  /* y_hat = clamp(clamp(sym, +-2^16) * 2^fy + mu, Fy), in place of the symbols (yHat). */
  for (k = 0; k < ny; k++) {
    const int64_t s = yhat[k] < -65536 ? -65536 : yhat[k] > 65536 ? 65536 : yhat[k];
    const int64_t v = s * ((int64_t)1 << m->y_fl) + params[k];
    yhat[k] = (int32_t)(v < m->y_min ? m->y_min : v > m->y_max ? m->y_max : v);
  }
  free(index);
  free(zhat);
  free(params);
  index = zhat = params = NULL;

  /* x_hat = g_s(y_hat), then the pixels of the crop (pixelsFromXhat). */
  plane = (size_t)pad_w * pad_h;
  x = (int32_t *)fxpc_alloc(3 * plane, sizeof(int32_t));
  rgb = (uint8_t *)fxpc_alloc((size_t)h.width * h.height * 3, 1);
  if (x == NULL || rgb == NULL) goto nomem;
  e = m->synthesis(yhat, x, (int32_t)hy, (int32_t)wy);
  if (e != FXPC_NET_OK) {
    fxpc_fail(msg, cap, "synthesis: %s", fxpc_net_error(e));
    goto done;
  }
  for (c = 0; c < 3; c++) {
    for (row = 0; row < h.height; row++) {
      for (col = 0; col < h.width; col++) {
        rgb[((size_t)row * h.width + col) * 3 + c] = fxpc_pixel(x[c * plane + (size_t)row * pad_w + col], m->x_fl);
      }
    }
  }
  img->width = h.width;
  img->height = h.height;
  img->rgb = rgb;
  rgb = NULL;
  rc = 0;
  goto done;
nomem:
  fxpc_fail(msg, cap, "out of memory decoding an image of %lux%lu", (unsigned long)h.width, (unsigned long)h.height);
done:
  free(index);
  free(zhat);
  free(params);
  free(yhat);
  free(x);
  free(rgb);
  return rc;
}
`;
