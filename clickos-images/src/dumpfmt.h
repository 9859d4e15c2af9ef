/* dumpfmt.h - pcap and IP summary dump readers (shared with the fuzzers). */
#ifndef CLICKOS_DUMPFMT_H
#define CLICKOS_DUMPFMT_H
#include "clickos.h"

#define PCAP_MAX_RECORD (256u * 1024u)
typedef struct {
  FILE *f;
  const char *name;
  bool swap, nano, force_ip;
  uint32_t snaplen, linktype;
  uint64_t records;
} PcapReader;
int pcap_open(PcapReader *r, FILE *f, const char *name, char *err, size_t errlen);
int pcap_next(PcapReader *r, Packet **out, char *err, size_t errlen);

int summary_parse_fields(const char *spec, const char ***fields, int *nf, char *err, size_t errlen);
int summary_parse_line(const char *line, const char **fields, int nf, Packet **out, char *err, size_t errlen);
#endif
