/* el_rewriter.c - IPRewriter and IPRewriterPatterns (NAPT). */
#include "clickos.h"
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

/* =c
 * IPRewriterPatterns(NAME SADDR SPORT DADDR DPORT, ...)
 * =s nat
 * specifies shared IPRewriter patterns
 * =d
 * Declares named rewrite patterns that IPRewriter input specs can use by
 * name.  Fields are as in IPRewriter's "pattern" spec.
 * =e
 *   IPRewriterPatterns(to_world 192.0.2.1 1024-65535 - -);
 *   rw :: IPRewriter(to_world 0 1, drop);
 */
typedef struct {
  char *name;
  bool set_saddr, set_daddr;
  uint32_t saddr, daddr;
  int sport_lo, sport_hi, dport; /* -1 = keep */
  uint32_t cursor;
} RwPattern;
typedef struct { Element e; RwPattern *p; int n; } RwPatterns;

static int parse_pattern_fields(char **w, RwPattern *p, char *eb, size_t el) {
  memset((char *)p + sizeof(char *), 0, sizeof *p - sizeof(char *));
  p->sport_lo = p->sport_hi = p->dport = -1;
  if (strcmp(w[0], "-")) { if (parse_ip(w[0], &p->saddr)) { snprintf(eb, el, "bad SADDR '%s'", w[0]); return -1; } p->set_saddr = true; }
  if (strcmp(w[1], "-")) {
    const char *dash = strchr(w[1], '-');
    unsigned long long lo, hi;
    if (dash) {
      char *a = xstrndup(w[1], dash - w[1]);
      int r = parse_uint(a, &lo) || parse_uint(dash + 1, &hi) || lo > hi || hi > 65535 || lo == 0;
      free(a);
      if (r) { snprintf(eb, el, "bad SPORT range '%s'", w[1]); return -1; }
    } else {
      if (parse_uint(w[1], &lo) || lo > 65535) { snprintf(eb, el, "bad SPORT '%s'", w[1]); return -1; }
      hi = lo;
    }
    p->sport_lo = (int)lo;
    p->sport_hi = (int)hi;
  }
  if (strcmp(w[2], "-")) { if (parse_ip(w[2], &p->daddr)) { snprintf(eb, el, "bad DADDR '%s'", w[2]); return -1; } p->set_daddr = true; }
  if (strcmp(w[3], "-")) {
    unsigned long long d;
    if (parse_uint(w[3], &d) || d > 65535) { snprintf(eb, el, "bad DPORT '%s'", w[3]); return -1; }
    p->dport = (int)d;
  }
  return 0;
}
static int rwp_conf(Element *e, Args *a, ErrCtx *err) {
  RwPatterns *r = (RwPatterns *)e;
  int rc = 0;
  for (int i = 0; i < a->n; i++) {
    a->used[i] = true;
    if (!*a->v[i]) continue;
    Args w;
    split_words(a->v[i], &w);
    if (w.n != 5) rc = err_report(err, 0, "pattern %d: expected 'NAME SADDR SPORT DADDR DPORT'", i + 1);
    else {
      r->p = xrealloc(r->p, sizeof(RwPattern) * (r->n + 1));
      RwPattern *p = &r->p[r->n];
      p->name = xstrdup(w.v[0]);
      char eb[128];
      if (parse_pattern_fields(w.v + 1, p, eb, sizeof eb) < 0) { rc = err_report(err, 0, "pattern %d: %s", i + 1, eb); free(p->name); }
      else r->n++;
    }
    args_free(&w);
  }
  return rc;
}
static void rwp_cleanup(Element *e) {
  RwPatterns *r = (RwPatterns *)e;
  for (int i = 0; i < r->n; i++) free(r->p[i].name);
  free(r->p);
}
static const ElementClass IPRewriterPatterns_class = {
  .name = "IPRewriterPatterns", .port_count = "0/0", .processing = "a/a", .size = sizeof(RwPatterns),
  .configure = rwp_conf, .cleanup = rwp_cleanup};

/* =c
 * IPRewriter(INPUTSPEC_0, ..., INPUTSPEC_N-1 [, *keywords* TCP_TIMEOUT, UDP_TIMEOUT, CAPACITY])
 * =s nat
 * rewrites TCP/UDP packets' addresses and ports (NAPT)
 * =d
 * One INPUTSPEC per input says what to do with a packet of a new flow:
 * "drop", "pass OUTPUT", "keep FOUTPUT ROUTPUT" (remember the flow without
 * rewriting), "pattern SADDR SPORT DADDR DPORT FOUTPUT ROUTPUT" ("-" keeps a
 * field, SPORT may be a range "LO-HI" from which a free port is chosen), or
 * "NAME FOUTPUT ROUTPUT" with a pattern from IPRewriterPatterns.  A new
 * mapping rewrites the flow and sends it to FOUTPUT; replies (the reverse of
 * the rewritten flow, arriving on any input) are rewritten back and sent to
 * ROUTPUT.  Checksums are updated incrementally.  Mappings expire after
 * TCP_TIMEOUT (default 86400s) or UDP_TIMEOUT (default 300s) idle; at most
 * CAPACITY (default 65536) flows are kept.  Non-TCP/UDP packets follow
 * "pass" specs and are dropped otherwise.
 * =h table read-only
 * One line per mapping: "PROTO (SADDR, SPORT, DADDR, DPORT) => (SADDR', SPORT', DADDR', DPORT') OUT".
 * =h size read-only
 * Number of flows.
 * =e
 *   rw :: IPRewriter(pattern 192.0.2.1 1024-65535 - - 0 1, drop);
 */
typedef struct Mapping {
  uint8_t proto;
  uint32_t saddr, daddr;      /* key (network order) */
  uint16_t sport, dport;      /* key (host order) */
  uint32_t nsaddr, ndaddr;    /* rewritten */
  uint16_t nsport, ndport;
  int output;
  bool reverse;
  uint64_t last;
  struct Mapping *partner, *hnext;
} Mapping;
typedef enum { S_DROP, S_PASS, S_KEEP, S_PATTERN } SpecKind;
typedef struct { SpecKind kind; int fout, rout; RwPattern pat; char *patname; RwPattern *shared; } InSpec;
typedef struct {
  Element e;
  InSpec *spec;
  int nspec;
  uint64_t tcp_timeout, udp_timeout;
  unsigned capacity;
  Mapping **b;
  unsigned nb;
  unsigned nflows;
  Timer gc;
} Rewriter;

static int rw_conf(Element *e, Args *a, ErrCtx *err) {
  Rewriter *r = (Rewriter *)e;
  r->tcp_timeout = 86400 * NS_PER_SEC;
  r->udp_timeout = 300 * NS_PER_SEC;
  r->capacity = 65536;
  int rc = 0;
  /* keyword args are at the end: split them off */
  Args kw = {0};
  int npos = a->n;
  for (int i = 0; i < a->n; i++) {
    const char *v = a->v[i];
    if (!strncmp(v, "TCP_TIMEOUT", 11) || !strncmp(v, "UDP_TIMEOUT", 11) || !strncmp(v, "CAPACITY", 8) ||
        !strncmp(v, "TCP_DONE_TIMEOUT", 16) || !strncmp(v, "REAP_INTERVAL", 13) || !strncmp(v, "MAPPING_CAPACITY", 16)) {
      if (npos == a->n) npos = i;
    }
  }
  kw.n = a->n - npos;
  kw.v = a->v + npos;
  kw.used = a->used + npos;
  kw.err = err;
  kw.line = a->line;
  uint64_t done_to = 0, reap = 0;
  unsigned mapcap = 0;
  ArgSpec s[] = {{"TCP_TIMEOUT", A_TIME, 0, &r->tcp_timeout, NULL, NULL},
                 {"UDP_TIMEOUT", A_TIME, 0, &r->udp_timeout, NULL, NULL},
                 {"CAPACITY", A_UINT, 0, &r->capacity, NULL, NULL},
                 {"MAPPING_CAPACITY", A_UINT, 0, &mapcap, NULL, NULL},
                 {"TCP_DONE_TIMEOUT", A_TIME, 0, &done_to, NULL, NULL},
                 {"REAP_INTERVAL", A_TIME, 0, &reap, NULL, NULL}};
  if (kw.n && args_read(&kw, s, 6) < 0) rc = -1;
  if (npos > 0 && !*a->v[npos - 1]) npos--;
  if (npos != e->nin) return err_report(err, 0, "need %d input specs, one per input port (got %d)", e->nin, npos);
  r->spec = xcalloc(npos ? npos : 1, sizeof(InSpec));
  r->nspec = npos;
  for (int i = 0; i < npos; i++) {
    a->used[i] = true;
    Args w;
    split_words(a->v[i], &w);
    InSpec *sp = &r->spec[i];
    char eb[128] = "";
    unsigned long long o1 = 0, o2 = 0;
    if (w.n == 0) snprintf(eb, sizeof eb, "empty input spec");
    else if ((!strcmp(w.v[0], "drop") || !strcmp(w.v[0], "discard")) && w.n == 1) sp->kind = S_DROP;
    else if (!strcmp(w.v[0], "pass") && w.n <= 2) {
      sp->kind = S_PASS;
      if (w.n == 2 && parse_uint(w.v[1], &o1)) snprintf(eb, sizeof eb, "bad output '%s'", w.v[1]);
      sp->fout = (int)o1;
    } else if (!strcmp(w.v[0], "keep") && w.n == 3) {
      sp->kind = S_KEEP;
      if (parse_uint(w.v[1], &o1) || parse_uint(w.v[2], &o2)) snprintf(eb, sizeof eb, "bad output in 'keep'");
      sp->fout = (int)o1; sp->rout = (int)o2;
    } else if (!strcmp(w.v[0], "pattern") && w.n == 7) {
      sp->kind = S_PATTERN;
      if (parse_pattern_fields(w.v + 1, &sp->pat, eb, sizeof eb) == 0) {
        if (parse_uint(w.v[5], &o1) || parse_uint(w.v[6], &o2)) snprintf(eb, sizeof eb, "bad FOUTPUT/ROUTPUT");
        sp->fout = (int)o1; sp->rout = (int)o2;
      }
    } else if ((w.n == 3 && strcmp(w.v[0], "pattern")) || (w.n == 4 && !strcmp(w.v[0], "pattern"))) {
      int b = w.n == 4;
      sp->kind = S_PATTERN;
      sp->patname = xstrdup(w.v[b]);
      if (parse_uint(w.v[b + 1], &o1) || parse_uint(w.v[b + 2], &o2)) snprintf(eb, sizeof eb, "bad FOUTPUT/ROUTPUT");
      sp->fout = (int)o1; sp->rout = (int)o2;
    } else snprintf(eb, sizeof eb, "unknown input spec '%s'", a->v[i]);
    if (!eb[0] && (sp->fout >= e->nout || sp->rout >= e->nout)) snprintf(eb, sizeof eb, "output out of range (%d outputs)", e->nout);
    if (eb[0]) rc = err_report(err, 0, "input spec %d: %s", i, eb);
    args_free(&w);
  }
  if (r->capacity == 0 || r->capacity > (1u << 24)) rc = err_report(err, 0, "CAPACITY: expected 1..16777216");
  return rc;
}
static void rw_gc(Timer *t, void *arg);
static int rw_init(Element *e, ErrCtx *err) {
  Rewriter *r = (Rewriter *)e;
  for (int i = 0; i < r->nspec; i++) {
    InSpec *sp = &r->spec[i];
    if (!sp->patname) continue;
    for (int k = 0; k < e->router->ne && !sp->shared; k++) {
      Element *x = e->router->e[k];
      if (strcmp(x->cls->name, "IPRewriterPatterns")) continue;
      RwPatterns *ps = (RwPatterns *)x;
      for (int j = 0; j < ps->n; j++) if (!strcmp(ps->p[j].name, sp->patname)) sp->shared = &ps->p[j];
    }
    if (!sp->shared) return err_report(err, 0, "input spec %d: no IPRewriterPatterns pattern named '%s'", i, sp->patname);
  }
  timer_init(&r->gc, rw_gc, r);
  return 0;
}

static uint32_t mhash(uint8_t pr, uint32_t s, uint32_t d, uint16_t sp, uint16_t dp) {
  uint64_t x = ((uint64_t)s << 32 | d) ^ (((uint64_t)sp << 24 | (uint64_t)dp << 8 | pr) * 0x9E3779B97F4A7C15ull);
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 29;
  return (uint32_t)x;
}
static Mapping *m_find(Rewriter *r, uint8_t pr, uint32_t s, uint32_t d, uint16_t sp, uint16_t dp) {
  if (!r->b) return NULL;
  for (Mapping *m = r->b[mhash(pr, s, d, sp, dp) & (r->nb - 1)]; m; m = m->hnext)
    if (m->proto == pr && m->saddr == s && m->daddr == d && m->sport == sp && m->dport == dp) return m;
  return NULL;
}
static void m_link(Rewriter *r, Mapping *m) {
  if (!r->b) {
    unsigned n = 256;
    while (n < r->capacity * 2 && n < (1u << 25)) n <<= 1;
    r->nb = n;
    r->b = xcalloc(n, sizeof(Mapping *));
  }
  uint32_t h = mhash(m->proto, m->saddr, m->daddr, m->sport, m->dport) & (r->nb - 1);
  m->hnext = r->b[h];
  r->b[h] = m;
}
static void m_unlink(Rewriter *r, Mapping *m) {
  uint32_t h = mhash(m->proto, m->saddr, m->daddr, m->sport, m->dport) & (r->nb - 1);
  Mapping **pp = &r->b[h];
  while (*pp && *pp != m) pp = &(*pp)->hnext;
  if (*pp) *pp = m->hnext;
}
static void flow_free(Rewriter *r, Mapping *fwd) {
  m_unlink(r, fwd);
  m_unlink(r, fwd->partner);
  free(fwd->partner);
  free(fwd);
  r->nflows--;
}
static uint64_t m_timeout(Rewriter *r, Mapping *m) { return m->proto == 6 ? r->tcp_timeout : r->udp_timeout; }
static void rw_gc(Timer *t, void *arg) {
  Rewriter *r = arg;
  uint64_t now = now_ns();
  for (unsigned i = 0; r->b && i < r->nb; i++) {
    Mapping **pp = &r->b[i];
    while (*pp) {
      Mapping *m = *pp;
      Mapping *f = m->reverse ? m->partner : m;
      uint64_t last = f->last > f->partner->last ? f->last : f->partner->last;
      if (now > last && now - last >= m_timeout(r, m)) {
        /* remove the pair; restart this bucket since links changed */
        flow_free(r, f);
        pp = &r->b[i];
        continue;
      }
      pp = &m->hnext;
    }
  }
  if (r->nflows) timer_schedule_after(t, 10 * NS_PER_SEC);
}
static Mapping *flow_create(Rewriter *r, uint8_t pr, uint32_t s, uint32_t d, uint16_t sp, uint16_t dp,
                            uint32_t ns, uint32_t nd, uint16_t nsp, uint16_t ndp, int fout, int rout, uint64_t now) {
  if (r->nflows >= r->capacity) return NULL;
  Mapping *f = xcalloc(1, sizeof *f), *b = xcalloc(1, sizeof *b);
  *f = (Mapping){pr, s, d, sp, dp, ns, nd, nsp, ndp, fout, false, now, b, NULL};
  /* reply to the rewritten flow: (nd,ndp) -> (ns,nsp) becomes (d,dp) -> (s,sp) */
  *b = (Mapping){pr, nd, ns, ndp, nsp, d, s, dp, sp, rout, true, now, f, NULL};
  m_link(r, f);
  m_link(r, b);
  r->nflows++;
  if (!timer_scheduled(&r->gc)) timer_schedule_after(&r->gc, 10 * NS_PER_SEC);
  return f;
}

static void adjust16(uint8_t *ck, uint16_t o, uint16_t n) {
  uint32_t sum = (uint16_t)~(ck[0] << 8 | ck[1]) + (uint16_t)~o + n;
  sum = (sum & 0xFFFF) + (sum >> 16);
  sum = (sum & 0xFFFF) + (sum >> 16);
  uint16_t r = (uint16_t)~sum;
  ck[0] = r >> 8;
  ck[1] = r & 0xFF;
}
static void adjust32(uint8_t *ck, uint32_t o, uint32_t n) { /* network-order values */
  const uint8_t *a = (const uint8_t *)&o, *b = (const uint8_t *)&n;
  adjust16(ck, (uint16_t)(a[0] << 8 | a[1]), (uint16_t)(b[0] << 8 | b[1]));
  adjust16(ck, (uint16_t)(a[2] << 8 | a[3]), (uint16_t)(b[2] << 8 | b[3]));
}
static void apply(uint8_t *ip, uint8_t *th, int32_t tavail, const Mapping *m) {
  uint32_t os, od;
  memcpy(&os, ip + 12, 4);
  memcpy(&od, ip + 16, 4);
  uint8_t pr = ip[9];
  uint8_t *tck = NULL;
  if (pr == 6 && tavail >= 18) tck = th + 16;
  else if (pr == 17 && tavail >= 8 && (th[6] | th[7])) tck = th + 6;
  if (os != m->nsaddr) { adjust32(ip + 10, os, m->nsaddr); if (tck) adjust32(tck, os, m->nsaddr); memcpy(ip + 12, &m->nsaddr, 4); }
  if (od != m->ndaddr) { adjust32(ip + 10, od, m->ndaddr); if (tck) adjust32(tck, od, m->ndaddr); memcpy(ip + 16, &m->ndaddr, 4); }
  uint16_t osp = (uint16_t)(th[0] << 8 | th[1]), odp = (uint16_t)(th[2] << 8 | th[3]);
  if (osp != m->nsport) { if (tck) adjust16(tck, osp, m->nsport); th[0] = m->nsport >> 8; th[1] = m->nsport & 0xFF; }
  if (odp != m->ndport) { if (tck) adjust16(tck, odp, m->ndport); th[2] = m->ndport >> 8; th[3] = m->ndport & 0xFF; }
  if (tck && pr == 17 && !tck[0] && !tck[1]) tck[0] = tck[1] = 0xFF;
}
static void rw_push(Element *e, int port, Packet *p) {
  Rewriter *r = (Rewriter *)e;
  InSpec *sp = &r->spec[port < r->nspec ? port : 0];
  uint8_t *ip = p->nh >= 0 ? pkt_nh(p) : pkt_data(p);
  int32_t av = p->nh >= 0 ? pkt_avail(p, p->nh) : (int32_t)p->len;
  int hl = av >= 20 ? (ip[0] & 0xF) * 4 : 0;
  bool ok = av >= 20 && hl >= 20 && hl + 8 <= av && (ip[9] == 6 || ip[9] == 17) && ((ip[6] << 8 | ip[7]) & 0x1FFF) == 0;
  if (!ok) {
    if (sp->kind == S_PASS) checked_output_push(e, sp->fout, p);
    else pkt_kill(p);
    return;
  }
  uint8_t *th = ip + hl;
  int32_t ta = av - hl;
  uint8_t pr = ip[9];
  uint32_t s, d;
  memcpy(&s, ip + 12, 4);
  memcpy(&d, ip + 16, 4);
  uint16_t spt = (uint16_t)(th[0] << 8 | th[1]), dpt = (uint16_t)(th[2] << 8 | th[3]);
  uint64_t now = now_ns();
  Mapping *m = m_find(r, pr, s, d, spt, dpt);
  if (m) {
    Mapping *f = m->reverse ? m->partner : m;
    uint64_t last = f->last > f->partner->last ? f->last : f->partner->last;
    if (now > last && now - last >= m_timeout(r, m)) { flow_free(r, f); m = NULL; }
  }
  if (!m) {
    switch (sp->kind) {
      case S_DROP: pkt_kill(p); return;
      case S_PASS: checked_output_push(e, sp->fout, p); return;
      case S_KEEP: m = flow_create(r, pr, s, d, spt, dpt, s, d, spt, dpt, sp->fout, sp->rout, now); break;
      case S_PATTERN: {
        RwPattern *pt = sp->shared ? sp->shared : &sp->pat;
        uint32_t ns = pt->set_saddr ? pt->saddr : s, nd = pt->set_daddr ? pt->daddr : d;
        uint16_t ndp = pt->dport >= 0 ? (uint16_t)pt->dport : dpt;
        uint16_t nsp = spt;
        if (pt->sport_lo >= 0) {
          uint32_t range = (uint32_t)(pt->sport_hi - pt->sport_lo + 1);
          bool found = false;
          for (uint32_t k = 0; k < range && k < 65536; k++) {
            uint16_t cand = (uint16_t)(pt->sport_lo + (pt->cursor + k) % range);
            if (!m_find(r, pr, nd, ns, ndp, cand)) { nsp = cand; pt->cursor = (pt->cursor + k + 1) % range; found = true; break; }
          }
          if (!found) { pkt_kill(p); return; }
        } else if (m_find(r, pr, nd, ns, ndp, nsp)) { pkt_kill(p); return; }
        m = flow_create(r, pr, s, d, spt, dpt, ns, nd, nsp, ndp, sp->fout, sp->rout, now);
        break;
      }
    }
    if (!m) { pkt_kill(p); return; }
  }
  m->last = now;
  apply(ip, th, ta, m);
  checked_output_push(e, m->output, p);
}
static void rw_cleanup(Element *e) {
  Rewriter *r = (Rewriter *)e;
  timer_unschedule(&r->gc);
  for (unsigned i = 0; r->b && i < r->nb; i++) {
    Mapping *m = r->b[i];
    while (m) { Mapping *n = m->hnext; free(m); m = n; }
  }
  free(r->b);
  for (int i = 0; i < r->nspec; i++) free(r->spec[i].patname);
  free(r->spec);
}
static int rw_rd(Element *e, const void *t, Str *o) {
  Rewriter *r = (Rewriter *)e;
  if (t) { str_printf(o, "%u", r->nflows); return 0; }
  for (unsigned i = 0; r->b && i < r->nb; i++)
    for (Mapping *m = r->b[i]; m; m = m->hnext) {
      if (m->reverse) continue;
      char a[16], b[16], c[16], d[16];
      unparse_ip(m->saddr, a); unparse_ip(m->daddr, b); unparse_ip(m->nsaddr, c); unparse_ip(m->ndaddr, d);
      str_printf(o, "%s (%s, %u, %s, %u) => (%s, %u, %s, %u) %d\n", m->proto == 6 ? "TCP" : "UDP", a, m->sport, b, m->dport,
                 c, m->nsport, d, m->ndport, m->output);
    }
  return 0;
}
/* checkpoint: u32 n, then per flow: u8 proto, 4x(u32 addr) , 4x(u16 port), u16 fout, u16 rout, u64 idle */
static int rw_save(Element *e, Blob *b) {
  Rewriter *r = (Rewriter *)e;
  uint64_t now = now_ns();
  blob_u32(b, r->nflows);
  for (unsigned i = 0; r->b && i < r->nb; i++)
    for (Mapping *m = r->b[i]; m; m = m->hnext) {
      if (m->reverse) continue;
      blob_u8(b, m->proto);
      blob_u32(b, m->saddr); blob_u32(b, m->daddr); blob_u32(b, m->nsaddr); blob_u32(b, m->ndaddr);
      blob_u16(b, m->sport); blob_u16(b, m->dport); blob_u16(b, m->nsport); blob_u16(b, m->ndport);
      blob_u16(b, (uint16_t)m->output); blob_u16(b, (uint16_t)m->partner->output);
      uint64_t last = m->last > m->partner->last ? m->last : m->partner->last;
      blob_u64(b, now > last ? now - last : 0);
    }
  return 0;
}
static int rw_load(Element *e, BlobR *rd, ErrCtx *err) {
  Rewriter *r = (Rewriter *)e;
  uint32_t n = blobr_u32(rd);
  if (rd->bad || (uint64_t)n * 37 > rd->len - rd->pos) return err_report(err, 0, "IPRewriter: truncated mapping table");
  uint64_t now = now_ns();
  for (uint32_t i = 0; i < n && !rd->bad; i++) {
    uint8_t pr = blobr_u8(rd);
    uint32_t s = blobr_u32(rd), d = blobr_u32(rd), ns = blobr_u32(rd), nd = blobr_u32(rd);
    uint16_t sp = blobr_u16(rd), dp = blobr_u16(rd), nsp = blobr_u16(rd), ndp = blobr_u16(rd);
    uint16_t fo = blobr_u16(rd), ro = blobr_u16(rd);
    uint64_t idle = blobr_u64(rd);
    if (rd->bad) break;
    if (fo >= e->nout || ro >= e->nout || m_find(r, pr, s, d, sp, dp) || m_find(r, pr, nd, ns, ndp, nsp)) continue;
    flow_create(r, pr, s, d, sp, dp, ns, nd, nsp, ndp, fo, ro, idle < now ? now - idle : 0);
  }
  return rd->bad ? -1 : 0;
}
static const Handler rw_h[] = {{"table", rw_rd, NULL, NULL, H_NOSTATS}, {"size", rw_rd, NULL, (void *)1, 0}, {NULL, NULL, NULL, NULL, 0}};
static const ElementClass IPRewriter_class = {
  .name = "IPRewriter", .port_count = "1-/1-", .processing = "h/h", .size = sizeof(Rewriter),
  .configure = rw_conf, .initialize = rw_init, .cleanup = rw_cleanup, .push = rw_push,
  .handlers = rw_h, .save = rw_save, .load = rw_load};

void register_rewriter(void);
void register_rewriter(void) {
  class_register(&IPRewriterPatterns_class);
  class_register(&IPRewriter_class);
}
