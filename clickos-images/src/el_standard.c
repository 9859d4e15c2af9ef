/* el_standard.c - basic elements: sources, sinks, queues, counters,
 * printing, painting, switches, rate control and DriverManager. */
#include "clickos.h"
#include <stdlib.h>
#include <string.h>
#include <math.h>

static int h_rd_uint64(Element *e, const void *t, Str *o) {
  str_printf(o, "%llu", (unsigned long long)*(uint64_t *)((char *)e + (size_t)t));
  return 0;
}

static const char default_data[] = "Random bullshit in a packet, at least 64 bytes long. Well, now it is.";

/* =c
 * Discard
 * =s sink
 * drops all packets
 * =d
 * Discards all packets received on its single input. In pull mode it pulls
 * packets continuously (sleeping while an upstream Queue is empty).
 * =h count read-only
 * Number of packets discarded.
 * =h reset_counts write-only
 * Resets count to zero.
 * =e
 *   InfiniteSource(LIMIT 5) -> Discard;
 */
typedef struct { Element e; uint64_t count; Task task; bool sleepable; } Discard;
static void discard_push(Element *e, int port, Packet *p) { (void)port; ((Discard *)e)->count++; pkt_kill(p); }
static bool discard_task(Task *t, void *arg) {
  Discard *d = arg;
  int n = 0;
  Packet *p;
  while (n < 32 && (p = input_pull(&d->e, 0))) { d->count++; pkt_kill(p); n++; }
  if (n || !d->sleepable) task_schedule(t);
  return n > 0;
}
bool element_pull_has_notifier(Element *e, int port, int depth);
static int discard_init(Element *e, ErrCtx *err) {
  (void)err;
  Discard *d = (Discard *)e;
  if (e->nin && e->in_proc[0] == 'l') {
    task_init(&d->task, discard_task, d);
    d->sleepable = element_pull_has_notifier(e, 0, 0);
    element_register_puller(e, &d->task);
    task_schedule(&d->task);
  }
  return 0;
}
static int discard_reset(Element *e, const char *v, const void *t, ErrCtx *err) { (void)v; (void)t; (void)err; ((Discard *)e)->count = 0; return 0; }
static const Handler discard_h[] = {
  {"count", h_rd_uint64, NULL, (void *)offsetof(Discard, count), 0},
  {"reset_counts", NULL, discard_reset, NULL, 0},
  {NULL, NULL, NULL, NULL, 0}};
static const ElementClass Discard_class = {
  .name = "Discard", .port_count = "1/0", .processing = "a/a", .size = sizeof(Discard),
  .initialize = discard_init, .push = discard_push, .handlers = discard_h};

/* =c
 * Idle
 * =s sink/source
 * never does anything
 * =d
 * Has any number of inputs and outputs; drops pushed packets and never
 * emits a packet.  Use it to plug unused ports.
 * =e
 *   Idle -> Discard;
 */
static void idle_push(Element *e, int port, Packet *p) { (void)e; (void)port; pkt_kill(p); }
static Packet *idle_pull(Element *e, int port) { (void)e; (void)port; return NULL; }
static const ElementClass Idle_class = {
  .name = "Idle", .port_count = "-/-", .processing = "a/a", .size = sizeof(Element),
  .push = idle_push, .pull = idle_pull};

/* =c
 * Queue([CAPACITY])
 * =s storage
 * stores packets in a FIFO queue
 * =d
 * Push input, pull output.  Stores at most CAPACITY packets (default 1000);
 * packets arriving at a full queue are dropped.  SimpleQueue is the same.
 * =h length read-only
 * Current number of packets.
 * =h highwater_length read-only
 * Maximum length seen.
 * =h capacity read/write
 * Capacity.
 * =h drops read-only
 * Packets dropped because the queue was full.
 * =h reset_counts write-only
 * Resets drops and highwater_length.
 * =h reset write-only
 * Drops every queued packet.
 * =e
 *   FromDevice(eth0) -> Queue(512) -> ToDevice(eth1);
 */
typedef struct {
  Element e;
  unsigned capacity;
  Packet *head, *tail;
  uint64_t len, highwater, drops;
} Queue;
static int queue_conf(Element *e, Args *a, ErrCtx *err) {
  (void)err;
  Queue *q = (Queue *)e;
  q->capacity = 1000;
  ArgSpec s[] = {{"CAPACITY", A_UINT, A_POSITIONAL, &q->capacity, NULL, NULL}};
  return args_read(a, s, 1);
}
static void queue_push(Element *e, int port, Packet *p) {
  (void)port;
  Queue *q = (Queue *)e;
  if (q->len >= q->capacity) { q->drops++; pkt_kill(p); return; }
  p->next = NULL;
  if (q->tail) q->tail->next = p;
  else q->head = p;
  q->tail = p;
  q->len++;
  if (q->len > q->highwater) q->highwater = q->len;
  if (q->len == 1) element_wake_listeners(e);
}
static Packet *queue_pull(Element *e, int port) {
  (void)port;
  Queue *q = (Queue *)e;
  Packet *p = q->head;
  if (!p) return NULL;
  q->head = p->next;
  if (!q->head) q->tail = NULL;
  q->len--;
  p->next = NULL;
  return p;
}
static void queue_cleanup(Element *e) {
  Packet *p;
  while ((p = queue_pull(e, 0))) pkt_kill(p);
}
static int queue_rd(Element *e, const void *t, Str *o) {
  Queue *q = (Queue *)e;
  int w = (int)(intptr_t)t;
  uint64_t v = w == 0 ? q->len : w == 1 ? q->highwater : w == 2 ? q->capacity : q->drops;
  str_printf(o, "%llu", (unsigned long long)v);
  return 0;
}
static int queue_wr(Element *e, const char *v, const void *t, ErrCtx *err) {
  Queue *q = (Queue *)e;
  int w = (int)(intptr_t)t;
  if (w == 2) {
    unsigned long long c;
    char *s = strip_comments_trim(v);
    int r = parse_uint(s, &c);
    free(s);
    if (r || c > UINT32_MAX) return err_report(err, 0, "capacity: expected unsigned integer");
    q->capacity = (unsigned)c;
    return 0;
  }
  if (w == 4) { q->drops = 0; q->highwater = q->len; return 0; }
  if (w == 5) { queue_cleanup(e); return 0; }
  return -1;
}
static const Handler queue_h[] = {
  {"length", queue_rd, NULL, (void *)0, 0},
  {"highwater_length", queue_rd, NULL, (void *)1, 0},
  {"capacity", queue_rd, queue_wr, (void *)2, 0},
  {"drops", queue_rd, NULL, (void *)3, 0},
  {"reset_counts", NULL, queue_wr, (void *)4, 0},
  {"reset", NULL, queue_wr, (void *)5, 0},
  {NULL, NULL, NULL, NULL, 0}};
static const ElementClass Queue_class = {
  .name = "Queue", .port_count = "1/1", .processing = "h/l", .size = sizeof(Queue),
  .configure = queue_conf, .cleanup = queue_cleanup, .push = queue_push, .pull = queue_pull,
  .handlers = queue_h, .is_notifier = true};
/* =c
 * SimpleQueue([CAPACITY])
 * =s storage
 * stores packets in a FIFO queue
 * =d
 * The same as Queue in clickos (Click's SimpleQueue is Queue without
 * thread-safety, which a single-threaded runtime does not need).
 * =h length read-only
 * Current number of packets.
 * =h drops read-only
 * Packets dropped because the queue was full.
 * =e
 *   ... -> SimpleQueue(64) -> Unqueue -> ...
 */
static const ElementClass SimpleQueue_class = {
  .name = "SimpleQueue", .port_count = "1/1", .processing = "h/l", .size = sizeof(Queue),
  .configure = queue_conf, .cleanup = queue_cleanup, .push = queue_push, .pull = queue_pull,
  .handlers = queue_h, .is_notifier = true};

/* =c
 * Unqueue([BURST, LIMIT, ACTIVE])
 * =s shaping
 * pull-to-push converter
 * =d
 * Pulls packets whenever they are available (up to BURST per run, default 1)
 * and pushes them out.  Stops after LIMIT packets if LIMIT >= 0.
 * =h count read-only
 * Packets passed.
 * =h active read/write
 * Whether the element is active.
 * =e
 *   ... -> Queue -> Unqueue -> ...
 */
typedef struct { Element e; unsigned burst; int limit; bool active; uint64_t count; Task task; bool sleepable; } Unqueue;
static int unqueue_conf(Element *e, Args *a, ErrCtx *err) {
  (void)err;
  Unqueue *u = (Unqueue *)e;
  u->burst = 1; u->limit = -1; u->active = true;
  ArgSpec s[] = {{"BURST", A_UINT, A_POSITIONAL, &u->burst, NULL, NULL},
                 {"LIMIT", A_INT, 0, &u->limit, NULL, NULL},
                 {"ACTIVE", A_BOOL, 0, &u->active, NULL, NULL}};
  int r = args_read(a, s, 3);
  if (u->burst == 0) u->burst = 1;
  return r;
}
static bool unqueue_task(Task *t, void *arg) {
  Unqueue *u = arg;
  if (!u->active) return false;
  unsigned n = 0;
  while (n < u->burst && (u->limit < 0 || u->count < (uint64_t)u->limit)) {
    Packet *p = input_pull(&u->e, 0);
    if (!p) break;
    u->count++;
    n++;
    output_push(&u->e, 0, p);
  }
  if ((n || !u->sleepable) && (u->limit < 0 || u->count < (uint64_t)u->limit)) task_schedule(t);
  return n > 0;
}
static int unqueue_init(Element *e, ErrCtx *err) {
  (void)err;
  Unqueue *u = (Unqueue *)e;
  task_init(&u->task, unqueue_task, u);
  u->sleepable = element_pull_has_notifier(e, 0, 0);
  element_register_puller(e, &u->task);
  if (u->active) task_schedule(&u->task);
  return 0;
}
static int unqueue_rd(Element *e, const void *t, Str *o) {
  Unqueue *u = (Unqueue *)e;
  if (t) str_add(o, u->active ? "true" : "false");
  else str_printf(o, "%llu", (unsigned long long)u->count);
  return 0;
}
static int unqueue_wr(Element *e, const char *v, const void *t, ErrCtx *err) {
  (void)t;
  Unqueue *u = (Unqueue *)e;
  char *s = strip_comments_trim(v);
  int r = parse_bool(s, &u->active);
  free(s);
  if (r) return err_report(err, 0, "active: expected boolean");
  if (u->active) task_schedule(&u->task);
  return 0;
}
static const Handler unqueue_h[] = {
  {"count", unqueue_rd, NULL, NULL, 0},
  {"active", unqueue_rd, unqueue_wr, (void *)1, H_NOSTATS},
  {NULL, NULL, NULL, NULL, 0}};
static const ElementClass Unqueue_class = {
  .name = "Unqueue", .port_count = "1/1", .processing = "l/h", .size = sizeof(Unqueue),
  .configure = unqueue_conf, .initialize = unqueue_init, .handlers = unqueue_h};

/* ------------------------------------------------------------ token rate
 * GapRate-style exact rate: the n-th event since the epoch is allowed at
 * epoch + n/rate.  Deterministic under --simtime. */
typedef struct { double rate; uint64_t epoch; uint64_t n; } Rate;
static void rate_init(Rate *r, double rate) { r->rate = rate; r->epoch = now_ns(); r->n = 0; }
static uint64_t rate_next_time(Rate *r) {
  if (r->rate <= 0) return UINT64_MAX;
  return r->epoch + (uint64_t)((double)r->n * 1e9 / r->rate);
}
static bool rate_ready(Rate *r, uint64_t now) {
  /* never accumulate more than one second of credit */
  if (r->rate > 0 && now > rate_next_time(r) + NS_PER_SEC) {
    r->epoch = now - NS_PER_SEC;
    r->n = 0;
  }
  return now >= rate_next_time(r);
}

/* =c
 * InfiniteSource([DATA, LIMIT, BURST, ACTIVE, *keywords*])
 * =s basic sources
 * generates packets whenever scheduled
 * =d
 * Creates packets consisting of DATA and pushes BURST (default 1) of them
 * every time it is scheduled.  Stops after LIMIT packets (default -1,
 * unlimited); then, if STOP is true, asks the driver to stop.  LENGTH forces
 * the packet length (DATA is repeated or truncated).  In pull mode, it
 * returns a packet on every pull.
 * =h count read-only
 * Packets generated.
 * =h reset write-only
 * Resets count and restarts.
 * =h active read/write
 * Whether the source is active.
 * =e
 *   InfiniteSource(LIMIT 100, STOP true) -> c :: Counter -> Discard;
 */
typedef struct {
  Element e;
  char *data;
  size_t dlen;
  int limit;
  unsigned burst;
  bool active, stop;
  int length;
  uint64_t count;
  Task task;
  Timer timer;
  Rate rate;
  double rate_v;
  uint64_t interval;
  int kind; /* 0 infinite, 1 rated, 2 timed */
  bool stopped;
} Source;
static void src_build_data(Source *s) {
  if (s->length >= 0 && (size_t)s->length != s->dlen) {
    char *d = xmalloc(s->length + 1);
    for (int i = 0; i < s->length; i++) d[i] = s->dlen ? s->data[i % s->dlen] : 0;
    free(s->data);
    s->data = d;
    s->dlen = s->length;
  }
}
static int src_conf(Element *e, Args *a, ErrCtx *err) {
  (void)err;
  Source *s = (Source *)e;
  s->limit = -1;
  s->burst = 1;
  s->active = true;
  s->length = -1;
  s->rate_v = 10;
  s->interval = NS_PER_SEC / 2;
  char *data = NULL;
  bool have_data = false;
  int r;
  if (!strcmp(e->cls->name, "InfiniteSource")) {
    s->kind = 0;
    ArgSpec sp[] = {{"DATA", A_ANY, A_POSITIONAL, &data, &have_data, NULL},
                    {"LIMIT", A_INT, A_POSITIONAL, &s->limit, NULL, NULL},
                    {"BURST", A_UINT, A_POSITIONAL, &s->burst, NULL, NULL},
                    {"ACTIVE", A_BOOL, A_POSITIONAL, &s->active, NULL, NULL},
                    {"STOP", A_BOOL, 0, &s->stop, NULL, NULL},
                    {"LENGTH", A_INT, 0, &s->length, NULL, NULL},
                    {"DATASIZE", A_INT, 0, &s->length, NULL, NULL}};
    r = args_read(a, sp, 7);
  } else if (!strcmp(e->cls->name, "RatedSource")) {
    s->kind = 1;
    ArgSpec sp[] = {{"DATA", A_ANY, A_POSITIONAL, &data, &have_data, NULL},
                    {"RATE", A_DOUBLE, A_POSITIONAL, &s->rate_v, NULL, NULL},
                    {"LIMIT", A_INT, A_POSITIONAL, &s->limit, NULL, NULL},
                    {"ACTIVE", A_BOOL, A_POSITIONAL, &s->active, NULL, NULL},
                    {"STOP", A_BOOL, 0, &s->stop, NULL, NULL},
                    {"LENGTH", A_INT, 0, &s->length, NULL, NULL},
                    {"DATASIZE", A_INT, 0, &s->length, NULL, NULL}};
    r = args_read(a, sp, 7);
    if (r == 0 && s->rate_v < 0) r = err_report(err, 0, "RATE: must be >= 0");
  } else {
    s->kind = 2;
    ArgSpec sp[] = {{"INTERVAL", A_TIME, A_POSITIONAL, &s->interval, NULL, NULL},
                    {"DATA", A_ANY, A_POSITIONAL, &data, &have_data, NULL},
                    {"LIMIT", A_INT, 0, &s->limit, NULL, NULL},
                    {"ACTIVE", A_BOOL, 0, &s->active, NULL, NULL},
                    {"STOP", A_BOOL, 0, &s->stop, NULL, NULL},
                    {"LENGTH", A_INT, 0, &s->length, NULL, NULL}};
    r = args_read(a, sp, 6);
    if (r == 0 && s->interval == 0) r = err_report(err, 0, "INTERVAL: must be > 0");
  }
  if (s->length > 65535) r = err_report(err, 0, "LENGTH: too large");
  if (have_data) { s->data = unquote_bin(data, &s->dlen); free(data); }
  else { free(data); s->data = xstrdup(default_data); s->dlen = strlen(default_data); }
  src_build_data(s);
  return r;
}
static Packet *src_make(Source *s) {
  Packet *p = pkt_make(s->data, (uint32_t)s->dlen);
  p->ts = now_ns();
  s->count++;
  return p;
}
static bool src_done(Source *s) { return s->limit >= 0 && s->count >= (uint64_t)s->limit; }
static void src_finish(Source *s) {
  if (s->stop && !s->stopped) { s->stopped = true; router_please_stop(s->e.router); }
}
static bool src_task(Task *t, void *arg) {
  Source *s = arg;
  if (!s->active) return false;
  if (src_done(s)) { src_finish(s); return false; }
  if (s->kind == 0) {
    for (unsigned i = 0; i < s->burst && !src_done(s); i++) output_push(&s->e, 0, src_make(s));
    if (src_done(s)) src_finish(s);
    else task_schedule(t);
    return true;
  }
  /* rated */
  uint64_t now = now_ns();
  int sent = 0;
  while (rate_ready(&s->rate, now) && !src_done(s) && sent < 32) {
    s->rate.n++;
    output_push(&s->e, 0, src_make(s));
    sent++;
  }
  if (src_done(s)) { src_finish(s); return true; }
  if (sent == 32) task_schedule(t);
  else timer_schedule_at(&s->timer, rate_next_time(&s->rate));
  return sent > 0;
}
static void src_timer(Timer *tm, void *arg) {
  Source *s = arg;
  (void)tm;
  if (!s->active) return;
  if (s->kind == 2) {
    if (src_done(s)) { src_finish(s); return; }
    output_push(&s->e, 0, src_make(s));
    if (src_done(s)) src_finish(s);
    else timer_schedule_after(&s->timer, s->interval);
    return;
  }
  task_schedule(&s->task);
}
static int src_init(Element *e, ErrCtx *err) {
  (void)err;
  Source *s = (Source *)e;
  task_init(&s->task, src_task, s);
  timer_init(&s->timer, src_timer, s);
  rate_init(&s->rate, s->rate_v);
  if (s->e.out_proc[0] != 'h') return 0;
  if (s->active) {
    if (s->kind == 2) timer_schedule_after(&s->timer, s->interval);
    else task_schedule(&s->task);
  }
  return 0;
}
static Packet *src_pull(Element *e, int port) {
  (void)port;
  Source *s = (Source *)e;
  if (!s->active) return NULL;
  if (src_done(s)) { src_finish(s); return NULL; }
  if (s->kind == 1) {
    if (!rate_ready(&s->rate, now_ns())) return NULL;
    s->rate.n++;
  }
  return src_make(s);
}
static void src_cleanup(Element *e) {
  Source *s = (Source *)e;
  task_unschedule(&s->task);
  timer_unschedule(&s->timer);
  free(s->data);
}
static int src_rd(Element *e, const void *t, Str *o) {
  Source *s = (Source *)e;
  switch ((int)(intptr_t)t) {
    case 0: str_printf(o, "%llu", (unsigned long long)s->count); break;
    case 1: str_add(o, s->active ? "true" : "false"); break;
    case 2: str_printf(o, "%d", s->limit); break;
    case 3: str_printf(o, "%g", s->rate_v); break;
    default: str_addn(o, s->data, s->dlen); break;
  }
  return 0;
}
static int src_wr(Element *e, const char *v, const void *t, ErrCtx *err) {
  Source *s = (Source *)e;
  char *x = strip_comments_trim(v);
  int r = 0;
  switch ((int)(intptr_t)t) {
    case 0: s->count = 0; s->stopped = false; rate_init(&s->rate, s->rate_v); break;
    case 1: if (parse_bool(x, &s->active)) r = err_report(err, 0, "active: expected boolean"); break;
    case 2: { long long l; if (parse_int(x, &l)) r = err_report(err, 0, "limit: expected integer"); else s->limit = (int)l; break; }
    case 3: { double d; if (parse_double(x, &d) || d < 0) r = err_report(err, 0, "rate: expected real number"); else { s->rate_v = d; rate_init(&s->rate, d); } break; }
    default: { size_t n; char *u = unquote_bin(x, &n); free(s->data); s->data = u; s->dlen = n; src_build_data(s); break; }
  }
  free(x);
  if (r == 0 && s->active && s->e.out_proc[0] == 'h') {
    if (s->kind == 2) { if (!timer_scheduled(&s->timer)) timer_schedule_after(&s->timer, s->interval); }
    else task_schedule(&s->task);
  }
  return r;
}
static int src_save(Element *e, Blob *b) {
  Source *s = (Source *)e;
  blob_u64(b, s->count);
  blob_u64(b, s->rate.n);
  blob_u64(b, now_ns() - s->rate.epoch);
  return 0;
}
static int src_load(Element *e, BlobR *r, ErrCtx *err) {
  (void)err;
  Source *s = (Source *)e;
  s->count = blobr_u64(r);
  s->rate.n = blobr_u64(r);
  uint64_t el = blobr_u64(r);
  s->rate.epoch = now_ns() - el;
  return 0;
}
static const Handler src_h[] = {
  {"count", src_rd, NULL, (void *)0, 0},
  {"reset", NULL, src_wr, (void *)0, 0},
  {"active", src_rd, src_wr, (void *)1, H_NOSTATS},
  {"limit", src_rd, src_wr, (void *)2, H_NOSTATS},
  {"rate", src_rd, src_wr, (void *)3, H_NOSTATS},
  {"data", src_rd, src_wr, (void *)4, H_NOSTATS},
  {NULL, NULL, NULL, NULL, 0}};
static const ElementClass InfiniteSource_class = {
  .name = "InfiniteSource", .port_count = "0/1", .processing = "a/a", .size = sizeof(Source),
  .configure = src_conf, .initialize = src_init, .cleanup = src_cleanup, .pull = src_pull,
  .handlers = src_h, .save = src_save, .load = src_load};
/* =c
 * RatedSource([DATA, RATE, LIMIT, ACTIVE, *keywords*])
 * =s basic sources
 * generates packets at specified rate
 * =d
 * Creates packets consisting of DATA at RATE packets per second (default
 * 10).  Stops after LIMIT packets; with STOP true, then stops the driver.
 * Exact and deterministic under --simtime.
 * =h count read-only
 * Packets generated.
 * =h rate read/write
 * The rate.
 * =e
 *   RatedSource(\<0800>, 10, 100, STOP true) -> Print -> Discard;
 */
static const ElementClass RatedSource_class = {
  .name = "RatedSource", .port_count = "0/1", .processing = "a/a", .size = sizeof(Source),
  .configure = src_conf, .initialize = src_init, .cleanup = src_cleanup, .pull = src_pull,
  .handlers = src_h, .save = src_save, .load = src_load};
/* =c
 * TimedSource([INTERVAL, DATA, *keywords* LIMIT, STOP])
 * =s basic sources
 * periodically generates a packet
 * =d
 * Pushes a packet of DATA every INTERVAL seconds (default 0.5).
 * =h count read-only
 * Packets generated.
 * =e
 *   TimedSource(1, "hello") -> Print -> Discard;
 */
static const ElementClass TimedSource_class = {
  .name = "TimedSource", .port_count = "0/1", .processing = "h/h", .size = sizeof(Source),
  .configure = src_conf, .initialize = src_init, .cleanup = src_cleanup,
  .handlers = src_h, .save = src_save, .load = src_load};

/* =c
 * Counter([*keywords*])
 * =s counters
 * measures packet count and rate
 * =d
 * Passes packets unchanged, counting them and their bytes.
 * =h count read-only
 * Packets counted.
 * =h byte_count read-only
 * Bytes counted.
 * =h rate read-only
 * Average packet arrival rate (packets/s) between first and last packet.
 * =h byte_rate read-only
 * Average byte rate.
 * =h reset write-only
 * Resets the counts.  reset_counts is a synonym.
 * =e
 *   FromDevice(eth0) -> c :: Counter -> Discard;
 */
typedef struct { Element e; uint64_t count, bytes, first, last; } Counter;
static Packet *counter_sa(Element *e, Packet *p) {
  Counter *c = (Counter *)e;
  uint64_t t = now_ns();
  if (!c->count) c->first = t;
  c->last = t;
  c->count++;
  c->bytes += p->len;
  return p;
}
static int counter_rd(Element *e, const void *t, Str *o) {
  Counter *c = (Counter *)e;
  int w = (int)(intptr_t)t;
  if (w == 0) str_printf(o, "%llu", (unsigned long long)c->count);
  else if (w == 1) str_printf(o, "%llu", (unsigned long long)c->bytes);
  else {
    double dt = (double)(c->last - c->first) / 1e9;
    double v = w == 2 ? (double)c->count : (double)c->bytes;
    if (c->count < 2 || dt <= 0) str_add(o, "0");
    else str_printf(o, "%.6g", (v - (w == 2 ? 1 : 0)) / dt);
  }
  return 0;
}
static int counter_reset(Element *e, const char *v, const void *t, ErrCtx *err) {
  (void)v; (void)t; (void)err;
  Counter *c = (Counter *)e;
  c->count = c->bytes = c->first = c->last = 0;
  return 0;
}
static int counter_save(Element *e, Blob *b) {
  Counter *c = (Counter *)e;
  blob_u64(b, c->count);
  blob_u64(b, c->bytes);
  return 0;
}
static int counter_load(Element *e, BlobR *r, ErrCtx *err) {
  (void)err;
  Counter *c = (Counter *)e;
  c->count = blobr_u64(r);
  c->bytes = blobr_u64(r);
  return 0;
}
static const Handler counter_h[] = {
  {"count", counter_rd, NULL, (void *)0, 0},
  {"byte_count", counter_rd, NULL, (void *)1, 0},
  {"rate", counter_rd, NULL, (void *)2, 0},
  {"byte_rate", counter_rd, NULL, (void *)3, 0},
  {"reset", NULL, counter_reset, NULL, 0},
  {"reset_counts", NULL, counter_reset, NULL, 0},
  {NULL, NULL, NULL, NULL, 0}};
static int noargs_conf(Element *e, Args *a, ErrCtx *err) { (void)e; (void)err; return args_read(a, NULL, 0); }
static const ElementClass Counter_class = {
  .name = "Counter", .port_count = "1/1", .processing = "a/a", .size = sizeof(Counter),
  .configure = noargs_conf, .simple_action = counter_sa, .handlers = counter_h,
  .save = counter_save, .load = counter_load};

/* =c
 * Print([LABEL, MAXLENGTH, *keywords* CONTENTS, TIMESTAMP, ACTIVE])
 * =s debugging
 * prints packet contents
 * =d
 * Prints up to MAXLENGTH bytes (default 24) of each packet, in hex, to
 * standard error, as "LABEL: LENGTH | xxxxxxxx xxxxxxxx ...".  CONTENTS may
 * be HEX, ASCII or NONE.
 * =h active read/write
 * Whether printing is on.
 * =e
 *   InfiniteSource(LIMIT 1) -> Print(ok) -> Discard;
 */
typedef struct { Element e; char *label; int maxlen; bool ts, active; char *contents; int mode; } Print;
static int print_conf(Element *e, Args *a, ErrCtx *err) {
  Print *p = (Print *)e;
  p->maxlen = 24;
  p->active = true;
  ArgSpec s[] = {{"LABEL", A_STR, A_POSITIONAL, &p->label, NULL, NULL},
                 {"MAXLENGTH", A_INT, A_POSITIONAL, &p->maxlen, NULL, NULL},
                 {"LENGTH", A_INT, 0, &p->maxlen, NULL, NULL},
                 {"CONTENTS", A_WORD, 0, &p->contents, NULL, NULL},
                 {"TIMESTAMP", A_BOOL, 0, &p->ts, NULL, NULL},
                 {"ACTIVE", A_BOOL, 0, &p->active, NULL, NULL}};
  int r = args_read(a, s, 6);
  p->mode = 1;
  if (p->contents) {
    if (!strcasecmp(p->contents, "hex") || !strcasecmp(p->contents, "true")) p->mode = 1;
    else if (!strcasecmp(p->contents, "ascii")) p->mode = 2;
    else if (!strcasecmp(p->contents, "none") || !strcasecmp(p->contents, "false")) p->mode = 0;
    else r = err_report(err, 0, "CONTENTS: expected HEX, ASCII or NONE");
  }
  if (!p->label) p->label = xstrdup("");
  return r;
}
static Packet *print_sa(Element *e, Packet *p) {
  Print *pr = (Print *)e;
  if (!pr->active) return p;
  Str s;
  str_init(&s);
  str_add(&s, "");
  if (*pr->label) str_printf(&s, "%s: ", pr->label);
  if (pr->ts) { unparse_time(p->ts, &s); str_add(&s, ": "); }
  str_printf(&s, "%4u", p->len);
  uint32_t n = pr->maxlen < 0 ? p->len : ((uint32_t)pr->maxlen < p->len ? (uint32_t)pr->maxlen : p->len);
  if (n && pr->mode) {
    str_add(&s, " | ");
    const uint8_t *d = pkt_data(p);
    for (uint32_t i = 0; i < n; i++) {
      if (pr->mode == 1) {
        if (i && i % 4 == 0) str_addc(&s, ' ');
        str_printf(&s, "%02x", d[i]);
      } else {
        if (i && i % 8 == 0) str_addc(&s, ' ');
        str_addc(&s, d[i] < 32 || d[i] > 126 ? '.' : (char)d[i]);
      }
    }
  }
  fprintf(stderr, "%s\n", s.s);
  str_free(&s);
  return p;
}
static void print_cleanup(Element *e) { Print *p = (Print *)e; free(p->label); free(p->contents); }
static int bool_rd(Element *e, const void *t, Str *o) { str_add(o, *(bool *)((char *)e + (size_t)t) ? "true" : "false"); return 0; }
static int bool_wr(Element *e, const char *v, const void *t, ErrCtx *err) {
  char *x = strip_comments_trim(v);
  int r = parse_bool(x, (bool *)((char *)e + (size_t)t));
  free(x);
  return r ? err_report(err, 0, "expected boolean") : 0;
}
static const Handler print_h[] = {{"active", bool_rd, bool_wr, (void *)offsetof(Print, active), H_NOSTATS}, {NULL, NULL, NULL, NULL, 0}};
static const ElementClass Print_class = {
  .name = "Print", .port_count = "1/1", .processing = "a/a", .size = sizeof(Print),
  .configure = print_conf, .cleanup = print_cleanup, .simple_action = print_sa, .handlers = print_h};

/* =c
 * Tee([N])
 * =s basic duplication
 * duplicates packets
 * =d
 * Sends a copy of each incoming packet out each output.  N defaults to the
 * number of connected outputs.
 * =e
 *   ... -> t :: Tee -> Discard; t[1] -> Print -> Discard;
 */
typedef struct { Element e; unsigned n; } Tee;
static int tee_conf(Element *e, Args *a, ErrCtx *err) {
  Tee *t = (Tee *)e;
  bool have = false;
  ArgSpec s[] = {{"N", A_UINT, A_POSITIONAL, &t->n, &have, NULL}};
  int r = args_read(a, s, 1);
  if (r == 0 && have && t->n != (unsigned)e->nout) r = err_report(err, 0, "N: %u outputs declared but %d connected", t->n, e->nout);
  return r;
}
static void tee_push(Element *e, int port, Packet *p) {
  (void)port;
  for (int i = 0; i < e->nout - 1; i++) output_push(e, i, pkt_clone(p));
  if (e->nout) output_push(e, e->nout - 1, p);
  else pkt_kill(p);
}
static const ElementClass Tee_class = {
  .name = "Tee", .port_count = "1/1-", .processing = "h/h", .size = sizeof(Tee),
  .configure = tee_conf, .push = tee_push};

/* =c
 * Paint(COLOR)
 * =s paint
 * sets packet paint annotations
 * =d
 * Sets each packet's paint annotation to COLOR (0-255).
 * =h color read/write
 * The color.
 * =e
 *   ... -> Paint(3) -> PaintSwitch -> ...
 */
typedef struct { Element e; unsigned color; } Paint;
static int paint_conf(Element *e, Args *a, ErrCtx *err) {
  Paint *p = (Paint *)e;
  ArgSpec s[] = {{"COLOR", A_UINT, A_POSITIONAL | A_MANDATORY, &p->color, NULL, NULL},
                 {"ANNO", A_ANY, 0, NULL, NULL, NULL}};
  char *anno = NULL;
  s[1].out = &anno;
  int r = args_read(a, s, 2);
  free(anno);
  if (r == 0 && p->color > 255) r = err_report(err, 0, "COLOR: must be between 0 and 255");
  return r;
}
static Packet *paint_sa(Element *e, Packet *p) { p->paint = (uint8_t)((Paint *)e)->color; return p; }
static int paint_rd(Element *e, const void *t, Str *o) { (void)t; str_printf(o, "%u", ((Paint *)e)->color); return 0; }
static int paint_wr(Element *e, const char *v, const void *t, ErrCtx *err) {
  (void)t;
  unsigned long long c;
  char *x = strip_comments_trim(v);
  int r = parse_uint(x, &c);
  free(x);
  if (r || c > 255) return err_report(err, 0, "color: expected 0-255");
  ((Paint *)e)->color = (unsigned)c;
  return 0;
}
static const Handler paint_h[] = {{"color", paint_rd, paint_wr, NULL, H_NOSTATS}, {NULL, NULL, NULL, NULL, 0}};
static const ElementClass Paint_class = {
  .name = "Paint", .port_count = "1/1", .processing = "a/a", .size = sizeof(Paint),
  .configure = paint_conf, .simple_action = paint_sa, .handlers = paint_h};

/* =c
 * PaintSwitch
 * =s paint
 * sends packet stream to output chosen per-packet
 * =d
 * Sends each packet to the output numbered by its paint annotation; packets
 * whose paint has no output are dropped.
 * =e
 *   ps :: PaintSwitch; ps[0] -> Discard; ps[1] -> Print -> Discard;
 */
static void paintswitch_push(Element *e, int port, Packet *p) { (void)port; checked_output_push(e, p->paint, p); }
static const ElementClass PaintSwitch_class = {
  .name = "PaintSwitch", .port_count = "1/-", .processing = "h/h", .size = sizeof(Element),
  .configure = noargs_conf, .push = paintswitch_push};

/* =c
 * PaintTee(COLOR)
 * =s paint
 * duplicates packets with given paint annotation
 * =d
 * Every packet goes to output 0; packets with paint COLOR are also copied to
 * output 1.
 * =e
 *   pt :: PaintTee(1); pt[1] -> Print(painted) -> Discard;
 */
static void painttee_push(Element *e, int port, Packet *p) {
  (void)port;
  if (p->paint == ((Paint *)e)->color) output_push(e, 1, pkt_clone(p));
  output_push(e, 0, p);
}
static const ElementClass PaintTee_class = {
  .name = "PaintTee", .port_count = "1/2", .processing = "h/h", .size = sizeof(Paint),
  .configure = paint_conf, .push = painttee_push, .handlers = paint_h};

/* =c
 * Strip(LENGTH)
 * =s encapsulation
 * strips bytes from front of packets
 * =d
 * Removes the first LENGTH bytes (or the whole packet if it is shorter).
 * =e
 *   FromDevice(eth0) -> Strip(14) -> CheckIPHeader -> ...
 */
typedef struct { Element e; unsigned n; } Strip;
static int strip_conf(Element *e, Args *a, ErrCtx *err) {
  (void)err;
  Strip *s = (Strip *)e;
  ArgSpec sp[] = {{"LENGTH", A_UINT, A_POSITIONAL | A_MANDATORY, &s->n, NULL, NULL}};
  return args_read(a, sp, 1);
}
static Packet *strip_sa(Element *e, Packet *p) { pkt_pull(p, ((Strip *)e)->n); return p; }
static const ElementClass Strip_class = {
  .name = "Strip", .port_count = "1/1", .processing = "a/a", .size = sizeof(Strip),
  .configure = strip_conf, .simple_action = strip_sa};
/* =c
 * Unstrip(LENGTH)
 * =s encapsulation
 * unstrips bytes from front of packets
 * =d
 * Puts LENGTH bytes back on the front of each packet (the bytes previously
 * removed by Strip, or zeros when there is nothing to put back).
 * =e
 *   ... -> Strip(14) -> CheckIPHeader -> Unstrip(14) -> ...
 */
static Packet *unstrip_sa(Element *e, Packet *p) {
  unsigned n = ((Strip *)e)->n;
  if (n > 65536) n = 65536;
  return pkt_push(p, n);
}
static const ElementClass Unstrip_class = {
  .name = "Unstrip", .port_count = "1/1", .processing = "a/a", .size = sizeof(Strip),
  .configure = strip_conf, .simple_action = unstrip_sa};
/* =c
 * Truncate(LENGTH)
 * =s basic modification
 * limits packet length
 * =d
 * Shortens packets longer than LENGTH bytes to LENGTH bytes.
 * =e
 *   ... -> Truncate(64) -> ToDump(x.pcap);
 */
static Packet *truncate_sa(Element *e, Packet *p) {
  unsigned n = ((Strip *)e)->n;
  if (p->len > n) pkt_take(p, p->len - n);
  return p;
}
static int truncate_conf(Element *e, Args *a, ErrCtx *err) {
  (void)err;
  Strip *s = (Strip *)e;
  char *extra = NULL;
  ArgSpec sp[] = {{"LENGTH", A_UINT, A_POSITIONAL | A_MANDATORY, &s->n, NULL, NULL},
                  {"EXTRA_LENGTH", A_ANY, 0, &extra, NULL, NULL}};
  int r = args_read(a, sp, 2);
  free(extra);
  return r;
}
static const ElementClass Truncate_class = {
  .name = "Truncate", .port_count = "1/1", .processing = "a/a", .size = sizeof(Strip),
  .configure = truncate_conf, .simple_action = truncate_sa};

/* =c
 * RoundRobinSwitch
 * =s classification
 * sends packets to round-robin outputs
 * =d
 * Pushes each packet to the next output in turn.
 * =e
 *   rr :: RoundRobinSwitch; rr[0] -> q0 :: Queue; rr[1] -> q1 :: Queue;
 */
typedef struct { Element e; int next; } RRSwitch;
static void rrs_push(Element *e, int port, Packet *p) {
  (void)port;
  RRSwitch *r = (RRSwitch *)e;
  int o = r->next;
  r->next = (r->next + 1) % (e->nout ? e->nout : 1);
  checked_output_push(e, o, p);
}
static const ElementClass RoundRobinSwitch_class = {
  .name = "RoundRobinSwitch", .port_count = "1/1-", .processing = "h/h", .size = sizeof(RRSwitch),
  .configure = noargs_conf, .push = rrs_push};

/* =c
 * HashSwitch(OFFSET, LENGTH)
 * =s classification
 * classifies packets by hash of contents
 * =d
 * Hashes LENGTH bytes at OFFSET and sends the packet to output hash mod N.
 * Packets too short go to output 0.
 * =e
 *   hs :: HashSwitch(26, 8); hs[0] -> Discard; hs[1] -> Discard;
 */
typedef struct { Element e; unsigned off, len; } HashSwitch;
static int hs_conf(Element *e, Args *a, ErrCtx *err) {
  HashSwitch *h = (HashSwitch *)e;
  ArgSpec sp[] = {{"OFFSET", A_UINT, A_POSITIONAL | A_MANDATORY, &h->off, NULL, NULL},
                  {"LENGTH", A_UINT, A_POSITIONAL | A_MANDATORY, &h->len, NULL, NULL}};
  int r = args_read(a, sp, 2);
  if (r == 0 && h->len == 0) r = err_report(err, 0, "LENGTH: must be > 0");
  return r;
}
static void hs_push(Element *e, int port, Packet *p) {
  (void)port;
  HashSwitch *h = (HashSwitch *)e;
  int o = 0;
  if ((uint64_t)h->off + h->len <= p->len) {
    uint32_t x = 0;
    const uint8_t *d = pkt_data(p) + h->off;
    for (unsigned i = 0; i < h->len; i++) x = x * 31 + d[i];
    o = (int)(x % (uint32_t)e->nout);
  }
  checked_output_push(e, o, p);
}
static const ElementClass HashSwitch_class = {
  .name = "HashSwitch", .port_count = "1/1-", .processing = "h/h", .size = sizeof(HashSwitch),
  .configure = hs_conf, .push = hs_push};

/* ------------------------------------------------------------ token bucket */
typedef struct { double rate, burst, tokens; uint64_t last; } Bucket;
static void bucket_fill(Bucket *b, uint64_t now) {
  if (now > b->last) {
    b->tokens += (double)(now - b->last) * b->rate / 1e9;
    if (b->tokens > b->burst) b->tokens = b->burst;
  }
  b->last = now;
}

/* =c
 * RatedSplitter(RATE)
 * =s classification
 * splits flow of packets at specified rate
 * =d
 * Packets conforming to RATE packets per second go to output 0, the rest to
 * output 1 (token bucket, burst of one second).
 * =h rate read/write
 * The rate.
 * =e
 *   rs :: RatedSplitter(1000); rs[1] -> Discard;
 */
typedef struct { Element e; double rate; Bucket b; bool bw; } Splitter;
static int split_conf(Element *e, Args *a, ErrCtx *err) {
  Splitter *s = (Splitter *)e;
  s->bw = !strcmp(e->cls->name, "BandwidthRatedSplitter");
  ArgSpec sp[] = {{"RATE", s->bw ? A_BANDWIDTH : A_DOUBLE, A_POSITIONAL | A_MANDATORY, &s->rate, NULL, NULL}};
  int r = args_read(a, sp, 1);
  if (r == 0 && s->rate < 0) r = err_report(err, 0, "RATE: must be >= 0");
  s->b.rate = s->rate;
  s->b.burst = s->rate > 1 ? s->rate : 1;
  if (s->bw && s->b.burst < 65536) s->b.burst = 65536;
  s->b.tokens = s->b.burst;
  s->b.last = now_ns();
  return r;
}
static void split_push(Element *e, int port, Packet *p) {
  (void)port;
  Splitter *s = (Splitter *)e;
  bucket_fill(&s->b, now_ns());
  double need = s->bw ? (double)p->len : 1.0;
  if (s->b.tokens >= need) { s->b.tokens -= need; output_push(e, 0, p); }
  else checked_output_push(e, 1, p);
}
static int split_rd(Element *e, const void *t, Str *o) { (void)t; str_printf(o, "%g", ((Splitter *)e)->rate); return 0; }
static int split_wr(Element *e, const char *v, const void *t, ErrCtx *err) {
  (void)t;
  Splitter *s = (Splitter *)e;
  char *x = strip_comments_trim(v);
  double d;
  int r = s->bw ? parse_bandwidth(x, &d) : parse_double(x, &d);
  free(x);
  if (r || d < 0) return err_report(err, 0, "rate: bad value");
  s->rate = s->b.rate = d;
  return 0;
}
static int split_save(Element *e, Blob *b) {
  Splitter *s = (Splitter *)e;
  uint64_t tok;
  memcpy(&tok, &s->b.tokens, 8);
  blob_u64(b, tok);
  return 0;
}
static int split_load(Element *e, BlobR *r, ErrCtx *err) {
  (void)err;
  Splitter *s = (Splitter *)e;
  uint64_t tok = blobr_u64(r);
  memcpy(&s->b.tokens, &tok, 8);
  if (!(s->b.tokens >= 0) || s->b.tokens > s->b.burst) s->b.tokens = s->b.burst;
  s->b.last = now_ns();
  return 0;
}
static const Handler split_h[] = {{"rate", split_rd, split_wr, NULL, 0}, {NULL, NULL, NULL, NULL, 0}};
static const ElementClass RatedSplitter_class = {
  .name = "RatedSplitter", .port_count = "1/2", .processing = "h/h", .size = sizeof(Splitter),
  .configure = split_conf, .push = split_push, .handlers = split_h, .save = split_save, .load = split_load};
/* =c
 * BandwidthRatedSplitter(RATE)
 * =s classification
 * splits flow of packets at specified bandwidth
 * =d
 * Like RatedSplitter, but RATE is a bandwidth ("1Mbps", "125kBps"):
 * conforming bytes go to output 0, the rest to output 1.
 * =h rate read/write
 * The rate in bytes per second.
 * =e
 *   bs :: BandwidthRatedSplitter(10Mbps); bs[1] -> Discard;
 */
static const ElementClass BandwidthRatedSplitter_class = {
  .name = "BandwidthRatedSplitter", .port_count = "1/2", .processing = "h/h", .size = sizeof(Splitter),
  .configure = split_conf, .push = split_push, .handlers = split_h, .save = split_save, .load = split_load};

/* =c
 * RatedUnqueue(RATE)
 * =s shaping
 * pull-to-push converter with rate limit
 * =d
 * Pulls packets at RATE packets per second and pushes them out.
 * =h rate read/write
 * The rate.
 * =h count read-only
 * Packets passed.
 * =e
 *   ... -> Queue -> RatedUnqueue(100) -> ...
 */
typedef struct { Element e; double rate; Rate r; Task task; Timer timer; uint64_t count; bool sleepable; } RatedUnqueue;
static int ru_conf(Element *e, Args *a, ErrCtx *err) {
  RatedUnqueue *u = (RatedUnqueue *)e;
  ArgSpec sp[] = {{"RATE", A_DOUBLE, A_POSITIONAL | A_MANDATORY, &u->rate, NULL, NULL}};
  int r = args_read(a, sp, 1);
  if (r == 0 && u->rate < 0) r = err_report(err, 0, "RATE: must be >= 0");
  return r;
}
static bool ru_task(Task *t, void *arg) {
  RatedUnqueue *u = arg;
  uint64_t now = now_ns();
  if (!rate_ready(&u->r, now)) { timer_schedule_at(&u->timer, rate_next_time(&u->r)); return false; }
  Packet *p = input_pull(&u->e, 0);
  if (p) {
    u->r.n++;
    u->count++;
    output_push(&u->e, 0, p);
    task_schedule(t);
    return true;
  }
  if (!u->sleepable) timer_schedule_after(&u->timer, NS_PER_SEC / 1000);
  return false;
}
static void ru_timer(Timer *tm, void *arg) { (void)tm; task_schedule(&((RatedUnqueue *)arg)->task); }
static int ru_init(Element *e, ErrCtx *err) {
  (void)err;
  RatedUnqueue *u = (RatedUnqueue *)e;
  rate_init(&u->r, u->rate);
  task_init(&u->task, ru_task, u);
  timer_init(&u->timer, ru_timer, u);
  u->sleepable = element_pull_has_notifier(e, 0, 0);
  element_register_puller(e, &u->task);
  task_schedule(&u->task);
  return 0;
}
static void ru_cleanup(Element *e) { timer_unschedule(&((RatedUnqueue *)e)->timer); task_unschedule(&((RatedUnqueue *)e)->task); }
static int ru_rd(Element *e, const void *t, Str *o) {
  RatedUnqueue *u = (RatedUnqueue *)e;
  if (t) str_printf(o, "%llu", (unsigned long long)u->count);
  else str_printf(o, "%g", u->rate);
  return 0;
}
static int ru_wr(Element *e, const char *v, const void *t, ErrCtx *err) {
  (void)t;
  RatedUnqueue *u = (RatedUnqueue *)e;
  char *x = strip_comments_trim(v);
  double d;
  int r = parse_double(x, &d);
  free(x);
  if (r || d < 0) return err_report(err, 0, "rate: expected real number");
  u->rate = d;
  rate_init(&u->r, d);
  task_schedule(&u->task);
  return 0;
}
static const Handler ru_h[] = {{"rate", ru_rd, ru_wr, NULL, 0}, {"count", ru_rd, NULL, (void *)1, 0}, {NULL, NULL, NULL, NULL, 0}};
static const ElementClass RatedUnqueue_class = {
  .name = "RatedUnqueue", .port_count = "1/1", .processing = "l/h", .size = sizeof(RatedUnqueue),
  .configure = ru_conf, .initialize = ru_init, .cleanup = ru_cleanup, .handlers = ru_h};

/* =c
 * DriverManager(INSTRUCTIONS...)
 * =s information
 * a Click driver stops when DriverManager says to
 * =d
 * Runs a script of instructions, one per argument: "wait_stop [N]" (or
 * "pause") waits
 * for N (default 1) stop events (sources with STOP true), "wait TIME"
 * (also "wait_time"), "write ELEMENT.HANDLER VALUE", "read ELEMENT.HANDLER"
 * (prints "ELEMENT.HANDLER:\nVALUE" to stderr), "print TEXT", and "stop".
 * When the script ends, the driver stops.  Without arguments it stops at the
 * first stop event.
 * =e
 *   DriverManager(wait 1s, read c.count, stop);
 */
typedef struct {
  Element e;
  Args ins;
  int pc;
  int need_stops, stops_seen;
  bool waiting;
  Timer timer;
  Task task;
  struct DriverManagerHook hook;
  bool script;
} DM;
static int dm_conf(Element *e, Args *a, ErrCtx *err) {
  DM *d = (DM *)e;
  for (int i = 0; i < a->n; i++) {
    if (!*a->v[i]) continue;
    Args w;
    split_words(a->v[i], &w);
    const char *cmd = w.n ? w.v[0] : "";
    bool ok = !strcmp(cmd, "wait_stop") || !strcmp(cmd, "wait_pause") || !strcmp(cmd, "pause") || !strcmp(cmd, "wait") ||
              !strcmp(cmd, "wait_time") || !strcmp(cmd, "wait_for") || !strcmp(cmd, "write") || !strcmp(cmd, "write_skip") ||
              !strcmp(cmd, "read") || !strcmp(cmd, "print") || !strcmp(cmd, "stop") || !strcmp(cmd, "loop") ||
              !strcmp(cmd, "save") || !strcmp(cmd, "append") || !strcmp(cmd, "end") || !strcmp(cmd, "exit");
    if (!ok) err_report(err, 0, "INSTRUCTION %d: unknown instruction '%s'", i + 1, cmd);
    if ((!strcmp(cmd, "wait") || !strcmp(cmd, "wait_time") || !strcmp(cmd, "wait_for")) && w.n >= 2) {
      uint64_t ns;
      if (parse_time_ns(w.v[1], &ns)) err_report(err, 0, "INSTRUCTION %d: expected time", i + 1);
    }
    args_free(&w);
  }
  memset(&d->ins, 0, sizeof d->ins);
  for (int i = 0; i < a->n; i++) {
    if (!*a->v[i]) continue;
    d->ins.v = xrealloc(d->ins.v, sizeof(char *) * (d->ins.n + 1));
    d->ins.used = xrealloc(d->ins.used, sizeof(bool) * (d->ins.n + 1));
    d->ins.v[d->ins.n] = xstrdup(a->v[i]);
    d->ins.used[d->ins.n++] = true;
    a->used[i] = true;
  }
  return err->nerrors ? -1 : 0;
}
static void dm_step(DM *d);
static void dm_stop_event(Element *e) {
  DM *d = (DM *)e;
  d->stops_seen++;
  if (d->waiting && d->stops_seen >= d->need_stops) {
    d->stops_seen -= d->need_stops;
    d->waiting = false;
    task_schedule(&d->task);
  }
}
static bool dm_task(Task *t, void *arg) { (void)t; dm_step(arg); return true; }
static void dm_timer(Timer *t, void *arg) { (void)t; dm_step(arg); }
static void dm_step(DM *d) {
  Router *r = d->e.router;
  while (d->pc < d->ins.n) {
    Args w;
    split_words(d->ins.v[d->pc++], &w);
    const char *cmd = w.v[0];
    ErrCtx err = {0};
    err.file = NULL;
    if (!strcmp(cmd, "stop")) { args_free(&w); router_stop_now(r); return; }
    if (!strcmp(cmd, "wait_stop") || !strcmp(cmd, "wait_pause") || !strcmp(cmd, "pause")) {
      long long n = 1;
      if (w.n >= 2) parse_int(w.v[1], &n);
      d->need_stops = n > 0 ? (int)n : 1;
      args_free(&w);
      if (d->stops_seen >= d->need_stops) { d->stops_seen -= d->need_stops; continue; }
      d->waiting = true;
      return;
    }
    if (!strcmp(cmd, "wait") || !strcmp(cmd, "wait_time") || !strcmp(cmd, "wait_for")) {
      uint64_t ns = 0;
      if (w.n >= 2) parse_time_ns(w.v[1], &ns);
      args_free(&w);
      timer_schedule_after(&d->timer, ns);
      return;
    }
    if ((!strcmp(cmd, "write") || !strcmp(cmd, "write_skip")) && w.n >= 2 && !strcmp(w.v[1], "stop")) {
      args_free(&w);
      router_stop_now(r);
      return;
    }
    if (!strcmp(cmd, "end") || !strcmp(cmd, "exit")) { args_free(&w); if (d->script) return; router_stop_now(r); return; }
    if ((!strcmp(cmd, "write") || !strcmp(cmd, "write_skip")) && w.n >= 2) {
      const char *s = d->ins.v[d->pc - 1];
      const char *p = strstr(s, w.v[1]) + strlen(w.v[1]);
      while (*p == ' ' || *p == '\t') p++;
      router_call_write(r, w.v[1], p, &err);
      str_free(&err.first);
    } else if (!strcmp(cmd, "read") && w.n >= 2) {
      Str v;
      str_init(&v);
      str_add(&v, "");
      if (router_call_read(r, w.v[1], &v, &err) == 0) {
        if (v.len && v.s[v.len - 1] != '\n') str_addc(&v, '\n');
        fprintf(stderr, "%s:\n%s", w.v[1], v.s);
      }
      str_free(&v);
      str_free(&err.first);
    } else if (!strcmp(cmd, "print")) {
      const char *s = d->ins.v[d->pc - 1] + 5;
      while (*s == ' ') s++;
      char *u = unquote(s);
      if (w.n >= 2 && strchr(w.v[1], '.') && !strchr(s, '"')) {
        Str v;
        str_init(&v);
        str_add(&v, "");
        if (router_call_read(r, w.v[1], &v, &err) == 0) {
          if (v.len && v.s[v.len - 1] == '\n') v.s[--v.len] = 0;
          fprintf(stdout, "%s\n", v.s);
        } else fprintf(stdout, "%s\n", u);
        str_free(&v);
        str_free(&err.first);
      } else fprintf(stdout, "%s\n", u);
      fflush(stdout);
      free(u);
    }
    args_free(&w);
  }
  if (!d->script) router_stop_now(r);
}
static int dm_init(Element *e, ErrCtx *err) {
  (void)err;
  DM *d = (DM *)e;
  d->script = !strcmp(e->cls->name, "Script");
  if (!d->script) {
    if (d->e.router->dm) return err_report(err, 0, "more than one DriverManager");
    d->hook.stop_event = dm_stop_event;
    d->hook.e = e;
    d->e.router->dm = &d->hook;
  }
  timer_init(&d->timer, dm_timer, d);
  task_init(&d->task, dm_task, d);
  if (d->ins.n == 0 && !d->script) {
    d->ins.v = xmalloc(sizeof(char *));
    d->ins.used = xmalloc(sizeof(bool));
    d->ins.v[0] = xstrdup("wait_stop");
    d->ins.n = 1;
  }
  task_schedule(&d->task);
  return 0;
}
static void dm_cleanup(Element *e) {
  DM *d = (DM *)e;
  timer_unschedule(&d->timer);
  task_unschedule(&d->task);
  args_free(&d->ins);
}
static const ElementClass DriverManager_class = {
  .name = "DriverManager", .port_count = "0/0", .processing = "a/a", .size = sizeof(DM),
  .configure = dm_conf, .initialize = dm_init, .cleanup = dm_cleanup};

/* =c
 * Script(INSTRUCTIONS...)
 * =s control
 * script a Click router configuration
 * =d
 * Runs the same instructions as DriverManager (wait, read, write, print,
 * stop, end) once at startup, without taking over the driver: when the
 * script ends the router keeps running.  "write stop" stops the driver.
 * =e
 *   Script(wait 10, read c.count, write stop);
 */
static const ElementClass Script_class = {
  .name = "Script", .port_count = "0/0", .processing = "a/a", .size = sizeof(DM),
  .configure = dm_conf, .initialize = dm_init, .cleanup = dm_cleanup};

void register_standard(void);
void register_standard(void) {
  class_register(&Discard_class);
  class_register(&Idle_class);
  class_register(&Queue_class);
  class_register(&SimpleQueue_class);
  class_register(&Unqueue_class);
  class_register(&RatedUnqueue_class);
  class_register(&InfiniteSource_class);
  class_register(&RatedSource_class);
  class_register(&TimedSource_class);
  class_register(&Counter_class);
  class_register(&Print_class);
  class_register(&Tee_class);
  class_register(&Paint_class);
  class_register(&PaintSwitch_class);
  class_register(&PaintTee_class);
  class_register(&Strip_class);
  class_register(&Unstrip_class);
  class_register(&Truncate_class);
  class_register(&RoundRobinSwitch_class);
  class_register(&HashSwitch_class);
  class_register(&RatedSplitter_class);
  class_register(&BandwidthRatedSplitter_class);
  class_register(&DriverManager_class);
  class_register(&Script_class);
  (void)h_rd_uint64;
}
