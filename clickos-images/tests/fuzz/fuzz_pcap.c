/* fuzz_pcap.c - libFuzzer harness for the pcap reader (FromDump). */
#define _GNU_SOURCE 1
#include "dumpfmt.h"
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  FILE *f = fmemopen((void *)data, size, "rb");
  if (!f) return 0;
  PcapReader r;
  char eb[256];
  if (pcap_open(&r, f, "fuzz.pcap", eb, sizeof eb) == 0) {
    r.force_ip = size & 1;
    Packet *p;
    int n = 0;
    while (n++ < 10000 && pcap_next(&r, &p, eb, sizeof eb) > 0) pkt_kill(p);
  }
  fclose(f);
  return 0;
}
