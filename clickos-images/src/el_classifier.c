/* el_classifier.c - Classifier, IPClassifier, IPFilter. */
#include "clickos.h"
#include "filter.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* =c
 * Classifier(PATTERN_1, ..., PATTERN_N)
 * =s classification
 * classifies packets by contents
 * =d
 * Each PATTERN is a list of clauses "OFFSET/VALUE" or "OFFSET/VALUE%MASK"
 * (hex VALUE and MASK, "?" is a wildcard nibble), optionally negated with
 * "!"; "-" matches every packet.  A packet goes to the output of the first
 * matching pattern and is dropped if none matches.  A clause that reaches
 * past the end of the packet does not match.
 * =e
 *   c :: Classifier(12/0806 20/0001, 12/0800, -);
 */
typedef struct { uint32_t off; int len; uint8_t val[64], mask[64]; bool neg; } Clause;
typedef struct { Clause *c; int n; bool all; } CPattern;
typedef struct { Element e; CPattern *p; int np; } Classifier;

static int hexv(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
static int parse_clause(const char *w, Clause *c, char *eb, size_t el) {
  memset(c, 0, sizeof *c);
  if (*w == '!') { c->neg = true; w++; }
  const char *slash = strchr(w, '/');
  if (!slash) { snprintf(eb, el, "expected OFFSET/VALUE in '%s'", w); return -1; }
  char *o = xstrndup(w, slash - w);
  unsigned long long off;
  int r = parse_uint(o, &off);
  free(o);
  if (r || off > 65535) { snprintf(eb, el, "bad offset in '%s'", w); return -1; }
  c->off = (uint32_t)off;
  const char *v = slash + 1;
  const char *pct = strchr(v, '%');
  size_t vl = pct ? (size_t)(pct - v) : strlen(v);
  if (vl == 0 || vl % 2 || vl / 2 > sizeof c->val) { snprintf(eb, el, "bad value in '%s' (even number of hex digits, at most 128)", w); return -1; }
  c->len = (int)(vl / 2);
  for (size_t i = 0; i < vl; i++) {
    int h = v[i] == '?' ? -2 : hexv(v[i]);
    if (h == -1) { snprintf(eb, el, "bad hex digit in '%s'", w); return -1; }
    int sh = i % 2 ? 0 : 4;
    if (h >= 0) { c->val[i / 2] |= (uint8_t)(h << sh); c->mask[i / 2] |= (uint8_t)(0xF << sh); }
  }
  if (pct) {
    const char *m = pct + 1;
    if (strlen(m) != vl) { snprintf(eb, el, "mask length differs from value in '%s'", w); return -1; }
    for (size_t i = 0; i < vl; i++) {
      int h = hexv(m[i]);
      if (h < 0) { snprintf(eb, el, "bad hex digit in mask of '%s'", w); return -1; }
      int sh = i % 2 ? 0 : 4;
      c->mask[i / 2] &= (uint8_t)((h << sh) | (0xF << (4 - sh)));
    }
    for (int i = 0; i < c->len; i++) c->val[i] &= c->mask[i];
  }
  return 0;
}
static void classifier_cleanup(Element *e) {
  Classifier *c = (Classifier *)e;
  for (int i = 0; i < c->np; i++) free(c->p[i].c);
  free(c->p);
  c->p = NULL;
  c->np = 0;
}
static int classifier_conf(Element *e, Args *a, ErrCtx *err) {
  Classifier *c = (Classifier *)e;
  int rc = 0;
  int n = a->n;
  if (n > 0 && !*a->v[n - 1] && n > 1) n--;
  if (n != e->nout) return err_report(err, 0, "need %d arguments, one per output port", e->nout);
  c->p = xcalloc(n ? n : 1, sizeof(CPattern));
  c->np = n;
  for (int i = 0; i < n; i++) {
    a->used[i] = true;
    Args w;
    split_words(a->v[i], &w);
    CPattern *p = &c->p[i];
    if (w.n == 1 && !strcmp(w.v[0], "-")) p->all = true;
    else if (w.n == 0) rc = err_report(err, 0, "pattern %d: empty pattern", i);
    else {
      p->c = xcalloc(w.n, sizeof(Clause));
      for (int k = 0; k < w.n; k++) {
        char eb[160];
        if (parse_clause(w.v[k], &p->c[k], eb, sizeof eb) < 0) rc = err_report(err, 0, "pattern %d: %s", i, eb);
      }
      p->n = w.n;
    }
    args_free(&w);
  }
  return rc;
}
static bool clause_match(const Clause *c, const Packet *p) {
  bool m = true;
  if ((uint64_t)c->off + c->len > p->len) m = false;
  else {
    const uint8_t *d = pkt_data(p) + c->off;
    for (int i = 0; i < c->len; i++)
      if ((d[i] & c->mask[i]) != c->val[i]) { m = false; break; }
  }
  return c->neg ? !m : m;
}
static void classifier_push(Element *e, int port, Packet *p) {
  (void)port;
  Classifier *c = (Classifier *)e;
  for (int i = 0; i < c->np; i++) {
    CPattern *pt = &c->p[i];
    bool m = true;
    if (!pt->all)
      for (int k = 0; k < pt->n && m; k++) m = clause_match(&pt->c[k], p);
    if (m) { output_push(e, i, p); return; }
  }
  pkt_kill(p);
}
static const ElementClass Classifier_class = {
  .name = "Classifier", .port_count = "1/-", .processing = "h/h", .size = sizeof(Classifier),
  .configure = classifier_conf, .cleanup = classifier_cleanup, .push = classifier_push};

/* =c
 * IPFilter(ACTION_1 PATTERN_1, ..., ACTION_N PATTERN_N)
 * =s ip
 * filters IP packets by contents
 * =d
 * Each argument is an ACTION ("allow" = output 0, "deny" or "drop", or an
 * output number) followed by a pattern in Click's IP filter language (see
 * IPClassifier).  The first matching rule decides; packets matching no rule
 * are dropped.  The packet's IP header annotation is used when set
 * (CheckIPHeader, MarkIPHeader), otherwise the packet data start.
 * =h config read/write
 * The rules.  Writing replaces them live (atomically: a bad rule set is
 * rejected and the old one kept); element state elsewhere, such as
 * FlowFirewall flow tables, is untouched.
 * =h drops read-only
 * Packets dropped.
 * =h rules read-only
 * Number of rules.
 * =e
 *   IPFilter(allow src host 10.0.0.1 && tcp dst port 80,
 *            deny icmp type echo,
 *            1 udp port 53,
 *            deny all);
 */
/* =c
 * IPClassifier(PATTERN_1, ..., PATTERN_N)
 * =s ip
 * classifies IP packets by contents
 * =d
 * Sends each packet to the output of the first matching PATTERN; drops it
 * if none matches.  Patterns: "host IP", "net IP/LEN", "port N" (with
 * src/dst, tcp/udp qualifiers and relations <, >, <=, >=, !=), "proto P",
 * "tcp opt syn|ack|fin|rst|psh|urg", "icmp type T", "ip vers|hl|id|tos|dscp|
 * ttl|len N", "ip frag", "ip unfrag", "ip[POS:LEN] & MASK == V",
 * "transp[POS:LEN] ...", "true", "false", "-", combined with and/&&, or/||,
 * not/!, parentheses and "?:".  Keywords may be omitted to repeat the
 * previous ones ("tcp port 80 or 443").
 * =e
 *   IPClassifier(tcp dst port 80, icmp, -);
 */
typedef struct {
  Element e;
  FilterProgram prog;
  bool ipfilter;
  uint64_t drops;
} IPFilter;
static int ipf_conf(Element *e, Args *a, ErrCtx *err) {
  IPFilter *f = (IPFilter *)e;
  f->ipfilter = !strcmp(e->cls->name, "IPFilter");
  for (int i = 0; i < a->n; i++) a->used[i] = true;
  int n = a->n;
  if (!f->ipfilter && n > 0 && !*a->v[n - 1] && n > 1) n--;
  if (!f->ipfilter && n != e->nout) return err_report(err, 0, "need %d arguments, one per output port", e->nout);
  return filter_program_parse(a, f->ipfilter, &f->prog, err, e->nout);
}
static void ipf_cleanup(Element *e) { filter_program_free(&((IPFilter *)e)->prog); }
static void ipf_push(Element *e, int port, Packet *p) {
  (void)port;
  IPFilter *f = (IPFilter *)e;
  int o = filter_program_run(&f->prog, p);
  if (o < 0 || o >= e->nout) { f->drops++; pkt_kill(p); return; }
  output_push(e, o, p);
}
static int ipf_rd(Element *e, const void *t, Str *o) {
  IPFilter *f = (IPFilter *)e;
  int w = (int)(intptr_t)t;
  if (w == 0) str_add(o, e->config);
  else if (w == 1) str_printf(o, "%llu", (unsigned long long)f->drops);
  else str_printf(o, "%d", f->prog.n);
  return 0;
}
static int ipf_wr(Element *e, const char *v, const void *t, ErrCtx *err) {
  (void)t;
  IPFilter *f = (IPFilter *)e;
  Args a;
  args_split(v, &a);
  a.err = err;
  FilterProgram np;
  int n = a.n;
  if (!f->ipfilter && n > 0 && !*a.v[n - 1] && n > 1) n--;
  if (!f->ipfilter && n != e->nout) {
    args_free(&a);
    return err_report(err, 0, "need %d arguments, one per output port", e->nout);
  }
  int r = filter_program_parse(&a, f->ipfilter, &np, err, e->nout);
  args_free(&a);
  if (r < 0) return -1;
  filter_program_free(&f->prog);
  f->prog = np;
  free(e->config);
  e->config = xstrdup(v);
  return 0;
}
static const Handler ipf_h[] = {
  {"config", ipf_rd, ipf_wr, (void *)0, H_NOSTATS},
  {"drops", ipf_rd, NULL, (void *)1, 0},
  {"rules", ipf_rd, NULL, (void *)2, H_NOSTATS},
  {NULL, NULL, NULL, NULL, 0}};
static const ElementClass IPFilter_class = {
  .name = "IPFilter", .port_count = "1/-", .processing = "h/h", .size = sizeof(IPFilter),
  .configure = ipf_conf, .cleanup = ipf_cleanup, .push = ipf_push, .handlers = ipf_h};
static const ElementClass IPClassifier_class = {
  .name = "IPClassifier", .port_count = "1/-", .processing = "h/h", .size = sizeof(IPFilter),
  .configure = ipf_conf, .cleanup = ipf_cleanup, .push = ipf_push, .handlers = ipf_h};

void register_classifier(void);
void register_classifier(void) {
  class_register(&Classifier_class);
  class_register(&IPFilter_class);
  class_register(&IPClassifier_class);
}
