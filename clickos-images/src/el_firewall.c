/* el_firewall.c - FlowFirewall, Mayfly's stateful filter. */
#include "clickos.h"
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

/* =c
 * FlowFirewall([*keywords* TIMEOUT, UDP_TIMEOUT, ICMP_TIMEOUT, CAPACITY, OFFSET, NONIP])
 * =s ip
 * stateful firewall: lets in replies to connections started inside
 * =d
 * Input 0 is the inside ("access") side, input 1 the outside.  IP packets
 * arriving on input 0 create or refresh a flow entry (protocol, addresses,
 * ports; the ICMP echo identifier for pings) and leave on output 0.
 * Packets arriving on input 1 leave on output 1 only if they belong to a
 * remembered flow (a reply) or are ICMP errors about one; others go to
 * output 2 if it exists, else they are dropped.  Non-IP packets from inside
 * pass; from outside they pass only with NONIP true (default false).
 *
 * Flows expire after TIMEOUT (default 300s) without packets; UDP_TIMEOUT and
 * ICMP_TIMEOUT (default: TIMEOUT) override it per protocol.  The table holds
 * at most CAPACITY flows (default 65536); when full, the least recently used
 * flow is evicted.  The IP header annotation is used when set, else the IP
 * header is taken OFFSET bytes (default 0) into the packet.
 * =h size read-only
 * Number of flows.
 * =h capacity read/write
 * Table capacity.
 * =h flows read-only
 * One line per flow, most recent first: "PROTO SRC:SPORT > DST:DPORT idle SECONDS packets N".
 * =h flush write-only
 * Removes every flow.
 * =h evictions read-only
 * Flows evicted because the table was full.
 * =h expired read-only
 * Flows removed by the idle timeout.
 * =h drops read-only
 * Outside packets refused.
 * =e
 *   fw :: FlowFirewall(TIMEOUT 120, CAPACITY 10000);
 *   inside -> CheckIPHeader(14) -> [0]fw[0] -> outside_q;
 *   outside -> CheckIPHeader(14) -> [1]fw[1] -> inside_q;
 */
typedef struct Flow {
  uint32_t a, b;        /* inside addr, outside addr (network order) */
  uint16_t ap, bp;      /* ports (host order) */
  uint8_t proto;
  uint64_t last;
  uint64_t packets;
  struct Flow *hnext, *prev, *next;
} Flow;

/* Flow records come from chunks (64 at a time, or as many as a checkpoint
 * holds at once) threaded on a free list: no malloc per flow on the packet
 * path or while a migrated table is imported inside the downtime; chunks go
 * back to malloc when the element is cleaned up. */
typedef struct FlowChunk {
  struct FlowChunk *next;
  unsigned n;
  Flow f[];
} FlowChunk;

typedef struct {
  Element e;
  uint64_t timeout, udp_timeout, icmp_timeout;
  unsigned capacity, offset;
  bool nonip;
  Flow **buckets;
  unsigned nbuckets;
  Flow *lru_head, *lru_tail; /* head = most recent */
  FlowChunk *chunks;
  Flow *free_flows;          /* linked through hnext */
  unsigned nfree;
  unsigned size;
  uint64_t evictions, expired, drops, inserts;
  Timer timer;
} FlowFW;

static int fw_conf(Element *e, Args *a, ErrCtx *err) {
  FlowFW *f = (FlowFW *)e;
  f->timeout = 300 * NS_PER_SEC;
  f->capacity = 65536;
  bool hu = false, hi = false;
  ArgSpec s[] = {{"TIMEOUT", A_TIME, 0, &f->timeout, NULL, NULL},
                 {"UDP_TIMEOUT", A_TIME, 0, &f->udp_timeout, &hu, NULL},
                 {"ICMP_TIMEOUT", A_TIME, 0, &f->icmp_timeout, &hi, NULL},
                 {"CAPACITY", A_UINT, 0, &f->capacity, NULL, NULL},
                 {"OFFSET", A_UINT, 0, &f->offset, NULL, NULL},
                 {"NONIP", A_BOOL, 0, &f->nonip, NULL, NULL}};
  int r = args_read(a, s, 6);
  if (!hu) f->udp_timeout = f->timeout;
  if (!hi) f->icmp_timeout = f->timeout;
  if (r == 0 && f->capacity == 0) r = err_report(err, 0, "CAPACITY: must be > 0");
  if (r == 0 && f->capacity > (1u << 24)) r = err_report(err, 0, "CAPACITY: at most 16777216");
  if (r == 0 && f->timeout == 0) r = err_report(err, 0, "TIMEOUT: must be > 0");
  return r;
}

static uint32_t fhash(uint8_t proto, uint32_t a, uint32_t b, uint16_t ap, uint16_t bp) {
  uint64_t x = ((uint64_t)a << 32 | b) ^ ((uint64_t)ap << 24 | (uint64_t)bp << 8 | proto) * 0x9E3779B97F4A7C15ull;
  x ^= x >> 29;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 32;
  return (uint32_t)x;
}
static uint64_t flow_timeout(FlowFW *f, Flow *fl) {
  return fl->proto == 17 ? f->udp_timeout : fl->proto == 1 ? f->icmp_timeout : f->timeout;
}
/* makes sure at least `want` records are on the free list */
static void flow_reserve(FlowFW *f, unsigned want) {
  if (f->nfree >= want) return;
  unsigned n = want - f->nfree;
  if (n < 64) n = 64;
  FlowChunk *c = xmalloc(sizeof *c + (size_t)n * sizeof(Flow));
  c->n = n;
  c->next = f->chunks;
  f->chunks = c;
  for (unsigned i = n; i-- > 0;) {
    c->f[i].hnext = f->free_flows;
    f->free_flows = &c->f[i];
  }
  f->nfree += n;
}
static Flow *flow_alloc(FlowFW *f) {
  flow_reserve(f, 1);
  Flow *x = f->free_flows;
  f->free_flows = x->hnext;
  f->nfree--;
  memset(x, 0, sizeof *x);
  return x;
}
static void flow_release(FlowFW *f, Flow *x) {
  x->hnext = f->free_flows;
  f->free_flows = x;
  f->nfree++;
}
static void lru_unlink(FlowFW *f, Flow *fl) {
  if (fl->prev) fl->prev->next = fl->next; else f->lru_head = fl->next;
  if (fl->next) fl->next->prev = fl->prev; else f->lru_tail = fl->prev;
  fl->prev = fl->next = NULL;
}
static void lru_front(FlowFW *f, Flow *fl) {
  fl->prev = NULL;
  fl->next = f->lru_head;
  if (f->lru_head) f->lru_head->prev = fl; else f->lru_tail = fl;
  f->lru_head = fl;
}
static void flow_remove(FlowFW *f, Flow *fl) {
  uint32_t h = fhash(fl->proto, fl->a, fl->b, fl->ap, fl->bp) & (f->nbuckets - 1);
  Flow **pp = &f->buckets[h];
  while (*pp && *pp != fl) pp = &(*pp)->hnext;
  if (*pp) *pp = fl->hnext;
  lru_unlink(f, fl);
  flow_release(f, fl);
  f->size--;
}
static void fw_expire(FlowFW *f, uint64_t now) {
  int guard = 0;
  while (f->lru_tail && guard++ < 4096) {
    Flow *t = f->lru_tail;
    if (now - t->last < flow_timeout(f, t) || now < t->last) break;
    flow_remove(f, t);
    f->expired++;
  }
}
static Flow *flow_find(FlowFW *f, uint8_t proto, uint32_t a, uint32_t b, uint16_t ap, uint16_t bp) {
  if (!f->buckets) return NULL;
  uint32_t h = fhash(proto, a, b, ap, bp) & (f->nbuckets - 1);
  for (Flow *x = f->buckets[h]; x; x = x->hnext)
    if (x->a == a && x->b == b && x->ap == ap && x->bp == bp && x->proto == proto) return x;
  return NULL;
}
/* the bucket array, allocated lazily, sized for the capacity (load factor <= 1) */
static void fw_buckets(FlowFW *f) {
  if (f->buckets) return;
  unsigned n = 64;
  while (n < f->capacity && n < (1u << 24)) n <<= 1;
  f->nbuckets = n;
  f->buckets = xcalloc(n, sizeof(Flow *));
}
static Flow *flow_insert(FlowFW *f, uint8_t proto, uint32_t a, uint32_t b, uint16_t ap, uint16_t bp, uint64_t now) {
  fw_buckets(f);
  while (f->size >= f->capacity && f->lru_tail) { flow_remove(f, f->lru_tail); f->evictions++; }
  Flow *x = flow_alloc(f);
  x->proto = proto; x->a = a; x->b = b; x->ap = ap; x->bp = bp; x->last = now;
  uint32_t h = fhash(proto, a, b, ap, bp) & (f->nbuckets - 1);
  x->hnext = f->buckets[h];
  f->buckets[h] = x;
  lru_front(f, x);
  f->size++;
  f->inserts++;
  if (!timer_scheduled(&f->timer)) timer_schedule_after(&f->timer, NS_PER_SEC);
  return x;
}

/* extract key from the IP header at ip (avail bytes). returns false if not IP */
typedef struct { uint8_t proto; uint32_t src, dst; uint16_t sp, dp; int icmp_type; const uint8_t *th; int32_t tavail; } Key;
static bool parse_key(const uint8_t *ip, int32_t avail, Key *k) {
  if (!ip || avail < 20 || (ip[0] >> 4) != 4) return false;
  int hl = (ip[0] & 0xF) * 4;
  if (hl < 20) return false;
  k->proto = ip[9];
  memcpy(&k->src, ip + 12, 4);
  memcpy(&k->dst, ip + 16, 4);
  k->sp = k->dp = 0;
  k->icmp_type = -1;
  k->th = NULL;
  k->tavail = 0;
  uint16_t off = (uint16_t)(ip[6] << 8 | ip[7]);
  if ((off & 0x1FFF) || hl >= avail) return true;
  const uint8_t *th = ip + hl;
  int32_t ta = avail - hl;
  k->th = th;
  k->tavail = ta;
  if ((k->proto == 6 || k->proto == 17 || k->proto == 132) && ta >= 4) {
    k->sp = (uint16_t)(th[0] << 8 | th[1]);
    k->dp = (uint16_t)(th[2] << 8 | th[3]);
  } else if (k->proto == 1 && ta >= 8) {
    k->icmp_type = th[0];
    if (th[0] == 8 || th[0] == 0 || th[0] == 13 || th[0] == 14) k->sp = k->dp = (uint16_t)(th[4] << 8 | th[5]);
  } else if (k->proto == 1 && ta >= 1) k->icmp_type = th[0];
  return true;
}
static void ip_of(FlowFW *f, Packet *p, const uint8_t **ip, int32_t *avail) {
  if (p->nh >= 0) { *ip = pkt_nh(p); *avail = pkt_avail(p, p->nh); }
  else if (p->len > f->offset) { *ip = pkt_data(p) + f->offset; *avail = (int32_t)(p->len - f->offset); }
  else { *ip = NULL; *avail = 0; }
}
static void fw_push(Element *e, int port, Packet *p) {
  FlowFW *f = (FlowFW *)e;
  uint64_t now = now_ns();
  const uint8_t *ip;
  int32_t avail;
  ip_of(f, p, &ip, &avail);
  Key k;
  bool isip = parse_key(ip, avail, &k);
  if (port == 0) {
    if (isip) {
      fw_expire(f, now);
      /* ICMP echo replies/errors from inside are not new flows, but pass */
      Flow *x = flow_find(f, k.proto, k.src, k.dst, k.sp, k.dp);
      if (!x) x = flow_insert(f, k.proto, k.src, k.dst, k.sp, k.dp, now);
      else { x->last = now; lru_unlink(f, x); lru_front(f, x); }
      x->packets++;
    }
    output_push(e, 0, p);
    return;
  }
  /* outside */
  if (!isip) {
    if (f->nonip) output_push(e, 1, p);
    else { f->drops++; checked_output_push(e, 2, p); }
    return;
  }
  fw_expire(f, now);
  Flow *x = flow_find(f, k.proto, k.dst, k.src, k.dp, k.sp);
  if (!x && k.proto == 1 && (k.icmp_type == 3 || k.icmp_type == 11 || k.icmp_type == 12 || k.icmp_type == 4) && k.tavail >= 8 + 20) {
    /* ICMP error about an inside flow: inner header is the inside packet */
    Key in;
    if (parse_key(k.th + 8, k.tavail - 8, &in)) x = flow_find(f, in.proto, in.src, in.dst, in.sp, in.dp);
  }
  if (x && now - x->last < flow_timeout(f, x)) {
    x->last = now;
    x->packets++;
    lru_unlink(f, x);
    lru_front(f, x);
    output_push(e, 1, p);
    return;
  }
  if (x) { flow_remove(f, x); f->expired++; }
  f->drops++;
  checked_output_push(e, 2, p);
}
static void fw_timer(Timer *t, void *arg) {
  FlowFW *f = arg;
  fw_expire(f, now_ns());
  if (f->size) timer_schedule_after(t, NS_PER_SEC);
}
static int fw_init(Element *e, ErrCtx *err) {
  (void)err;
  FlowFW *f = (FlowFW *)e;
  timer_init(&f->timer, fw_timer, f);
  return 0;
}
static void fw_flush(FlowFW *f) { while (f->lru_head) flow_remove(f, f->lru_head); }
/* standby target of a live migration: the bucket array is allocated and its
 * pages touched now, so the import in the downtime does not fault them in */
static void fw_prepare_load(Element *e) {
  FlowFW *f = (FlowFW *)e;
  bool fresh = f->buckets == NULL;
  fw_buckets(f);
  if (fresh) memset(f->buckets, 0, (size_t)f->nbuckets * sizeof(Flow *));
}
static void fw_cleanup(Element *e) {
  FlowFW *f = (FlowFW *)e;
  timer_unschedule(&f->timer);
  fw_flush(f);
  free(f->buckets);
  f->buckets = NULL;
  while (f->chunks) {
    FlowChunk *c = f->chunks;
    f->chunks = c->next;
    free(c);
  }
  f->free_flows = NULL;
  f->nfree = 0;
}
static const char *pname(uint8_t p) { return p == 6 ? "tcp" : p == 17 ? "udp" : p == 1 ? "icmp" : NULL; }
static int fw_rd(Element *e, const void *t, Str *o) {
  FlowFW *f = (FlowFW *)e;
  switch ((int)(intptr_t)t) {
    case 0: str_printf(o, "%u", f->size); break;
    case 1: str_printf(o, "%u", f->capacity); break;
    case 2: {
      uint64_t now = now_ns();
      for (Flow *x = f->lru_head; x; x = x->next) {
        char a[16], b[16];
        unparse_ip(x->a, a);
        unparse_ip(x->b, b);
        const char *pn = pname(x->proto);
        if (pn) str_printf(o, "%s ", pn); else str_printf(o, "proto%u ", x->proto);
        str_printf(o, "%s:%u > %s:%u idle %llu packets %llu\n", a, x->ap, b, x->bp,
                   (unsigned long long)((now - x->last) / NS_PER_SEC), (unsigned long long)x->packets);
      }
      break;
    }
    case 3: str_printf(o, "%llu", (unsigned long long)f->evictions); break;
    case 4: str_printf(o, "%llu", (unsigned long long)f->expired); break;
    case 5: str_printf(o, "%llu", (unsigned long long)f->drops); break;
  }
  return 0;
}
static int fw_wr(Element *e, const char *v, const void *t, ErrCtx *err) {
  FlowFW *f = (FlowFW *)e;
  if ((int)(intptr_t)t == 1) {
    char *x = strip_comments_trim(v);
    unsigned long long c;
    int r = parse_uint(x, &c);
    free(x);
    if (r || c == 0 || c > (1u << 24)) return err_report(err, 0, "capacity: expected 1..16777216");
    f->capacity = (unsigned)c;
    while (f->size > f->capacity) { flow_remove(f, f->lru_tail); f->evictions++; }
    return 0;
  }
  fw_flush(f);
  return 0;
}
/* checkpoint: u32 n, then per flow (oldest first so LRU order is rebuilt):
 * u8 proto, u32 a, u32 b, u16 ap, u16 bp, u64 idle_ns, u64 packets */
static int fw_save(Element *e, Blob *b) {
  FlowFW *f = (FlowFW *)e;
  uint64_t now = now_ns();
  blob_u32(b, f->size);
  /* 29-byte records packed 128 at a time: one append per batch, no per-flow
   * allocation (the dump runs inside the migration downtime) */
  uint8_t batch[128 * 29];
  size_t n = 0;
  for (Flow *x = f->lru_tail; x; x = x->prev) {
    uint8_t *q = batch + n;
    uint64_t idle = now > x->last ? now - x->last : 0;
    q[0] = x->proto;
    for (int k = 0; k < 4; k++) q[1 + k] = (uint8_t)(x->a >> (8 * k));
    for (int k = 0; k < 4; k++) q[5 + k] = (uint8_t)(x->b >> (8 * k));
    q[9] = (uint8_t)x->ap; q[10] = (uint8_t)(x->ap >> 8);
    q[11] = (uint8_t)x->bp; q[12] = (uint8_t)(x->bp >> 8);
    for (int k = 0; k < 8; k++) q[13 + k] = (uint8_t)(idle >> (8 * k));
    for (int k = 0; k < 8; k++) q[21 + k] = (uint8_t)(x->packets >> (8 * k));
    n += 29;
    if (n == sizeof batch) { blob_bytes(b, batch, n); n = 0; }
  }
  if (n) blob_bytes(b, batch, n);
  return 0;
}
static int fw_load(Element *e, BlobR *r, ErrCtx *err) {
  FlowFW *f = (FlowFW *)e;
  uint32_t n = blobr_u32(r);
  if (r->bad || (uint64_t)n * 29 > r->len - r->pos) return err_report(err, 0, "FlowFirewall: truncated flow table");
  fw_flush(f);
  flow_reserve(f, n < f->capacity ? n : f->capacity); /* one allocation for the whole table */
  uint64_t now = now_ns();
  for (uint32_t i = 0; i < n && !r->bad; i++) {
    uint8_t proto = blobr_u8(r);
    uint32_t a = blobr_u32(r), bb = blobr_u32(r);
    uint16_t ap = blobr_u16(r), bp = blobr_u16(r);
    uint64_t idle = blobr_u64(r), pk = blobr_u64(r);
    if (r->bad) break;
    if (flow_find(f, proto, a, bb, ap, bp)) continue;
    Flow *x = flow_insert(f, proto, a, bb, ap, bp, idle < now ? now - idle : 0);
    x->packets = pk;
  }
  f->inserts = 0;
  return r->bad ? -1 : 0;
}
static const Handler fw_h[] = {
  {"size", fw_rd, NULL, (void *)0, 0},
  {"capacity", fw_rd, fw_wr, (void *)1, H_NOSTATS},
  {"flows", fw_rd, NULL, (void *)2, H_NOSTATS},
  {"flush", NULL, fw_wr, (void *)2, 0},
  {"evictions", fw_rd, NULL, (void *)3, 0},
  {"expired", fw_rd, NULL, (void *)4, 0},
  {"drops", fw_rd, NULL, (void *)5, 0},
  {NULL, NULL, NULL, NULL, 0}};
static const ElementClass FlowFirewall_class = {
  .name = "FlowFirewall", .port_count = "2/2-3", .processing = "h/h", .size = sizeof(FlowFW),
  .configure = fw_conf, .initialize = fw_init, .cleanup = fw_cleanup, .push = fw_push,
  .handlers = fw_h, .save = fw_save, .load = fw_load, .prepare_load = fw_prepare_load};

void register_firewall(void);
void register_firewall(void) { class_register(&FlowFirewall_class); }
