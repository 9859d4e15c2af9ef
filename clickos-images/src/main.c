/* main.c - Click's userlevel driver command line.
 *
 *   clickos [OPTIONS] [FILE] [NAME=VALUE...]
 *   -f, --file FILE        read the configuration from FILE ("-" = stdin)
 *   -e, --expression CONF  use CONF as the configuration
 *   -q, --quit             parse and initialize, do not run
 *   -h, --handler E.H      print read handler E.H after the run (Click format)
 *   -o, --output FILE      write the flattened configuration to FILE
 *   --simtime[=SEC]        run on simulated time starting at SEC (1000000000)
 *   --guest                guest mode (noxs control page, see guest.c)
 * A symlink named "click" runs the same driver.
 */
#include "clickos.h"
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int guest_main(void);
void config_set_cmdline_defines(const char **defs, int n);

#define MAX_CONFIG_BYTES (16u << 20)

char *read_file_text(const char *path, ErrCtx *err) {
  FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
  if (!f) { err_report(err, 0, "%s", strerror(errno)); return NULL; }
  Str s;
  str_init(&s);
  str_add(&s, "");
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
    if (s.len + n > MAX_CONFIG_BYTES) {
      err_report(err, 0, "file too large (more than %u bytes)", MAX_CONFIG_BYTES);
      if (f != stdin) fclose(f);
      str_free(&s);
      return NULL;
    }
    /* NUL bytes would end the text early: make them visible to the lexer */
    for (size_t i = 0; i < n; i++) if (!buf[i]) buf[i] = '\x01';
    str_addn(&s, buf, n);
  }
  if (f != stdin) fclose(f);
  return s.s;
}

static void usage(FILE *o) {
  fputs("Usage: clickos [OPTIONS] [ROUTERFILE] [PARAM=VALUE...]\n"
        "  -f, --file FILE           Read router configuration from FILE.\n"
        "  -e, --expression EXPR     Use EXPR as router configuration.\n"
        "  -q, --quit                Do not run driver.\n"
        "  -h, --handler ELEMENT.H   Call ELEMENT's read handler H after running\n"
        "                            driver and print result to standard output.\n"
        "  -o, --output FILE         Write flat configuration to FILE.\n"
        "      --simtime[=TIME]      Run in simulated time (default start 1000000000).\n"
        "      --guest               Guest mode: configuration from the noxs page.\n"
        "      --elements            List element classes.\n"
        "      --help                Print this message and exit.\n"
        "  -v, --version             Print version number and exit.\n", o);
}

static int call_read_handlers(Router *r, char **hs, int nh) {
  bool print_names = nh > 1;
  int rc = 0;
  for (int i = 0; i < nh; i++) {
    const char *dot = strrchr(hs[i], '.');
    if (!dot) { fprintf(stderr, "clickos: no '%s' handler\n", hs[i]); rc = -1; continue; }
    char *en = xstrndup(hs[i], dot - hs[i]);
    const char *hn = dot + 1;
    Element **match = NULL;
    int nm = 0;
    bool pattern = strpbrk(en, "?*[") != NULL;
    Element *ex = router_find(r, en);
    if (ex) { match = xmalloc(sizeof *match); match[nm++] = ex; pattern = false; }
    else {
      for (int k = 0; k < r->ne; k++) {
        Element *e = r->e[k];
        bool hit = pattern ? fnmatch(en, e->name, 0) == 0 : !strcmp(e->cls->name, en);
        if (hit) {
          const Handler *h = element_find_handler(e, hn);
          if (h && h->read) { match = xrealloc(match, sizeof *match * (nm + 1)); match[nm++] = e; }
        }
      }
      if (!nm) { fprintf(stderr, "clickos: no element %s'%s'\n", pattern ? "matching " : "", en); rc = -1; }
    }
    for (int k = 0; k < nm; k++) {
      Element *e = match[k];
      const Handler *h = element_find_handler(e, hn);
      if (!h || (!h->read && !h->write)) { fprintf(stderr, "clickos: no '%s.%s' handler\n", e->name, hn); rc = -1; continue; }
      if (!h->read) { fprintf(stderr, "clickos: '%s.%s' is a write handler\n", e->name, hn); rc = -1; continue; }
      bool pn = print_names || (!ex && nm > 0);
      if (pn) printf("%s.%s:\n", e->name, hn);
      Str v;
      str_init(&v);
      str_add(&v, "");
      h->read(e, h->thunk, &v);
      if (v.len && v.s[v.len - 1] != '\n') str_addc(&v, '\n');
      fputs(v.s, stdout);
      if (pn) fputs("\n", stdout);
      str_free(&v);
    }
    free(match);
    free(en);
  }
  fflush(stdout);
  return rc;
}

int main(int argc, char **argv) {
  elements_register_all();
  const char *file = NULL, *expr = NULL, *outfile = NULL;
  bool quit = false, guest = false;
  char **handlers = xmalloc(sizeof(char *) * (argc + 1));
  int nh = 0;
  const char **defs = xmalloc(sizeof(char *) * (argc + 1));
  int nd = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *val = NULL;
#define OPTARG(shortn, longn)                                                          \
    ((!strcmp(a, shortn) || !strcmp(a, longn)) ? (i + 1 < argc ? (val = argv[++i], 1)  \
                                                 : (fprintf(stderr, "clickos: '%s' requires an argument\n", a), exit(1), 0)) \
     : (!strncmp(a, longn "=", strlen(longn) + 1) ? (val = a + strlen(longn) + 1, 1) : 0))
    if (OPTARG("-f", "--file")) {
      if (file || expr) { fprintf(stderr, "clickos: router configuration specified twice\n"); return 1; }
      file = val;
    } else if (OPTARG("-e", "--expression")) {
      if (file || expr) { fprintf(stderr, "clickos: router configuration specified twice\n"); return 1; }
      expr = val;
    } else if (OPTARG("-h", "--handler")) handlers[nh++] = (char *)val;
    else if (OPTARG("-o", "--output")) outfile = val;
    else if (!strcmp(a, "-q") || !strcmp(a, "--quit")) quit = true;
    else if (!strcmp(a, "--simtime")) time_set_simulated(1000000000ull * NS_PER_SEC);
    else if (!strncmp(a, "--simtime=", 10)) {
      double d;
      if (parse_double(a + 10, &d) || d < 0 || d > 1e10) { fprintf(stderr, "clickos: bad --simtime value\n"); return 1; }
      time_set_simulated((uint64_t)(d * 1e9));
    } else if (!strcmp(a, "--guest")) guest = true;
    else if (!strcmp(a, "--help")) { usage(stdout); return 0; }
    else if (!strcmp(a, "-v") || !strcmp(a, "--version")) { printf("clickos (Mayfly) 0.1.0, Click-language compatible\n"); return 0; }
    else if (!strcmp(a, "--elements")) {
      for (int k = 0; k < class_count(); k++) printf("%s\n", class_at(k)->name);
      return 0;
    } else if (!strcmp(a, "-w") || !strcmp(a, "--no-warnings") || !strcmp(a, "-t") || !strcmp(a, "--time")) {
      /* accepted for compatibility */
    } else if (a[0] == '-' && a[1]) {
      fprintf(stderr, "clickos: unrecognized option '%s'\n", a);
      usage(stderr);
      return 1;
    } else {
      const char *eq = strchr(a, '=');
      bool isdef = false;
      if (eq && eq > a) {
        isdef = true;
        for (const char *s = a; s < eq; s++) if (!(isalnum((unsigned char)*s) || *s == '_')) isdef = false;
      }
      if (isdef) defs[nd++] = a;
      else {
        if (file || expr) { fprintf(stderr, "clickos: router configuration specified twice\n"); return 1; }
        file = a;
      }
    }
  }
  config_set_cmdline_defines(defs, nd);
  if (guest) return guest_main();

  ErrCtx err = {0};
  char *text;
  if (expr) {
    err.file = "<expr>";
    text = xstrdup(expr);
  } else {
    if (!file) file = "-";
    err.file = strcmp(file, "-") ? file : "<stdin>";
    text = read_file_text(file, &err);
    if (!text) return 1;
  }
  Config cfg;
  if (config_parse(text, err.file, &cfg, &err) < 0) {
    fprintf(stderr, "Router could not be initialized!\n");
    return 1;
  }
  free(text);
  Router *r = router_build(&cfg, &err, NULL, NULL);
  if (!r) {
    fprintf(stderr, "Router could not be initialized!\n");
    return 1;
  }
  int exit_value = 0;
  if (outfile) {
    Str s;
    str_init(&s);
    str_add(&s, "");
    config_unparse(&cfg, &s);
    FILE *f = strcmp(outfile, "-") ? fopen(outfile, "w") : stdout;
    if (!f) { fprintf(stderr, "clickos: %s: %s\n", outfile, strerror(errno)); exit_value = 1; }
    else {
      fwrite(s.s, 1, s.len, f);
      if (f != stdout) fclose(f);
      else fflush(stdout);
    }
    str_free(&s);
  }
  config_free(&cfg);
  if (!quit && r->ne) {
    trim_text_rss();
    sched_run(r, NULL, NULL);
  }
  else if (!quit) fprintf(stderr, "%s: warning: configuration has no elements, exiting\n", err.file);
  fflush(stdout);
  if (nh && call_read_handlers(r, handlers, nh) < 0) exit_value = 1;
  if (r->failed) exit_value = 1;
  router_free(r);
  free(handlers);
  free(defs);
  pkt_pool_trim();
  return exit_value;
}
