/* router.c - element registry, graph instantiation, port and push/pull
 * checks (like Click's Router::check_push_and_pull), handlers, stats export
 * and checkpoint blobs. */
#include "clickos.h"
#include <stdlib.h>
#include <string.h>

Router *g_router;

/* ------------------------------------------------------------ registry */
static const ElementClass **classes;
static int nclasses;
void class_register(const ElementClass *c) {
  classes = xrealloc(classes, sizeof(*classes) * (nclasses + 1));
  classes[nclasses++] = c;
}
const ElementClass *class_find(const char *name) {
  for (int i = 0; i < nclasses; i++)
    if (!strcmp(classes[i]->name, name)) return classes[i];
  return NULL;
}
int class_count(void) { return nclasses; }
const ElementClass *class_at(int i) { return classes[i]; }

/* ------------------------------------------------------------ port counts */
typedef struct { int lo, hi; bool same; } Range;
#define PORT_INF 0x7fffffff
static const char *parse_range(const char *s, Range *r) {
  r->same = false;
  if (*s == '=') { r->same = true; r->lo = 0; r->hi = PORT_INF; return s + 1; }
  if (*s == '-') { r->lo = 0; r->hi = PORT_INF; return s + 1; }
  int a = 0;
  while (*s >= '0' && *s <= '9') a = a * 10 + (*s++ - '0');
  r->lo = r->hi = a;
  if (*s == '-') {
    s++;
    if (*s >= '0' && *s <= '9') {
      int b = 0;
      while (*s >= '0' && *s <= '9') b = b * 10 + (*s++ - '0');
      r->hi = b;
    } else r->hi = PORT_INF;
  }
  return s;
}
static void port_ranges(const char *pc, Range *in, Range *out) {
  const char *s = parse_range(pc, in);
  if (*s == '/') parse_range(s + 1, out);
  else *out = *in;
}
static char proc_char(const char *proc, bool input, int port) {
  const char *slash = strchr(proc, '/');
  const char *s = input ? proc : slash + 1;
  size_t n = input ? (size_t)(slash - proc) : strlen(s);
  if (n == 0) return 'a';
  return s[(size_t)port < n ? (size_t)port : n - 1];
}

/* ------------------------------------------------------------ handlers */
int h_read_name(Element *e, const void *t, Str *o) { (void)t; str_add(o, e->name); return 0; }
int h_read_class(Element *e, const void *t, Str *o) { (void)t; str_add(o, e->cls->name); return 0; }
int h_read_config(Element *e, const void *t, Str *o) { (void)t; str_add(o, e->config); return 0; }
static int h_read_ports(Element *e, const void *t, Str *o) {
  (void)t;
  str_printf(o, "%d input%s\n", e->nin, e->nin == 1 ? "" : "s");
  for (int i = 0; i < e->nin; i++) str_printf(o, "%s\n", e->in_proc[i] == 'h' ? "push" : "pull");
  str_printf(o, "%d output%s\n", e->nout, e->nout == 1 ? "" : "s");
  for (int i = 0; i < e->nout; i++) str_printf(o, "%s\n", e->out_proc[i] == 'h' ? "push" : "pull");
  return 0;
}
static const Handler generic_handlers[] = {
  {"name", h_read_name, NULL, NULL, H_NOSTATS},
  {"class", h_read_class, NULL, NULL, H_NOSTATS},
  {"config", h_read_config, NULL, NULL, H_NOSTATS},
  {"ports", h_read_ports, NULL, NULL, H_NOSTATS},
  {NULL, NULL, NULL, NULL, 0}
};

const Handler *element_find_handler(Element *e, const char *hname) {
  if (e->cls->handlers)
    for (const Handler *h = e->cls->handlers; h->name; h++)
      if (!strcmp(h->name, hname)) return h;
  for (const Handler *h = generic_handlers; h->name; h++)
    if (!strcmp(h->name, hname)) return h;
  return NULL;
}

Element *router_find(Router *r, const char *name) {
  for (int i = 0; i < r->ne; i++)
    if (!strcmp(r->e[i]->name, name)) return r->e[i];
  return NULL;
}

static int split_spec(Router *r, const char *spec, Element **e, const char **h, ErrCtx *err) {
  const char *dot = strrchr(spec, '.');
  if (!dot) return err_report(err, 0, "bad handler name '%s' (expected ELEMENT.HANDLER)", spec);
  char *en = xstrndup(spec, dot - spec);
  *e = router_find(r, en);
  if (!*e) { err_report(err, 0, "no element named '%s'", en); free(en); return -1; }
  free(en);
  *h = dot + 1;
  return 0;
}
int router_call_read(Router *r, const char *spec, Str *out, ErrCtx *err) {
  Element *e;
  const char *hn;
  if (split_spec(r, spec, &e, &hn, err) < 0) return -1;
  const Handler *h = element_find_handler(e, hn);
  if (!h || !h->read) return err_report(err, 0, "no '%s' read handler", spec);
  return h->read(e, h->thunk, out);
}
int router_call_write(Router *r, const char *spec, const char *value, ErrCtx *err) {
  Element *e;
  const char *hn;
  if (split_spec(r, spec, &e, &hn, err) < 0) return -1;
  const Handler *h = element_find_handler(e, hn);
  if (!h || !h->write) return err_report(err, 0, "no '%s' write handler", spec);
  return h->write(e, value, h->thunk, err);
}
void router_export_stats(Router *r, Str *out) {
  for (int i = 0; i < r->ne; i++) {
    Element *e = r->e[i];
    if (!e->cls->handlers) continue;
    for (const Handler *h = e->cls->handlers; h->name; h++) {
      if (!h->read || (h->flags & H_NOSTATS)) continue;
      Str v;
      str_init(&v);
      str_add(&v, "");
      h->read(e, h->thunk, &v);
      for (size_t k = 0; k < v.len; k++) if (v.s[k] == '\n') v.s[k] = ' ';
      while (v.len && v.s[v.len - 1] == ' ') v.s[--v.len] = 0;
      str_printf(out, "%s.%s %s\n", e->name, h->name, v.s);
      str_free(&v);
    }
  }
}

/* ------------------------------------------------------------ notifiers */
void element_wake_listeners(Element *e) {
  for (int i = 0; i < e->nwake; i++) task_schedule(e->wake[i]);
}
/* find notifier elements upstream of e's pull input 0 (through agnostic
 * 1-input elements) and register t with them */
static void reg_upstream(Element *e, int port, Task *t, int depth) {
  if (depth > 64 || port >= e->nin) return;
  Element *u = e->in[port].e;
  if (!u) return;
  if (u->cls->is_notifier) {
    u->wake = xrealloc(u->wake, sizeof(Task *) * (u->nwake + 1));
    u->wake[u->nwake++] = t;
    return;
  }
  for (int i = 0; i < u->nin; i++)
    if (u->in_proc[i] == 'l') reg_upstream(u, i, t, depth + 1);
}
void element_register_puller(Element *e, Task *t) {
  for (int i = 0; i < e->nin; i++) if (e->in_proc[i] == 'l') reg_upstream(e, i, t, 0);
}
/* true if the pull path above e has only notifiers (so a puller may sleep) */
bool element_pull_has_notifier(Element *e, int port, int depth);
bool element_pull_has_notifier(Element *e, int port, int depth) {
  if (depth > 64 || port >= e->nin) return false;
  Element *u = e->in[port].e;
  if (!u) return true;
  if (u->cls->is_notifier) return true;
  if (u->nin == 0) return false;
  for (int i = 0; i < u->nin; i++)
    if (u->in_proc[i] != 'l' || !element_pull_has_notifier(u, i, depth + 1)) return false;
  return true;
}

void router_please_stop(Router *r) {
  if (r->dm) { r->dm->stop_event(r->dm->e); return; }
  if (--r->runcount <= 0) router_stop_now(r);
}
void router_stop_now(Router *r) {
  r->stopped = true;
  sched_request_stop();
}

/* ------------------------------------------------------------ build */
static char *describe(Element *e) {
  char *s = xmalloc(strlen(e->name) + strlen(e->cls->name) + 8);
  sprintf(s, "'%s :: %s'", e->name, e->cls->name);
  return s;
}

DevMapFn g_devmap;
void *g_devmap_arg;
const char *router_map_device(Router *r, const char *name) {
  (void)r;
  if (g_devmap) return g_devmap(name, g_devmap_arg);
  return name;
}

Router *router_build(const Config *c, ErrCtx *err, DevMapFn map, void *maparg) {
  g_devmap = map;
  g_devmap_arg = maparg;
  Router *r = xcalloc(1, sizeof *r);
  r->runcount = 1;
  r->file = c->file;
  r->ne = c->nd;
  r->e = xcalloc(c->nd ? c->nd : 1, sizeof(Element *));
  g_router = r;
  int before = err->nerrors;
  /* instantiate */
  for (int i = 0; i < c->nd; i++) {
    const ElementClass *cls = class_find(c->d[i].cls);
    if (!cls) { err_report(err, c->d[i].line, "unknown element class '%s'", c->d[i].cls); continue; }
    Element *e = xcalloc(1, cls->size < sizeof(Element) ? sizeof(Element) : cls->size);
    e->cls = cls;
    e->router = r;
    e->name = xstrdup(c->d[i].name);
    e->config = xstrdup(c->d[i].config);
    e->file = c->file;
    e->line = c->d[i].line;
    e->index = i;
    r->e[i] = e;
  }
  if (err->nerrors > before) { router_free(r); return NULL; }
  /* port counts from connections */
  int *nin = xcalloc(c->nd ? c->nd : 1, sizeof(int)), *nout = xcalloc(c->nd ? c->nd : 1, sizeof(int));
  for (int i = 0; i < c->nc; i++) {
    if (c->c[i].fport + 1 > nout[c->c[i].from]) nout[c->c[i].from] = c->c[i].fport + 1;
    if (c->c[i].tport + 1 > nin[c->c[i].to]) nin[c->c[i].to] = c->c[i].tport + 1;
  }
  for (int i = 0; i < c->nd; i++) {
    Element *e = r->e[i];
    Range ri, ro;
    port_ranges(e->cls->port_count, &ri, &ro);
    int ni = nin[i] < ri.lo ? ri.lo : nin[i];
    int no = nout[i] < ro.lo ? ro.lo : nout[i];
    if (ro.same) no = ni > nout[i] ? ni : nout[i];
    char *d = describe(e);
    if (ni > ri.hi) {
      for (int k = 0; k < c->nc; k++)
        if (c->c[k].to == i && c->c[k].tport >= ri.hi) {
          if (ri.hi == 0) err_report(err, c->c[k].line, "%s has no inputs", d);
          else err_report(err, c->c[k].line, "%s has no input %d", d, c->c[k].tport);
          break;
        }
      ni = ri.hi;
    }
    if (no > ro.hi) {
      for (int k = 0; k < c->nc; k++)
        if (c->c[k].from == i && c->c[k].fport >= ro.hi) {
          if (ro.hi == 0) err_report(err, c->c[k].line, "%s has no outputs", d);
          else err_report(err, c->c[k].line, "%s has no output %d", d, c->c[k].fport);
          break;
        }
      no = ro.hi;
    }
    if (ro.same && no != ni) {
      err_report(err, e->line, "%s must have as many outputs as inputs", d);
    }
    free(d);
    e->nin = ni;
    e->nout = no;
    e->in = xcalloc(ni ? ni : 1, sizeof(PortRef));
    e->out = xcalloc(no ? no : 1, sizeof(PortRef));
    e->in_proc = xcalloc(ni + 1, 1);
    e->out_proc = xcalloc(no + 1, 1);
    for (int k = 0; k < ni; k++) e->in_proc[k] = proc_char(e->cls->processing, true, k);
    for (int k = 0; k < no; k++) e->out_proc[k] = proc_char(e->cls->processing, false, k);
  }
  free(nin);
  free(nout);
  if (err->nerrors > before) { router_free(r); return NULL; }
  /* resolve agnostic ports: all agnostic ports of one element share a
   * resolution (Click's default flow code x/x) */
  bool changed = true;
  int guard = 0;
  while (changed && guard++ < 4 * c->nd + 8) {
    changed = false;
    for (int k = 0; k < c->nc; k++) {
      Element *a = r->e[c->c[k].from], *b = r->e[c->c[k].to];
      char *pa = &a->out_proc[c->c[k].fport], *pb = &b->in_proc[c->c[k].tport];
      char want = 0;
      if (*pa == 'a' && *pb != 'a') want = *pb, a = a;
      if (*pa != 'a' && *pb == 'a') want = *pa;
      if (!want) continue;
      Element *x = *pa == 'a' ? a : b;
      for (int q = 0; q < x->nin; q++) if (x->in_proc[q] == 'a') x->in_proc[q] = want;
      for (int q = 0; q < x->nout; q++) if (x->out_proc[q] == 'a') x->out_proc[q] = want;
      changed = true;
    }
  }
  for (int i = 0; i < r->ne; i++) {
    Element *e = r->e[i];
    for (int q = 0; q < e->nin; q++) if (e->in_proc[q] == 'a') e->in_proc[q] = 'h';
    for (int q = 0; q < e->nout; q++) if (e->out_proc[q] == 'a') e->out_proc[q] = 'h';
  }
  /* hook up and check */
  for (int k = 0; k < c->nc; k++) {
    Element *a = r->e[c->c[k].from], *b = r->e[c->c[k].to];
    int fp = c->c[k].fport, tp = c->c[k].tport;
    if (fp >= a->nout || tp >= b->nin) continue;
    char pa = a->out_proc[fp], pb = b->in_proc[tp];
    if (pa != pb) {
      char *da = describe(a), *db = describe(b);
      err_report(err, c->c[k].line, "%s %s output %d connected to %s %s input %d", da,
                 pa == 'h' ? "push" : "pull", fp, db, pb == 'h' ? "push" : "pull", tp);
      free(da); free(db);
      continue;
    }
    if (pa == 'h') {
      if (a->out[fp].e) {
        char *da = describe(a);
        err_report(err, c->c[k].line, "%s push output %d connected more than once", da, fp);
        free(da);
        continue;
      }
      a->out[fp] = (PortRef){b, tp};
      if (!b->in[tp].e) b->in[tp] = (PortRef){a, fp};
      else b->in[tp].port = -2; /* several sources: fine for push */
    } else {
      if (b->in[tp].e) {
        char *db = describe(b);
        err_report(err, c->c[k].line, "%s pull input %d connected more than once", db, tp);
        free(db);
        continue;
      }
      if (a->out[fp].e) {
        char *da = describe(a);
        err_report(err, c->c[k].line, "%s pull output %d connected more than once", da, fp);
        free(da);
        continue;
      }
      b->in[tp] = (PortRef){a, fp};
      a->out[fp] = (PortRef){b, tp};
    }
  }
  for (int i = 0; i < r->ne && err->nerrors == before; i++) {
    Element *e = r->e[i];
    for (int q = 0; q < e->nin; q++)
      if (!e->in[q].e) {
        char *d = describe(e);
        err_report(err, e->line, "%s input %d unused", d, q);
        free(d);
      }
    for (int q = 0; q < e->nout; q++)
      if (!e->out[q].e) {
        char *d = describe(e);
        err_report(err, e->line, "%s output %d unused", d, q);
        free(d);
      }
  }
  if (err->nerrors > before) { router_free(r); return NULL; }
  /* configure */
  for (int i = 0; i < r->ne; i++) {
    Element *e = r->e[i];
    if (!e->cls->configure) {
      Args a;
      args_split(e->config, &a);
      if (a.n > 0 && !(a.n == 1 && !*a.v[0])) err_report(err, e->line, "While configuring '%s :: %s': too many arguments", e->name, e->cls->name);
      args_free(&a);
      continue;
    }
    char ctx[512];
    snprintf(ctx, sizeof ctx, "While configuring '%s :: %s'", e->name, e->cls->name);
    const char *oc = err->context;
    int ol = err->line;
    err->context = ctx;
    err->line = e->line;
    Args a;
    args_split(e->config, &a);
    a.err = err;
    a.line = e->line;
    int n0 = err->nerrors;
    int rc = e->cls->configure(e, &a, err);
    if (rc < 0 && err->nerrors == n0) err_report(err, e->line, "configuration failed");
    args_free(&a);
    err->context = oc;
    err->line = ol;
  }
  if (err->nerrors > before) { router_free(r); return NULL; }
  /* initialize */
  for (int i = 0; i < r->ne; i++) {
    Element *e = r->e[i];
    if (!e->cls->initialize) continue;
    char ctx[512];
    snprintf(ctx, sizeof ctx, "While initializing '%s :: %s'", e->name, e->cls->name);
    const char *oc = err->context;
    int ol = err->line;
    err->context = ctx;
    err->line = e->line;
    int n0 = err->nerrors;
    int rc = e->cls->initialize(e, err);
    if (rc < 0 && err->nerrors == n0) err_report(err, e->line, "initialization failed");
    err->context = oc;
    err->line = ol;
    if (rc < 0) break;
  }
  if (err->nerrors > before) { router_free(r); return NULL; }
  return r;
}

void router_free(Router *r) {
  if (!r) return;
  for (int i = 0; i < r->ne; i++) {
    Element *e = r->e[i];
    if (!e) continue;
    if (e->cls->cleanup) e->cls->cleanup(e);
    free(e->name);
    free(e->config);
    free(e->in);
    free(e->out);
    free(e->in_proc);
    free(e->out_proc);
    free(e->wake);
    free(e);
  }
  free(r->e);
  if (g_router == r) g_router = NULL;
  free(r);
}

/* ------------------------------------------------------------ checkpoint
 * Blob layout (little-endian):
 *   u32 magic "CKOS", u32 version, u32 payload_len, u32 crc32(payload)
 *   payload: u32 nrecords, then per record:
 *     u16 name_len, name, u16 class_len, class, u32 data_len, data
 */
/* CRC-32 (IEEE, the same value as crc32_ieee) sliced by 8: ~5x faster than
 * the byte-wise table; the checkpoint is checksummed inside the downtime
 * (dump and import), 290 KB at 10 000 flows. */
static uint32_t ckpt_crc(const uint8_t *p, size_t n) {
  static uint32_t t[8][256];
  static int init;
  if (!init) {
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
      for (int k = 1; k < 8; k++) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
    init = 1;
  }
  uint32_t c = 0xFFFFFFFFu;
  while (n >= 8) {
    uint32_t lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
    uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
    c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
        t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n--) c = t[0][(c ^ *p++) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

/* Writes the header and the payload into one buffer (no second copy of the
 * payload); element state is appended in place. */
int ckpt_build(Router *r, Blob *out) {
  size_t base = out->len;
  blob_u32(out, CKPT_MAGIC);
  blob_u32(out, CKPT_VERSION);
  blob_u32(out, 0); /* payload length, patched below */
  blob_u32(out, 0); /* crc, patched below */
  size_t pl = out->len;
  uint32_t nrec = 0;
  blob_u32(out, 0);
  for (int i = 0; i < r->ne; i++) {
    Element *e = r->e[i];
    if (!e->cls->save) continue;
    size_t nl = strlen(e->name), cl = strlen(e->cls->name);
    size_t rec = out->len;
    blob_u16(out, (uint16_t)nl);
    blob_bytes(out, e->name, nl);
    blob_u16(out, (uint16_t)cl);
    blob_bytes(out, e->cls->name, cl);
    size_t lenat = out->len;
    blob_u32(out, 0);
    if (e->cls->save(e, out) < 0) { out->len = rec; continue; }
    size_t dl = out->len - lenat - 4;
    for (int k = 0; k < 4; k++) out->p[lenat + k] = (uint8_t)(dl >> (8 * k));
    nrec++;
  }
  size_t plen = out->len - pl;
  for (int k = 0; k < 4; k++) out->p[pl + k] = (uint8_t)(nrec >> (8 * k));
  if (plen > CKPT_MAX) { out->len = base; return -1; }
  uint32_t crc = ckpt_crc(out->p + pl, plen);
  for (int k = 0; k < 4; k++) {
    out->p[base + 8 + k] = (uint8_t)(plen >> (8 * k));
    out->p[base + 12 + k] = (uint8_t)(crc >> (8 * k));
  }
  return 0;
}

void ckpt_prepare_load(Router *r) {
  for (int i = 0; i < r->ne; i++)
    if (r->e[i] && r->e[i]->cls->prepare_load) r->e[i]->cls->prepare_load(r->e[i]);
}

int ckpt_load(Router *r, const uint8_t *p, size_t n, ErrCtx *err) {
  BlobR h = {p, n, 0, false};
  if (n < 16) return err_report(err, 0, "checkpoint: truncated header (%zu bytes)", n);
  uint32_t magic = blobr_u32(&h), ver = blobr_u32(&h), len = blobr_u32(&h), crc = blobr_u32(&h);
  if (magic != CKPT_MAGIC) return err_report(err, 0, "checkpoint: bad magic 0x%08x", magic);
  if (ver != CKPT_VERSION) return err_report(err, 0, "checkpoint: unsupported version %u (expected %u)", ver, CKPT_VERSION);
  if (len > CKPT_MAX) return err_report(err, 0, "checkpoint: payload too large (%u bytes)", len);
  if (len > n - 16) return err_report(err, 0, "checkpoint: truncated payload (%zu of %u bytes)", n - 16, len);
  if (ckpt_crc(p + 16, len) != crc) return err_report(err, 0, "checkpoint: checksum mismatch");
  BlobR b = {p + 16, len, 0, false};
  uint32_t nrec = blobr_u32(&b);
  for (uint32_t i = 0; i < nrec && !b.bad; i++) {
    char name[1024], cls[256];
    uint16_t nl = blobr_u16(&b);
    if (nl >= sizeof name) return err_report(err, 0, "checkpoint: bad record %u", i);
    blobr_bytes(&b, name, nl);
    name[nl] = 0;
    uint16_t cl = blobr_u16(&b);
    if (cl >= sizeof cls) return err_report(err, 0, "checkpoint: bad record %u", i);
    blobr_bytes(&b, cls, cl);
    cls[cl] = 0;
    uint32_t dl = blobr_u32(&b);
    if (b.bad || dl > b.len - b.pos) return err_report(err, 0, "checkpoint: truncated record %u", i);
    Element *e = router_find(r, name);
    if (!e || strcmp(e->cls->name, cls) || !e->cls->load) {
      err_warn(err, 0, "checkpoint: state for '%s :: %s' has no matching element, ignored", name, cls);
      b.pos += dl;
      continue;
    }
    BlobR er = {b.p + b.pos, dl, 0, false};
    if (e->cls->load(e, &er, err) < 0 || er.bad) return err_report(err, 0, "checkpoint: bad state for '%s'", name);
    b.pos += dl;
  }
  if (b.bad) return err_report(err, 0, "checkpoint: truncated payload");
  return 0;
}
