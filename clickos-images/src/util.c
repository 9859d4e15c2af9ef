/* util.c - strings, allocation, the error reporter, packets, time, blobs,
 * checksums and CRC32. */
#include "clickos.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

int g_verbose = 0;

/* ------------------------------------------------------------ allocation */
void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) { fputs("clickos: out of memory\n", stderr); abort(); }
  return p;
}
void *xcalloc(size_t n, size_t m) {
  void *p = calloc(n ? n : 1, m ? m : 1);
  if (!p) { fputs("clickos: out of memory\n", stderr); abort(); }
  return p;
}
void *xrealloc(void *q, size_t n) {
  void *p = realloc(q, n ? n : 1);
  if (!p) { fputs("clickos: out of memory\n", stderr); abort(); }
  return p;
}
char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }
char *xstrndup(const char *s, size_t n) {
  char *p = xmalloc(n + 1);
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

/* ------------------------------------------------------------ Str */
void str_init(Str *s) { s->s = NULL; s->len = s->cap = 0; }
void str_free(Str *s) { free(s->s); str_init(s); }
static void str_grow(Str *s, size_t need) {
  if (s->len + need + 1 <= s->cap) return;
  size_t c = s->cap ? s->cap : 64;
  while (c < s->len + need + 1) c *= 2;
  s->s = xrealloc(s->s, c);
  s->cap = c;
}
void str_addn(Str *s, const char *p, size_t n) {
  str_grow(s, n);
  memcpy(s->s + s->len, p, n);
  s->len += n;
  s->s[s->len] = 0;
}
void str_add(Str *s, const char *p) { str_addn(s, p, strlen(p)); }
void str_addc(Str *s, char c) { str_addn(s, &c, 1); }
void str_printf(Str *s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char tmp[256];
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof tmp) { str_addn(s, tmp, n); return; }
  str_grow(s, n);
  va_start(ap, fmt);
  vsnprintf(s->s + s->len, n + 1, fmt, ap);
  va_end(ap);
  s->len += n;
}

/* ------------------------------------------------------------ errors */
int err_vreport(ErrCtx *e, int line, const char *fmt, va_list ap) {
  Str m;
  str_init(&m);
  if (line <= 0) line = e->line;
  if (e->file) {
    if (line > 0) str_printf(&m, "%s:%d: ", e->file, line);
    else str_printf(&m, "%s: ", e->file);
  }
  if (e->context) str_printf(&m, "%s: ", e->context);
  char tmp[1024];
  vsnprintf(tmp, sizeof tmp, fmt, ap);
  str_add(&m, tmp);
  if (e->nerrors == 0) {
    str_free(&e->first);
    str_add(&e->first, m.s);
    e->first_line = line;
  }
  e->nerrors++;
  if (!e->quiet) fprintf(stderr, "%s\n", m.s);
  str_free(&m);
  return -1;
}
int err_report(ErrCtx *e, int line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  err_vreport(e, line, fmt, ap);
  va_end(ap);
  return -1;
}
void err_warn(ErrCtx *e, int line, const char *fmt, ...) {
  if (e->quiet) return;
  va_list ap;
  va_start(ap, fmt);
  if (line <= 0) line = e->line;
  if (e->file) {
    if (line > 0) fprintf(stderr, "%s:%d: warning: ", e->file, line);
    else fprintf(stderr, "%s: warning: ", e->file);
  }
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

/* ------------------------------------------------------------ packets */
/* A small free list keeps steady-state forwarding free of malloc. */
#define POOL_MAX 256
#define POOL_BUFSZ 2240 /* headroom + 2048-byte snaplen + slack */
static Packet *pool;
static int pool_n;

Packet *pkt_alloc(uint32_t len) {
  Packet *p;
  uint32_t need = PKT_HEADROOM + len;
  if (pool && need <= POOL_BUFSZ) {
    p = pool;
    pool = p->next;
    pool_n--;
  } else {
    p = xmalloc(sizeof *p);
    p->cap = need <= POOL_BUFSZ ? POOL_BUFSZ : need;
    p->buf = xmalloc(p->cap);
  }
  p->off = PKT_HEADROOM;
  p->len = len;
  p->mac = p->nh = p->th = -1;
  p->paint = 0;
  p->pkttype = 0;
  p->dst_ip = 0;
  p->ts = 0;
  p->aggregate = 0;
  p->next = NULL;
  return p;
}
Packet *pkt_make(const void *data, uint32_t len) {
  Packet *p = pkt_alloc(len);
  if (data) memcpy(pkt_data(p), data, len);
  else memset(pkt_data(p), 0, len);
  return p;
}
Packet *pkt_clone(const Packet *q) {
  Packet *p = pkt_alloc(q->len);
  /* keep the same offsets so header annotations stay valid */
  if (q->off + q->len > p->cap) {
    memcpy(pkt_data(p), pkt_data(q), q->len);
    int32_t d = (int32_t)p->off - (int32_t)q->off;
    p->mac = q->mac < 0 ? -1 : q->mac + d;
    p->nh = q->nh < 0 ? -1 : q->nh + d;
    p->th = q->th < 0 ? -1 : q->th + d;
  } else {
    p->off = q->off;
    memcpy(p->buf + p->off, pkt_data(q), q->len);
    p->mac = q->mac; p->nh = q->nh; p->th = q->th;
  }
  p->paint = q->paint;
  p->pkttype = q->pkttype;
  p->dst_ip = q->dst_ip;
  p->ts = q->ts;
  p->aggregate = q->aggregate;
  return p;
}
void pkt_kill(Packet *p) {
  if (!p) return;
  if (p->cap == POOL_BUFSZ && pool_n < POOL_MAX) {
    p->next = pool;
    pool = p;
    pool_n++;
    return;
  }
  free(p->buf);
  free(p);
}
void pkt_pool_trim(void) {
  while (pool) {
    Packet *p = pool;
    pool = p->next;
    free(p->buf);
    free(p);
  }
  pool_n = 0;
}
void pkt_pull(Packet *p, uint32_t n) {
  if (n > p->len) n = p->len;
  p->off += n;
  p->len -= n;
}
Packet *pkt_push(Packet *p, uint32_t n) {
  if (p->off >= n) {
    p->off -= n;
    p->len += n;
    return p;
  }
  /* reallocate with fresh headroom */
  uint32_t ncap = PKT_HEADROOM + n + p->len;
  uint8_t *nb = xmalloc(ncap < POOL_BUFSZ ? POOL_BUFSZ : ncap);
  int32_t d = (int32_t)(PKT_HEADROOM + n) - (int32_t)p->off;
  memcpy(nb + PKT_HEADROOM + n, pkt_data(p), p->len);
  free(p->buf);
  p->buf = nb;
  p->cap = ncap < POOL_BUFSZ ? POOL_BUFSZ : ncap;
  if (p->mac >= 0) p->mac += d;
  if (p->nh >= 0) p->nh += d;
  if (p->th >= 0) p->th += d;
  p->off = PKT_HEADROOM;
  p->len += n;
  return p;
}
void pkt_take(Packet *p, uint32_t n) {
  if (n > p->len) n = p->len;
  p->len -= n;
}
Packet *pkt_put(Packet *p, uint32_t n) {
  if (p->off + p->len + n > p->cap) {
    uint32_t ncap = p->off + p->len + n;
    p->buf = xrealloc(p->buf, ncap);
    p->cap = ncap;
  }
  memset(pkt_end(p), 0, n);
  p->len += n;
  return p;
}
void pkt_set_ip_header(Packet *p, uint32_t o) {
  p->nh = (int32_t)(p->off + o);
  p->th = -1;
  if (pkt_avail(p, p->nh) >= 1) {
    uint32_t hl = (pkt_nh(p)[0] & 0xF) * 4;
    p->th = p->nh + (int32_t)hl;
  }
}

/* ------------------------------------------------------------ time */
static bool sim_on;
static uint64_t sim_now;
uint64_t now_ns(void) {
  if (sim_on) return sim_now;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}
void time_set_simulated(uint64_t start) { sim_on = true; sim_now = start; }
bool time_simulated(void) { return sim_on; }
void time_warp_to(uint64_t t) { if (sim_on && t > sim_now) sim_now = t; }

void unparse_time(uint64_t ns, Str *out) {
  str_printf(out, "%llu.%06llu", (unsigned long long)(ns / NS_PER_SEC),
             (unsigned long long)((ns % NS_PER_SEC) / 1000));
}

/* ------------------------------------------------------------ blobs */
static void blob_grow(Blob *b, size_t n) {
  if (b->len + n <= b->cap) return;
  size_t c = b->cap ? b->cap : 256;
  while (c < b->len + n) c *= 2;
  b->p = xrealloc(b->p, c);
  b->cap = c;
}
void blob_bytes(Blob *b, const void *p, size_t n) {
  blob_grow(b, n);
  memcpy(b->p + b->len, p, n);
  b->len += n;
}
void blob_u8(Blob *b, uint8_t v) { blob_bytes(b, &v, 1); }
void blob_u16(Blob *b, uint16_t v) { uint8_t x[2] = {v & 0xff, v >> 8}; blob_bytes(b, x, 2); }
void blob_u32(Blob *b, uint32_t v) {
  uint8_t x[4];
  for (int i = 0; i < 4; i++) x[i] = (uint8_t)(v >> (8 * i));
  blob_bytes(b, x, 4);
}
void blob_u64(Blob *b, uint64_t v) {
  uint8_t x[8];
  for (int i = 0; i < 8; i++) x[i] = (uint8_t)(v >> (8 * i));
  blob_bytes(b, x, 8);
}
bool blobr_bytes(BlobR *r, void *out, size_t n) {
  if (r->bad || n > r->len - r->pos) { r->bad = true; if (out) memset(out, 0, n); return false; }
  if (out) memcpy(out, r->p + r->pos, n);
  r->pos += n;
  return true;
}
uint8_t blobr_u8(BlobR *r) { uint8_t x = 0; blobr_bytes(r, &x, 1); return x; }
uint16_t blobr_u16(BlobR *r) { uint8_t x[2]; blobr_bytes(r, x, 2); return (uint16_t)(x[0] | x[1] << 8); }
uint32_t blobr_u32(BlobR *r) {
  uint8_t x[4];
  blobr_bytes(r, x, 4);
  return (uint32_t)x[0] | (uint32_t)x[1] << 8 | (uint32_t)x[2] << 16 | (uint32_t)x[3] << 24;
}
uint64_t blobr_u64(BlobR *r) {
  uint64_t lo = blobr_u32(r);
  uint64_t hi = blobr_u32(r);
  return lo | hi << 32;
}

/* ------------------------------------------------------------ crc32 */
uint32_t crc32_ieee(const void *data, size_t n) {
  static uint32_t table[256];
  static int init;
  if (!init) {
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
    init = 1;
  }
  const uint8_t *p = data;
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

/* ------------------------------------------------------------ checksums */
uint32_t cksum_add(uint32_t sum, const void *data, size_t n) {
  const uint8_t *p = data;
  while (n > 1) { sum += (uint32_t)p[0] << 8 | p[1]; p += 2; n -= 2; }
  if (n) sum += (uint32_t)p[0] << 8;
  return sum;
}
uint16_t cksum_fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}
uint16_t ip_cksum(const void *p, size_t n) { return htons(cksum_fold(cksum_add(0, p, n))); }

void unparse_ip(uint32_t ip, char *buf) {
  const uint8_t *b = (const uint8_t *)&ip;
  sprintf(buf, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
}
void unparse_eth(const uint8_t *m, char *buf) {
  sprintf(buf, "%02X-%02X-%02X-%02X-%02X-%02X", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* ------------------------------------------------------------ RSS trimming
 * A static binary's text is file-backed and shared
 * between every guest, but the kernel's fault-around maps up to 16 pages per
 * fault, so an idle process shows most of the binary in its RSS.  After
 * boot, mark those mappings MADV_RANDOM (no fault-around) and drop their page
 * table entries (MADV_DONTNEED keeps the page cache): only pages the run loop
 * really touches come back. */
#include <sys/mman.h>
#include <unistd.h>
void trim_text_rss(void) {
  char exe[512];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return;
  exe[n] = 0;
  FILE *f = fopen("/proc/self/maps", "r");
  if (!f) return;
  char line[1024];
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    char perms[8], path[600] = "";
    if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %599s", &lo, &hi, perms, path) < 3) continue;
    /* executable text only: read-only data may hold relocated (RELRO) pages
     * that MADV_DONTNEED would revert to the file's contents */
    if (strcmp(path, exe) || strchr(perms, 'w') || !strchr(perms, 'x')) continue;
    madvise((void *)lo, hi - lo, MADV_RANDOM);
    madvise((void *)lo, hi - lo, MADV_DONTNEED);
  }
  fclose(f);
}
