#define _GNU_SOURCE 1
/* test_args.c - the shared argument reader and value parsers. */
#include "harness.h"
#include "clickos.h"
#include <arpa/inet.h>

TEST(split_and_keywords) {
  Args a;
  args_split("5, \"a, b\", BURST 3, f(x, y) // c", &a);
  CHECK_EQ_INT(a.n, 4);
  CHECK_EQ_STR(a.v[1], "\"a, b\"");
  CHECK_EQ_STR(a.v[3], "f(x, y)");
  ErrCtx e = {0};
  e.quiet = true;
  a.err = &e;
  unsigned limit = 0, burst = 0;
  char *s = NULL, *f = NULL;
  ArgSpec sp[] = {{"LIMIT", A_UINT, A_POSITIONAL, &limit, NULL, NULL},
                  {"DATA", A_STR, A_POSITIONAL, &s, NULL, NULL},
                  {"BURST", A_UINT, 0, &burst, NULL, NULL},
                  {"F", A_ANY, A_POSITIONAL, &f, NULL, NULL}};
  CHECK(args_read(&a, sp, 4) < 0); /* positional after keyword */
  args_free(&a);
  free(s); free(f);
  str_free(&e.first);
}

TEST(errors_name_the_argument) {
  Args a;
  args_split("CAPACITY x", &a);
  ErrCtx e = {0};
  e.quiet = true;
  a.err = &e;
  unsigned cap;
  ArgSpec sp[] = {{"CAPACITY", A_UINT, A_POSITIONAL, &cap, NULL, NULL}};
  CHECK(args_read(&a, sp, 1) < 0);
  CHECK_EQ_STR(e.first.s, "CAPACITY: expected unsigned integer");
  args_free(&a);
  str_free(&e.first);
  args_split("", &a);
  memset(&e, 0, sizeof e);
  e.quiet = true;
  a.err = &e;
  ArgSpec m[] = {{"LENGTH", A_UINT, A_POSITIONAL | A_MANDATORY, &cap, NULL, NULL}};
  CHECK(args_read(&a, m, 1) < 0);
  CHECK_EQ_STR(e.first.s, "missing mandatory LENGTH argument");
  args_free(&a);
  str_free(&e.first);
}

TEST(value_parsers) {
  uint32_t ip, mask;
  CHECK(parse_ip("10.1.2.3", &ip) == 0);
  CHECK(parse_ip("10.1.2", &ip) < 0);
  CHECK(parse_ip("10.1.2.256", &ip) < 0);
  CHECK(parse_ip_prefix("10.1.0.0/16", &ip, &mask) == 0);
  CHECK(mask == htonl(0xFFFF0000u));
  CHECK(parse_ip_prefix("10.1.0.0/33", &ip, &mask) < 0);
  uint8_t mac[6];
  CHECK(parse_eth("00:0a:0B:1:2:3", mac) == 0 && mac[1] == 10 && mac[5] == 3);
  CHECK(parse_eth("00:0a:0B:1:2", mac) < 0);
  uint64_t ns;
  CHECK(parse_time_ns("1.5", &ns) == 0 && ns == 1500000000ull);
  CHECK(parse_time_ns("250ms", &ns) == 0 && ns == 250000000ull);
  CHECK(parse_time_ns("-1", &ns) < 0);
  double bw;
  CHECK(parse_bandwidth("8Mbps", &bw) == 0 && bw == 1e6);
  CHECK(parse_bandwidth("2kBps", &bw) == 0 && bw == 2000);
  size_t n;
  char *u = unquote_bin("\"a\\n\"\\<00 ff>'x'", &n);
  CHECK(n == 5 && u[0] == 'a' && u[1] == '\n' && u[2] == 0 && (uint8_t)u[3] == 0xff && u[4] == 'x');
  free(u);
}

int main(void) {
  RUN(split_and_keywords);
  RUN(errors_name_the_argument);
  RUN(value_parsers);
  DONE();
}
