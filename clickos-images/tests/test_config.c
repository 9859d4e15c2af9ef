#define _GNU_SOURCE 1
/* test_config.c - lexer/parser: declarations, connections with ports,
 * chains, comments, compounds, define, errors with line numbers, and no
 * crash on garbage. */
#include "harness.h"
#include "clickos.h"

static int parse(const char *text, Config *c, ErrCtx *e) {
  memset(e, 0, sizeof *e);
  e->file = "t";
  e->quiet = true;
  return config_parse(text, "t", c, e);
}

TEST(declarations_and_ports) {
  Config c; ErrCtx e;
  CHECK(parse("a :: Counter; b, c :: Discard\n a[0] -> [0]b; Idle -> Counter(/*x*/) -> c; // end", &c, &e) == 0);
  CHECK_EQ_INT(c.nd, 5);
  CHECK_EQ_STR(c.d[0].name, "a");
  CHECK_EQ_STR(c.d[1].cls, "Discard");
  CHECK_EQ_STR(c.d[3].name, "Idle@4");
  CHECK_EQ_INT(c.nc, 3);
  config_free(&c);
  str_free(&e.first);
}

TEST(compound_and_define) {
  Config c; ErrCtx e;
  CHECK(parse("define($X 7)\nelementclass P { $n | input -> Paint($n) -> output }\n"
              "InfiniteSource(LIMIT $X) -> p :: P(3) -> d :: Discard;", &c, &e) == 0);
  CHECK_EQ_INT(c.nd, 3);
  CHECK_EQ_STR(c.d[0].config, "LIMIT 7");
  CHECK_EQ_STR(c.d[1].name, "p/Paint@4");
  CHECK_EQ_STR(c.d[1].config, "3");
  CHECK_EQ_INT(c.nc, 2);
  config_free(&c);
  str_free(&e.first);
}

/* a compound whose ports connect to each other (input[0] -> input[1]) used to double its
 * connections in every round of tunnel elimination (670 MB, fuzz_config): each expansion now
 * adds a connection once */
TEST(compound_ports_into_each_other_stay_small) {
  Config c; ErrCtx e;
  int rc = parse("elementclass X { input -> Paint(1) -> [0]output; input[0] -> input[1] -> [1]output }\n"
                 "x :: X; Idle -> x -> Discard; Idle -> [1]x[1] -> Discard;", &c, &e);
  CHECK(rc == 0 || e.nerrors > 0);
  if (rc == 0) {
    CHECK(c.nc <= 8);
    for (int i = 0; i < c.nc; i++) CHECK(strcmp(c.d[c.c[i].to].cls, "Paint") == 0 || strcmp(c.d[c.c[i].to].cls, "Discard") == 0);
  }
  config_free(&c);
  str_free(&e.first);
}

TEST(errors_have_lines) {
  Config c; ErrCtx e;
  CHECK(parse("Idle -> Discard;\n\n  x :: Nope;", &c, &e) < 0);
  CHECK_EQ_INT(e.first_line, 3);
  CHECK_EQ_STR(e.first.s, "t:3: unknown element class 'Nope'");
  config_free(&c);
  str_free(&e.first);
  CHECK(parse("a :: Counter;\na :: Counter;", &c, &e) < 0);
  CHECK_EQ_STR(e.first.s, "t:2: redeclaration of element 'a'");
  config_free(&c);
  str_free(&e.first);
  CHECK(parse("Idle -> Counter(", &c, &e) < 0);
  CHECK(strstr(e.first.s, "unterminated") != NULL);
  config_free(&c);
  str_free(&e.first);
  CHECK(parse("elementclass R { R }\nR;", &c, &e) < 0);
  CHECK(strstr(e.first.s, "too deep") != NULL);
  config_free(&c);
  str_free(&e.first);
  /* exponential string growth through defines and formals is cut off */
  CHECK(parse("define($a xxxxxxxxxxxxxxxx, $b $a$a$a$a, $c $b$b$b$b, $d $c$c$c$c, $e $d$d$d$d, $f $e$e$e$e, $g $f$f$f$f, $h $g$g$g$g, $i $h$h$h$h)\nIdle -> Counter($i) -> Discard;", &c, &e) < 0);
  CHECK(e.first.s && strstr(e.first.s, "too long"));
  config_free(&c);
  str_free(&e.first);
  CHECK(parse("elementclass X { $a | input -> X($a$a$a$a) -> output }\nIdle -> X(abcdefgh) -> Discard;", &c, &e) < 0);
  CHECK(e.first.s != NULL);
  config_free(&c);
  str_free(&e.first);
  /* exponential expansion is cut off by the instantiation budget */
  CHECK(parse("elementclass A { input -> B -> B -> output }\nelementclass B { input -> C -> C -> output }\n"
              "elementclass C { input -> D -> D -> output }\nelementclass D { input -> A -> A -> output }\nIdle -> A -> Discard;", &c, &e) < 0);
  CHECK(e.first.s != NULL);
  config_free(&c);
  str_free(&e.first);
}

TEST(router_checks) {
  Config c; ErrCtx e;
  CHECK(parse("q :: Queue; Idle -> q; q -> Discard; q -> Discard;", &c, &e) == 0);
  Router *r = router_build(&c, &e, NULL, NULL);
  CHECK(r == NULL);
  CHECK(e.first.s && strstr(e.first.s, "connected more than once"));
  config_free(&c);
  str_free(&e.first);
  CHECK(parse("c :: Counter;", &c, &e) == 0);
  memset(&e, 0, sizeof e); e.quiet = true; e.file = "t";
  r = router_build(&c, &e, NULL, NULL);
  CHECK(r == NULL);
  CHECK(e.first.s && strstr(e.first.s, "input 0 unused"));
  config_free(&c);
  str_free(&e.first);
}

TEST(garbage_never_crashes) {
  unsigned seed = 12345;
  char buf[512];
  const char alphabet[] = "ab:->[]{}()$;,/*\"'\\ \n0123|@.X";
  for (int round = 0; round < 3000; round++) {
    int n = (int)(rand_r(&seed) % (sizeof buf - 1));
    for (int i = 0; i < n; i++) {
      unsigned r = rand_r(&seed);
      buf[i] = (r & 3) ? alphabet[r % (sizeof alphabet - 1)] : (char)(1 + r % 255);
    }
    buf[n] = 0;
    Config c; ErrCtx e;
    int rc = parse(buf, &c, &e);
    if (rc == 0) {
      Str s; str_init(&s); config_unparse(&c, &s); str_free(&s);
    }
    config_free(&c);
    str_free(&e.first);
  }
  CHECK(1);
}

int main(void) {
  elements_register_all();
  RUN(declarations_and_ports);
  RUN(compound_and_define);
  RUN(compound_ports_into_each_other_stay_small);
  RUN(errors_have_lines);
  RUN(router_checks);
  RUN(garbage_never_crashes);
  DONE();
}
