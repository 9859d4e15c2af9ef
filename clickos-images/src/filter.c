/* filter.c - Click's IP filter language.
 *
 *   expr    := or ( '?' expr ':' expr )?
 *   or      := and ( ('or' | '||') and )*
 *   and     := not ( ('and' | '&&')? not )*        juxtaposition means and
 *   not     := ('not' | '!') not | '(' expr ')' | primitive
 *   primitive: true | false | - | any | all
 *            | [src|dst|src or dst|src and dst] host IP
 *            | [src|dst|...] net IP/LEN | net IP mask MASK | IP/LEN
 *            | [src|dst|...] [tcp|udp] port [RELOP] PORT
 *            | [ip] proto PROTO | tcp | udp | icmp | ...
 *            | tcp opt FLAG | tcp win [RELOP] N
 *            | icmp type [RELOP] TYPE | icmp code [RELOP] N
 *            | ip vers|hl|id|tos|dscp|ttl|len [RELOP] N | ip frag | ip unfrag
 *            | ip ect | ip ce
 *            | (ip|transp|tcp|udp|icmp)[POS] or [POS:LEN] [& MASK] [RELOP] VALUE
 * A primitive without keywords inherits them from the previous primitive
 * ("src host 1.2.3.4 or 5.6.7.8", "tcp port 80 or 443").
 */
#include "filter.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

enum { N_TRUE, N_FALSE, N_AND, N_OR, N_NOT, N_COND, N_HOST, N_PROTO, N_PORT, N_FIELD };
enum { D_SRC = 1, D_DST = 2, D_OR = 3, D_AND = 4 };
enum { R_EQ, R_NE, R_LT, R_GT, R_LE, R_GE };
enum { B_IP, B_TRANSP };

struct FNode {
  int op;
  FNode *a, *b, *c;
  int dir;
  uint32_t ip, mask;     /* host/net, network order */
  int proto;             /* -1 = tcp or udp (ports), else IP protocol */
  int relop;
  uint32_t value;
  int base, off, len;    /* field */
  uint32_t fmask;
  int shift;
  bool transport;        /* needs first fragment + transport header */
  bool nonzero;          /* field: test (x & mask) != 0 */
};

typedef struct {
  char **t;
  int n, pos;
  char *err;
  size_t errlen;
  /* data-omission context */
  int last_kind;   /* 0 none, N_HOST (host), 1000 (net), N_PORT, N_PROTO, N_FIELD */
  int last_dir, last_proto;
  FNode last_field;
} FP;

static FNode *node(int op) { FNode *n = xcalloc(1, sizeof *n); n->op = op; n->proto = -1; n->fmask = 0xFFFFFFFFu; return n; }
void filter_free(FNode *n) {
  if (!n) return;
  filter_free(n->a);
  filter_free(n->b);
  filter_free(n->c);
  free(n);
}

static void tokenize(const char *s, FP *P) {
  P->t = NULL;
  P->n = 0;
  const char *p = s;
  while (*p) {
    if (isspace((unsigned char)*p)) { p++; continue; }
    const char *st = p;
    if (*p == '(' || *p == ')' || *p == '?' || *p == ':') p++;
    else if (*p == '&' && p[1] == '&') p += 2;
    else if (*p == '|' && p[1] == '|') p += 2;
    else if (*p == '&') p++;
    else if (*p == '!' && p[1] == '=') p += 2;
    else if (*p == '!') p++;
    else if (*p == '=' ) p += p[1] == '=' ? 2 : 1;
    else if (*p == '<' || *p == '>') p += p[1] == '=' ? 2 : 1;
    else {
      int br = 0;
      while (*p && (br || !(isspace((unsigned char)*p) || *p == '(' || *p == ')' || *p == '!' || *p == '=' ||
                             *p == '<' || *p == '>' || *p == '&' || *p == '|' || *p == '?' || (*p == ':' ))))
      {
        if (*p == '[') br++;
        else if (*p == ']' && br) br--;
        p++;
      }
      if (p == st) p++;
    }
    P->t = xrealloc(P->t, sizeof(char *) * (P->n + 1));
    P->t[P->n++] = xstrndup(st, p - st);
  }
}

static const char *peek(FP *P) { return P->pos < P->n ? P->t[P->pos] : NULL; }
static const char *next(FP *P) { return P->pos < P->n ? P->t[P->pos++] : NULL; }
static bool is(FP *P, const char *w) { const char *t = peek(P); return t && !strcmp(t, w); }
static FNode *fail(FP *P, const char *fmt, const char *w) {
  if (!P->err[0]) snprintf(P->err, P->errlen, fmt, w ? w : "end of pattern");
  return NULL;
}

static const struct { const char *n; int v; } protos[] = {
  {"icmp", 1}, {"igmp", 2}, {"ipip", 4}, {"tcp", 6}, {"udp", 17}, {"gre", 47}, {"esp", 50}, {"ah", 51},
  {"icmp6", 58}, {"sctp", 132}, {NULL, 0}};
static const struct { const char *n; int v; } ports[] = {
  {"echo", 7}, {"discard", 9}, {"daytime", 13}, {"ftp-data", 20}, {"ftp", 21}, {"ssh", 22}, {"telnet", 23},
  {"smtp", 25}, {"time", 37}, {"domain", 53}, {"dns", 53}, {"bootps", 67}, {"bootpc", 68}, {"tftp", 69},
  {"finger", 79}, {"www", 80}, {"http", 80}, {"pop3", 110}, {"sunrpc", 111}, {"auth", 113}, {"nntp", 119},
  {"ntp", 123}, {"netbios-ns", 137}, {"imap", 143}, {"snmp", 161}, {"snmp-trap", 162}, {"bgp", 179},
  {"ldap", 389}, {"https", 443}, {"syslog", 514}, {"imaps", 993}, {"pop3s", 995}, {"openvpn", 1194},
  {"mysql", 3306}, {NULL, 0}};
static const struct { const char *n; int v; } icmptypes[] = {
  {"echo-reply", 0}, {"unreachable", 3}, {"sourcequench", 4}, {"redirect", 5}, {"echo", 8},
  {"routeradvert", 9}, {"routersolicit", 10}, {"timeexceeded", 11}, {"parameterproblem", 12},
  {"timestamp", 13}, {"timestamp-reply", 14}, {"inforeq", 15}, {"inforeq-reply", 16}, {"maskreq", 17},
  {"maskreq-reply", 18}, {NULL, 0}};
static const struct { const char *n; int v; } tcpflags[] = {
  {"fin", 1}, {"syn", 2}, {"rst", 4}, {"psh", 8}, {"ack", 16}, {"urg", 32}, {"ece", 64}, {"cwr", 128}, {NULL, 0}};

static int lookup_proto(const char *w) {
  for (int i = 0; protos[i].n; i++) if (!strcmp(protos[i].n, w)) return protos[i].v;
  return -1;
}

static int parse_num(const char *w, uint32_t *v) {
  unsigned long long x;
  if (parse_uint(w, &x) || x > 0xFFFFFFFFull) return -1;
  *v = (uint32_t)x;
  return 0;
}

static int relop_of(const char *w) {
  if (!w) return -1;
  if (!strcmp(w, "==") || !strcmp(w, "=")) return R_EQ;
  if (!strcmp(w, "!=")) return R_NE;
  if (!strcmp(w, "<")) return R_LT;
  if (!strcmp(w, ">")) return R_GT;
  if (!strcmp(w, "<=")) return R_LE;
  if (!strcmp(w, ">=")) return R_GE;
  return -1;
}
static int read_relop(FP *P) {
  int r = relop_of(peek(P));
  if (r >= 0) { P->pos++; return r; }
  return R_EQ;
}

static bool is_keyword(const char *w) {
  static const char *kw[] = {"and", "or", "not", "&&", "||", "!", "(", ")", "?", ":", NULL};
  for (int i = 0; kw[i]; i++) if (!strcmp(kw[i], w)) return true;
  return false;
}

static FNode *make_field(int base, int off, int len, uint32_t mask, int shift, bool transport) {
  FNode *n = node(N_FIELD);
  n->base = base; n->off = off; n->len = len; n->fmask = mask; n->shift = shift; n->transport = transport;
  return n;
}

/* value after a port/type keyword (name or number) */
static int named_value(const char *w, int kind, uint32_t *v) {
  if (!w) return -1;
  if (parse_num(w, v) == 0) return 0;
  if (kind == N_PORT) { for (int i = 0; ports[i].n; i++) if (!strcmp(ports[i].n, w)) { *v = ports[i].v; return 0; } }
  if (kind == 'i') { for (int i = 0; icmptypes[i].n; i++) if (!strcmp(icmptypes[i].n, w)) { *v = icmptypes[i].v; return 0; } }
  if (kind == N_PROTO) { int p = lookup_proto(w); if (p >= 0) { *v = (uint32_t)p; return 0; } }
  return -1;
}

static FNode *parse_expr(FP *P);

static FNode *with_proto(FNode *n, int proto) {
  if (proto < 0) return n;
  FNode *p = node(N_PROTO);
  p->value = (uint32_t)proto;
  FNode *a = node(N_AND);
  a->a = p;
  a->b = n;
  return a;
}

/* bracket field: ip[POS], ip[POS:LEN], transp[...] */
static FNode *parse_bracket(FP *P, const char *w) {
  const char *lb = strchr(w, '[');
  char *base = xstrndup(w, lb - w);
  int b, proto = -1;
  if (!strcmp(base, "ip")) b = B_IP;
  else if (!strcmp(base, "transp")) b = B_TRANSP;
  else if ((proto = lookup_proto(base)) >= 0) b = B_TRANSP;
  else { free(base); return fail(P, "unknown offset base in '%s'", w); }
  free(base);
  const char *rb = strchr(lb, ']');
  if (!rb || rb[1]) return fail(P, "bad offset syntax in '%s'", w);
  char *inner = xstrndup(lb + 1, rb - lb - 1);
  char *colon = strchr(inner, ':');
  uint32_t off, len = 1;
  int bad = 0;
  if (colon) { *colon = 0; bad = parse_num(colon + 1, &len) || len < 1 || len > 4; }
  bad |= parse_num(inner, &off) || off > 65535;
  free(inner);
  if (bad) return fail(P, "bad offset or length in '%s' (length must be 1-4)", w);
  uint32_t mask = len == 4 ? 0xFFFFFFFFu : ((1u << (8 * len)) - 1);
  if (is(P, "&")) {
    P->pos++;
    const char *m = next(P);
    uint32_t mv;
    if (!m || parse_num(m, &mv)) return fail(P, "bad mask '%s'", m);
    mask &= mv;
  }
  FNode *n = make_field(b, (int)off, (int)len, mask, 0, b == B_TRANSP);
  int rel = relop_of(peek(P));
  const char *v = peek(P);
  if (rel >= 0) { P->pos++; v = peek(P); }
  uint32_t val;
  if (v && !is_keyword(v) && (parse_num(v, &val) == 0 || parse_ip(v, &val) == 0)) {
    P->pos++;
    if (parse_num(v, &val) != 0) { uint32_t ipn; parse_ip(v, &ipn); val = ntohl(ipn); }
    n->relop = rel >= 0 ? rel : R_EQ;
    n->value = val;
  } else if (rel >= 0) {
    filter_free(n);
    return fail(P, "expected value after '%s'", w);
  } else {
    n->nonzero = true; /* bare ip[...] tests non-zero */
  }
  P->last_kind = 0;
  return with_proto(n, proto);
}

static FNode *host_node(int dir, uint32_t ip, uint32_t mask) {
  FNode *n = node(N_HOST);
  n->dir = dir ? dir : D_OR;
  n->ip = ip & mask;
  n->mask = mask;
  return n;
}

static FNode *parse_primitive(FP *P) {
  const char *w = peek(P);
  if (!w) return fail(P, "unexpected %s", NULL);
  if (!strcmp(w, "true") || !strcmp(w, "-") || !strcmp(w, "any") || !strcmp(w, "all")) { P->pos++; return node(N_TRUE); }
  if (!strcmp(w, "false") || !strcmp(w, "none")) { P->pos++; return node(N_FALSE); }
  if (strchr(w, '[')) { P->pos++; return parse_bracket(P, w); }

  int dir = 0, proto = -2;
  bool have_kw = false;
  /* direction */
  if (!strcmp(w, "src") || !strcmp(w, "dst")) {
    dir = w[0] == 's' ? D_SRC : D_DST;
    P->pos++;
    have_kw = true;
    if ((is(P, "or") || is(P, "and")) && P->pos + 1 < P->n && !strcmp(P->t[P->pos + 1], dir == D_SRC ? "dst" : "src")) {
      dir = is(P, "or") ? D_OR : D_AND;
      P->pos += 2;
    }
  }
  /* protocol qualifier */
  w = peek(P);
  if (w && (lookup_proto(w) >= 0 || !strcmp(w, "ip"))) {
    const char *nx = P->pos + 1 < P->n ? P->t[P->pos + 1] : NULL;
    bool ip = !strcmp(w, "ip");
    int pr = ip ? -1 : lookup_proto(w);
    static const char *ipfields[] = {"vers", "hl", "id", "tos", "dscp", "ttl", "len", "frag", "unfrag", "ect", "ce", "proto", NULL};
    bool qualifies = false;
    if (nx) {
      if (!strcmp(nx, "port") || !strcmp(nx, "opt") || !strcmp(nx, "win") || !strcmp(nx, "type") || !strcmp(nx, "code") ||
          !strcmp(nx, "src") || !strcmp(nx, "dst") || !strcmp(nx, "host") || !strcmp(nx, "net")) qualifies = true;
      if (ip) for (int i = 0; ipfields[i]; i++) if (!strcmp(nx, ipfields[i])) qualifies = true;
    }
    if (ip && !qualifies) { P->pos++; return node(N_TRUE); /* "ip" alone: every IP packet */ }
    if (!qualifies) {
      /* bare protocol name */
      P->pos++;
      if (dir) return fail(P, "'%s' cannot follow src/dst", w);
      FNode *n = node(N_PROTO);
      n->value = (uint32_t)pr;
      P->last_kind = N_PROTO;
      return n;
    }
    P->pos++;
    proto = pr; /* -1 for "ip" */
    have_kw = true;
    if (!dir && (is(P, "src") || is(P, "dst"))) {
      dir = peek(P)[0] == 's' ? D_SRC : D_DST;
      P->pos++;
    }
  }
  w = peek(P);
  if (!w) return fail(P, "expected primitive after '%s'", P->t[P->pos - 1]);
  /* type keyword */
  if (!strcmp(w, "host") || !strcmp(w, "net")) {
    bool net = w[0] == 'n';
    P->pos++;
    const char *v = next(P);
    uint32_t ip, mask;
    if (!v) return fail(P, "expected IP address after '%s'", w);
    if (net) {
      if (is(P, "mask")) {
        P->pos++;
        const char *m = next(P);
        if (parse_ip(v, &ip) || !m || parse_ip(m, &mask)) return fail(P, "bad network '%s'", v);
      } else if (parse_ip_prefix(v, &ip, &mask)) return fail(P, "bad network '%s'", v);
    } else if (parse_ip(v, &ip)) return fail(P, "bad IP address '%s'", v);
    else mask = 0xFFFFFFFFu;
    P->last_kind = net ? 1000 : N_HOST;
    P->last_dir = dir;
    P->last_proto = -2;
    return host_node(dir, ip, mask);
  }
  if (!strcmp(w, "port")) {
    P->pos++;
    int rel = read_relop(P);
    const char *v = next(P);
    uint32_t pv;
    if (named_value(v, N_PORT, &pv) || pv > 65535) return fail(P, "bad port '%s'", v);
    FNode *n = node(N_PORT);
    n->dir = dir ? dir : D_OR;
    n->proto = proto >= 0 ? proto : -1;
    n->relop = rel;
    n->value = pv;
    n->transport = true;
    P->last_kind = N_PORT; P->last_dir = dir; P->last_proto = proto;
    return n;
  }
  if (!strcmp(w, "proto")) {
    P->pos++;
    int rel = read_relop(P);
    const char *v = next(P);
    uint32_t pv;
    if (named_value(v, N_PROTO, &pv) || pv > 255) return fail(P, "bad protocol '%s'", v);
    if (rel == R_EQ) { FNode *n = node(N_PROTO); n->value = pv; P->last_kind = N_PROTO; return n; }
    FNode *n = make_field(B_IP, 9, 1, 0xFF, 0, false);
    n->relop = rel;
    n->value = pv;
    return n;
  }
  if (!strcmp(w, "opt") && proto == 6) {
    P->pos++;
    const char *v = next(P);
    int f = -1;
    for (int i = 0; v && tcpflags[i].n; i++) if (!strcmp(tcpflags[i].n, v)) f = tcpflags[i].v;
    if (f < 0) return fail(P, "unknown TCP option '%s'", v);
    FNode *n = make_field(B_TRANSP, 13, 1, (uint32_t)f, 0, true);
    n->nonzero = true;
    P->last_kind = 0;
    return with_proto(n, 6);
  }
  if (!strcmp(w, "win") && proto == 6) {
    P->pos++;
    int rel = read_relop(P);
    const char *v = next(P);
    uint32_t x;
    if (!v || parse_num(v, &x)) return fail(P, "bad window '%s'", v);
    FNode *n = make_field(B_TRANSP, 14, 2, 0xFFFF, 0, true);
    n->relop = rel; n->value = x;
    P->last_kind = 0;
    return with_proto(n, 6);
  }
  if ((!strcmp(w, "type") || !strcmp(w, "code")) && proto == 1) {
    bool type = w[0] == 't';
    P->pos++;
    int rel = read_relop(P);
    const char *v = next(P);
    uint32_t x;
    if (named_value(v, type ? 'i' : 0, &x) || x > 255) return fail(P, type ? "bad ICMP type '%s'" : "bad ICMP code '%s'", v);
    FNode *n = make_field(B_TRANSP, type ? 0 : 1, 1, 0xFF, 0, true);
    n->relop = rel; n->value = x;
    P->last_kind = 0;
    return with_proto(n, 1);
  }
  if (proto == -1 && have_kw) {
    /* ip FIELD */
    static const struct { const char *n; int off, len; uint32_t mask; int shift; int flag; } f[] = {
      {"vers", 0, 1, 0xF0, 4, 0}, {"hl", 0, 1, 0x0F, 0, 0}, {"tos", 1, 1, 0xFF, 0, 0}, {"dscp", 1, 1, 0xFC, 2, 0},
      {"len", 2, 2, 0xFFFF, 0, 0}, {"id", 4, 2, 0xFFFF, 0, 0}, {"ttl", 8, 1, 0xFF, 0, 0},
      {"frag", 6, 2, 0x3FFF, 0, 1}, {"unfrag", 6, 2, 0x3FFF, 0, 2}, {"ect", 1, 1, 0x03, 0, 1}, {"ce", 1, 1, 0x03, 0, 3},
      {NULL, 0, 0, 0, 0, 0}};
    for (int i = 0; f[i].n; i++)
      if (!strcmp(f[i].n, w)) {
        P->pos++;
        FNode *n = make_field(B_IP, f[i].off, f[i].len, f[i].mask, f[i].shift, false);
        if (f[i].flag == 1) n->nonzero = true;
        else if (f[i].flag == 2) { n->relop = R_EQ; n->value = 0; }
        else if (f[i].flag == 3) { n->relop = R_EQ; n->value = 3; }
        else {
          int rel = read_relop(P);
          const char *v = next(P);
          uint32_t x;
          if (!v || parse_num(v, &x)) { filter_free(n); return fail(P, "bad value '%s'", v); }
          n->relop = rel; n->value = x;
        }
        P->last_kind = 0;
        return n;
      }
    return fail(P, "unknown IP field '%s'", w);
  }
  /* bare value: data omission */
  int rel = relop_of(w);
  if (rel >= 0) { P->pos++; w = peek(P); if (!w) return fail(P, "expected value after relation", NULL); }
  uint32_t ip, mask;
  if (parse_ip(w, &ip) == 0 && rel < 0 && (!have_kw || P->last_kind != N_PORT)) {
    P->pos++;
    if (P->last_kind == 1000 && !have_kw) { P->last_kind = N_HOST; }
    int d = have_kw ? dir : (P->last_kind == N_HOST || P->last_kind == 1000 ? P->last_dir : 0);
    P->last_kind = N_HOST; P->last_dir = d;
    return host_node(d, ip, 0xFFFFFFFFu);
  }
  if (strchr(w, '/') && parse_ip_prefix(w, &ip, &mask) == 0) {
    P->pos++;
    int d = have_kw ? dir : (P->last_kind == N_HOST || P->last_kind == 1000 ? P->last_dir : 0);
    P->last_kind = 1000; P->last_dir = d;
    return host_node(d, ip, mask);
  }
  uint32_t pv;
  if ((P->last_kind == N_PORT || (have_kw && proto >= 0)) && named_value(w, N_PORT, &pv) == 0 && pv <= 65535) {
    P->pos++;
    FNode *n = node(N_PORT);
    int d = have_kw ? dir : P->last_dir;
    int pr = proto >= 0 ? proto : (have_kw ? -1 : P->last_proto);
    n->dir = d ? d : D_OR;
    n->proto = pr >= 0 ? pr : -1;
    n->relop = rel >= 0 ? rel : R_EQ;
    n->value = pv;
    n->transport = true;
    P->last_kind = N_PORT; P->last_dir = d; P->last_proto = pr;
    return n;
  }
  if (P->last_kind == N_PROTO && !have_kw && lookup_proto(w) >= 0) {
    P->pos++;
    FNode *n = node(N_PROTO);
    n->value = (uint32_t)lookup_proto(w);
    return n;
  }
  return fail(P, "unknown word '%s'", w);
}

static FNode *parse_not(FP *P) {
  const char *w = peek(P);
  if (!w) return fail(P, "unexpected %s", NULL);
  if (!strcmp(w, "not") || !strcmp(w, "!")) {
    P->pos++;
    FNode *x = parse_not(P);
    if (!x) return NULL;
    FNode *n = node(N_NOT);
    n->a = x;
    return n;
  }
  if (!strcmp(w, "(")) {
    P->pos++;
    FNode *x = parse_expr(P);
    if (!x) return NULL;
    if (!is(P, ")")) { filter_free(x); return fail(P, "missing ')' before %s", peek(P)); }
    P->pos++;
    return x;
  }
  return parse_primitive(P);
}
static FNode *parse_and(FP *P) {
  FNode *l = parse_not(P);
  if (!l) return NULL;
  for (;;) {
    const char *w = peek(P);
    if (!w || !strcmp(w, "or") || !strcmp(w, "||") || !strcmp(w, ")") || !strcmp(w, "?") || !strcmp(w, ":")) break;
    if (!strcmp(w, "and") || !strcmp(w, "&&")) P->pos++;
    FNode *r = parse_not(P);
    if (!r) { filter_free(l); return NULL; }
    FNode *n = node(N_AND);
    n->a = l; n->b = r;
    l = n;
  }
  return l;
}
static FNode *parse_or(FP *P) {
  FNode *l = parse_and(P);
  if (!l) return NULL;
  while (is(P, "or") || is(P, "||")) {
    P->pos++;
    FNode *r = parse_and(P);
    if (!r) { filter_free(l); return NULL; }
    FNode *n = node(N_OR);
    n->a = l; n->b = r;
    l = n;
  }
  return l;
}
static int g_depth;
static FNode *parse_expr(FP *P) {
  if (++g_depth > 200) { g_depth--; return fail(P, "expression nested too deeply%s", ""); }
  FNode *c = parse_or(P);
  if (c && is(P, "?")) {
    P->pos++;
    FNode *a = parse_expr(P);
    if (!a) { filter_free(c); g_depth--; return NULL; }
    if (!is(P, ":")) { filter_free(c); filter_free(a); g_depth--; return fail(P, "missing ':' in '?:' expression%s", ""); }
    P->pos++;
    FNode *b = parse_expr(P);
    if (!b) { filter_free(c); filter_free(a); g_depth--; return NULL; }
    FNode *n = node(N_COND);
    n->a = c; n->b = a; n->c = b;
    c = n;
  }
  g_depth--;
  return c;
}

FNode *filter_parse(const char *text, char *errbuf, size_t errlen) {
  FP P = {0};
  P.err = errbuf;
  P.errlen = errlen;
  errbuf[0] = 0;
  tokenize(text, &P);
  g_depth = 0;
  FNode *n = NULL;
  if (P.n == 0) snprintf(errbuf, errlen, "empty pattern");
  else {
    n = parse_expr(&P);
    if (n && P.pos < P.n) {
      snprintf(errbuf, errlen, "garbage after pattern at '%s'", P.t[P.pos]);
      filter_free(n);
      n = NULL;
    }
  }
  for (int i = 0; i < P.n; i++) free(P.t[i]);
  free(P.t);
  return n;
}

/* ------------------------------------------------------------ evaluation */
static bool relop(int r, uint32_t a, uint32_t b) {
  switch (r) {
    case R_EQ: return a == b;
    case R_NE: return a != b;
    case R_LT: return a < b;
    case R_GT: return a > b;
    case R_LE: return a <= b;
    case R_GE: return a >= b;
  }
  return false;
}

typedef struct { const uint8_t *ip; int32_t avail; const uint8_t *th; int32_t tavail; bool first; } PktView;

static bool eval(const FNode *n, const PktView *v) {
  switch (n->op) {
    case N_TRUE: return true;
    case N_FALSE: return false;
    case N_AND: return eval(n->a, v) && eval(n->b, v);
    case N_OR: return eval(n->a, v) || eval(n->b, v);
    case N_NOT: return !eval(n->a, v);
    case N_COND: return eval(n->a, v) ? eval(n->b, v) : eval(n->c, v);
    default: break;
  }
  if (v->avail < 20) return false;
  switch (n->op) {
    case N_HOST: {
      uint32_t s, d;
      memcpy(&s, v->ip + 12, 4);
      memcpy(&d, v->ip + 16, 4);
      bool ms = (s & n->mask) == n->ip, md = (d & n->mask) == n->ip;
      switch (n->dir) {
        case D_SRC: return ms;
        case D_DST: return md;
        case D_AND: return ms && md;
        default: return ms || md;
      }
    }
    case N_PROTO: return v->ip[9] == n->value;
    case N_PORT: {
      int pr = v->ip[9];
      if (n->proto >= 0 ? pr != n->proto : (pr != 6 && pr != 17 && pr != 132)) return false;
      if (!v->first || v->tavail < 4) return false;
      uint32_t sp = (uint32_t)v->th[0] << 8 | v->th[1], dp = (uint32_t)v->th[2] << 8 | v->th[3];
      bool ms = relop(n->relop, sp, n->value), md = relop(n->relop, dp, n->value);
      switch (n->dir) {
        case D_SRC: return ms;
        case D_DST: return md;
        case D_AND: return ms && md;
        default: return ms || md;
      }
    }
    case N_FIELD: {
      const uint8_t *b;
      int32_t av;
      if (n->base == B_IP) { b = v->ip; av = v->avail; }
      else { if (!v->first) return false; b = v->th; av = v->tavail; }
      if (!b || n->off + n->len > av) return false;
      uint32_t x = 0;
      for (int i = 0; i < n->len; i++) x = x << 8 | b[n->off + i];
      x &= n->fmask;
      if (n->nonzero) return x != 0;
      x >>= n->shift;
      return relop(n->relop, x, n->value);
    }
  }
  return false;
}

bool filter_match_ip(const FNode *n, const uint8_t *ip, int32_t avail) {
  PktView v = {ip, avail, NULL, 0, false};
  if (avail >= 20) {
    int hl = (ip[0] & 0xF) * 4;
    uint16_t off = (uint16_t)(ip[6] << 8 | ip[7]);
    v.first = (off & 0x1FFF) == 0;
    if (hl >= 20 && hl < avail) {
      v.th = ip + hl;
      v.tavail = avail - hl;
    }
  }
  return eval(n, &v);
}

bool filter_match(const FNode *n, const Packet *p) {
  const uint8_t *ip;
  int32_t avail;
  if (p->nh >= 0) { ip = pkt_nh(p); avail = pkt_avail(p, p->nh); }
  else { ip = pkt_data(p); avail = (int32_t)p->len; }
  return filter_match_ip(n, ip, avail);
}

/* ------------------------------------------------------------ programs */
int filter_program_parse(Args *a, bool ipfilter, FilterProgram *prog, ErrCtx *err, int noutputs) {
  memset(prog, 0, sizeof *prog);
  int rc = 0;
  for (int i = 0; i < a->n; i++) {
    const char *s = a->v[i];
    if (!*s && i == a->n - 1 && i > 0) break;
    int action = prog->n;
    const char *expr = s;
    if (ipfilter) {
      const char *sp = s;
      while (*sp && !isspace((unsigned char)*sp)) sp++;
      char *w = xstrndup(s, sp - s);
      unsigned long long out;
      if (!strcmp(w, "allow")) action = 0;
      else if (!strcmp(w, "deny") || !strcmp(w, "drop")) action = -1;
      else if (parse_uint(w, &out) == 0 && out < 65536) action = (int)out;
      else {
        rc = err_report(err, a->line, "pattern %d: unknown action '%s' (expected allow, deny, drop or an output number)", i, w);
        free(w);
        continue;
      }
      free(w);
      while (isspace((unsigned char)*sp)) sp++;
      expr = sp;
      if (!*expr) expr = "true";
    }
    if (action >= noutputs) {
      rc = err_report(err, a->line, "pattern %d: output %d out of range (%d outputs)", i, action, noutputs);
      continue;
    }
    char eb[256];
    FNode *n = filter_parse(expr, eb, sizeof eb);
    if (!n) { rc = err_report(err, a->line, "pattern %d: %s", i, eb); continue; }
    prog->expr = xrealloc(prog->expr, sizeof(FNode *) * (prog->n + 1));
    prog->action = xrealloc(prog->action, sizeof(int) * (prog->n + 1));
    prog->expr[prog->n] = n;
    prog->action[prog->n] = action;
    prog->n++;
  }
  if (rc < 0) filter_program_free(prog);
  return rc;
}
void filter_program_free(FilterProgram *prog) {
  for (int i = 0; i < prog->n; i++) filter_free(prog->expr[i]);
  free(prog->expr);
  free(prog->action);
  memset(prog, 0, sizeof *prog);
}
int filter_program_run(const FilterProgram *prog, const Packet *p) {
  const uint8_t *ip;
  int32_t avail;
  if (p->nh >= 0) { ip = pkt_nh(p); avail = pkt_avail(p, p->nh); }
  else { ip = pkt_data(p); avail = (int32_t)p->len; }
  PktView v = {ip, avail, NULL, 0, false};
  if (avail >= 20) {
    int hl = (ip[0] & 0xF) * 4;
    uint16_t off = (uint16_t)(ip[6] << 8 | ip[7]);
    v.first = (off & 0x1FFF) == 0;
    if (hl >= 20 && hl < avail) { v.th = ip + hl; v.tavail = avail - hl; }
  }
  for (int i = 0; i < prog->n; i++)
    if (eval(prog->expr[i], &v)) return prog->action[i];
  return -1;
}
