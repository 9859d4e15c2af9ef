/* standalone.c - fallback fuzz driver when clang/libFuzzer is absent: feeds
 * the corpus files, then deterministic random mutations of them, to
 * LLVMFuzzerTestOneInput for the given number of seconds. */
#define _GNU_SOURCE 1
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv) {
  int secs = argc > 1 ? atoi(argv[1]) : 10;
  uint8_t *seeds[256];
  size_t lens[256];
  int ns = 0;
  if (argc > 2) {
    DIR *d = opendir(argv[2]);
    struct dirent *de;
    while (d && (de = readdir(d)) && ns < 256) {
      if (de->d_name[0] == '.') continue;
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", argv[2], de->d_name);
      FILE *f = fopen(path, "rb");
      if (!f) continue;
      seeds[ns] = malloc(65536);
      lens[ns] = fread(seeds[ns], 1, 65536, f);
      fclose(f);
      LLVMFuzzerTestOneInput(seeds[ns], lens[ns]);
      ns++;
    }
    if (d) closedir(d);
  }
  unsigned seed = 1;
  time_t end = time(NULL) + secs;
  uint8_t buf[4096];
  long iters = 0;
  while (time(NULL) < end) {
    size_t n;
    if (ns && (rand_r(&seed) & 1)) {
      int s = rand_r(&seed) % ns;
      n = lens[s] < sizeof buf ? lens[s] : sizeof buf;
      memcpy(buf, seeds[s], n);
      for (int k = 0; k < 1 + rand_r(&seed) % 8 && n; k++) buf[rand_r(&seed) % n] = (uint8_t)rand_r(&seed);
      if (n && (rand_r(&seed) & 3) == 0) n = rand_r(&seed) % n;
    } else {
      n = rand_r(&seed) % sizeof buf;
      for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)rand_r(&seed);
    }
    LLVMFuzzerTestOneInput(buf, n);
    iters++;
  }
  printf("  %ld executions, no crash\n", iters);
  return 0;
}
