/* config.c - lexer and parser for the Click configuration language.
 *
 * The lexer only tokenises the graph language; element arguments are passed
 * through as raw text (Click's lib/lexer.cc does the same).  The parser
 * expands `elementclass` compounds into a flat list of declarations and
 * connections (compound ports become tunnels that are eliminated at the end),
 * substitutes `$VAR`s from `define(...)` and compound formals, and reports
 * errors as FILE:LINE: message. */
#include "clickos.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32
#define MAX_ELEMENTS 200000
#define MAX_INSTANTIATIONS 50000
#define TUNNEL_CLASS "<tunnel>"

typedef enum {
  T_EOF, T_IDENT, T_VAR, T_DCOLON, T_ARROW, T_LBRACK, T_RBRACK, T_LPAREN, T_RPAREN,
  T_LBRACE, T_RBRACE, T_COMMA, T_SEMI, T_BAR, T_OTHER
} TokT;

typedef struct {
  TokT t;
  char *s;   /* IDENT / VAR text */
  int line;
  char c;    /* T_OTHER */
} Tok;

typedef struct {
  const char *text;
  size_t pos, len;
  int line;
  Tok la;       /* lookahead */
  bool has_la;
} Lexer;

static bool ident_char(int c) { return isalnum(c) || c == '_' || c == '@' || c == '/'; }

static void skip_ws(Lexer *lx) {
  for (;;) {
    while (lx->pos < lx->len && isspace((unsigned char)lx->text[lx->pos])) {
      if (lx->text[lx->pos] == '\n') lx->line++;
      lx->pos++;
    }
    if (lx->pos + 1 < lx->len && lx->text[lx->pos] == '/' && lx->text[lx->pos + 1] == '/') {
      while (lx->pos < lx->len && lx->text[lx->pos] != '\n') lx->pos++;
      continue;
    }
    if (lx->pos + 1 < lx->len && lx->text[lx->pos] == '/' && lx->text[lx->pos + 1] == '*') {
      lx->pos += 2;
      while (lx->pos < lx->len && !(lx->text[lx->pos] == '*' && lx->pos + 1 < lx->len && lx->text[lx->pos + 1] == '/')) {
        if (lx->text[lx->pos] == '\n') lx->line++;
        lx->pos++;
      }
      lx->pos = lx->pos + 2 > lx->len ? lx->len : lx->pos + 2;
      continue;
    }
    if (lx->pos < lx->len && lx->text[lx->pos] == '#' && (lx->pos == 0 || lx->text[lx->pos - 1] == '\n')) {
      /* preprocessor-style line (#!...): ignore */
      while (lx->pos < lx->len && lx->text[lx->pos] != '\n') lx->pos++;
      continue;
    }
    break;
  }
}

static Tok lex_raw(Lexer *lx) {
  Tok t = {T_EOF, NULL, 0, 0};
  skip_ws(lx);
  t.line = lx->line;
  if (lx->pos >= lx->len) return t;
  const char *s = lx->text + lx->pos;
  char c = s[0];
  char c1 = lx->pos + 1 < lx->len ? s[1] : 0;
  if (c == ':' && c1 == ':') { t.t = T_DCOLON; lx->pos += 2; return t; }
  if (c == '-' && c1 == '>') { t.t = T_ARROW; lx->pos += 2; return t; }
  if (c == '$') {
    size_t i = 1;
    if (lx->pos + 1 < lx->len && s[1] == '{') {
      i = 2;
      while (lx->pos + i < lx->len && s[i] != '}') i++;
      t.t = T_VAR;
      t.s = xstrndup(s + 2, i - 2);
      lx->pos += i < lx->len - lx->pos ? i + 1 : i;
      return t;
    }
    while (lx->pos + i < lx->len && (isalnum((unsigned char)s[i]) || s[i] == '_')) i++;
    t.t = T_VAR;
    t.s = xstrndup(s + 1, i - 1);
    lx->pos += i;
    return t;
  }
  if (ident_char((unsigned char)c)) {
    size_t i = 0;
    while (lx->pos + i < lx->len && ident_char((unsigned char)s[i])) {
      /* a '/' starting a comment ends the identifier */
      if (s[i] == '/' && lx->pos + i + 1 < lx->len && (s[i + 1] == '/' || s[i + 1] == '*')) break;
      i++;
    }
    t.t = T_IDENT;
    t.s = xstrndup(s, i);
    lx->pos += i;
    return t;
  }
  lx->pos++;
  switch (c) {
    case '[': t.t = T_LBRACK; break;
    case ']': t.t = T_RBRACK; break;
    case '(': t.t = T_LPAREN; break;
    case ')': t.t = T_RPAREN; break;
    case '{': t.t = T_LBRACE; break;
    case '}': t.t = T_RBRACE; break;
    case ',': t.t = T_COMMA; break;
    case ';': t.t = T_SEMI; break;
    case '|': t.t = T_BAR; break;
    default: t.t = T_OTHER; t.c = c; break;
  }
  return t;
}

static Tok lex_next(Lexer *lx) {
  if (lx->has_la) { lx->has_la = false; return lx->la; }
  return lex_raw(lx);
}
static Tok *lex_peek(Lexer *lx) {
  if (!lx->has_la) { lx->la = lex_raw(lx); lx->has_la = true; }
  return &lx->la;
}
static void tok_free(Tok *t) { free(t->s); t->s = NULL; }

/* Raw text up to the matching close char; the opening char was consumed.
 * Returns NULL when unterminated. */
static char *lex_balanced(Lexer *lx, char open, char close) {
  (void)open;
  int depth = 1;
  size_t st = lx->pos;
  char q = 0;
  while (lx->pos < lx->len) {
    char c = lx->text[lx->pos];
    if (c == '\n') lx->line++;
    if (q) {
      if (c == '\\' && q == '"' && lx->pos + 1 < lx->len) { lx->pos++; if (lx->text[lx->pos] == '\n') lx->line++; }
      else if (c == q) q = 0;
      lx->pos++;
      continue;
    }
    if (c == '/' && lx->pos + 1 < lx->len && lx->text[lx->pos + 1] == '/') {
      while (lx->pos < lx->len && lx->text[lx->pos] != '\n') lx->pos++;
      continue;
    }
    if (c == '/' && lx->pos + 1 < lx->len && lx->text[lx->pos + 1] == '*') {
      lx->pos += 2;
      while (lx->pos < lx->len && !(lx->text[lx->pos] == '*' && lx->pos + 1 < lx->len && lx->text[lx->pos + 1] == '/')) {
        if (lx->text[lx->pos] == '\n') lx->line++;
        lx->pos++;
      }
      lx->pos += 2;
      if (lx->pos > lx->len) lx->pos = lx->len;
      continue;
    }
    if (c == '"' || c == '\'') q = c;
    else if (c == '(' || c == '[' || c == '{') depth++;
    else if (c == ')' || c == ']' || c == '}') {
      if (--depth == 0) {
        char *r = xstrndup(lx->text + st, lx->pos - st);
        lx->pos++;
        return r;
      }
    }
    lx->pos++;
  }
  return NULL;
}

/* ------------------------------------------------------------ scopes */
typedef struct Compound {
  char *name;
  char *body;       /* raw text inside braces */
  int line;         /* line of the body start */
  char *file;
  struct Scope *scope; /* defining scope */
  char *alias;      /* elementclass A B; */
  struct Compound *next;
} Compound;

typedef struct Var { char *name, *value; struct Var *next; } Var;
typedef struct Name { char *name; int in_idx, out_idx; struct Name *next; } Name;

typedef struct Scope {
  struct Scope *parent;
  char *prefix;
  Var *vars;
  Compound *compounds;
  Name *names;
  int depth;
} Scope;

typedef struct {
  Config *cfg;
  ErrCtx *err;
  Lexer *lx;
  Scope *sc;
  int anon_counter;
  int nerr_at_start;
  Compound *all_compounds; /* for freeing */
  long budget;             /* instantiations left: stops exponential compound expansion */
  long byte_budget;        /* compound body bytes left to lex */
  bool aborted;
} Parser;

static void scope_free(Scope *s) {
  for (Var *v = s->vars, *n; v; v = n) { n = v->next; free(v->name); free(v->value); free(v); }
  for (Name *v = s->names, *n; v; v = n) { n = v->next; free(v->name); free(v); }
  /* compounds freed by parser */
  free(s->prefix);
}

static const char *var_lookup(Scope *s, const char *name) {
  for (; s; s = s->parent)
    for (Var *v = s->vars; v; v = v->next)
      if (!strcmp(v->name, name)) return v->value;
  return NULL;
}
static void var_set(Scope *s, const char *name, const char *value) {
  for (Var *v = s->vars; v; v = v->next)
    if (!strcmp(v->name, name)) { free(v->value); v->value = xstrdup(value); return; }
  Var *v = xcalloc(1, sizeof *v);
  v->name = xstrdup(name);
  v->value = xstrdup(value);
  v->next = s->vars;
  s->vars = v;
}
static Compound *compound_lookup(Scope *s, const char *name) {
  for (; s; s = s->parent)
    for (Compound *c = s->compounds; c; c = c->next)
      if (!strcmp(c->name, name)) return c;
  return NULL;
}
static Name *name_lookup(Scope *s, const char *name) {
  for (Name *n = s->names; n; n = n->next)
    if (!strcmp(n->name, name)) return n;
  return NULL;
}

/* substitute $VAR and ${VAR}; results are capped (a chain of defines or
 * compound formals could otherwise grow exponentially) */
#define MAX_CONF_STRING (256 * 1024)
static bool g_subst_overflow;
static char *substitute(Scope *s, const char *text) {
  if (!strchr(text, '$')) return xstrdup(text);
  Str o;
  str_init(&o);
  str_add(&o, "");
  for (const char *p = text; *p;) {
    if (*p == '$' && (p[1] == '{' || isalpha((unsigned char)p[1]) || p[1] == '_')) {
      const char *st, *en, *after;
      if (p[1] == '{') {
        st = p + 2;
        en = strchr(st, '}');
        if (!en) { str_addc(&o, *p++); continue; }
        after = en + 1;
      } else {
        st = p + 1;
        en = st;
        while (isalnum((unsigned char)*en) || *en == '_') en++;
        after = en;
      }
      char *nm = xstrndup(st, en - st);
      const char *v = var_lookup(s, nm);
      free(nm);
      if (v) {
        if (o.len + strlen(v) > MAX_CONF_STRING) { g_subst_overflow = true; p = after; continue; }
        str_add(&o, v);
        p = after;
        continue;
      }
      str_addn(&o, p, after - p);
      p = after;
      continue;
    }
    str_addc(&o, *p++);
  }
  return o.s;
}

static int add_decl(Parser *P, const char *name, const char *cls, const char *config, int line, bool anon) {
  Config *c = P->cfg;
  if (c->nd >= MAX_ELEMENTS) return err_report(P->err, line, "too many elements (limit %d)", MAX_ELEMENTS);
  if (c->nd == c->capd) {
    c->capd = c->capd ? c->capd * 2 : 16;
    c->d = xrealloc(c->d, sizeof(CDecl) * c->capd);
  }
  CDecl *d = &c->d[c->nd];
  d->name = xstrdup(name);
  d->cls = xstrdup(cls);
  d->config = xstrdup(config ? config : "");
  d->line = line;
  d->anon = anon;
  return c->nd++;
}
static void add_conn(Parser *P, int from, int fport, int to, int tport, int line) {
  Config *c = P->cfg;
  if (c->nc == c->capc) {
    c->capc = c->capc ? c->capc * 2 : 16;
    c->c = xrealloc(c->c, sizeof(CConn) * c->capc);
  }
  c->c[c->nc++] = (CConn){from, fport, to, tport, line};
}

static int parse_stmts(Parser *P, TokT until);

/* Instantiate class `cls` (primitive or compound) as element `name`.
 * Returns 0 and fills in/out indexes, or -1. */
static int instantiate(Parser *P, const char *name, const char *cls, const char *rawconf, int line,
                       bool anon, int *in_idx, int *out_idx) {
  Scope *sc = P->sc;
  if (P->aborted || --P->budget < 0) {
    if (!P->aborted) err_report(P->err, line, "configuration too large (more than %d element instantiations)", MAX_INSTANTIATIONS);
    P->aborted = true;
    *in_idx = *out_idx = -1;
    return -1;
  }
  char *conf = substitute(sc, rawconf ? rawconf : "");
  if (g_subst_overflow) {
    g_subst_overflow = false;
    free(conf);
    P->aborted = true;
    *in_idx = *out_idx = -1;
    return err_report(P->err, line, "configuration string too long after $variable substitution (limit %d bytes)", MAX_CONF_STRING);
  }
  Compound *comp = compound_lookup(sc, cls);
  int depth = 0;
  while (comp && comp->alias && depth++ < 16) {
    cls = comp->alias;
    comp = compound_lookup(comp->scope, cls);
  }
  char *full = xmalloc(strlen(sc->prefix) + strlen(name) + 1);
  strcpy(full, sc->prefix);
  strcat(full, name);
  int rc = 0;
  if (!comp) {
    if (!class_find(cls)) {
      rc = err_report(P->err, line, "unknown element class '%s'", cls);
      *in_idx = *out_idx = -1;
    } else {
      int i = add_decl(P, full, cls, conf, line, anon);
      if (i < 0) rc = -1;
      *in_idx = *out_idx = i;
    }
  } else if ((P->byte_budget -= (long)strlen(comp->body) + 16) < 0) {
    rc = err_report(P->err, line, "configuration too large (compound expansion exceeds %d bytes)", 16 << 20);
    P->aborted = true;
    *in_idx = *out_idx = -1;
  } else if (sc->depth + 1 > MAX_DEPTH) {
    rc = err_report(P->err, line, "compound element nesting too deep (recursive elementclass '%s'?)", cls);
    *in_idx = *out_idx = -1;
  } else {
    Str pi, po;
    str_init(&pi); str_init(&po);
    str_printf(&pi, "%s/input", full);
    str_printf(&po, "%s/output", full);
    int ii = add_decl(P, pi.s, TUNNEL_CLASS, "", line, false);
    int oi = ii >= 0 ? add_decl(P, po.s, TUNNEL_CLASS, "", line, false) : -1;
    str_free(&pi); str_free(&po);
    *in_idx = ii;
    *out_idx = oi;
    if (ii < 0 || oi < 0) rc = -1;
    else {
      Scope ns = {0};
      ns.parent = comp->scope;
      ns.depth = sc->depth + 1;
      ns.prefix = xmalloc(strlen(full) + 2);
      sprintf(ns.prefix, "%s/", full);
      Name *nin = xcalloc(1, sizeof *nin), *nout = xcalloc(1, sizeof *nout);
      nin->name = xstrdup("input"); nin->in_idx = nin->out_idx = ii;
      nout->name = xstrdup("output"); nout->in_idx = nout->out_idx = oi;
      nin->next = nout;
      ns.names = nin;
      Lexer lx = {comp->body, 0, strlen(comp->body), comp->line, {0}, false};
      /* formals: $a, $b | */
      Lexer save = lx;
      Tok t = lex_next(&lx);
      if (t.t == T_VAR) {
        Args a;
        args_split(conf, &a);
        int fi = 0;
        bool ok = true;
        for (;;) {
          if (t.t != T_VAR) { ok = false; break; }
          var_set(&ns, t.s, fi < a.n ? a.v[fi] : "");
          fi++;
          tok_free(&t);
          t = lex_next(&lx);
          if (t.t == T_COMMA) { t = lex_next(&lx); continue; }
          if (t.t == T_BAR) break;
          ok = false;
          break;
        }
        tok_free(&t);
        if (!ok) rc = err_report(P->err, lx.line, "syntax error in compound formals of '%s'", cls);
        else if (fi < a.n) rc = err_report(P->err, line, "too many arguments to compound element '%s'", cls);
        args_free(&a);
      } else {
        tok_free(&t);
        lx = save;
        if (*conf) rc = err_report(P->err, line, "compound element '%s' takes no arguments", cls);
      }
      if (rc == 0) {
        Lexer *olx = P->lx;
        Scope *osc = P->sc;
        P->lx = &lx;
        P->sc = &ns;
        rc = parse_stmts(P, T_EOF);
        P->lx = olx;
        P->sc = osc;
      }
      if (lx.has_la) tok_free(&lx.la);
      for (Compound *c = ns.compounds, *n; c; c = n) { n = c->next; c->next = P->all_compounds; P->all_compounds = c; }
      ns.compounds = NULL;
      scope_free(&ns);
    }
  }
  free(full);
  free(conf);
  return rc;
}

static int declare(Parser *P, const char *name, const char *cls, const char *conf, int line) {
  if (name_lookup(P->sc, name)) return err_report(P->err, line, "redeclaration of element '%s'", name);
  if (!strcmp(name, "input") || !strcmp(name, "output"))
    return err_report(P->err, line, "'%s' is reserved", name);
  int ii, oi;
  if (instantiate(P, name, cls, conf, line, false, &ii, &oi) < 0) return -1;
  Name *n = xcalloc(1, sizeof *n);
  n->name = xstrdup(name);
  n->in_idx = ii;
  n->out_idx = oi;
  n->next = P->sc->names;
  P->sc->names = n;
  return 0;
}

static int define_compound(Parser *P, const char *name, int line, char **anon_name) {
  Lexer *lx = P->lx;
  Compound *c = xcalloc(1, sizeof *c);
  c->name = xstrdup(name);
  c->scope = P->sc;
  c->line = lx->line;
  c->body = lex_balanced(lx, '{', '}');
  if (!c->body) {
    free(c->name);
    free(c);
    return err_report(P->err, line, "unterminated elementclass '%s'", name);
  }
  c->next = P->sc->compounds;
  P->sc->compounds = c;
  if (anon_name) *anon_name = c->name;
  return 0;
}

/* class spec after '::' or at an element position: IDENT [(conf)] or { body } */
static int parse_class(Parser *P, Tok *t, char **cls, char **conf) {
  *cls = NULL;
  *conf = NULL;
  if (t->t == T_LBRACE) {
    char nm[64];
    snprintf(nm, sizeof nm, "@Compound@%d", ++P->anon_counter);
    char *an;
    if (define_compound(P, nm, t->line, &an) < 0) return -1;
    *cls = xstrdup(nm);
  } else if (t->t == T_IDENT) {
    *cls = xstrdup(t->s);
  } else return err_report(P->err, t->line, "syntax error: expected element class");
  if (lex_peek(P->lx)->t == T_LPAREN) {
    Tok lp = lex_next(P->lx);
    (void)lp;
    int l = P->lx->line;
    *conf = lex_balanced(P->lx, '(', ')');
    if (!*conf) return err_report(P->err, l, "unterminated configuration string");
  }
  return 0;
}

static int parse_port(Parser *P, int *port) {
  Tok t = lex_next(P->lx); /* after '[' */
  int line = t.line;
  if (t.t != T_IDENT) { tok_free(&t); return err_report(P->err, line, "syntax error: expected port number"); }
  char *end;
  long v = strtol(t.s, &end, 10);
  if (*end || v < 0 || v > 65535) { tok_free(&t); return err_report(P->err, line, "syntax error: bad port number '%s'", t.s ? t.s : ""); }
  tok_free(&t);
  *port = (int)v;
  t = lex_next(P->lx);
  if (t.t != T_RBRACK) { tok_free(&t); return err_report(P->err, line, "syntax error: expected ']'"); }
  return 0;
}

/* An element reference in a connection.  On return in_idx and out_idx are the decl
 * indexes used when it is a connection target / source. */
static int parse_element(Parser *P, Tok *t, int *in_idx, int *out_idx) {
  int line = t->line;
  if (t->t == T_LBRACE) {
    char *cls, *conf;
    if (parse_class(P, t, &cls, &conf) < 0) { free(cls); free(conf); return -1; }
    char nm[96];
    snprintf(nm, sizeof nm, "@%d", P->cfg->nd + 1);
    int r = instantiate(P, nm, cls, conf, line, true, in_idx, out_idx);
    free(cls); free(conf);
    return r;
  }
  if (t->t != T_IDENT) return err_report(P->err, line, "syntax error: expected element");
  Tok *pk = lex_peek(P->lx);
  if (pk->t == T_DCOLON || pk->t == T_COMMA) {
    /* declaration(s): a, b :: Class(conf) */
    char **names = xmalloc(sizeof(char *));
    int nn = 1;
    names[0] = xstrdup(t->s);
    while (lex_peek(P->lx)->t == T_COMMA) {
      tok_free(&P->lx->la); P->lx->has_la = false;
      Tok n = lex_next(P->lx);
      if (n.t != T_IDENT) { tok_free(&n); for (int i = 0; i < nn; i++) free(names[i]); free(names); return err_report(P->err, line, "syntax error: expected element name"); }
      names = xrealloc(names, sizeof(char *) * (nn + 1));
      names[nn++] = n.s;
    }
    Tok dc = lex_next(P->lx);
    int rc = 0;
    if (dc.t != T_DCOLON) { tok_free(&dc); rc = err_report(P->err, line, "syntax error: expected '::'"); }
    else {
      Tok ct = lex_next(P->lx);
      char *cls = NULL, *conf = NULL;
      rc = parse_class(P, &ct, &cls, &conf);
      tok_free(&ct);
      for (int i = 0; rc == 0 && i < nn; i++) {
        if (declare(P, names[i], cls, conf ? conf : "", line) < 0) rc = -1;
      }
      if (rc == 0) {
        Name *n = name_lookup(P->sc, names[nn - 1]);
        *in_idx = n ? n->in_idx : -1;
        *out_idx = n ? n->out_idx : -1;
        if (nn > 1 && (lex_peek(P->lx)->t == T_ARROW || lex_peek(P->lx)->t == T_LBRACK))
          rc = err_report(P->err, line, "syntax error: multiple declarations in a connection");
      }
      free(cls); free(conf);
    }
    for (int i = 0; i < nn; i++) free(names[i]);
    free(names);
    return rc;
  }
  Name *n = name_lookup(P->sc, t->s);
  if (n && pk->t != T_LPAREN) {
    *in_idx = n->in_idx;
    *out_idx = n->out_idx;
    return 0;
  }
  /* anonymous element: Class or Class(conf) */
  char *cls, *conf;
  if (parse_class(P, t, &cls, &conf) < 0) { free(cls); free(conf); return -1; }
  Compound *cp = compound_lookup(P->sc, cls);
  const char *base = cls;
  if (cp && cls[0] == '@') base = "Compound";
  char *nm = xmalloc(strlen(base) + 32);
  sprintf(nm, "%s@%d", base, P->cfg->nd + 1);
  int r = instantiate(P, nm, cls, conf, line, true, in_idx, out_idx);
  free(nm); free(cls); free(conf);
  return r;
}

static int parse_connection(Parser *P, Tok first) {
  int prev_out = -1, prev_port = 0;
  bool have_prev = false;
  Tok t = first;
  for (;;) {
    int inport = 0, outport = 0;
    if (t.t == T_LBRACK) {
      if (!have_prev) { tok_free(&t); return err_report(P->err, t.line, "syntax error: input port with no connection"); }
      if (parse_port(P, &inport) < 0) return -1;
      tok_free(&t);
      t = lex_next(P->lx);
    }
    int ii = -1, oi = -1;
    int line = t.line;
    int r = parse_element(P, &t, &ii, &oi);
    tok_free(&t);
    if (r < 0) return -1;
    if (have_prev && prev_out >= 0 && ii >= 0) add_conn(P, prev_out, prev_port, ii, inport, line);
    if (lex_peek(P->lx)->t == T_LBRACK) {
      lex_next(P->lx);
      if (parse_port(P, &outport) < 0) return -1;
      if (lex_peek(P->lx)->t != T_ARROW) return err_report(P->err, line, "syntax error: output port with no connection");
    }
    if (lex_peek(P->lx)->t != T_ARROW) return 0;
    lex_next(P->lx);
    prev_out = oi;
    prev_port = outport;
    have_prev = true;
    t = lex_next(P->lx);
    if (t.t == T_EOF) return err_report(P->err, t.line, "syntax error: connection ends with '->'");
  }
}

static int parse_stmts(Parser *P, TokT until) {
  int rc = 0;
  for (;;) {
    Tok t = lex_next(P->lx);
    if (t.t == T_EOF || t.t == until) { tok_free(&t); break; }
    if (P->err->nerrors > 50 || P->aborted) { tok_free(&t); rc = -1; break; }
    if (t.t == T_SEMI) continue;
    if (t.t == T_IDENT && !strcmp(t.s, "elementclass")) {
      int line = t.line;
      tok_free(&t);
      Tok n = lex_next(P->lx);
      if (n.t != T_IDENT) { tok_free(&n); rc = err_report(P->err, line, "syntax error: expected element class name"); continue; }
      Tok b = lex_next(P->lx);
      if (b.t == T_LBRACE) {
        if (define_compound(P, n.s, line, NULL) < 0) rc = -1;
      } else if (b.t == T_IDENT) {
        Compound *c = xcalloc(1, sizeof *c);
        c->name = xstrdup(n.s);
        c->alias = xstrdup(b.s);
        c->scope = P->sc;
        c->body = xstrdup("");
        c->next = P->sc->compounds;
        P->sc->compounds = c;
      } else rc = err_report(P->err, line, "syntax error: expected '{' after elementclass %s", n.s);
      tok_free(&n);
      tok_free(&b);
      continue;
    }
    if (t.t == T_IDENT && (!strcmp(t.s, "require") || !strcmp(t.s, "define") || !strcmp(t.s, "provide")) &&
        lex_peek(P->lx)->t == T_LPAREN) {
      bool isdef = !strcmp(t.s, "define");
      int line = t.line;
      tok_free(&t);
      lex_next(P->lx);
      char *body = lex_balanced(P->lx, '(', ')');
      if (!body) { rc = err_report(P->err, line, "unterminated %s", isdef ? "define" : "require"); break; }
      if (isdef) {
        Args a;
        args_split(body, &a);
        for (int i = 0; i < a.n; i++) {
          const char *s = a.v[i];
          if (!*s) continue;
          if (s[0] != '$') { rc = err_report(P->err, line, "define: expected '$VARIABLE value'"); continue; }
          const char *e = s + 1;
          while (isalnum((unsigned char)*e) || *e == '_') e++;
          char *nm = xstrndup(s + 1, e - s - 1);
          while (isspace((unsigned char)*e)) e++;
          char *val = substitute(P->sc, e);
          if (g_subst_overflow) {
            g_subst_overflow = false;
            rc = err_report(P->err, line, "define: value of $%s too long (limit %d bytes)", nm, MAX_CONF_STRING);
            P->aborted = true;
          } else if (!var_lookup(P->sc, nm)) var_set(P->sc, nm, val); /* earlier (command-line) defines win */
          free(nm);
          free(val);
        }
        args_free(&a);
      } else {
        if (P->cfg->requires.len) str_add(&P->cfg->requires, ", ");
        str_add(&P->cfg->requires, body);
      }
      free(body);
      continue;
    }
    if (t.t == T_IDENT || t.t == T_LBRACE || t.t == T_LBRACK) {
      if (parse_connection(P, t) < 0) {
        rc = -1;
        /* resync at ';' or newline-separated next statement */
        for (;;) {
          Tok *pk = lex_peek(P->lx);
          if (pk->t == T_EOF || pk->t == T_SEMI || pk->t == until) break;
          Tok x = lex_next(P->lx);
          tok_free(&x);
        }
      }
      continue;
    }
    if (t.t == T_VAR) rc = err_report(P->err, t.line, "syntax error: unexpected variable '$%s'", t.s);
    else if (t.t == T_OTHER) rc = err_report(P->err, t.line, "syntax error near '%c'", t.c);
    else if (t.t == T_ARROW) rc = err_report(P->err, t.line, "syntax error: '->' with no element before it");
    else rc = err_report(P->err, t.line, "syntax error near unexpected token");
    tok_free(&t);
  }
  return rc;
}

/* The connections of one round of tunnel elimination, as a set: an expansion adds a connection
 * only once. Without it a compound whose ports connect to each other (input[0] -> input[1])
 * doubled the connections each round: 670 MB for a 200-byte config (found by fuzz_config). */
typedef struct { uint64_t *k; uint32_t cap, n; } ConnSet;
static bool connset_add(ConnSet *s, uint64_t key);
/* empty, for about `want` keys (at most half full) */
static void connset_reset(ConnSet *s, uint32_t want) {
  uint32_t cap = 64;
  while (cap < 2 * want) cap <<= 1;
  if (cap != s->cap) { free(s->k); s->k = xcalloc(cap, sizeof(uint64_t)); s->cap = cap; }
  else memset(s->k, 0, sizeof(uint64_t) * cap);
  s->n = 0;
}
static uint64_t conn_key(int from, int fport, int to, int tport) {
  uint64_t h = (uint64_t)(uint32_t)from * 0x9E3779B97F4A7C15ull ^ (uint64_t)(uint32_t)fport * 0xC2B2AE3D27D4EB4Full
             ^ (uint64_t)(uint32_t)to * 0x165667B19E3779F9ull ^ (uint64_t)(uint32_t)tport * 0x27D4EB2F165667C5ull;
  return h ? h : 1; /* 0 marks an empty slot */
}
/* true if the key was new; grows (rehash) past half full */
static bool connset_add(ConnSet *s, uint64_t key) {
  uint32_t i = (uint32_t)(key ^ (key >> 32)) & (s->cap - 1);
  while (s->k[i]) {
    if (s->k[i] == key) return false;
    i = (i + 1) & (s->cap - 1);
  }
  s->k[i] = key;
  if (++s->n * 2 > s->cap) {
    ConnSet g = {xcalloc((size_t)s->cap * 2, sizeof(uint64_t)), s->cap * 2, 0};
    for (uint32_t j = 0; j < s->cap; j++) if (s->k[j]) connset_add(&g, s->k[j]);
    free(s->k);
    *s = g;
  }
  return true;
}

/* most connections the elimination may produce before the config is refused */
#define MAX_TUNNEL_CONNS 100000

/* Eliminate compound tunnels: a connection X -> T[k] is replaced by
 * X -> every destination of T's output k. */
static int eliminate_tunnels(Config *c, ErrCtx *err) {
  bool *tun = xcalloc(c->nd ? c->nd : 1, 1);
  bool any = false;
  for (int i = 0; i < c->nd; i++) if (!strcmp(c->d[i].cls, TUNNEL_CLASS)) tun[i] = any = true;
  if (!any) { free(tun); return 0; }
  int rounds = 0;
  bool changed = true, failed = false;
  ConnSet set = {NULL, 0, 0};
  while (changed && !failed && rounds++ < MAX_DEPTH * 2 + 4) {
    changed = false;
    connset_reset(&set, (uint32_t)c->nc);
    for (int i = 0; i < c->nc; i++) connset_add(&set, conn_key(c->c[i].from, c->c[i].fport, c->c[i].to, c->c[i].tport));
    int n = c->nc;
    for (int i = 0; i < n && !failed; i++) {
      CConn cc = c->c[i];
      if (cc.to < 0 || !tun[cc.to]) continue;
      /* expand */
      for (int j = 0; j < n; j++) {
        CConn d = c->c[j];
        if (d.from == cc.to && d.fport == cc.tport && d.to >= 0) {
          if (!connset_add(&set, conn_key(cc.from, cc.fport, d.to, d.tport))) continue;
          if (c->nc >= MAX_TUNNEL_CONNS) {
            err_report(err, cc.line, "compound element class: connections through its input and output ports"
                       " expand to more than %d connections", MAX_TUNNEL_CONNS);
            failed = true;
            break;
          }
          if (c->nc == c->capc) { c->capc *= 2; c->c = xrealloc(c->c, sizeof(CConn) * c->capc); }
          c->c[c->nc++] = (CConn){cc.from, cc.fport, d.to, d.tport, cc.line};
        }
      }
      c->c[i].to = -1;
      changed = true;
    }
    /* compact */
    int w = 0;
    for (int i = 0; i < c->nc; i++) if (c->c[i].to >= 0) c->c[w++] = c->c[i];
    c->nc = w;
  }
  free(set.k);
  /* drop connections from tunnels, renumber decls */
  int *map = xmalloc(sizeof(int) * c->nd);
  int w = 0;
  for (int i = 0; i < c->nd; i++) {
    if (tun[i]) { map[i] = -1; free(c->d[i].name); free(c->d[i].cls); free(c->d[i].config); continue; }
    map[i] = w;
    c->d[w++] = c->d[i];
  }
  c->nd = w;
  int wc = 0;
  for (int i = 0; i < c->nc; i++) {
    CConn x = c->c[i];
    if (x.from < 0 || x.to < 0 || map[x.from] < 0 || map[x.to] < 0) continue;
    x.from = map[x.from];
    x.to = map[x.to];
    /* remove duplicates */
    bool dup = false;
    for (int k = 0; k < wc; k++)
      if (c->c[k].from == x.from && c->c[k].fport == x.fport && c->c[k].to == x.to && c->c[k].tport == x.tport) dup = true;
    if (!dup) c->c[wc++] = x;
  }
  c->nc = wc;
  free(map);
  free(tun);
  (void)err;
  return 0;
}

/* Command-line defines: "NAME=value" entries applied before parsing. */
static const char **g_cmdline_defs;
static int g_ncmdline_defs;
void config_set_cmdline_defines(const char **defs, int n) { g_cmdline_defs = defs; g_ncmdline_defs = n; }

int config_parse(const char *text, const char *file, Config *out, ErrCtx *err) {
  memset(out, 0, sizeof *out);
  out->file = file;
  str_init(&out->requires);
  Parser P = {0};
  P.cfg = out;
  P.err = err;
  Lexer lx = {text, 0, strlen(text), 1, {0}, false};
  Scope root = {0};
  root.prefix = xstrdup("");
  for (int i = 0; i < g_ncmdline_defs; i++) {
    const char *eq = strchr(g_cmdline_defs[i], '=');
    if (!eq) continue;
    char *nm = xstrndup(g_cmdline_defs[i], eq - g_cmdline_defs[i]);
    var_set(&root, nm[0] == '$' ? nm + 1 : nm, eq + 1);
    free(nm);
  }
  P.lx = &lx;
  P.sc = &root;
  P.budget = MAX_INSTANTIATIONS;
  P.byte_budget = 16L << 20;
  int before = err->nerrors;
  parse_stmts(&P, T_EOF);
  if (lx.has_la) tok_free(&lx.la);
  for (Compound *c = root.compounds, *n; c; c = n) { n = c->next; c->next = P.all_compounds; P.all_compounds = c; }
  for (Compound *c = P.all_compounds, *n; c; c = n) { n = c->next; free(c->name); free(c->body); free(c->alias); free(c); }
  scope_free(&root);
  if (err->nerrors == before) eliminate_tunnels(out, err);
  return err->nerrors > before ? -1 : 0;
}

void config_free(Config *c) {
  for (int i = 0; i < c->nd; i++) { free(c->d[i].name); free(c->d[i].cls); free(c->d[i].config); }
  free(c->d);
  free(c->c);
  str_free(&c->requires);
  memset(c, 0, sizeof *c);
}

void config_unparse(const Config *c, Str *o) {
  if (c->requires.len) str_printf(o, "require(%s);\n\n", c->requires.s);
  for (int i = 0; i < c->nd; i++) {
    if (c->d[i].config[0]) str_printf(o, "%s :: %s(%s);\n", c->d[i].name, c->d[i].cls, c->d[i].config);
    else str_printf(o, "%s :: %s;\n", c->d[i].name, c->d[i].cls);
  }
  if (c->nc) str_add(o, "\n");
  for (int i = 0; i < c->nc; i++) {
    const CConn *x = &c->c[i];
    str_add(o, c->d[x->from].name);
    if (x->fport) str_printf(o, " [%d]", x->fport);
    str_add(o, " -> ");
    if (x->tport) str_printf(o, "[%d] ", x->tport);
    str_add(o, c->d[x->to].name);
    str_add(o, ";\n");
  }
}
