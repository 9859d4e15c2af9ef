/* harness.h - a tiny test harness (crun's tests_libcrun_* style).
 * TEST(name) { ... CHECK(cond) ...; return 0; }  RUN(name); SKIP("why") returns 77. */
#ifndef NOXS_HARNESS_H
#define NOXS_HARNESS_H
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int h_failed, h_passed, h_skipped;
#define TEST(name) static int name(void)
#define CHECK(cond)                                                              \
  do {                                                                           \
    if (!(cond)) {                                                               \
      fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
      return 1;                                                                  \
    }                                                                            \
  } while (0)
#define CHECK_OK(call, errp)                                                            \
  do {                                                                                  \
    if ((call) < 0) {                                                                   \
      fprintf(stderr, "  %s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, (errp)->msg); \
      return 1;                                                                         \
    }                                                                                   \
  } while (0)
#define SKIP(why)                          \
  do {                                     \
    fprintf(stderr, "  skipped: %s\n", why); \
    return 77;                             \
  } while (0)
#define RUN(name)                                        \
  do {                                                   \
    int r_ = name();                                     \
    if (r_ == 77) h_skipped++;                           \
    else if (r_) { h_failed++; fprintf(stderr, "FAIL %s\n", #name); } \
    else h_passed++;                                     \
  } while (0)
#define HARNESS_END(suite)                                                          \
  do {                                                                              \
    fprintf(stderr, "%s: %d passed, %d failed, %d skipped\n", suite, h_passed, h_failed, \
            h_skipped);                                                             \
    return h_failed ? 1 : 0;                                                        \
  } while (0)
#endif
