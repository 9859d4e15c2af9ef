/* args.c - the one shared argument reader (Click's confparse/Args).
 *
 * A configuration string is split at top-level commas (quotes, parentheses,
 * brackets and braces nest; comments are removed).  Positional arguments come
 * first, in the order of the specs that allow them; then KEYWORD arguments, in
 * any order.  Errors name the argument: "COUNT: expected unsigned integer". */
#include "clickos.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

/* remove comments, trim whitespace */
char *strip_comments_trim(const char *s) {
  Str o;
  str_init(&o);
  str_add(&o, "");
  char q = 0;
  for (const char *p = s; *p; p++) {
    if (q) {
      str_addc(&o, *p);
      if (*p == '\\' && p[1] && q == '"') { str_addc(&o, *++p); continue; }
      if (*p == q) q = 0;
      continue;
    }
    if (*p == '"' || *p == '\'') { q = *p; str_addc(&o, *p); continue; }
    if (*p == '/' && p[1] == '/') { while (*p && *p != '\n') p++; if (!*p) break; str_addc(&o, '\n'); continue; }
    if (*p == '/' && p[1] == '*') {
      p += 2;
      while (*p && !(*p == '*' && p[1] == '/')) p++;
      if (!*p) break;
      p++;
      str_addc(&o, ' ');
      continue;
    }
    str_addc(&o, *p);
  }
  size_t a = 0, b = o.len;
  while (a < b && isspace((unsigned char)o.s[a])) a++;
  while (b > a && isspace((unsigned char)o.s[b - 1])) b--;
  char *r = xstrndup(o.s + a, b - a);
  str_free(&o);
  return r;
}

static void args_push(Args *a, const char *s, size_t n) {
  a->v = xrealloc(a->v, sizeof(char *) * (a->n + 1));
  a->used = xrealloc(a->used, sizeof(bool) * (a->n + 1));
  char *t = xstrndup(s, n);
  char *u = strip_comments_trim(t);
  free(t);
  a->v[a->n] = u;
  a->used[a->n] = false;
  a->n++;
}

void args_split(const char *conf, Args *a) {
  memset(a, 0, sizeof *a);
  if (!conf) return;
  char *c = strip_comments_trim(conf);
  if (!*c) { free(c); return; }
  int depth = 0;
  char q = 0;
  const char *start = c;
  for (const char *p = c;; p++) {
    if (!*p) { args_push(a, start, p - start); break; }
    if (q) {
      if (*p == '\\' && p[1] && q == '"') { p++; continue; }
      if (*p == q) q = 0;
      continue;
    }
    if (*p == '"' || *p == '\'') q = *p;
    else if (*p == '(' || *p == '[' || *p == '{') depth++;
    else if ((*p == ')' || *p == ']' || *p == '}') && depth > 0) depth--;
    else if (*p == ',' && depth == 0) { args_push(a, start, p - start); start = p + 1; }
  }
  free(c);
}

void split_words(const char *s, Args *a) {
  memset(a, 0, sizeof *a);
  const char *p = s;
  for (;;) {
    while (*p && isspace((unsigned char)*p)) p++;
    if (!*p) break;
    const char *st = p;
    char q = 0;
    while (*p && (q || !isspace((unsigned char)*p))) {
      if (q) { if (*p == q) q = 0; }
      else if (*p == '"' || *p == '\'') q = *p;
      p++;
    }
    a->v = xrealloc(a->v, sizeof(char *) * (a->n + 1));
    a->used = xrealloc(a->used, sizeof(bool) * (a->n + 1));
    a->v[a->n] = xstrndup(st, p - st);
    a->used[a->n] = false;
    a->n++;
  }
}

void args_free(Args *a) {
  for (int i = 0; i < a->n; i++) free(a->v[i]);
  free(a->v);
  free(a->used);
  a->v = NULL;
  a->used = NULL;
  a->n = 0;
}

/* ------------------------------------------------------------ value parsers */
int parse_uint(const char *s, unsigned long long *v) {
  if (!s || !*s || *s == '-' || *s == '+' || isspace((unsigned char)*s)) return -1;
  errno = 0;
  char *end;
  unsigned long long x = strtoull(s, &end, 0);
  if (errno || *end) return -1;
  *v = x;
  return 0;
}
int parse_int(const char *s, long long *v) {
  if (!s || !*s || isspace((unsigned char)*s)) return -1;
  errno = 0;
  char *end;
  long long x = strtoll(s, &end, 0);
  if (errno || *end) return -1;
  *v = x;
  return 0;
}
int parse_bool(const char *s, bool *v) {
  if (!strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "yes") || !strcmp(s, "t") || !strcmp(s, "y")) { *v = true; return 0; }
  if (!strcmp(s, "false") || !strcmp(s, "0") || !strcmp(s, "no") || !strcmp(s, "f") || !strcmp(s, "n")) { *v = false; return 0; }
  return -1;
}
int parse_ip(const char *s, uint32_t *ip) {
  int parts[4], n = 0;
  const char *p = s;
  if (!*p) return -1;
  while (n < 4) {
    if (!isdigit((unsigned char)*p)) return -1;
    int v = 0, d = 0;
    while (isdigit((unsigned char)*p)) { v = v * 10 + (*p - '0'); p++; if (++d > 3 || v > 255) return -1; }
    parts[n++] = v;
    if (*p == '.' && n < 4) p++;
    else break;
  }
  if (*p || n != 4) return -1;
  uint8_t b[4] = {(uint8_t)parts[0], (uint8_t)parts[1], (uint8_t)parts[2], (uint8_t)parts[3]};
  memcpy(ip, b, 4);
  return 0;
}
int parse_ip_prefix(const char *s, uint32_t *ip, uint32_t *mask) {
  const char *slash = strchr(s, '/');
  const char *sp = strchr(s, ' ');
  if (slash) {
    char *a = xstrndup(s, slash - s);
    int r = parse_ip(a, ip);
    if (r) {
      /* Click's abbreviated prefixes: "10/8", "192.168/16" */
      int dots = 0;
      for (char *q = a; *q; q++) dots += *q == '.';
      if (dots < 3 && *a) {
        char buf[32];
        snprintf(buf, sizeof buf, "%s%s", a, dots == 0 ? ".0.0.0" : dots == 1 ? ".0.0" : ".0");
        r = parse_ip(buf, ip);
      }
    }
    free(a);
    if (r) return -1;
    unsigned long long len;
    if (parse_uint(slash + 1, &len) == 0) {
      if (len > 32) return -1;
      *mask = len == 0 ? 0 : htonl(0xFFFFFFFFu << (32 - len));
    } else if (parse_ip(slash + 1, mask)) return -1;
    *ip &= *mask;
    return 0;
  }
  if (sp) {
    char *a = xstrndup(s, sp - s);
    int r = parse_ip(a, ip);
    free(a);
    const char *m = sp;
    while (*m == ' ') m++;
    if (r || parse_ip(m, mask)) return -1;
    *ip &= *mask;
    return 0;
  }
  if (parse_ip(s, ip)) return -1;
  *mask = 0xFFFFFFFFu;
  return 0;
}
int parse_eth(const char *s, uint8_t mac[6]) {
  unsigned v[6];
  int n = 0;
  const char *p = s;
  for (int i = 0; i < 6; i++) {
    if (!isxdigit((unsigned char)p[0])) return -1;
    char *end;
    unsigned long x = strtoul(p, &end, 16);
    if (end - p > 2 || end == p || x > 255) return -1;
    v[n++] = (unsigned)x;
    p = end;
    if (i < 5) {
      if (*p != ':' && *p != '-') return -1;
      p++;
    }
  }
  if (*p) return -1;
  for (int i = 0; i < 6; i++) mac[i] = (uint8_t)v[i];
  return 0;
}
int parse_double(const char *s, double *v) {
  if (!s || !*s || isspace((unsigned char)*s)) return -1;
  char *end;
  errno = 0;
  double x = strtod(s, &end);
  if (errno || *end || !isfinite(x)) return -1;
  *v = x;
  return 0;
}
/* seconds with optional unit: s, sec, ms, msec, us, usec, ns, nsec, m, min, h, hr */
int parse_time_ns(const char *s, uint64_t *ns) {
  if (!s || !*s) return -1;
  char *end;
  errno = 0;
  double x = strtod(s, &end);
  if (errno || end == s || x < 0 || !isfinite(x)) return -1;
  while (*end == ' ') end++;
  double mul = 1e9;
  if (!*end || !strcmp(end, "s") || !strcmp(end, "sec") || !strcmp(end, "secs")) mul = 1e9;
  else if (!strcmp(end, "ms") || !strcmp(end, "msec")) mul = 1e6;
  else if (!strcmp(end, "us") || !strcmp(end, "usec")) mul = 1e3;
  else if (!strcmp(end, "ns") || !strcmp(end, "nsec")) mul = 1;
  else if (!strcmp(end, "m") || !strcmp(end, "min")) mul = 60e9;
  else if (!strcmp(end, "h") || !strcmp(end, "hr")) mul = 3600e9;
  else return -1;
  double r = x * mul;
  if (r > 1.8e19) return -1;
  *ns = (uint64_t)(r + 0.5);
  return 0;
}
/* bandwidth in bytes/s: "1000" (Bps), "8kbps", "1Mbps", "10MBps", "1Gbps" */
int parse_bandwidth(const char *s, double *Bps) {
  if (!s || !*s) return -1;
  char *end;
  double x = strtod(s, &end);
  if (end == s || x < 0 || !isfinite(x)) return -1;
  while (*end == ' ') end++;
  double mul = 1;
  if (*end == 'k' || *end == 'K') { mul = 1e3; end++; }
  else if (*end == 'M') { mul = 1e6; end++; }
  else if (*end == 'G') { mul = 1e9; end++; }
  if (!*end || !strcmp(end, "Bps") || !strcmp(end, "B/s")) { *Bps = x * mul; return 0; }
  if (!strcmp(end, "bps") || !strcmp(end, "b/s") || !strcmp(end, "baud")) { *Bps = x * mul / 8; return 0; }
  return -1;
}

/* Click string unquoting: "double quotes" with backslash escapes
 * (\n \t \r \\ \" \xHH \<hex bytes>), 'single quotes' raw, and \<hex>
 * also outside quotes; adjacent pieces concatenate.  Binary-safe. */
char *unquote_bin(const char *s, size_t *outlen) {
  Str o;
  str_init(&o);
  str_add(&o, "");
  char q = 0;
  for (const char *p = s; *p; p++) {
    if (q == '\'') {
      if (*p == '\'') q = 0;
      else str_addc(&o, *p);
      continue;
    }
    if (*p == '\\' && p[1] == '<') {
      p += 2;
      int nib = -1;
      while (*p && *p != '>') {
        int v = -1;
        if (*p >= '0' && *p <= '9') v = *p - '0';
        else if (*p >= 'a' && *p <= 'f') v = *p - 'a' + 10;
        else if (*p >= 'A' && *p <= 'F') v = *p - 'A' + 10;
        if (v >= 0) {
          if (nib < 0) nib = v;
          else { str_addc(&o, (char)(nib << 4 | v)); nib = -1; }
        }
        p++;
      }
      if (!*p) break;
      continue;
    }
    if (q == '"') {
      if (*p == '"') { q = 0; continue; }
      if (*p == '\\' && p[1]) {
        p++;
        char c = *p;
        if (c == 'n') c = '\n';
        else if (c == 't') c = '\t';
        else if (c == 'r') c = '\r';
        else if (c == 'a') c = '\a';
        else if (c == '0' && !(p[1] >= '0' && p[1] <= '7')) c = 0;
        else if (c == 'x' && isxdigit((unsigned char)p[1])) {
          int v = 0, k = 0;
          while (k < 2 && isxdigit((unsigned char)p[1])) { p++; v = v * 16 + (isdigit((unsigned char)*p) ? *p - '0' : (tolower((unsigned char)*p) - 'a' + 10)); k++; }
          c = (char)v;
        } else if (c >= '0' && c <= '7') {
          int v = 0, k = 0;
          p--;
          while (k < 3 && p[1] >= '0' && p[1] <= '7') { p++; v = v * 8 + (*p - '0'); k++; }
          c = (char)v;
        }
        str_addc(&o, c);
        continue;
      }
      str_addc(&o, *p);
      continue;
    }
    if (*p == '"' || *p == '\'') { q = *p; continue; }
    str_addc(&o, *p);
  }
  if (outlen) *outlen = o.len;
  return o.s;
}
char *unquote(const char *s) { return unquote_bin(s, NULL); }

const char *arg_type_name(ArgType t) {
  switch (t) {
    case A_INT: return "expected integer";
    case A_UINT: case A_U64: return "expected unsigned integer";
    case A_BOOL: return "expected boolean";
    case A_STR: return "expected string";
    case A_WORD: return "expected word";
    case A_ANY: return "expected argument";
    case A_IP: return "expected IP address";
    case A_IPPREFIX: return "expected IP address prefix";
    case A_ETH: return "expected Ethernet address";
    case A_DOUBLE: return "expected real number";
    case A_TIME: return "expected time in seconds";
    case A_BANDWIDTH: return "expected bandwidth";
    case A_ELEMENT_NAME: return "expected element name";
  }
  return "bad value";
}

static int store(const ArgSpec *sp, const char *val) {
  switch (sp->type) {
    case A_INT: {
      long long v;
      if (parse_int(val, &v) || v < INT32_MIN || v > INT32_MAX) return -1;
      *(int *)sp->out = (int)v;
      return 0;
    }
    case A_UINT: {
      unsigned long long v;
      if (parse_uint(val, &v) || v > UINT32_MAX) return -1;
      *(unsigned *)sp->out = (unsigned)v;
      return 0;
    }
    case A_U64: {
      unsigned long long v;
      if (parse_uint(val, &v)) return -1;
      *(uint64_t *)sp->out = v;
      return 0;
    }
    case A_BOOL: return parse_bool(val, (bool *)sp->out);
    case A_STR: {
      char **o = sp->out;
      free(*o);
      *o = unquote(val);
      return 0;
    }
    case A_WORD: {
      if (!*val) return -1;
      for (const char *p = val; *p; p++) if (isspace((unsigned char)*p)) return -1;
      char **o = sp->out;
      free(*o);
      *o = unquote(val);
      return 0;
    }
    case A_ANY:
    case A_ELEMENT_NAME: {
      char **o = sp->out;
      free(*o);
      *o = xstrdup(val);
      return 0;
    }
    case A_IP: return parse_ip(val, (uint32_t *)sp->out);
    case A_IPPREFIX: return parse_ip_prefix(val, (uint32_t *)sp->out, (uint32_t *)sp->out2);
    case A_ETH: return parse_eth(val, (uint8_t *)sp->out);
    case A_DOUBLE: return parse_double(val, (double *)sp->out);
    case A_TIME: return parse_time_ns(val, (uint64_t *)sp->out);
    case A_BANDWIDTH: return parse_bandwidth(val, (double *)sp->out);
  }
  return -1;
}

/* is the argument "KEYWORD value"? returns keyword length */
static size_t keyword_len(const char *s) {
  size_t i = 0;
  if (!(isupper((unsigned char)s[0]) || s[0] == '_')) return 0;
  while (isupper((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_') i++;
  if (s[i] == 0) return i; /* bare keyword: value "" */
  if (!isspace((unsigned char)s[i])) return 0;
  return i;
}

int args_read(Args *a, const ArgSpec *specs, int ns) {
  ErrCtx *err = a->err;
  int status = 0;
  bool *seen = xcalloc(ns ? ns : 1, sizeof(bool));
  int ai = 0;
  /* positional */
  for (int si = 0; si < ns && ai < a->n; si++) {
    if (!(specs[si].flags & A_POSITIONAL)) continue;
    const char *v = a->v[ai];
    size_t kl = keyword_len(v);
    if (kl) {
      /* a keyword argument ends the positional ones only if it names a spec */
      char *kw = xstrndup(v, kl);
      bool known = false;
      for (int k = 0; k < ns; k++) if (!strcmp(specs[k].kw, kw)) known = true;
      free(kw);
      if (known) break;
    }
    if (store(&specs[si], v) < 0) {
      status = err_report(err, a->line, "%s: %s", specs[si].kw, arg_type_name(specs[si].type));
    }
    seen[si] = true;
    if (specs[si].present) *specs[si].present = true;
    a->used[ai] = true;
    ai++;
  }
  /* keywords */
  for (; ai < a->n; ai++) {
    const char *v = a->v[ai];
    size_t kl = keyword_len(v);
    if (!kl) {
      if (!*v && ai == a->n - 1) continue; /* trailing comma */
      status = err_report(err, a->line, "too many arguments");
      break;
    }
    int si;
    for (si = 0; si < ns; si++)
      if (strlen(specs[si].kw) == kl && !strncmp(specs[si].kw, v, kl)) break;
    if (si == ns) {
      status = err_report(err, a->line, "bad keyword %.*s", (int)kl, v);
      continue;
    }
    const char *val = v + kl;
    while (isspace((unsigned char)*val)) val++;
    if (store(&specs[si], val) < 0)
      status = err_report(err, a->line, "%s: %s", specs[si].kw, arg_type_name(specs[si].type));
    seen[si] = true;
    if (specs[si].present) *specs[si].present = true;
    a->used[ai] = true;
  }
  for (int si = 0; si < ns; si++)
    if ((specs[si].flags & A_MANDATORY) && !seen[si]) {
      status = err_report(err, a->line, "missing mandatory %s argument", specs[si].kw);
    }
  free(seen);
  if (status < 0) a->status = -1;
  return status;
}
