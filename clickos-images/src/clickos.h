/*
 * clickos.h - core types of the clickos runtime: packets, elements, element
 * classes, handlers, the shared argument reader, the error reporter, the
 * scheduler (tasks, timers, fds) and the router graph.
 *
 * Modelled on Click's element contract (include/click/element.hh): every
 * element class declares its name, port counts ("1/1", "1/-"), processing
 * ("a/a", "h/h", "l/h", ...), parses its arguments through one shared reader
 * (args.c) and reports errors through one reporter that knows FILE:LINE.
 */
#ifndef CLICKOS_H
#define CLICKOS_H

#define _GNU_SOURCE 1
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdarg.h>

/* ------------------------------------------------------------------ strings */
typedef struct {
  char *s;
  size_t len, cap;
} Str;
void str_init(Str *s);
void str_free(Str *s);
void str_addn(Str *s, const char *p, size_t n);
void str_add(Str *s, const char *p);
void str_addc(Str *s, char c);
void str_printf(Str *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);

/* ------------------------------------------------------------------ errors */
/* One reporter: every message is "FILE:LINE: message" (or "FILE: message"
 * when the line is unknown).  The reporter counts errors and either prints
 * them to stderr or collects them (guest mode puts the first one in the
 * noxs result area). */
typedef struct ErrCtx {
  const char *file;   /* landmark file name, e.g. "config" or a path */
  int line;           /* 0 = unknown */
  const char *context; /* optional "While configuring 'x :: C'" prefix */
  int nerrors;
  int first_line;      /* line of first error */
  Str first;           /* text of first error (full landmark form) */
  bool quiet;          /* collect only */
} ErrCtx;
int err_report(ErrCtx *e, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* guest mode: packet sockets passed by the agent, "eth0:7,eth1:8" (el_device.c) */
int device_set_preopened(const char *spec, ErrCtx *err);
int err_vreport(ErrCtx *e, int line, const char *fmt, va_list ap);
void err_warn(ErrCtx *e, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ------------------------------------------------------------------ packets */
#define PKT_HEADROOM 64
typedef struct Packet {
  uint8_t *buf;
  uint32_t cap;        /* bytes allocated at buf */
  uint32_t off;        /* data start offset */
  uint32_t len;        /* data length */
  int32_t mac, nh, th; /* header offsets into buf, -1 = unset */
  uint8_t paint;
  uint8_t pkttype;
  uint32_t dst_ip;     /* destination IP annotation (network order) */
  uint64_t ts;         /* timestamp ns */
  uint32_t aggregate;
  struct Packet *next;
} Packet;

Packet *pkt_alloc(uint32_t len);            /* headroom + len, zeroed data */
Packet *pkt_make(const void *data, uint32_t len);
Packet *pkt_clone(const Packet *p);         /* deep copy */
void pkt_kill(Packet *p);
static inline uint8_t *pkt_data(const Packet *p) { return p->buf + p->off; }
static inline uint8_t *pkt_end(const Packet *p) { return p->buf + p->off + p->len; }
/* headers: NULL when unset or beyond the data */
static inline uint8_t *pkt_nh(const Packet *p) { return p->nh < 0 ? NULL : p->buf + p->nh; }
static inline uint8_t *pkt_th(const Packet *p) { return p->th < 0 ? NULL : p->buf + p->th; }
static inline uint8_t *pkt_mac(const Packet *p) { return p->mac < 0 ? NULL : p->buf + p->mac; }
/* bytes available from header offset h to end of data (0 if none) */
static inline int32_t pkt_avail(const Packet *p, int32_t h) {
  if (h < 0) return 0;
  int32_t e = (int32_t)(p->off + p->len);
  return h >= e ? 0 : e - h;
}
void pkt_pull(Packet *p, uint32_t n);        /* strip n bytes from front (n <= len) */
Packet *pkt_push(Packet *p, uint32_t n);     /* prepend n bytes (may reallocate) */
void pkt_take(Packet *p, uint32_t n);        /* remove n bytes from the end */
Packet *pkt_put(Packet *p, uint32_t n);      /* append n zero bytes */
void pkt_set_ip_header(Packet *p, uint32_t off_in_data); /* nh = data+off, th from hl */
void pkt_pool_trim(void);

/* ------------------------------------------------------------------ time */
uint64_t now_ns(void);            /* current (possibly simulated) time */
void time_set_simulated(uint64_t start_ns);
bool time_simulated(void);
void time_warp_to(uint64_t t);    /* simulated only */
#define NS_PER_SEC 1000000000ull

/* ------------------------------------------------------------------ elements */
typedef struct Element Element;
typedef struct Router Router;
typedef struct Args Args;

typedef enum { PROC_PUSH = 'h', PROC_PULL = 'l', PROC_AGNOSTIC = 'a' } Proc;

typedef int (*ReadHandlerFn)(Element *e, const void *thunk, Str *out);
typedef int (*WriteHandlerFn)(Element *e, const char *value, const void *thunk, ErrCtx *err);
#define H_CHECKPOINT 0x1   /* not exported into stats */
#define H_NOSTATS    0x2
typedef struct Handler {
  const char *name;
  ReadHandlerFn read;
  WriteHandlerFn write;
  const void *thunk;
  int flags;
} Handler;

typedef struct Timer Timer;
typedef void (*TimerFn)(Timer *t, void *arg);
struct Timer {
  uint64_t expiry;
  int heap_index;   /* -1 = not scheduled */
  TimerFn fn;
  void *arg;
};
void timer_init(Timer *t, TimerFn fn, void *arg);
void timer_schedule_at(Timer *t, uint64_t when);
void timer_schedule_after(Timer *t, uint64_t delta_ns);
void timer_unschedule(Timer *t);
static inline bool timer_scheduled(const Timer *t) { return t->heap_index >= 0; }

typedef struct Task Task;
typedef bool (*TaskFn)(Task *t, void *arg); /* return true if did work */
struct Task {
  TaskFn fn;
  void *arg;
  bool scheduled;
  Task *next;
};
void task_init(Task *t, TaskFn fn, void *arg);
void task_schedule(Task *t);
void task_unschedule(Task *t);

/* fd readiness */
typedef void (*FdFn)(int fd, void *arg);
int sched_add_fd(int fd, FdFn fn, void *arg);
void sched_remove_fd(int fd);

/* blob writer/reader for checkpoints */
typedef struct {
  uint8_t *p;
  size_t len, cap;
} Blob;
void blob_u8(Blob *b, uint8_t v);
void blob_u16(Blob *b, uint16_t v);
void blob_u32(Blob *b, uint32_t v);
void blob_u64(Blob *b, uint64_t v);
void blob_bytes(Blob *b, const void *p, size_t n);
typedef struct {
  const uint8_t *p;
  size_t len, pos;
  bool bad;
} BlobR;
uint8_t blobr_u8(BlobR *r);
uint16_t blobr_u16(BlobR *r);
uint32_t blobr_u32(BlobR *r);
uint64_t blobr_u64(BlobR *r);
bool blobr_bytes(BlobR *r, void *out, size_t n);

typedef struct ElementClass {
  const char *name;
  const char *port_count;   /* Click syntax: "1/1", "1/-", "0/1", "1-/1", "1/1-2", "-/=" */
  const char *processing;   /* Click syntax: "a/a", "h/h", "l/h", "h/lh" (last char repeats) */
  size_t size;              /* sizeof the element struct (Element first) */
  int (*configure)(Element *e, Args *a, ErrCtx *err);
  int (*initialize)(Element *e, ErrCtx *err);
  void (*cleanup)(Element *e);
  void (*push)(Element *e, int port, Packet *p);
  Packet *(*pull)(Element *e, int port);
  Packet *(*simple_action)(Element *e, Packet *p); /* 1/1 agnostic helper */
  const Handler *handlers;  /* NULL-terminated by name == NULL */
  int (*save)(Element *e, Blob *b);                     /* checkpoint */
  int (*load)(Element *e, BlobR *r, ErrCtx *err);       /* restore */
  bool is_notifier;         /* Queue-like: wakes pull tasks downstream */
  void (*prepare_load)(Element *e); /* optional: a live-migration target in standby is about to
                                       load state (allocate and touch tables now, not in the downtime) */
} ElementClass;

typedef struct PortRef {
  Element *e;
  int port;
} PortRef;

struct Element {
  const ElementClass *cls;
  Router *router;
  char *name;
  char *config;       /* raw argument text */
  const char *file;
  int line;
  int index;
  int nin, nout;
  char *in_proc, *out_proc; /* resolved 'h' or 'l' per port */
  PortRef *in, *out;        /* pull inputs: source; push outputs: destination */
  Task **wake;              /* notifier: tasks to wake when non-empty */
  int nwake;
};

static inline void output_push(Element *e, int port, Packet *p) {
  PortRef *o = &e->out[port];
  if (!o->e) { pkt_kill(p); return; }
  if (o->e->cls->push) o->e->cls->push(o->e, o->port, p);
  else {
    Packet *q = o->e->cls->simple_action(o->e, p);
    if (q) output_push(o->e, 0, q);
  }
}
static inline Packet *input_pull(Element *e, int port) {
  PortRef *i = &e->in[port];
  if (!i->e) return NULL;
  if (i->e->cls->pull) return i->e->cls->pull(i->e, i->port);
  Packet *p = input_pull(i->e, 0);
  if (p) p = i->e->cls->simple_action(i->e, p);
  return p;
}
/* checked push to a port that may not exist (drops) */
static inline void checked_output_push(Element *e, int port, Packet *p) {
  if (port >= 0 && port < e->nout) output_push(e, port, p);
  else pkt_kill(p);
}
void element_wake_listeners(Element *e); /* notifier became non-empty */
void element_register_puller(Element *e, Task *t); /* t pulls from e's input 0 chain */

/* stop the driver (STOP true, DriverManager) */
void router_please_stop(Router *r);
void router_stop_now(Router *r);

/* ------------------------------------------------------------------ args */
/* Click's keyword/positional argument reader.  A config string is split at
 * top-level commas; an argument whose first word is an upper-case KEYWORD
 * followed by whitespace is a keyword argument. */
struct Args {
  int n;
  char **v;          /* args, trimmed */
  bool *used;
  ErrCtx *err;
  int line;
  int status;        /* <0 after an error */
};
typedef enum {
  A_INT, A_UINT, A_U64, A_BOOL, A_STR, A_WORD, A_ANY, A_IP, A_IPPREFIX, A_ETH,
  A_DOUBLE, A_TIME, A_BANDWIDTH, A_ELEMENT_NAME
} ArgType;
#define A_MANDATORY 0x1
#define A_POSITIONAL 0x2
#define A_KEYWORD_ONLY 0x0
typedef struct ArgSpec {
  const char *kw;
  ArgType type;
  int flags;
  void *out;      /* int*, unsigned*, uint64_t*, bool*, char**, uint32_t* (ip, net order), uint8_t[6], double*, uint64_t* ns, double* Bps */
  bool *present;
  void *out2;     /* A_IPPREFIX: mask (uint32_t*) */
} ArgSpec;
void args_split(const char *conf, Args *a);
void args_free(Args *a);
int args_read(Args *a, const ArgSpec *specs, int nspecs);
/* typed parsers, return 0 ok, -1 bad */
int parse_int(const char *s, long long *v);
int parse_uint(const char *s, unsigned long long *v);
int parse_bool(const char *s, bool *v);
int parse_ip(const char *s, uint32_t *ip);
int parse_ip_prefix(const char *s, uint32_t *ip, uint32_t *mask);
int parse_eth(const char *s, uint8_t mac[6]);
int parse_double(const char *s, double *v);
int parse_time_ns(const char *s, uint64_t *ns);
int parse_bandwidth(const char *s, double *Bps);
char *unquote(const char *s);
char *unquote_bin(const char *s, size_t *len);
char *strip_comments_trim(const char *s);
void split_words(const char *s, Args *a); /* whitespace split (respects quotes) */
const char *arg_type_name(ArgType t);

/* ------------------------------------------------------------------ registry */
const ElementClass *class_find(const char *name);
void class_register(const ElementClass *c);
int class_count(void);
const ElementClass *class_at(int i);
void elements_register_all(void);

/* ------------------------------------------------------------------ config */
/* Parsed, flattened configuration (all compounds expanded). */
typedef struct CDecl {
  char *name;
  char *cls;
  char *config;
  int line;
  bool anon;
} CDecl;
typedef struct CConn {
  int from, fport, to, tport;
  int line;
} CConn;
typedef struct Config {
  const char *file;
  CDecl *d;
  int nd, capd;
  CConn *c;
  int nc, capc;
  Str requires;
} Config;
int config_parse(const char *text, const char *file, Config *out, ErrCtx *err);
void config_free(Config *c);
void config_unparse(const Config *c, Str *out);

/* ------------------------------------------------------------------ router */
struct Router {
  Element **e;
  int ne;
  int runcount;
  bool stopped;
  bool failed;          /* a runtime error (bad trace file...): exit non-zero */
  struct DriverManagerHook *dm;
  const char *file;
};
struct DriverManagerHook {
  void (*stop_event)(Element *dm);
  Element *e;
};
/* Build: instantiate, configure, check ports and push/pull, initialize.
 * device_map (guest mode) maps a port name to an interface name. */
typedef const char *(*DevMapFn)(const char *name, void *arg);
Router *router_build(const Config *c, ErrCtx *err, DevMapFn map, void *maparg);
void router_free(Router *r);
Element *router_find(Router *r, const char *name);
const Handler *element_find_handler(Element *e, const char *hname);
int router_call_read(Router *r, const char *spec, Str *out, ErrCtx *err);
int router_call_write(Router *r, const char *spec, const char *value, ErrCtx *err);
void router_export_stats(Router *r, Str *out);
int router_save(Router *r, Blob *b);
int router_load(Router *r, const uint8_t *p, size_t n, ErrCtx *err);
const char *router_map_device(Router *r, const char *name);
extern Router *g_router;
extern DevMapFn g_devmap;
extern void *g_devmap_arg;

/* scheduler */
void sched_reset(void);
int sched_run(Router *r, int (*idle_hook)(void *), void *hookarg); /* returns when stopped */
void sched_request_stop(void);
void sched_install_signals(void);
bool sched_stop_requested(void);
bool sched_idle(void); /* no tasks, timers */

/* crc32 (IEEE) */
uint32_t crc32_ieee(const void *p, size_t n);
/* checkpoint blob */
#define CKPT_MAGIC 0x534f4b43u /* "CKOS" */
#define CKPT_VERSION 1u
#define CKPT_MAX (64u * 1024u * 1024u)
int ckpt_build(Router *r, Blob *out);
int ckpt_load(Router *r, const uint8_t *p, size_t n, ErrCtx *err);
void ckpt_prepare_load(Router *r); /* calls every element's prepare_load */

/* generic handlers available on every element */
int h_read_name(Element *e, const void *thunk, Str *out);
int h_read_class(Element *e, const void *thunk, Str *out);
int h_read_config(Element *e, const void *thunk, Str *out);

/* misc helpers */
uint16_t ip_cksum(const void *p, size_t n);
uint16_t cksum_fold(uint32_t sum);
uint32_t cksum_add(uint32_t sum, const void *p, size_t n);
void unparse_ip(uint32_t ip_net, char *buf); /* buf >= 16 */
void unparse_eth(const uint8_t *mac, char *buf); /* buf >= 18 */
void unparse_time(uint64_t ns, Str *out);      /* "sec.usec" like Click's Timestamp */
extern int g_verbose;
void trim_text_rss(void); /* after boot: only pages the run loop touches stay mapped */

#endif
