/* spawn.c - the boot bench's peer timer: runs a command N times with fork+exec and
 * prints each run's wall time (ms, start to reaped exit), one per line. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: spawn N COMMAND [ARGS...]\n");
    return 2;
  }
  int n = atoi(argv[1]), failures = 0;
  for (int i = 0; i < n; i++) {
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    pid_t p = fork();
    if (p == 0) {
      execv(argv[2], argv + 2);
      _exit(127);
    }
    int st;
    waitpid(p, &st, 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) failures++;
    printf("%.4f\n", (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6);
  }
  if (failures) fprintf(stderr, "spawn: %d of %d runs failed\n", failures, n);
  return failures == n ? 1 : 0;
}
