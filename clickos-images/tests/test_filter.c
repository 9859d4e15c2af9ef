#define _GNU_SOURCE 1
/* test_filter.c - the IP filter language: parsing, data omission,
 * relations, byte offsets, and evaluation on truncated packets. */
#include "harness.h"
#include "filter.h"

static uint8_t tcp_syn[40] = {0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
                              0x04, 0xd2, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 4, 0, 0, 0, 0, 0};
static uint8_t icmp_echo[28] = {0x45, 0, 0, 28, 0, 1, 0, 0, 64, 1, 0, 0, 192, 168, 1, 1, 8, 8, 8, 8,
                                8, 0, 0, 0, 0, 7, 0, 1};

static bool m(const char *expr, const uint8_t *pkt, int len) {
  char eb[256];
  FNode *n = filter_parse(expr, eb, sizeof eb);
  if (!n) { fprintf(stderr, "parse error in '%s': %s\n", expr, eb); return false; }
  bool r = filter_match_ip(n, pkt, len);
  filter_free(n);
  return r;
}
static bool bad(const char *expr, const char *word) {
  char eb[256];
  FNode *n = filter_parse(expr, eb, sizeof eb);
  if (n) { filter_free(n); return false; }
  return strstr(eb, word) != NULL;
}

TEST(primitives) {
  CHECK(m("tcp", tcp_syn, 40));
  CHECK(!m("udp", tcp_syn, 40));
  CHECK(m("src host 10.0.0.1", tcp_syn, 40));
  CHECK(!m("dst host 10.0.0.1", tcp_syn, 40));
  CHECK(m("host 10.0.0.2", tcp_syn, 40));
  CHECK(m("src and dst net 10.0.0.0/8", tcp_syn, 40));
  CHECK(m("net 10.0.0.0 mask 255.0.0.0", tcp_syn, 40));
  CHECK(m("tcp dst port 80", tcp_syn, 40));
  CHECK(m("port http", tcp_syn, 40));
  CHECK(m("src port > 1000 and dst port <= 80", tcp_syn, 40));
  CHECK(!m("udp port 80", tcp_syn, 40));
  CHECK(m("tcp opt syn", tcp_syn, 40));
  CHECK(!m("tcp opt ack", tcp_syn, 40));
  CHECK(m("tcp win 1024", tcp_syn, 40));
  CHECK(m("ip proto tcp && ip ttl > 10 && ip vers 4 && ip hl 5", tcp_syn, 40));
  CHECK(m("ip unfrag and not ip frag", tcp_syn, 40));
  CHECK(m("ip[9] == 6", tcp_syn, 40));
  CHECK(m("ip[12:4] 10.0.0.1", tcp_syn, 40));
  CHECK(m("ip[0] & 0xf0 == 0x40", tcp_syn, 40));
  CHECK(m("transp[2:2] == 80", tcp_syn, 40));
  CHECK(m("icmp type echo", icmp_echo, 28));
  CHECK(!m("icmp type echo-reply", icmp_echo, 28));
  CHECK(m("icmp and dst host 8.8.8.8", icmp_echo, 28));
  CHECK(m("true", tcp_syn, 0));
  CHECK(!m("false", tcp_syn, 40));
  CHECK(m("-", tcp_syn, 40));
}

TEST(combinations_and_omission) {
  CHECK(m("src host 1.2.3.4 or 10.0.0.1", tcp_syn, 40));   /* src host omitted */
  CHECK(!m("src host 1.2.3.4 or 10.0.0.2", tcp_syn, 40));
  CHECK(m("tcp port 22 or 80", tcp_syn, 40));
  CHECK(m("not (udp or icmp)", tcp_syn, 40));
  CHECK(m("! udp && (tcp || icmp)", tcp_syn, 40));
  CHECK(m("tcp dst port 80 src host 10.0.0.1", tcp_syn, 40)); /* juxtaposition = and */
  CHECK(m("udp ? false : true", tcp_syn, 40));
}

TEST(truncated_packets) {
  /* every prefix length: transport-level checks fail once the bytes are gone */
  for (int len = 0; len <= 40; len++) {
    CHECK(m("tcp", tcp_syn, len) == (len >= 20));
    CHECK(m("tcp dst port 80", tcp_syn, len) == (len >= 24));
    CHECK(m("tcp opt syn", tcp_syn, len) == (len >= 34));
    CHECK(m("not tcp opt syn", tcp_syn, len) == !(len >= 34));
    CHECK(m("transp[19]", tcp_syn, len) == false);
  }
  uint8_t frag[40];
  memcpy(frag, tcp_syn, 40);
  frag[7] = 1; /* fragment offset 8: no transport header */
  CHECK(!m("tcp dst port 80", frag, 40));
  CHECK(m("ip frag", frag, 40));
}

TEST(errors) {
  CHECK(bad("tcp port banana", "banana"));
  CHECK(bad("src host 1.2.3", "1.2.3"));
  CHECK(bad("ip[99999]", "offset"));
  CHECK(bad("ip[1:7]", "length"));
  CHECK(bad("(tcp", "')'"));
  CHECK(bad("", "empty"));
  CHECK(bad("tcp )", "garbage"));
  CHECK(bad("frobnicate", "frobnicate"));
  /* deep nesting is refused, not a stack overflow */
  char deep[2100];
  for (int i = 0; i < 1000; i++) deep[i] = '(';
  strcpy(deep + 1000, "tcp");
  for (int i = 0; i < 1000; i++) deep[1003 + i] = ')';
  deep[2003] = 0;
  char eb[256];
  FNode *n = filter_parse(deep, eb, sizeof eb);
  CHECK(n == NULL);
  filter_free(n);
}

int main(void) {
  RUN(primitives);
  RUN(combinations_and_omission);
  RUN(truncated_packets);
  RUN(errors);
  DONE();
}
