/* el_arp.c - ARPResponder and ARPQuerier. */
#include "clickos.h"
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#define ARP_LEN 42 /* Ethernet + ARP for IPv4 */

static void build_arp(uint8_t *d, const uint8_t *eth_dst, const uint8_t *eth_src, int op,
                      const uint8_t *sha, uint32_t spa, const uint8_t *tha, uint32_t tpa) {
  memcpy(d, eth_dst, 6);
  memcpy(d + 6, eth_src, 6);
  d[12] = 0x08; d[13] = 0x06;
  d[14] = 0; d[15] = 1; d[16] = 0x08; d[17] = 0; d[18] = 6; d[19] = 4;
  d[20] = 0; d[21] = (uint8_t)op;
  memcpy(d + 22, sha, 6);
  memcpy(d + 28, &spa, 4);
  memcpy(d + 32, tha, 6);
  memcpy(d + 38, &tpa, 4);
}
static bool is_arp(const Packet *p, int op) {
  const uint8_t *d = pkt_data(p);
  return p->len >= ARP_LEN && d[12] == 0x08 && d[13] == 0x06 && d[14] == 0 && d[15] == 1 && d[16] == 8 && d[17] == 0 &&
         d[18] == 6 && d[19] == 4 && d[20] == 0 && (op == 0 || d[21] == op);
}

/* =c
 * ARPResponder(IP ETH, IP/LEN ETH, ...)
 * =s arp
 * generates responses to ARP queries
 * =d
 * Each argument is one or more IP addresses or prefixes followed by an
 * Ethernet address.  ARP requests for a listed address are answered with a
 * reply on output 0; other packets go to output 1 if it exists, else they
 * are dropped.
 * =h table read-only
 * The address table, one "IP/MASK ETH" line per entry.
 * =e
 *   ARPResponder(10.0.0.1 00:01:02:03:04:05, 10.1.0.0/16 00:01:02:03:04:06);
 */
typedef struct { uint32_t ip, mask; uint8_t mac[6]; } ARPEnt;
typedef struct { Element e; ARPEnt *t; int n; } ARPResponder;
static int arpr_conf(Element *e, Args *a, ErrCtx *err) {
  ARPResponder *r = (ARPResponder *)e;
  int rc = 0;
  for (int i = 0; i < a->n; i++) {
    a->used[i] = true;
    if (!*a->v[i]) continue;
    Args w;
    split_words(a->v[i], &w);
    uint8_t mac[6];
    int macpos = -1;
    for (int k = 0; k < w.n; k++) if (parse_eth(w.v[k], mac) == 0) macpos = k;
    if (macpos < 0 || w.n < 2) rc = err_report(err, 0, "argument %d: expected 'IP ETH', got '%s'", i + 1, a->v[i]);
    else
      for (int k = 0; k < w.n; k++) {
        if (k == macpos) continue;
        uint32_t ip, mask;
        if (parse_ip_prefix(w.v[k], &ip, &mask)) { rc = err_report(err, 0, "argument %d: bad IP address '%s'", i + 1, w.v[k]); continue; }
        r->t = xrealloc(r->t, sizeof(ARPEnt) * (r->n + 1));
        r->t[r->n].ip = ip;
        r->t[r->n].mask = mask;
        memcpy(r->t[r->n].mac, mac, 6);
        r->n++;
      }
    args_free(&w);
  }
  return rc;
}
static void arpr_push(Element *e, int port, Packet *p) {
  (void)port;
  ARPResponder *r = (ARPResponder *)e;
  if (is_arp(p, 1)) {
    const uint8_t *d = pkt_data(p);
    uint32_t tpa, spa;
    memcpy(&tpa, d + 38, 4);
    memcpy(&spa, d + 28, 4);
    for (int i = 0; i < r->n; i++)
      if ((tpa & r->t[i].mask) == r->t[i].ip) {
        Packet *q = pkt_alloc(ARP_LEN);
        build_arp(pkt_data(q), d + 22, r->t[i].mac, 2, r->t[i].mac, tpa, d + 22, spa);
        q->mac = (int32_t)q->off;
        pkt_kill(p);
        output_push(e, 0, q);
        return;
      }
  }
  checked_output_push(e, 1, p);
}
static void arpr_cleanup(Element *e) { free(((ARPResponder *)e)->t); }
static int arpr_rd(Element *e, const void *t, Str *o) {
  (void)t;
  ARPResponder *r = (ARPResponder *)e;
  for (int i = 0; i < r->n; i++) {
    char a[16], m[16], b[18];
    unparse_ip(r->t[i].ip, a);
    unparse_ip(r->t[i].mask, m);
    unparse_eth(r->t[i].mac, b);
    str_printf(o, "%s/%s %s\n", a, m, b);
  }
  return 0;
}
static const Handler arpr_h[] = {{"table", arpr_rd, NULL, NULL, H_NOSTATS}, {NULL, NULL, NULL, NULL, 0}};
static const ElementClass ARPResponder_class = {
  .name = "ARPResponder", .port_count = "1/1-2", .processing = "h/h", .size = sizeof(ARPResponder),
  .configure = arpr_conf, .cleanup = arpr_cleanup, .push = arpr_push, .handlers = arpr_h};

/* =c
 * ARPQuerier(IP, ETH [, *keywords* TIMEOUT, CAPACITY])
 * =s arp
 * encapsulates IP packets in Ethernet headers found via ARP
 * =d
 * Input 0 takes IP packets (destination from the destination IP annotation,
 * else the IP header); input 1 takes ARP replies from the network.  Packets
 * for known destinations leave output 0 with an Ethernet header; for unknown
 * ones an ARP request is sent on output 0 (at most one per second per
 * destination) and the last packet is held until the reply arrives.  Entries
 * expire after TIMEOUT (default 300s).  CAPACITY (default 1024) bounds the
 * table.  Output 1, if present, receives ARP replies it consumed.
 * =h table read-only
 * "IP ETH AGE" lines.
 * =h count read-only
 * Packets encapsulated.
 * =h queries read-only
 * ARP requests sent.
 * =e
 *   ... -> [0]arpq :: ARPQuerier(10.0.0.1, 00:01:02:03:04:05) -> ToDevice(eth0);
 *   arp_replies -> [1]arpq;
 */
typedef struct { uint32_t ip; uint8_t mac[6]; bool known; uint64_t when, last_query; Packet *held; } AQEnt;
typedef struct { Element e; uint32_t ip; uint8_t mac[6]; uint64_t timeout; unsigned cap; AQEnt *t; unsigned n; uint64_t count, queries; } ARPQuerier;
static int arpq_conf(Element *e, Args *a, ErrCtx *err) {
  ARPQuerier *q = (ARPQuerier *)e;
  q->timeout = 300 * NS_PER_SEC;
  q->cap = 1024;
  ArgSpec s[] = {{"IP", A_IP, A_POSITIONAL | A_MANDATORY, &q->ip, NULL, NULL},
                 {"ETH", A_ETH, A_POSITIONAL | A_MANDATORY, q->mac, NULL, NULL},
                 {"TIMEOUT", A_TIME, 0, &q->timeout, NULL, NULL},
                 {"CAPACITY", A_UINT, 0, &q->cap, NULL, NULL}};
  int r = args_read(a, s, 4);
  if (r == 0 && (q->cap == 0 || q->cap > 65536)) r = err_report(err, 0, "CAPACITY: expected 1..65536");
  return r;
}
static AQEnt *aq_find(ARPQuerier *q, uint32_t ip, bool create) {
  for (unsigned i = 0; i < q->n; i++) if (q->t[i].ip == ip) return &q->t[i];
  if (!create) return NULL;
  if (q->n >= q->cap) {
    /* replace the oldest entry */
    unsigned o = 0;
    for (unsigned i = 1; i < q->n; i++) if (q->t[i].when < q->t[o].when) o = i;
    pkt_kill(q->t[o].held);
    memset(&q->t[o], 0, sizeof q->t[o]);
    q->t[o].ip = ip;
    return &q->t[o];
  }
  q->t = xrealloc(q->t, sizeof(AQEnt) * (q->n + 1));
  memset(&q->t[q->n], 0, sizeof(AQEnt));
  q->t[q->n].ip = ip;
  return &q->t[q->n++];
}
static void aq_send(ARPQuerier *q, AQEnt *x, Packet *p) {
  p = pkt_push(p, 14);
  uint8_t *d = pkt_data(p);
  memcpy(d, x->mac, 6);
  memcpy(d + 6, q->mac, 6);
  d[12] = 0x08; d[13] = 0x00;
  p->mac = (int32_t)p->off;
  q->count++;
  output_push(&q->e, 0, p);
}
static void arpq_push(Element *e, int port, Packet *p) {
  ARPQuerier *q = (ARPQuerier *)e;
  uint64_t now = now_ns();
  if (port == 0) {
    uint32_t dst = p->dst_ip;
    if (!dst) {
      const uint8_t *ip = p->nh >= 0 ? pkt_nh(p) : pkt_data(p);
      int32_t av = p->nh >= 0 ? pkt_avail(p, p->nh) : (int32_t)p->len;
      if (av < 20) { pkt_kill(p); return; }
      memcpy(&dst, ip + 16, 4);
    }
    AQEnt *x = aq_find(q, dst, true);
    if (x->known && now - x->when < q->timeout) { aq_send(q, x, p); return; }
    pkt_kill(x->held);
    x->held = p;
    if (!x->last_query || now - x->last_query >= NS_PER_SEC) {
      x->last_query = now;
      static const uint8_t bcast[6] = {255, 255, 255, 255, 255, 255}, zero[6] = {0};
      Packet *r = pkt_alloc(ARP_LEN);
      build_arp(pkt_data(r), bcast, q->mac, 1, q->mac, q->ip, zero, dst);
      q->queries++;
      output_push(e, 0, r);
    }
    return;
  }
  if (is_arp(p, 2)) {
    const uint8_t *d = pkt_data(p);
    uint32_t spa;
    memcpy(&spa, d + 28, 4);
    AQEnt *x = aq_find(q, spa, false);
    if (x) {
      memcpy(x->mac, d + 22, 6);
      x->known = true;
      x->when = now;
      if (x->held) { Packet *h = x->held; x->held = NULL; aq_send(q, x, h); }
    }
  }
  checked_output_push(e, 1, p);
}
static void arpq_cleanup(Element *e) {
  ARPQuerier *q = (ARPQuerier *)e;
  for (unsigned i = 0; i < q->n; i++) pkt_kill(q->t[i].held);
  free(q->t);
}
static int arpq_rd(Element *e, const void *t, Str *o) {
  ARPQuerier *q = (ARPQuerier *)e;
  int w = (int)(intptr_t)t;
  if (w == 1) { str_printf(o, "%llu", (unsigned long long)q->count); return 0; }
  if (w == 2) { str_printf(o, "%llu", (unsigned long long)q->queries); return 0; }
  uint64_t now = now_ns();
  for (unsigned i = 0; i < q->n; i++) {
    if (!q->t[i].known) continue;
    char a[16], b[18];
    unparse_ip(q->t[i].ip, a);
    unparse_eth(q->t[i].mac, b);
    str_printf(o, "%s %s %llu\n", a, b, (unsigned long long)((now - q->t[i].when) / NS_PER_SEC));
  }
  return 0;
}
static const Handler arpq_h[] = {
  {"table", arpq_rd, NULL, (void *)0, H_NOSTATS},
  {"count", arpq_rd, NULL, (void *)1, 0},
  {"queries", arpq_rd, NULL, (void *)2, 0},
  {NULL, NULL, NULL, NULL, 0}};
static const ElementClass ARPQuerier_class = {
  .name = "ARPQuerier", .port_count = "2/1-2", .processing = "h/h", .size = sizeof(ARPQuerier),
  .configure = arpq_conf, .cleanup = arpq_cleanup, .push = arpq_push, .handlers = arpq_h};

void register_arp(void);
void register_arp(void) {
  class_register(&ARPResponder_class);
  class_register(&ARPQuerier_class);
}
