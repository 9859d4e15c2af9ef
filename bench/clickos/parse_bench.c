/* parse_bench.c - times parse + graph build (+ element init, + teardown
 * excluded) of a Click configuration inside one process, like a guest BOOT:
 * config_parse + router_build.  Prints "N P50 P90 P99 MAX" in microseconds.
 * Built by run.sh against clickos-images/target/libclickos.a. */
#define _GNU_SOURCE 1
#include "clickos.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}
static double mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}
int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: parse_bench CONFIG N\n"); return 2; }
  elements_register_all();
  FILE *f = fopen(argv[1], "rb");
  if (!f) { perror(argv[1]); return 2; }
  static char text[1 << 20];
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = 0;
  int iters = atoi(argv[2]);
  double *t = malloc(sizeof(double) * (size_t)iters);
  for (int i = -20; i < iters; i++) { /* 20 warm-up rounds */
    ErrCtx err = {0};
    err.file = "config";
    double t0 = mono_us();
    Config c;
    if (config_parse(text, "config", &c, &err) < 0) return 1;
    Router *r = router_build(&c, &err, NULL, NULL);
    double t1 = mono_us();
    if (!r) return 1;
    config_free(&c);
    router_free(r);
    sched_reset();
    str_free(&err.first);
    if (i >= 0) t[i] = t1 - t0;
  }
  qsort(t, (size_t)iters, sizeof(double), cmp);
  printf("%d %.1f %.1f %.1f %.1f\n", iters, t[iters / 2], t[(int)(iters * 0.9)], t[(int)(iters * 0.99)], t[iters - 1]);
  return 0;
}
