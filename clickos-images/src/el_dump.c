/* el_dump.c - FromDump / ToDump (pcap) and FromIPSummaryDump /
 * ToIPSummaryDump (Click's text format).  Readers never trust the file:
 * every length is bounded, errors name FILE (and record or line) and make
 * the driver exit non-zero. */
#include "clickos.h"
#include "dumpfmt.h"
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

/* ------------------------------------------------------------ pcap reader */
static uint32_t sw32(uint32_t x) { return __builtin_bswap32(x); }

int pcap_open(PcapReader *r, FILE *f, const char *name, char *err, size_t errlen) {
  memset(r, 0, sizeof *r);
  r->f = f;
  r->name = name;
  uint8_t h[24];
  size_t n = fread(h, 1, 24, f);
  if (n < 24) { snprintf(err, errlen, "%s: not a pcap file (truncated header, %zu bytes)", name, n); return -1; }
  uint32_t magic;
  memcpy(&magic, h, 4);
  if (magic == 0xa1b2c3d4u) { r->swap = false; r->nano = false; }
  else if (magic == 0xd4c3b2a1u) { r->swap = true; r->nano = false; }
  else if (magic == 0xa1b23c4du) { r->swap = false; r->nano = true; }
  else if (magic == 0x4d3cb2a1u) { r->swap = true; r->nano = true; }
  else { snprintf(err, errlen, "%s: not a pcap file (bad magic 0x%08x)", name, magic); return -1; }
  uint32_t snap, link;
  memcpy(&snap, h + 16, 4);
  memcpy(&link, h + 20, 4);
  if (r->swap) { snap = sw32(snap); link = sw32(link); }
  r->snaplen = snap;
  r->linktype = link & 0xFFFF;
  if (r->linktype != 1 && r->linktype != 101 && r->linktype != 12 && r->linktype != 14 && r->linktype != 228) {
    snprintf(err, errlen, "%s: unsupported link type %u (Ethernet or raw IP expected)", name, r->linktype);
    return -1;
  }
  return 0;
}
/* 1 = packet, 0 = EOF, -1 = error */
int pcap_next(PcapReader *r, Packet **out, char *err, size_t errlen) {
  uint8_t h[16];
  size_t n = fread(h, 1, 16, r->f);
  if (n == 0) return 0;
  r->records++;
  if (n < 16) { snprintf(err, errlen, "%s: record %llu: truncated record header", r->name, (unsigned long long)r->records); return -1; }
  uint32_t sec, frac, incl, orig;
  memcpy(&sec, h, 4); memcpy(&frac, h + 4, 4); memcpy(&incl, h + 8, 4); memcpy(&orig, h + 12, 4);
  if (r->swap) { sec = sw32(sec); frac = sw32(frac); incl = sw32(incl); orig = sw32(orig); }
  if (incl > PCAP_MAX_RECORD) { snprintf(err, errlen, "%s: record %llu: length %u too large", r->name, (unsigned long long)r->records, incl); return -1; }
  if ((!r->nano && frac >= 1000000u) || (r->nano && frac >= 1000000000u)) {
    snprintf(err, errlen, "%s: record %llu: bad timestamp fraction %u", r->name, (unsigned long long)r->records, frac);
    return -1;
  }
  Packet *p = pkt_alloc(incl);
  if (incl && fread(pkt_data(p), 1, incl, r->f) < incl) {
    pkt_kill(p);
    snprintf(err, errlen, "%s: record %llu: truncated packet data", r->name, (unsigned long long)r->records);
    return -1;
  }
  p->ts = (uint64_t)sec * NS_PER_SEC + (r->nano ? frac : (uint64_t)frac * 1000);
  p->mac = -1;
  if (r->linktype == 1) {
    p->mac = (int32_t)p->off;
    if (r->force_ip && p->len >= 14 && pkt_data(p)[12] == 0x08 && pkt_data(p)[13] == 0x00) pkt_set_ip_header(p, 14);
  } else pkt_set_ip_header(p, 0);
  *out = p;
  return 1;
}

/* =c
 * FromDump(FILENAME [, *keywords* STOP, ACTIVE, FORCE_IP, TIMING])
 * =s traces
 * reads packets from a pcap (tcpdump) file
 * =d
 * Reads packets from FILENAME (Ethernet or raw-IP link type, microsecond or
 * nanosecond pcap, either byte order) and emits them with their recorded
 * timestamps.  FORCE_IP sets the IP header annotation for IP packets in
 * Ethernet files (raw-IP files always get it).  STOP true stops the driver
 * at end of file.  TIMING true emits packets at their recorded pace.  A
 * malformed or truncated file is reported as "FILENAME: record N: ..." and
 * makes the driver exit non-zero.
 * =h count read-only
 * Packets read.
 * =h active read/write
 * Whether the element is active.
 * =e
 *   FromDump(trace.pcap, STOP true, FORCE_IP true) -> IPPrint -> Discard;
 */
typedef struct {
  Element e;
  char *file;
  bool stop, active, force_ip, timing, done;
  PcapReader r;
  FILE *f;
  uint64_t count, first_ts, start;
  Packet *pending;
  Task task;
  Timer timer;
} FromDump;
static int fdump_conf(Element *e, Args *a, ErrCtx *err) {
  (void)err;
  FromDump *d = (FromDump *)e;
  d->active = true;
  char *end = NULL, *start = NULL, *sample = NULL;
  ArgSpec s[] = {{"FILENAME", A_STR, A_POSITIONAL | A_MANDATORY, &d->file, NULL, NULL},
                 {"STOP", A_BOOL, 0, &d->stop, NULL, NULL},
                 {"ACTIVE", A_BOOL, 0, &d->active, NULL, NULL},
                 {"FORCE_IP", A_BOOL, 0, &d->force_ip, NULL, NULL},
                 {"TIMING", A_BOOL, 0, &d->timing, NULL, NULL},
                 {"END", A_ANY, 0, &end, NULL, NULL},
                 {"START", A_ANY, 0, &start, NULL, NULL},
                 {"SAMPLE", A_ANY, 0, &sample, NULL, NULL}};
  int r = args_read(a, s, 8);
  free(end); free(start); free(sample);
  return r;
}
static void fdump_fail(FromDump *d, const char *msg) {
  fprintf(stderr, "%s\n", msg);
  d->e.router->failed = true;
  d->done = true;
  if (d->stop) router_please_stop(d->e.router);
}
static Packet *fdump_read(FromDump *d) {
  if (d->done) return NULL;
  if (d->pending) { Packet *p = d->pending; d->pending = NULL; return p; }
  Packet *p;
  char eb[256];
  int r = pcap_next(&d->r, &p, eb, sizeof eb);
  if (r < 0) { fdump_fail(d, eb); return NULL; }
  if (r == 0) {
    d->done = true;
    if (d->stop) router_please_stop(d->e.router);
    return NULL;
  }
  d->count++;
  return p;
}
static bool fdump_task(Task *t, void *arg) {
  FromDump *d = arg;
  if (!d->active) return false;
  for (int i = 0; i < 32; i++) {
    Packet *p = fdump_read(d);
    if (!p) return i > 0;
    if (d->timing) {
      if (!d->first_ts) { d->first_ts = p->ts ? p->ts : 1; d->start = now_ns(); }
      uint64_t due = d->start + (p->ts > d->first_ts ? p->ts - d->first_ts : 0);
      if (due > now_ns()) { d->pending = p; timer_schedule_at(&d->timer, due); return i > 0; }
    }
    output_push(&d->e, 0, p);
  }
  task_schedule(t);
  return true;
}
static void fdump_timer(Timer *t, void *arg) { (void)t; task_schedule(&((FromDump *)arg)->task); }
static int fdump_init(Element *e, ErrCtx *err) {
  FromDump *d = (FromDump *)e;
  d->f = fopen(d->file, "rb");
  if (!d->f) return err_report(err, 0, "%s: %s", d->file, strerror(errno));
  char eb[256];
  if (pcap_open(&d->r, d->f, d->file, eb, sizeof eb) < 0) return err_report(err, 0, "%s", eb);
  d->r.force_ip = d->force_ip;
  task_init(&d->task, fdump_task, d);
  timer_init(&d->timer, fdump_timer, d);
  if (e->out_proc[0] == 'h' && d->active) task_schedule(&d->task);
  return 0;
}
static Packet *fdump_pull(Element *e, int port) {
  (void)port;
  FromDump *d = (FromDump *)e;
  return d->active ? fdump_read(d) : NULL;
}
static void fdump_cleanup(Element *e) {
  FromDump *d = (FromDump *)e;
  if (d->f) fclose(d->f);
  pkt_kill(d->pending);
  task_unschedule(&d->task);
  timer_unschedule(&d->timer);
  free(d->file);
}
static int fdump_rd(Element *e, const void *t, Str *o) {
  FromDump *d = (FromDump *)e;
  if (t) str_add(o, d->active ? "true" : "false");
  else str_printf(o, "%llu", (unsigned long long)d->count);
  return 0;
}
static int fdump_wr(Element *e, const char *v, const void *t, ErrCtx *err) {
  (void)t;
  FromDump *d = (FromDump *)e;
  char *x = strip_comments_trim(v);
  int r = parse_bool(x, &d->active);
  free(x);
  if (r) return err_report(err, 0, "active: expected boolean");
  if (d->active && e->out_proc[0] == 'h') task_schedule(&d->task);
  return 0;
}
static const Handler fdump_h[] = {{"count", fdump_rd, NULL, NULL, 0}, {"active", fdump_rd, fdump_wr, (void *)1, H_NOSTATS}, {NULL, NULL, NULL, NULL, 0}};
static const ElementClass FromDump_class = {
  .name = "FromDump", .port_count = "0/1", .processing = "a/a", .size = sizeof(FromDump),
  .configure = fdump_conf, .initialize = fdump_init, .cleanup = fdump_cleanup, .pull = fdump_pull, .handlers = fdump_h};

/* =c
 * ToDump(FILENAME [, *keywords* SNAPLEN, ENCAP])
 * =s traces
 * writes packets to a pcap (tcpdump) file
 * =d
 * Writes each packet to FILENAME in pcap format (microsecond timestamps from
 * the packet's timestamp annotation).  ENCAP is ETHER (default) or IP.
 * SNAPLEN (default 2000) limits the bytes saved per packet.  Agnostic: in
 * pull context it pulls whenever its upstream Queue is non-empty.
 * =h count read-only
 * Packets written.
 * =e
 *   FromDevice(eth0) -> ToDump(eth0.pcap);
 */
typedef struct { Element e; char *file, *encap; unsigned snaplen; FILE *f; uint64_t count; Task task; bool sleepable; } ToDump;
static int tdump_conf(Element *e, Args *a, ErrCtx *err) {
  ToDump *t = (ToDump *)e;
  t->snaplen = 2000;
  bool extra = false;
  ArgSpec s[] = {{"FILENAME", A_STR, A_POSITIONAL | A_MANDATORY, &t->file, NULL, NULL},
                 {"SNAPLEN", A_UINT, A_POSITIONAL, &t->snaplen, NULL, NULL},
                 {"ENCAP", A_WORD, A_POSITIONAL, &t->encap, NULL, NULL},
                 {"USE_ENCAP_FROM", A_ANY, 0, NULL, NULL, NULL},
                 {"EXTRA_LENGTH", A_BOOL, 0, &extra, NULL, NULL}};
  char *uef = NULL;
  s[3].out = &uef;
  int r = args_read(a, s, 5);
  free(uef);
  if (t->encap && strcasecmp(t->encap, "ETHER") && strcasecmp(t->encap, "IP"))
    r = err_report(err, 0, "ENCAP: expected ETHER or IP");
  if (t->snaplen == 0) t->snaplen = 65535;
  return r;
}
static void tdump_write(ToDump *t, Packet *p) {
  uint32_t n = p->len < t->snaplen ? p->len : t->snaplen;
  uint64_t ts = p->ts ? p->ts : now_ns();
  uint32_t h[4] = {(uint32_t)(ts / NS_PER_SEC), (uint32_t)((ts % NS_PER_SEC) / 1000), n, p->len};
  fwrite(h, 4, 4, t->f);
  fwrite(pkt_data(p), 1, n, t->f);
  t->count++;
}
static void tdump_push(Element *e, int port, Packet *p) {
  (void)port;
  ToDump *t = (ToDump *)e;
  tdump_write(t, p);
  if (e->nout) output_push(e, 0, p);
  else pkt_kill(p);
}
static bool tdump_task(Task *tk, void *arg) {
  ToDump *t = arg;
  int n = 0;
  Packet *p;
  while (n < 32 && (p = input_pull(&t->e, 0))) { tdump_write(t, p); pkt_kill(p); n++; }
  if (n || !t->sleepable) task_schedule(tk);
  return n > 0;
}
bool element_pull_has_notifier(Element *e, int port, int depth);
static int tdump_init(Element *e, ErrCtx *err) {
  ToDump *t = (ToDump *)e;
  t->f = strcmp(t->file, "-") ? fopen(t->file, "wb") : stdout;
  if (!t->f) return err_report(err, 0, "%s: %s", t->file, strerror(errno));
  uint32_t link = t->encap && !strcasecmp(t->encap, "IP") ? 101 : 1;
  uint32_t gh[6] = {0xa1b2c3d4u, 2 | (4u << 16), 0, 0, t->snaplen, link};
  fwrite(gh, 4, 6, t->f);
  task_init(&t->task, tdump_task, t);
  if (e->nin && e->in_proc[0] == 'l') {
    t->sleepable = element_pull_has_notifier(e, 0, 0);
    element_register_puller(e, &t->task);
    task_schedule(&t->task);
  }
  return 0;
}
static void tdump_cleanup(Element *e) {
  ToDump *t = (ToDump *)e;
  if (t->f && t->f != stdout) fclose(t->f);
  else if (t->f) fflush(t->f);
  task_unschedule(&t->task);
  free(t->file); free(t->encap);
}
static int tdump_rd(Element *e, const void *t, Str *o) { (void)t; str_printf(o, "%llu", (unsigned long long)((ToDump *)e)->count); return 0; }
static const Handler tdump_h[] = {{"count", tdump_rd, NULL, NULL, 0}, {NULL, NULL, NULL, NULL, 0}};
static const ElementClass ToDump_class = {
  .name = "ToDump", .port_count = "1/0-1", .processing = "a/a", .size = sizeof(ToDump),
  .configure = tdump_conf, .initialize = tdump_init, .cleanup = tdump_cleanup, .push = tdump_push, .handlers = tdump_h};

/* ------------------------------------------------------------ IP summary dump */
static const char *canon_field(const char *w) {
  static const struct { const char *alias, *canon; } al[] = {
    {"ip_src", "src"}, {"ip_dst", "dst"}, {"ip_proto", "proto"}, {"ip_len", "len"}, {"ip_id", "id"},
    {"ip_ttl", "ttl"}, {"ip_tos", "tos"}, {"ts", "timestamp"}, {"ts_sec", "ts_sec"}, {"ts_usec", "ts_usec"},
    {"tcp_flags", "tcp_flags"}, {"flags", "tcp_flags"}, {"tcp_seq", "tcp_seq"}, {"tcp_ack", "tcp_ack"},
    {"tcp_window", "tcp_window"}, {"payload_len", "payload_len"}, {"ip_sport", "sport"}, {"ip_dport", "dport"},
    {"src", "src"}, {"dst", "dst"}, {"sport", "sport"}, {"dport", "dport"}, {"proto", "proto"}, {"len", "len"},
    {"id", "id"}, {"ttl", "ttl"}, {"tos", "tos"}, {"timestamp", "timestamp"}, {"count", "count"},
    {"direction", "direction"}, {"aggregate", "aggregate"}, {"paint", "paint"}, {"link", "paint"},
    {"ip_hl", "hl"}, {"hl", "hl"}, {"tcp_off", "tcp_off"}, {NULL, NULL}};
  char buf[64];
  size_t n = strlen(w);
  if (n >= sizeof buf) return NULL;
  for (size_t i = 0; i <= n; i++) buf[i] = w[i] == ' ' ? '_' : (char)tolower((unsigned char)w[i]);
  for (int i = 0; al[i].alias; i++) if (!strcmp(al[i].alias, buf)) return al[i].canon;
  return NULL;
}
int summary_parse_fields(const char *spec, const char ***fields, int *nf, char *err, size_t errlen) {
  Args w;
  split_words(spec, &w);
  *fields = xcalloc(w.n ? w.n : 1, sizeof(char *));
  *nf = 0;
  int rc = 0;
  for (int i = 0; i < w.n; i++) {
    char *u = unquote(w.v[i]);
    const char *c = canon_field(u);
    if (!c) { snprintf(err, errlen, "unknown field '%s'", u); rc = -1; free(u); break; }
    free(u);
    (*fields)[(*nf)++] = c;
  }
  args_free(&w);
  return rc;
}
static int tcp_flag_bits(const char *s, uint32_t *out) {
  static const char letters[] = "FSRPAUEW";
  uint32_t f = 0;
  if (isdigit((unsigned char)*s)) {
    unsigned long long v;
    if (parse_uint(s, &v) || v > 255) return -1;
    *out = (uint32_t)v;
    return 0;
  }
  if (!strcmp(s, ".")) { *out = 0; return 0; }
  for (const char *p = s; *p; p++) {
    const char *q = strchr(letters, *p);
    if (!q || !*p) return -1;
    f |= 1u << (q - letters);
  }
  *out = f;
  return 0;
}
/* Build a packet from one summary line.  Returns 1 ok, 0 skip (comment,
 * blank), -1 error (message in err). */
int summary_parse_line(const char *line, const char **fields, int nf, Packet **out, char *err, size_t errlen) {
  while (*line == ' ' || *line == '\t') line++;
  if (!*line || *line == '!' || *line == '#' || *line == '\n' || *line == '\r') return 0;
  Args w;
  split_words(line, &w);
  uint32_t src = 0, dst = 0, sport = 0, dport = 0, proto = 0, len = 0, id = 0, ttl = 64, tos = 0, flags = 0, seq = 0, ack = 0, win = 0, paylen = 0, paint = 0, hl = 20, toff = 20;
  bool have_len = false, have_proto = false, have_pay = false, have_ports = false;
  uint64_t ts = 0;
  int rc = 1;
  if (w.n < nf) { snprintf(err, errlen, "expected %d fields, got %d", nf, w.n); rc = -1; }
  for (int i = 0; i < nf && rc > 0; i++) {
    const char *f = fields[i], *v = w.v[i];
    if (!strcmp(v, "-")) continue;
    unsigned long long x = 0;
    bool bad = false;
    if (!strcmp(f, "src")) bad = parse_ip(v, &src) != 0;
    else if (!strcmp(f, "dst")) bad = parse_ip(v, &dst) != 0;
    else if (!strcmp(f, "proto")) {
      have_proto = true;
      if (!strcmp(v, "T")) proto = 6;
      else if (!strcmp(v, "U")) proto = 17;
      else if (!strcmp(v, "I")) proto = 1;
      else { bad = parse_uint(v, &x) || x > 255; proto = (uint32_t)x; }
    } else if (!strcmp(f, "timestamp")) {
      double d;
      bad = parse_double(v, &d) || d < 0 || d > 1e11;
      if (!bad) ts = (uint64_t)(d * 1e9 + 0.5);
    } else if (!strcmp(f, "ts_sec")) { bad = parse_uint(v, &x) || x > 100000000000ull; ts += x * NS_PER_SEC; }
    else if (!strcmp(f, "ts_usec")) { bad = parse_uint(v, &x) || x >= 1000000; ts += x * 1000; }
    else if (!strcmp(f, "tcp_flags")) bad = tcp_flag_bits(v, &flags) != 0;
    else if (!strcmp(f, "direction") || !strcmp(f, "aggregate") || !strcmp(f, "count")) { /* ignored */ }
    else {
      bad = parse_uint(v, &x) != 0;
      uint32_t lim = !strcmp(f, "sport") || !strcmp(f, "dport") || !strcmp(f, "id") || !strcmp(f, "tcp_window") ? 65535
                   : !strcmp(f, "ttl") || !strcmp(f, "tos") || !strcmp(f, "paint") ? 255
                   : !strcmp(f, "len") || !strcmp(f, "payload_len") ? 65535
                   : !strcmp(f, "hl") || !strcmp(f, "tcp_off") ? 60 : 0xFFFFFFFFu;
      if (x > lim) bad = true;
      uint32_t y = (uint32_t)x;
      if (!strcmp(f, "sport")) { sport = y; have_ports = true; }
      else if (!strcmp(f, "dport")) { dport = y; have_ports = true; }
      else if (!strcmp(f, "hl")) { if (y < 20 || y % 4) bad = true; hl = y; }
      else if (!strcmp(f, "tcp_off")) { if (y < 20 || y % 4) bad = true; toff = y; }
      else if (!strcmp(f, "len")) { len = y; have_len = true; }
      else if (!strcmp(f, "id")) id = y;
      else if (!strcmp(f, "ttl")) ttl = y;
      else if (!strcmp(f, "tos")) tos = y;
      else if (!strcmp(f, "tcp_seq")) seq = y;
      else if (!strcmp(f, "tcp_ack")) ack = y;
      else if (!strcmp(f, "tcp_window")) win = y;
      else if (!strcmp(f, "payload_len")) { paylen = y; have_pay = true; }
      else if (!strcmp(f, "paint")) paint = y;
    }
    if (bad) { snprintf(err, errlen, "bad '%s' field '%s'", f, v); rc = -1; }
  }
  args_free(&w);
  if (rc < 0) return -1;
  if (!have_proto) proto = have_ports ? 6 : 0;
  uint32_t th = proto == 6 ? toff : (proto == 17 || proto == 1) ? 8 : 0;
  uint32_t plen = hl + th + (have_pay ? paylen : 0);
  if (plen > 65535) plen = 65535;
  Packet *p = pkt_alloc(plen);
  memset(pkt_data(p), 0, plen);
  uint8_t *ip = pkt_data(p);
  uint32_t iplen = have_len ? len : plen;
  ip[0] = (uint8_t)(0x40 | (hl / 4));
  ip[1] = (uint8_t)tos;
  ip[2] = (uint8_t)(iplen >> 8); ip[3] = (uint8_t)iplen;
  ip[4] = (uint8_t)(id >> 8); ip[5] = (uint8_t)id;
  ip[8] = (uint8_t)ttl;
  ip[9] = (uint8_t)proto;
  memcpy(ip + 12, &src, 4);
  memcpy(ip + 16, &dst, 4);
  uint16_t ck = ip_cksum(ip, hl);
  memcpy(ip + 10, &ck, 2);
  uint8_t *t = ip + hl;
  if (proto == 6 || proto == 17) {
    t[0] = (uint8_t)(sport >> 8); t[1] = (uint8_t)sport; t[2] = (uint8_t)(dport >> 8); t[3] = (uint8_t)dport;
  }
  if (proto == 6) {
    t[4] = (uint8_t)(seq >> 24); t[5] = (uint8_t)(seq >> 16); t[6] = (uint8_t)(seq >> 8); t[7] = (uint8_t)seq;
    t[8] = (uint8_t)(ack >> 24); t[9] = (uint8_t)(ack >> 16); t[10] = (uint8_t)(ack >> 8); t[11] = (uint8_t)ack;
    t[12] = (uint8_t)((toff / 4) << 4);
    t[13] = (uint8_t)flags;
    t[14] = (uint8_t)(win >> 8); t[15] = (uint8_t)win;
  } else if (proto == 17) {
    uint32_t ul = iplen > hl ? iplen - hl : 8;
    t[4] = (uint8_t)(ul >> 8); t[5] = (uint8_t)ul;
  }
  pkt_set_ip_header(p, 0);
  p->ts = ts;
  p->paint = (uint8_t)paint;
  *out = p;
  return 1;
}

/* =c
 * FromIPSummaryDump(FILENAME [, *keywords* STOP, ACTIVE, CONTENTS])
 * =s traces
 * reads packets from an IP summary dump file
 * =d
 * Reads lines of Click's IP summary dump format ("!IPSummaryDump 1.x",
 * "!data FIELD...", then one packet per line) and creates IP packets with
 * the given fields: timestamp, ts_sec, ts_usec, src, dst, sport, dport,
 * proto (T, U, I or a number), len, id, ttl, tos, tcp_flags (letters
 * FSRPAUEW), tcp_seq, tcp_ack, tcp_window, payload_len, paint ("ip_src"
 * style names are accepted too; "-" leaves a field unset).  CONTENTS gives
 * the fields when the file has no "!data" line.  A bad line is reported as
 * "FILENAME:LINE: ..." and skipped, and the driver exits non-zero.
 * =h count read-only
 * Packets read.
 * =e
 *   FromIPSummaryDump(flows.txt, STOP true) -> IPPrint -> Discard;
 */
typedef struct {
  Element e;
  char *file, *contents;
  bool stop, active, done;
  FILE *f;
  const char **fields;
  int nf;
  int lineno;
  uint64_t count;
  Task task;
} FromSum;
static int fsum_conf(Element *e, Args *a, ErrCtx *err) {
  FromSum *s = (FromSum *)e;
  s->active = true;
  bool zero = true, checksum = false;
  ArgSpec sp[] = {{"FILENAME", A_STR, A_POSITIONAL | A_MANDATORY, &s->file, NULL, NULL},
                  {"STOP", A_BOOL, 0, &s->stop, NULL, NULL},
                  {"ACTIVE", A_BOOL, 0, &s->active, NULL, NULL},
                  {"CONTENTS", A_STR, 0, &s->contents, NULL, NULL},
                  {"ZERO", A_BOOL, 0, &zero, NULL, NULL},
                  {"CHECKSUM", A_BOOL, 0, &checksum, NULL, NULL}};
  int r = args_read(a, sp, 6);
  if (r == 0 && s->contents) {
    char eb[160];
    if (summary_parse_fields(s->contents, &s->fields, &s->nf, eb, sizeof eb) < 0) r = err_report(err, 0, "CONTENTS: %s", eb);
  }
  return r;
}
#define SUMMARY_MAX_LINE 4096
static Packet *fsum_read(FromSum *s) {
  char line[SUMMARY_MAX_LINE];
  while (!s->done) {
    if (!fgets(line, sizeof line, s->f)) {
      s->done = true;
      if (s->stop) router_please_stop(s->e.router);
      return NULL;
    }
    s->lineno++;
    size_t n = strlen(line);
    if (n == sizeof line - 1 && line[n - 1] != '\n') {
      fprintf(stderr, "%s:%d: line too long\n", s->file, s->lineno);
      s->e.router->failed = true;
      int c;
      while ((c = fgetc(s->f)) != EOF && c != '\n') {}
      continue;
    }
    if (!strncmp(line, "!data", 5)) {
      free(s->fields);
      s->fields = NULL;
      char eb[160];
      if (summary_parse_fields(line + 5, &s->fields, &s->nf, eb, sizeof eb) < 0) {
        fprintf(stderr, "%s:%d: %s\n", s->file, s->lineno, eb);
        s->e.router->failed = true;
        s->nf = 0;
      }
      continue;
    }
    if (line[0] == '!' || line[0] == '#') continue;
    if (!s->fields || s->nf == 0) {
      bool blank = true;
      for (char *p = line; *p; p++) if (!isspace((unsigned char)*p)) blank = false;
      if (blank) continue;
      fprintf(stderr, "%s:%d: no '!data' line before packet data\n", s->file, s->lineno);
      s->e.router->failed = true;
      s->done = true;
      if (s->stop) router_please_stop(s->e.router);
      return NULL;
    }
    Packet *p;
    char eb[200];
    int r = summary_parse_line(line, s->fields, s->nf, &p, eb, sizeof eb);
    if (r < 0) { fprintf(stderr, "%s:%d: %s\n", s->file, s->lineno, eb); s->e.router->failed = true; continue; }
    if (r == 0) continue;
    s->count++;
    return p;
  }
  return NULL;
}
static bool fsum_task(Task *t, void *arg) {
  FromSum *s = arg;
  if (!s->active) return false;
  for (int i = 0; i < 32; i++) {
    Packet *p = fsum_read(s);
    if (!p) return i > 0;
    output_push(&s->e, 0, p);
  }
  task_schedule(t);
  return true;
}
static int fsum_init(Element *e, ErrCtx *err) {
  FromSum *s = (FromSum *)e;
  s->f = strcmp(s->file, "-") ? fopen(s->file, "rb") : stdin;
  if (!s->f) return err_report(err, 0, "%s: %s", s->file, strerror(errno));
  task_init(&s->task, fsum_task, s);
  if (e->out_proc[0] == 'h' && s->active) task_schedule(&s->task);
  return 0;
}
static Packet *fsum_pull(Element *e, int port) { (void)port; FromSum *s = (FromSum *)e; return s->active ? fsum_read(s) : NULL; }
static void fsum_cleanup(Element *e) {
  FromSum *s = (FromSum *)e;
  if (s->f && s->f != stdin) fclose(s->f);
  task_unschedule(&s->task);
  free(s->fields); free(s->file); free(s->contents);
}
static int fsum_rd(Element *e, const void *t, Str *o) { (void)t; str_printf(o, "%llu", (unsigned long long)((FromSum *)e)->count); return 0; }
static const Handler fsum_h[] = {{"count", fsum_rd, NULL, NULL, 0}, {NULL, NULL, NULL, NULL, 0}};
static const ElementClass FromIPSummaryDump_class = {
  .name = "FromIPSummaryDump", .port_count = "0/1", .processing = "a/a", .size = sizeof(FromSum),
  .configure = fsum_conf, .initialize = fsum_init, .cleanup = fsum_cleanup, .pull = fsum_pull, .handlers = fsum_h};

/* =c
 * ToIPSummaryDump(FILENAME [, *keywords* CONTENTS, BANNER])
 * =s traces
 * writes packet summary information to a text file
 * =d
 * Writes one line per IP packet with the CONTENTS fields (default "src
 * sport dst dport proto"; same field names as FromIPSummaryDump), after a
 * "!IPSummaryDump 1.3" header and a "!data" line.  Fields that do not apply
 * print as "-".  FILENAME "-" is standard output.
 * =h count read-only
 * Lines written.
 * =e
 *   FromDump(t.pcap, FORCE_IP true, STOP true) -> ToIPSummaryDump(-, CONTENTS timestamp src dst proto len);
 */
typedef struct { Element e; char *file, *contents, *banner; FILE *f; const char **fields; int nf; uint64_t count; Task task; bool sleepable; } ToSum;
static int tsum_conf(Element *e, Args *a, ErrCtx *err) {
  ToSum *t = (ToSum *)e;
  bool verbose = false;
  ArgSpec sp[] = {{"FILENAME", A_STR, A_POSITIONAL | A_MANDATORY, &t->file, NULL, NULL},
                  {"CONTENTS", A_STR, 0, &t->contents, NULL, NULL},
                  {"FIELDS", A_STR, 0, &t->contents, NULL, NULL},
                  {"BANNER", A_STR, 0, &t->banner, NULL, NULL},
                  {"VERBOSE", A_BOOL, 0, &verbose, NULL, NULL}};
  int r = args_read(a, sp, 5);
  char eb[160];
  if (summary_parse_fields(t->contents ? t->contents : "src sport dst dport proto", &t->fields, &t->nf, eb, sizeof eb) < 0)
    r = err_report(err, 0, "CONTENTS: %s", eb);
  return r;
}
static void tsum_write(ToSum *t, Packet *p) {
  const uint8_t *ip = p->nh >= 0 ? pkt_nh(p) : pkt_data(p);
  int32_t av = p->nh >= 0 ? pkt_avail(p, p->nh) : (int32_t)p->len;
  bool okip = av >= 20;
  int hl = okip ? (ip[0] & 0xF) * 4 : 0;
  const uint8_t *th = okip && hl >= 20 && hl < av ? ip + hl : NULL;
  int32_t ta = th ? av - hl : 0;
  bool first = okip && ((ip[6] << 8 | ip[7]) & 0x1FFF) == 0;
  int proto = okip ? ip[9] : -1;
  Str s;
  str_init(&s);
  str_add(&s, "");
  for (int i = 0; i < t->nf; i++) {
    const char *f = t->fields[i];
    if (i) str_addc(&s, ' ');
    char b[16];
    uint32_t x;
    if (!strcmp(f, "timestamp")) unparse_time(p->ts, &s);
    else if (!strcmp(f, "ts_sec")) str_printf(&s, "%llu", (unsigned long long)(p->ts / NS_PER_SEC));
    else if (!strcmp(f, "ts_usec")) str_printf(&s, "%llu", (unsigned long long)((p->ts % NS_PER_SEC) / 1000));
    else if (!okip) str_addc(&s, '-');
    else if (!strcmp(f, "src")) { memcpy(&x, ip + 12, 4); unparse_ip(x, b); str_add(&s, b); }
    else if (!strcmp(f, "dst")) { memcpy(&x, ip + 16, 4); unparse_ip(x, b); str_add(&s, b); }
    else if (!strcmp(f, "proto")) { if (proto == 6) str_addc(&s, 'T'); else if (proto == 17) str_addc(&s, 'U'); else if (proto == 1) str_addc(&s, 'I'); else str_printf(&s, "%d", proto); }
    else if (!strcmp(f, "len")) str_printf(&s, "%u", (unsigned)(ip[2] << 8 | ip[3]));
    else if (!strcmp(f, "hl")) str_printf(&s, "%d", hl);
    else if (!strcmp(f, "tcp_off") && first && proto == 6 && ta >= 13) str_printf(&s, "%d", (th[12] >> 4) * 4);
    else if (!strcmp(f, "id")) str_printf(&s, "%u", (unsigned)(ip[4] << 8 | ip[5]));
    else if (!strcmp(f, "ttl")) str_printf(&s, "%u", ip[8]);
    else if (!strcmp(f, "tos")) str_printf(&s, "%u", ip[1]);
    else if (!strcmp(f, "paint")) str_printf(&s, "%u", p->paint);
    else if ((!strcmp(f, "sport") || !strcmp(f, "dport")) && first && ta >= 4 && (proto == 6 || proto == 17))
      str_printf(&s, "%u", f[0] == 's' ? (unsigned)(th[0] << 8 | th[1]) : (unsigned)(th[2] << 8 | th[3]));
    else if (!strcmp(f, "tcp_flags") && first && proto == 6 && ta >= 14) {
      static const char letters[] = "FSRPAUEW";
      if (!th[13]) str_addc(&s, '.');
      for (int k = 0; k < 8; k++) if (th[13] & (1 << k)) str_addc(&s, letters[k]);
    } else if (!strcmp(f, "tcp_seq") && first && proto == 6 && ta >= 8) str_printf(&s, "%u", (unsigned)(th[4] << 24 | th[5] << 16 | th[6] << 8 | th[7]));
    else if (!strcmp(f, "tcp_ack") && first && proto == 6 && ta >= 12) str_printf(&s, "%u", (unsigned)((uint32_t)th[8] << 24 | th[9] << 16 | th[10] << 8 | th[11]));
    else if (!strcmp(f, "tcp_window") && first && proto == 6 && ta >= 16) str_printf(&s, "%u", (unsigned)(th[14] << 8 | th[15]));
    else if (!strcmp(f, "payload_len")) {
      int iplen = ip[2] << 8 | ip[3];
      int ph = proto == 6 && ta >= 13 ? ((th[12] >> 4) * 4) : proto == 17 ? 8 : 0;
      int pl = iplen - hl - (first ? ph : 0);
      str_printf(&s, "%d", pl < 0 ? 0 : pl);
    } else str_addc(&s, '-');
  }
  fprintf(t->f, "%s\n", s.s);
  str_free(&s);
  t->count++;
}
static void tsum_push(Element *e, int port, Packet *p) { (void)port; tsum_write((ToSum *)e, p); pkt_kill(p); }
static bool tsum_task(Task *tk, void *arg) {
  ToSum *t = arg;
  int n = 0;
  Packet *p;
  while (n < 32 && (p = input_pull(&t->e, 0))) { tsum_write(t, p); pkt_kill(p); n++; }
  if (n || !t->sleepable) task_schedule(tk);
  return n > 0;
}
static int tsum_init(Element *e, ErrCtx *err) {
  ToSum *t = (ToSum *)e;
  t->f = strcmp(t->file, "-") ? fopen(t->file, "w") : stdout;
  if (!t->f) return err_report(err, 0, "%s: %s", t->file, strerror(errno));
  fprintf(t->f, "!IPSummaryDump 1.3\n!creator \"clickos\"\n");
  if (t->banner) fprintf(t->f, "!%s\n", t->banner);
  fprintf(t->f, "!data");
  for (int i = 0; i < t->nf; i++) fprintf(t->f, " %s", t->fields[i]);
  fprintf(t->f, "\n");
  task_init(&t->task, tsum_task, t);
  if (e->in_proc[0] == 'l') {
    t->sleepable = element_pull_has_notifier(e, 0, 0);
    element_register_puller(e, &t->task);
    task_schedule(&t->task);
  }
  return 0;
}
static void tsum_cleanup(Element *e) {
  ToSum *t = (ToSum *)e;
  if (t->f && t->f != stdout) fclose(t->f);
  else if (t->f) fflush(t->f);
  task_unschedule(&t->task);
  free(t->fields); free(t->file); free(t->contents); free(t->banner);
}
static int tsum_rd(Element *e, const void *t, Str *o) { (void)t; str_printf(o, "%llu", (unsigned long long)((ToSum *)e)->count); return 0; }
static const Handler tsum_h[] = {{"count", tsum_rd, NULL, NULL, 0}, {NULL, NULL, NULL, NULL, 0}};
static const ElementClass ToIPSummaryDump_class = {
  .name = "ToIPSummaryDump", .port_count = "1/0", .processing = "a/a", .size = sizeof(ToSum),
  .configure = tsum_conf, .initialize = tsum_init, .cleanup = tsum_cleanup, .push = tsum_push, .handlers = tsum_h};

void register_dump(void);
void register_dump(void) {
  class_register(&FromDump_class);
  class_register(&ToDump_class);
  class_register(&FromIPSummaryDump_class);
  class_register(&ToIPSummaryDump_class);
}
