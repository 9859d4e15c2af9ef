/* el_ip.c - IP and Ethernet header elements: CheckIPHeader, MarkIPHeader,
 * SetIPDSCP, DecIPTTL, IPPrint, EtherEncap, EtherMirror.  Every element
 * handles packets of any length (0..64 KiB) with headers truncated anywhere. */
#include "clickos.h"
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* incremental checksum update (RFC 1624) for a 16-bit word change */
static void cksum_update16(uint8_t *ck, uint16_t oldw, uint16_t neww) {
  uint32_t sum = (uint16_t)~rd16(ck) + (uint16_t)~oldw + neww;
  sum = (sum & 0xFFFF) + (sum >> 16);
  sum = (sum & 0xFFFF) + (sum >> 16);
  uint16_t r = (uint16_t)~sum;
  ck[0] = r >> 8;
  ck[1] = r & 0xFF;
}

/* =c
 * CheckIPHeader([OFFSET, *keywords* CHECKSUM, BADSRC, VERBOSE])
 * =s ip
 * checks IP header
 * =d
 * Expects an IP header OFFSET bytes (default 0) into the packet.  Checks
 * the length, version 4, header length, total length, checksum (unless
 * CHECKSUM false) and source address (not broadcast, not multicast, not in
 * BADSRC, a space-separated address list).  Good packets get their IP
 * header annotation set, are shortened to the IP length, and go to output 0;
 * bad packets go to output 1 if it exists, else they are dropped.
 * =h drops read-only
 * Bad packets.
 * =e
 *   FromDevice(eth0) -> Strip(14) -> CheckIPHeader -> ...
 */
typedef struct { Element e; unsigned offset; bool checksum, verbose; uint32_t *badsrc; int nbad; uint64_t drops; } CheckIP;
static int checkip_conf(Element *e, Args *a, ErrCtx *err) {
  CheckIP *c = (CheckIP *)e;
  c->checksum = true;
  char *bad = NULL, *details = NULL, *ifs = NULL;
  bool dummy;
  ArgSpec s[] = {{"OFFSET", A_UINT, A_POSITIONAL, &c->offset, NULL, NULL},
                 {"CHECKSUM", A_BOOL, 0, &c->checksum, NULL, NULL},
                 {"VERBOSE", A_BOOL, 0, &c->verbose, NULL, NULL},
                 {"BADSRC", A_ANY, 0, &bad, NULL, NULL},
                 {"INTERFACES", A_ANY, 0, &ifs, NULL, NULL},
                 {"DETAILS", A_BOOL, 0, &dummy, NULL, NULL}};
  (void)details;
  int r = args_read(a, s, 6);
  if (bad) {
    Args w;
    split_words(bad, &w);
    c->badsrc = xcalloc(w.n ? w.n : 1, sizeof(uint32_t));
    for (int i = 0; i < w.n; i++)
      if (parse_ip(w.v[i], &c->badsrc[c->nbad++])) r = err_report(err, 0, "BADSRC: expected IP address, got '%s'", w.v[i]);
    args_free(&w);
  }
  free(bad);
  free(ifs);
  return r;
}
static void checkip_cleanup(Element *e) { free(((CheckIP *)e)->badsrc); }
static const char *checkip_reason(CheckIP *c, Packet *p) {
  if (p->len < c->offset || p->len - c->offset < 20) return "tiny packet";
  const uint8_t *ip = pkt_data(p) + c->offset;
  if ((ip[0] >> 4) != 4) return "bad IP version";
  unsigned hl = (ip[0] & 0xF) * 4u;
  if (hl < 20) return "bad IP header length";
  if (hl > p->len - c->offset) return "bad IP header length";
  unsigned len = rd16(ip + 2);
  if (len < hl || len > p->len - c->offset) return "bad IP length";
  if (c->checksum && cksum_fold(cksum_add(0, ip, hl)) != 0) return "bad IP checksum";
  uint32_t src;
  memcpy(&src, ip + 12, 4);
  uint32_t hs = ntohl(src);
  if (hs == 0xFFFFFFFFu || (hs & 0xF0000000u) == 0xE0000000u) return "bad source address";
  for (int i = 0; i < c->nbad; i++) if (c->badsrc[i] == src) return "bad source address";
  return NULL;
}
static void checkip_push(Element *e, int port, Packet *p) {
  (void)port;
  CheckIP *c = (CheckIP *)e;
  const char *why = checkip_reason(c, p);
  if (why) {
    if (c->verbose) fprintf(stderr, "%s: CheckIPHeader: %s\n", e->name, why);
    c->drops++;
    checked_output_push(e, 1, p);
    return;
  }
  const uint8_t *ip = pkt_data(p) + c->offset;
  unsigned len = rd16(ip + 2);
  if (p->len > c->offset + len) pkt_take(p, p->len - c->offset - len);
  pkt_set_ip_header(p, c->offset);
  memcpy(&p->dst_ip, ip + 16, 4);
  output_push(e, 0, p);
}
static int checkip_rd(Element *e, const void *t, Str *o) { (void)t; str_printf(o, "%llu", (unsigned long long)((CheckIP *)e)->drops); return 0; }
static const Handler checkip_h[] = {{"drops", checkip_rd, NULL, NULL, 0}, {NULL, NULL, NULL, NULL, 0}};
static const ElementClass CheckIPHeader_class = {
  .name = "CheckIPHeader", .port_count = "1/1-2", .processing = "h/h", .size = sizeof(CheckIP),
  .configure = checkip_conf, .cleanup = checkip_cleanup, .push = checkip_push, .handlers = checkip_h};

/* =c
 * MarkIPHeader([OFFSET])
 * =s ip
 * sets IP header annotation
 * =d
 * Marks the packet's IP header as starting OFFSET bytes (default 0) into the
 * data, without checking it.  The transport header is set from the IP
 * header length when that byte is present.
 * =e
 *   FromDevice(eth0) -> Classifier(12/0800) -> MarkIPHeader(14) -> ...
 */
typedef struct { Element e; unsigned offset; } MarkIP;
static int markip_conf(Element *e, Args *a, ErrCtx *err) {
  (void)err;
  ArgSpec s[] = {{"OFFSET", A_UINT, A_POSITIONAL, &((MarkIP *)e)->offset, NULL, NULL}};
  return args_read(a, s, 1);
}
static Packet *markip_sa(Element *e, Packet *p) {
  unsigned off = ((MarkIP *)e)->offset;
  if (off > p->len) off = p->len;
  pkt_set_ip_header(p, off);
  if (pkt_avail(p, p->nh) >= 20) memcpy(&p->dst_ip, pkt_nh(p) + 16, 4);
  return p;
}
static const ElementClass MarkIPHeader_class = {
  .name = "MarkIPHeader", .port_count = "1/1", .processing = "a/a", .size = sizeof(MarkIP),
  .configure = markip_conf, .simple_action = markip_sa};

/* =c
 * SetIPDSCP(DSCP)
 * =s ip
 * sets IP packets' DSCP fields
 * =d
 * Sets the DSCP field (0-63) of IP packets (IP header annotation required)
 * and updates the checksum.  Packets without a complete IP header pass
 * unchanged.
 * =h dscp read/write
 * The DSCP value.
 * =e
 *   ... -> CheckIPHeader -> SetIPDSCP(46) -> ...
 */
typedef struct { Element e; unsigned dscp; } SetDSCP;
static int setdscp_conf(Element *e, Args *a, ErrCtx *err) {
  SetDSCP *s = (SetDSCP *)e;
  ArgSpec sp[] = {{"DSCP", A_UINT, A_POSITIONAL | A_MANDATORY, &s->dscp, NULL, NULL}};
  int r = args_read(a, sp, 1);
  if (r == 0 && s->dscp > 63) r = err_report(err, 0, "DSCP: must be between 0 and 63");
  return r;
}
static Packet *setdscp_sa(Element *e, Packet *p) {
  if (pkt_avail(p, p->nh) < 20) return p;
  uint8_t *ip = pkt_nh(p);
  uint16_t oldw = rd16(ip);
  ip[1] = (uint8_t)((ip[1] & 0x3) | (((SetDSCP *)e)->dscp << 2));
  cksum_update16(ip + 10, oldw, rd16(ip));
  return p;
}
static int setdscp_rd(Element *e, const void *t, Str *o) { (void)t; str_printf(o, "%u", ((SetDSCP *)e)->dscp); return 0; }
static int setdscp_wr(Element *e, const char *v, const void *t, ErrCtx *err) {
  (void)t;
  char *x = strip_comments_trim(v);
  unsigned long long d;
  int r = parse_uint(x, &d);
  free(x);
  if (r || d > 63) return err_report(err, 0, "dscp: expected 0-63");
  ((SetDSCP *)e)->dscp = (unsigned)d;
  return 0;
}
static const Handler setdscp_h[] = {{"dscp", setdscp_rd, setdscp_wr, NULL, H_NOSTATS}, {NULL, NULL, NULL, NULL, 0}};
static const ElementClass SetIPDSCP_class = {
  .name = "SetIPDSCP", .port_count = "1/1", .processing = "a/a", .size = sizeof(SetDSCP),
  .configure = setdscp_conf, .simple_action = setdscp_sa, .handlers = setdscp_h};

/* =c
 * DecIPTTL([*keywords* ACTIVE, MULTICAST])
 * =s ip
 * decrements IP time-to-live, drops dead packets
 * =d
 * Decrements the TTL of IP packets (IP header annotation required) and
 * updates the checksum.  Packets whose TTL is 0 or 1 go to output 1 if it
 * exists, else they are dropped; so do packets without a complete IP header.
 * =h drops read-only
 * Expired packets.
 * =e
 *   ... -> dt :: DecIPTTL -> ...; dt[1] -> ICMPError... or Discard;
 */
typedef struct { Element e; bool active, multicast; uint64_t drops; } DecTTL;
static int dec_conf(Element *e, Args *a, ErrCtx *err) {
  (void)err;
  DecTTL *d = (DecTTL *)e;
  d->active = true;
  d->multicast = true;
  ArgSpec s[] = {{"ACTIVE", A_BOOL, 0, &d->active, NULL, NULL}, {"MULTICAST", A_BOOL, 0, &d->multicast, NULL, NULL}};
  return args_read(a, s, 2);
}
static void dec_push(Element *e, int port, Packet *p) {
  (void)port;
  DecTTL *d = (DecTTL *)e;
  if (!d->active) { output_push(e, 0, p); return; }
  if (pkt_avail(p, p->nh) < 20) { d->drops++; checked_output_push(e, 1, p); return; }
  uint8_t *ip = pkt_nh(p);
  if (!d->multicast && (ip[16] & 0xF0) == 0xE0) { output_push(e, 0, p); return; }
  if (ip[8] <= 1) { d->drops++; checked_output_push(e, 1, p); return; }
  uint16_t oldw = rd16(ip + 8);
  ip[8]--;
  cksum_update16(ip + 10, oldw, rd16(ip + 8));
  output_push(e, 0, p);
}
static int dec_rd(Element *e, const void *t, Str *o) { (void)t; str_printf(o, "%llu", (unsigned long long)((DecTTL *)e)->drops); return 0; }
static const Handler dec_h[] = {{"drops", dec_rd, NULL, NULL, 0}, {NULL, NULL, NULL, NULL, 0}};
static const ElementClass DecIPTTL_class = {
  .name = "DecIPTTL", .port_count = "1/1-2", .processing = "h/h", .size = sizeof(DecTTL),
  .configure = dec_conf, .push = dec_push, .handlers = dec_h};

/* =c
 * IPPrint([LABEL, *keywords* CONTENTS, PAYLOAD, MAXLENGTH, ID, TTL, TOS, LENGTH, TIMESTAMP, AGGREGATE, PAINT, SWAP, OUTFILE, ACTIVE])
 * =s ip
 * pretty-prints IP packets
 * =d
 * Prints a tcpdump-like line per IP packet (Click's format) to standard
 * error, or to OUTFILE: "LABEL: TIMESTAMP: SRC.SPORT > DST.DPORT: FLAGS SEQ:END(LEN,
 * PKTLEN,IPLEN) ack N win N" for TCP, "... udp LEN" for UDP, "icmp echo (ID,
 * SEQ)" for ICMP, with "truncated-..." for short headers and "(frag ID:LEN@
 * OFF+)" for fragments.  Packets without an IP header annotation are passed
 * without printing.  CONTENTS HEX or ASCII appends MAXLENGTH bytes (default
 * 1500) of data (PAYLOAD true: the transport payload).
 * =h active read/write
 * Whether printing is on.
 * =e
 *   ... -> CheckIPHeader -> IPPrint(in) -> ...
 */
typedef struct {
  Element e;
  char *label, *contents, *outfile;
  int mode, maxlen;
  bool payload, id, ttl, tos, length, ts, agg, paint, swap, active;
  FILE *out;
} IPPrint;
static int ipprint_conf(Element *e, Args *a, ErrCtx *err) {
  IPPrint *p = (IPPrint *)e;
  p->maxlen = 1500;
  p->active = true;
  p->ts = true;
  ArgSpec s[] = {{"LABEL", A_STR, A_POSITIONAL, &p->label, NULL, NULL},
                 {"CONTENTS", A_WORD, 0, &p->contents, NULL, NULL},
                 {"PAYLOAD", A_BOOL, 0, &p->payload, NULL, NULL},
                 {"MAXLENGTH", A_INT, 0, &p->maxlen, NULL, NULL},
                 {"ID", A_BOOL, 0, &p->id, NULL, NULL},
                 {"TTL", A_BOOL, 0, &p->ttl, NULL, NULL},
                 {"TOS", A_BOOL, 0, &p->tos, NULL, NULL},
                 {"LENGTH", A_BOOL, 0, &p->length, NULL, NULL},
                 {"TIMESTAMP", A_BOOL, 0, &p->ts, NULL, NULL},
                 {"AGGREGATE", A_BOOL, 0, &p->agg, NULL, NULL},
                 {"PAINT", A_BOOL, 0, &p->paint, NULL, NULL},
                 {"SWAP", A_BOOL, 0, &p->swap, NULL, NULL},
                 {"OUTFILE", A_STR, 0, &p->outfile, NULL, NULL},
                 {"ACTIVE", A_BOOL, 0, &p->active, NULL, NULL}};
  int r = args_read(a, s, 14);
  if (!p->label) p->label = xstrdup("");
  if (p->contents) {
    if (!strcasecmp(p->contents, "hex") || !strcasecmp(p->contents, "true")) p->mode = 1;
    else if (!strcasecmp(p->contents, "ascii")) p->mode = 2;
    else if (!strcasecmp(p->contents, "none") || !strcasecmp(p->contents, "false")) p->mode = 0;
    else r = err_report(err, 0, "CONTENTS: expected HEX, ASCII or NONE");
  }
  return r;
}
static int ipprint_init(Element *e, ErrCtx *err) {
  IPPrint *p = (IPPrint *)e;
  if (p->outfile) {
    p->out = strcmp(p->outfile, "-") ? fopen(p->outfile, "wb") : stdout;
    if (!p->out) return err_report(err, 0, "%s: cannot open", p->outfile);
  }
  return 0;
}
static void ipprint_cleanup(Element *e) {
  IPPrint *p = (IPPrint *)e;
  if (p->out && p->out != stdout) fclose(p->out);
  free(p->label); free(p->contents); free(p->outfile);
}
static void addr_pair(Str *s, const uint8_t *ip) {
  char a[16], b[16];
  uint32_t x, y;
  memcpy(&x, ip + 12, 4);
  memcpy(&y, ip + 16, 4);
  unparse_ip(x, a);
  unparse_ip(y, b);
  str_printf(s, "%s > %s", a, b);
}
static const char *icmp_type_name(int t) {
  switch (t) {
    case 0: return "echo-reply"; case 3: return "unreachable"; case 4: return "sourcequench";
    case 5: return "redirect"; case 8: return "echo"; case 9: return "routeradvert";
    case 10: return "routersolicit"; case 11: return "timeexceeded"; case 12: return "parameterproblem";
    case 13: return "timestamp"; case 14: return "timestamp-reply"; case 15: return "inforeq";
    case 16: return "inforeq-reply"; case 17: return "maskreq"; case 18: return "maskreq-reply";
  }
  return NULL;
}
static const char *unreach_code_name(int c) {
  static const char *n[] = {"net", "host", "protocol", "port", "needfrag", "srcroutefail", "net-unknown",
                            "host-unknown", "isolated", "net-prohibited", "host-prohibited", "tos-net",
                            "tos-host", "filter-prohibited", "host-precedence", "precedence-cutoff"};
  return c >= 0 && c < 16 ? n[c] : NULL;
}
static const char *proto_name(int p) {
  switch (p) { case 1: return "icmp"; case 2: return "igmp"; case 4: return "ipip"; case 6: return "tcp";
    case 17: return "udp"; case 47: return "gre"; case 50: return "esp"; case 51: return "ah"; case 58: return "icmp6"; case 132: return "sctp"; }
  return NULL;
}
static Packet *ipprint_sa(Element *e, Packet *p) {
  IPPrint *pr = (IPPrint *)e;
  if (!pr->active || p->nh < 0) return p;
  Str s;
  str_init(&s);
  str_add(&s, "");
  if (*pr->label) str_printf(&s, "%s: ", pr->label);
  if (pr->ts) { unparse_time(p->ts, &s); str_add(&s, ": "); }
  if (pr->agg) str_printf(&s, "#%u", p->aggregate);
  if (pr->paint) str_printf(&s, "%s%d", pr->agg ? "." : "paint ", p->paint);
  if (pr->agg || pr->paint) str_add(&s, ": ");
  int32_t nlen = pkt_avail(p, p->nh);
  if (nlen < 20) str_add(&s, "truncated-ip");
  else {
    const uint8_t *ip = pkt_nh(p);
    int ip_len = rd16(ip + 2);
    int hl = (ip[0] & 0xF) << 2;
    int payload_len = ip_len - hl;
    int32_t tl = p->th >= 0 ? (int32_t)(p->off + p->len) - p->th : 0;
    if (tl > payload_len) tl = payload_len;
    const uint8_t *th = pkt_th(p);
    uint16_t ipoff = rd16(ip + 6);
    bool first = (ipoff & 0x1FFF) == 0;
    if (pr->id) str_printf(&s, "id %u ", rd16(ip + 4));
    if (pr->ttl) str_printf(&s, "ttl %d ", ip[8]);
    if (pr->tos) str_printf(&s, "tos %d ", ip[1]);
    if (pr->length) str_printf(&s, "length %d ", ip_len);
    char a[16], b[16];
    uint32_t x, y;
    memcpy(&x, ip + 12, 4);
    memcpy(&y, ip + 16, 4);
    unparse_ip(x, a);
    unparse_ip(y, b);
    if (ip[9] == 6) {
      if (tl < 4 || !first) { addr_pair(&s, ip); str_add(&s, first ? ": truncated-tcp" : ": tcp"); }
      else {
        str_printf(&s, "%s.%u > %s.%u: ", a, rd16(th), b, rd16(th + 2));
        if (tl < 14) str_add(&s, "truncated-tcp");
        else {
          int seqlen = ip_len - hl - ((th[12] >> 4) << 2);
          uint8_t fl = th[13];
          if (fl & 0x02) { str_addc(&s, 'S'); seqlen++; }
          if (fl & 0x01) { str_addc(&s, 'F'); seqlen++; }
          if (fl & 0x04) str_addc(&s, 'R');
          if (fl & 0x08) str_addc(&s, 'P');
          if (!(fl & 0x0F)) str_addc(&s, '.');
          uint32_t seq = rd32(th + 4);
          str_printf(&s, " %u:%u(%d,%u,%d)", seq, seq + (uint32_t)seqlen, seqlen, p->len, ip_len);
          if (fl & 0x10) str_printf(&s, " ack %u", rd32(th + 8));
          if (tl < 16) str_add(&s, "truncated-tcp");
          else str_printf(&s, " win %u", rd16(th + 14));
        }
      }
    } else if (ip[9] == 17) {
      if (tl < 4 || !first) { addr_pair(&s, ip); str_add(&s, first ? ": truncated-udp" : ": udp"); }
      else {
        str_printf(&s, "%s.%u > %s.%u: ", a, rd16(th), b, rd16(th + 2));
        if (tl < 8) str_add(&s, "truncated-udp");
        else str_printf(&s, "udp %u", rd16(th + 4));
      }
    } else if (ip[9] == 1) {
      addr_pair(&s, ip);
      str_add(&s, ": ");
      if (!first) str_add(&s, "icmp");
      else if (tl < 2) str_add(&s, "truncated-icmp");
      else {
        int type = th[0], code = th[1];
        if (type == 0 || type == 8) {
          str_add(&s, type == 0 ? "icmp echo-reply " : "icmp echo ");
          if (tl < 8) str_add(&s, "truncated-icmp");
          else {
            uint16_t id, sq;
            memcpy(&id, th + 4, 2);
            memcpy(&sq, th + 6, 2);
            if (pr->swap) { id = (uint16_t)((id & 0xff) << 8 | id >> 8); sq = (uint16_t)((sq & 0xff) << 8 | sq >> 8); }
            str_printf(&s, "(%u, %u)", id, sq);
          }
        } else if (type == 3) {
          const char *cn = unreach_code_name(code);
          char cbuf[24];
          if (!cn) { snprintf(cbuf, sizeof cbuf, "code %d", code); cn = cbuf; }
          int eiph_len = tl - 8;
          if (eiph_len < 20) str_printf(&s, "icmp unreachable %s truncated-icmp", cn);
          else {
            const uint8_t *eip = th + 8;
            uint32_t ed;
            char eb[16];
            memcpy(&ed, eip + 16, 4);
            unparse_ip(ed, eb);
            str_printf(&s, "icmp %s unreachable %s", eb, cn);
            int ehl = (eip[0] & 0xF) << 2;
            int eudp_len = eiph_len - ehl;
            const char *pn = proto_name(eip[9]);
            if (code == 2) { if (pn) str_printf(&s, " %s", pn); else str_printf(&s, " %d", eip[9]); }
            else if (code == 3) {
              if (pn) str_printf(&s, " %s", pn); else str_printf(&s, " protocol %d", eip[9]);
              if (eudp_len < 4) str_add(&s, "truncated-icmp");
              else str_printf(&s, "/%u", rd16(eip + ehl + 2));
            } else if (code == 4 && tl >= 8) {
              uint16_t mtu = rd16(th + 6);
              if (mtu) str_printf(&s, " (mtu %u)", mtu);
            }
          }
        } else {
          const char *tn = icmp_type_name(type);
          if (tn) str_printf(&s, "icmp %s", tn);
          else str_printf(&s, "icmp type %d", type);
          if (code) str_printf(&s, " code %d", code);
        }
      }
    } else {
      str_printf(&s, "%s > %s: ip-proto-%d", a, b, ip[9]);
    }
    if (ipoff & 0x3FFF)
      str_printf(&s, " (frag %u:%d@%d%s)", rd16(ip + 4), payload_len, (ipoff & 0x1FFF) << 3, (ipoff & 0x2000) ? "+" : "");
    if (pr->mode > 0) {
      const uint8_t *data = pkt_data(p);
      if (pr->payload) {
        if (first && ip[9] == 6 && th && tl >= 13) data = th + ((th[12] >> 4) << 2);
        else if (first && ip[9] == 17 && th) data = th + 8;
        else data = th ? th : pkt_end(p);
      }
      int bytes = pr->maxlen;
      const uint8_t *end = pkt_end(p);
      if (data >= end) bytes = 0;
      else if (bytes < 0 || end - data < bytes) bytes = (int)(end - data);
      for (int i = 0; i < bytes; i++) {
        if (pr->mode == 1) {
          if (i % 24 == 0) str_add(&s, "\n  ");
          else if (i % 4 == 0) str_addc(&s, ' ');
          str_printf(&s, "%02x", data[i]);
        } else {
          if (i % 48 == 0) str_add(&s, "\n  ");
          else if (i % 8 == 0) str_addc(&s, ' ');
          str_addc(&s, data[i] < 32 || data[i] > 126 ? '.' : (char)data[i]);
        }
      }
    }
  }
  if (pr->out) { fprintf(pr->out, "%s\n", s.s); fflush(pr->out); }
  else fprintf(stderr, "%s\n", s.s);
  str_free(&s);
  return p;
}
static int bool_rd2(Element *e, const void *t, Str *o) { str_add(o, *(bool *)((char *)e + (size_t)t) ? "true" : "false"); return 0; }
static int bool_wr2(Element *e, const char *v, const void *t, ErrCtx *err) {
  char *x = strip_comments_trim(v);
  int r = parse_bool(x, (bool *)((char *)e + (size_t)t));
  free(x);
  return r ? err_report(err, 0, "expected boolean") : 0;
}
static const Handler ipprint_h[] = {{"active", bool_rd2, bool_wr2, (void *)offsetof(IPPrint, active), H_NOSTATS}, {NULL, NULL, NULL, NULL, 0}};
static const ElementClass IPPrint_class = {
  .name = "IPPrint", .port_count = "1/1", .processing = "a/a", .size = sizeof(IPPrint),
  .configure = ipprint_conf, .initialize = ipprint_init, .cleanup = ipprint_cleanup,
  .simple_action = ipprint_sa, .handlers = ipprint_h};

/* =c
 * EtherEncap(ETHERTYPE, SRC, DST)
 * =s ethernet
 * encapsulates packets in Ethernet header
 * =d
 * Prepends an Ethernet header with the given type (e.g. 0x0800) and
 * addresses.
 * =h ethertype read/write
 * The Ethernet type (printed in decimal).
 * =h src read/write
 * Source address.
 * =h dst read/write
 * Destination address.
 * =e
 *   ... -> EtherEncap(0x0800, 00:01:02:03:04:05, 00:0a:0b:0c:0d:0e) -> ToDevice(eth0);
 */
typedef struct { Element e; unsigned type; uint8_t src[6], dst[6]; } EtherEncap;
static int ee_conf(Element *e, Args *a, ErrCtx *err) {
  EtherEncap *x = (EtherEncap *)e;
  ArgSpec s[] = {{"ETHERTYPE", A_UINT, A_POSITIONAL | A_MANDATORY, &x->type, NULL, NULL},
                 {"SRC", A_ETH, A_POSITIONAL | A_MANDATORY, x->src, NULL, NULL},
                 {"DST", A_ETH, A_POSITIONAL | A_MANDATORY, x->dst, NULL, NULL}};
  int r = args_read(a, s, 3);
  if (r == 0 && x->type > 0xFFFF) r = err_report(err, 0, "ETHERTYPE: must be at most 0xFFFF");
  return r;
}
static Packet *ee_sa(Element *e, Packet *p) {
  EtherEncap *x = (EtherEncap *)e;
  p = pkt_push(p, 14);
  uint8_t *d = pkt_data(p);
  memcpy(d, x->dst, 6);
  memcpy(d + 6, x->src, 6);
  d[12] = (uint8_t)(x->type >> 8);
  d[13] = (uint8_t)x->type;
  p->mac = (int32_t)p->off;
  return p;
}
static int ee_type_rd(Element *e, const void *t, Str *o) { (void)t; str_printf(o, "%u", ((EtherEncap *)e)->type); return 0; }
static int ee_type_wr(Element *e, const char *v, const void *t, ErrCtx *err) {
  (void)t;
  char *x = strip_comments_trim(v);
  unsigned long long n;
  int r = parse_uint(x, &n);
  free(x);
  if (r || n > 0xFFFF) return err_report(err, 0, "ethertype: expected 0-0xFFFF");
  ((EtherEncap *)e)->type = (unsigned)n;
  return 0;
}
static int ee_rd(Element *e, const void *t, Str *o) {
  EtherEncap *x = (EtherEncap *)e;
  char b[18];
  unparse_eth(t ? x->dst : x->src, b);
  str_add(o, b);
  return 0;
}
static int ee_wr(Element *e, const char *v, const void *t, ErrCtx *err) {
  EtherEncap *x = (EtherEncap *)e;
  char *s = strip_comments_trim(v);
  int r = parse_eth(s, t ? x->dst : x->src);
  free(s);
  return r ? err_report(err, 0, "expected Ethernet address") : 0;
}
static const Handler ee_h[] = {{"ethertype", ee_type_rd, ee_type_wr, NULL, H_NOSTATS}, {"src", ee_rd, ee_wr, NULL, H_NOSTATS}, {"dst", ee_rd, ee_wr, (void *)1, H_NOSTATS}, {NULL, NULL, NULL, NULL, 0}};
static const ElementClass EtherEncap_class = {
  .name = "EtherEncap", .port_count = "1/1", .processing = "a/a", .size = sizeof(EtherEncap),
  .configure = ee_conf, .simple_action = ee_sa, .handlers = ee_h};

/* =c
 * EtherMirror
 * =s ethernet
 * swaps Ethernet source and destination
 * =d
 * Swaps the source and destination addresses of Ethernet packets; packets
 * shorter than 12 bytes pass unchanged.
 * =e
 *   FromDevice(eth0) -> EtherMirror -> Queue -> ToDevice(eth0);
 */
static Packet *em_sa(Element *e, Packet *p) {
  (void)e;
  if (p->len < 12) return p;
  uint8_t *d = pkt_data(p), t[6];
  memcpy(t, d, 6);
  memcpy(d, d + 6, 6);
  memcpy(d + 6, t, 6);
  return p;
}
static int em_conf(Element *e, Args *a, ErrCtx *err) { (void)e; (void)err; return args_read(a, NULL, 0); }
static const ElementClass EtherMirror_class = {
  .name = "EtherMirror", .port_count = "1/1", .processing = "a/a", .size = sizeof(Element),
  .configure = em_conf, .simple_action = em_sa};

void register_ip(void);
void register_ip(void) {
  class_register(&CheckIPHeader_class);
  class_register(&MarkIPHeader_class);
  class_register(&SetIPDSCP_class);
  class_register(&DecIPTTL_class);
  class_register(&IPPrint_class);
  class_register(&EtherEncap_class);
  class_register(&EtherMirror_class);
}
