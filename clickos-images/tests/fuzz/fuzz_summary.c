/* fuzz_summary.c - libFuzzer harness for the IP summary dump reader: the
 * first line is the field list, the rest are packet lines. */
#include "dumpfmt.h"
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 65536) return 0;
  char *text = malloc(size + 1);
  memcpy(text, data, size);
  text[size] = 0;
  char *nl = strchr(text, '\n');
  const char **fields = NULL;
  int nf = 0;
  char eb[256];
  if (nl) {
    *nl = 0;
    if (summary_parse_fields(text, &fields, &nf, eb, sizeof eb) == 0) {
      char *line = nl + 1;
      while (line && *line) {
        char *next = strchr(line, '\n');
        if (next) *next++ = 0;
        Packet *p;
        if (summary_parse_line(line, fields, nf, &p, eb, sizeof eb) > 0) pkt_kill(p);
        line = next;
      }
    }
  }
  free(fields);
  free(text);
  return 0;
}
