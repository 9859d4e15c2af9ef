/* fuzz_ipfilter.c - libFuzzer harness for the IP filter language: parse
 * the input as a rule, evaluate it on packets of every length. */
#include "filter.h"
#include <stdlib.h>
#include <string.h>

static const uint8_t pkt[64] = {0x46, 0, 0, 64, 0, 1, 0x20, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 1, 1, 1, 1,
  0x04, 0xd2, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x12, 4, 0, 0, 0, 0, 0, 2, 4, 5, 0xb4};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 8192) return 0;
  char *text = malloc(size + 1);
  memcpy(text, data, size);
  text[size] = 0;
  char eb[256];
  FNode *n = filter_parse(text, eb, sizeof eb);
  if (n) {
    for (int len = 0; len <= 64; len += 3) (void)filter_match_ip(n, pkt, len);
    filter_free(n);
  }
  free(text);
  return 0;
}
