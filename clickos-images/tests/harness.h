/* harness.h - a tiny unit-test harness (in the spirit of crun's tests):
 * TEST(name) functions registered in main via RUN(name); CHECK(cond) and
 * CHECK_EQ_STR record failures with file:line and keep going. */
#ifndef CLICKOS_HARNESS_H
#define CLICKOS_HARNESS_H
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
static int h_failures, h_checks, h_tests;
static const char *h_current;
#define TEST(name) static void name(void)
#define RUN(name) do { h_current = #name; h_tests++; int f0 = h_failures; name(); \
  printf("%s %s\n", h_failures == f0 ? "ok  " : "FAIL", #name); } while (0)
#define CHECK(c) do { h_checks++; if (!(c)) { h_failures++; \
  fprintf(stderr, "%s:%d: %s: check failed: %s\n", __FILE__, __LINE__, h_current, #c); } } while (0)
#define CHECK_EQ_STR(a, b) do { const char *_a = (a), *_b = (b); h_checks++; \
  if (!_a || !_b || strcmp(_a, _b)) { h_failures++; \
  fprintf(stderr, "%s:%d: %s: expected \"%s\", got \"%s\"\n", __FILE__, __LINE__, h_current, _b ? _b : "(null)", _a ? _a : "(null)"); } } while (0)
#define CHECK_EQ_INT(a, b) do { long long _a = (long long)(a), _b = (long long)(b); h_checks++; \
  if (_a != _b) { h_failures++; \
  fprintf(stderr, "%s:%d: %s: expected %lld, got %lld (%s)\n", __FILE__, __LINE__, h_current, _b, _a, #a); } } while (0)
#define DONE() do { printf("%s: %d tests, %d checks, %d failures\n", __FILE__, h_tests, h_checks, h_failures); \
  return h_failures ? 1 : 0; } while (0)
#endif
