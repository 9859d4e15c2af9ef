#define _GNU_SOURCE 1
/* test_elements.c - short packets (0..64 KiB, headers truncated at every
 * byte) through every IP element; FlowFirewall idle timeouts and LRU;
 * checkpoint blob round trip and rejection. */
#include "harness.h"
#include "clickos.h"

static Router *build(const char *text) {
  Config c;
  ErrCtx e = {0};
  e.file = "t";
  if (config_parse(text, "t", &c, &e) < 0) return NULL;
  Router *r = router_build(&c, &e, NULL, NULL);
  config_free(&c);
  str_free(&e.first);
  return r;
}
static void inject(Router *r, const char *src, const uint8_t *d, uint32_t len, bool annotate) {
  Element *s = router_find(r, src);
  Packet *p = pkt_make(d, len);
  if (annotate) pkt_set_ip_header(p, 0);
  output_push(s, 0, p);
}

static const char *ALL_IP =
  "src :: Idle -> t :: Tee(17);\n"
  "t[0] -> ch :: CheckIPHeader -> Discard; ch[1] -> Discard;\n"
  "t[1] -> IPPrint(x, OUTFILE /dev/null, CONTENTS hex, PAYLOAD true) -> Discard;\n"
  "t[2] -> SetIPDSCP(5) -> Discard;\n"
  "t[3] -> dt :: DecIPTTL -> Discard; dt[1] -> Discard;\n"
  "t[4] -> f :: IPFilter(allow tcp port 80, allow icmp type echo, 1 ip[30:2] & 0xff == 3, 1 transp[20:4] > 5, allow ip frag, allow src net 10/8 and udp port 53 or 5353, deny all); f[0] -> Discard; f[1] -> Discard;\n"
  "t[5] -> ic :: IPClassifier(tcp opt syn, udp, icmp, -); ic[0] -> Discard; ic[1] -> Discard; ic[2] -> Discard; ic[3] -> Discard;\n"
  "t[6] -> [0]fw :: FlowFirewall(CAPACITY 16); t[7] -> [1]fw; fw[0] -> Discard; fw[1] -> Discard;\n"
  "t[8] -> [0]rw :: IPRewriter(pattern 1.1.1.1 1024-1030 - - 0 1, pass 1); t[9] -> [1]rw; rw[0] -> Discard; rw[1] -> Discard;\n"
  "t[10] -> ARPResponder(10.0.0.1 00:01:02:03:04:05) -> Discard;\n"
  "t[11] -> [0]aq :: ARPQuerier(10.0.0.1, 00:01:02:03:04:05) -> Discard; t[12] -> [1]aq;\n"
  "t[13] -> cl :: Classifier(12/0800, 12/0806 20/0001, -); cl[0] -> Discard; cl[1] -> Discard; cl[2] -> Discard;\n"
  "t[14] -> MarkIPHeader(14) -> EtherMirror -> Strip(14) -> Unstrip(14) -> Truncate(30) -> hs :: HashSwitch(10, 20); hs[0] -> Discard; hs[1] -> Discard;\n"
  "t[15] -> ToIPSummaryDump(/dev/null, CONTENTS timestamp src dst sport dport proto len tcp_flags tcp_seq tcp_ack tcp_window payload_len);\n"
  "t[16] -> EtherEncap(0x0800, 1:2:3:4:5:6, 6:5:4:3:2:1) -> Print(OUTFILE_none, 0, CONTENTS NONE, ACTIVE false) -> Discard;\n";

static const uint8_t tcp_opts[60] = {0x46, 0, 0, 60, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 1, 1, 1, 1,
  0x04, 0xd2, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x12, 4, 0, 0, 0, 0, 0, 2, 4, 5, 0xb4, 'h', 'e', 'l', 'l', 'o', 0, 0, 0, 0, 0, 0, 0};
static const uint8_t udp_dns[36] = {0x45, 0, 0, 36, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 5, 8, 8, 8, 8,
  0x13, 0x89, 0, 53, 0, 16, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
static const uint8_t icmp_unreach[56] = {0x45, 0, 0, 56, 0, 1, 0, 0, 64, 1, 0, 0, 8, 8, 8, 8, 10, 0, 0, 5,
  3, 3, 0, 0, 0, 0, 0, 0,
  0x45, 0, 0, 36, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 5, 8, 8, 8, 8, 0x13, 0x89, 0, 53, 0, 16, 0, 0};
static const uint8_t arp_req[42] = {255, 255, 255, 255, 255, 255, 0, 1, 2, 3, 4, 5, 8, 6, 0, 1, 8, 0, 6, 4, 0, 1,
  0, 1, 2, 3, 4, 5, 10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1};

TEST(short_packets_every_ip_element) {
  Router *r = build(ALL_IP);
  CHECK(r != NULL);
  if (!r) return;
  const uint8_t *pk[] = {tcp_opts, udp_dns, icmp_unreach, arp_req};
  const uint32_t pl[] = {60, 36, 56, 42};
  int n = 0;
  for (int k = 0; k < 4; k++)
    for (uint32_t len = 0; len <= pl[k]; len++) {
      inject(r, "src", pk[k], len, true);
      inject(r, "src", pk[k], len, false);
      n += 2;
    }
  /* header fields that lie: huge header length, ip_len beyond the packet */
  uint8_t liar[60];
  memcpy(liar, tcp_opts, 60);
  liar[0] = 0x4f;
  liar[2] = 0xff;
  for (uint32_t len = 0; len <= 60; len++) { inject(r, "src", liar, len, true); n++; }
  /* random bytes at random lengths, and the maximum 64 KiB */
  unsigned seed = 7;
  uint8_t *big = malloc(65536);
  for (int i = 0; i < 65536; i++) big[i] = (uint8_t)rand_r(&seed);
  for (int i = 0; i < 400; i++) {
    uint32_t len = (uint32_t)(rand_r(&seed) % 200);
    big[0] = (uint8_t)(0x40 | (rand_r(&seed) & 0xf));
    inject(r, "src", big, len, i & 1);
    n++;
  }
  memcpy(big, tcp_opts, 60);
  big[2] = 0xff; big[3] = 0xff;
  inject(r, "src", big, 65535, true);
  inject(r, "src", big, 65536, true);
  n += 2;
  free(big);
  Str s; str_init(&s);
  ErrCtx e = {0};
  e.quiet = true;
  CHECK(router_call_read(r, "ch.drops", &s, &e) == 0);
  CHECK(atoi(s.s) > 0);
  router_free(r);
  CHECK(n > 300);
  str_free(&s);
  str_free(&e.first);
}

static uint8_t *with_ports(uint8_t *buf, uint16_t sp, uint16_t dp) {
  memcpy(buf, tcp_opts, 60);
  buf[24] = sp >> 8; buf[25] = sp & 0xff; buf[26] = dp >> 8; buf[27] = dp & 0xff;
  return buf;
}

TEST(flowfirewall_timeout_and_lru) {
  time_set_simulated(1000 * NS_PER_SEC);
  Router *r = build("in :: Idle -> [0]fw :: FlowFirewall(TIMEOUT 10, CAPACITY 3); out :: Idle -> [1]fw;\n"
                    "fw[0] -> o :: Counter -> Discard; fw[1] -> i :: Counter -> Discard; fw[2] -> x :: Counter -> Discard;");
  CHECK(r != NULL);
  if (!r) return;
  uint8_t b[60], rep[60];
  for (int k = 0; k < 3; k++) inject(r, "in", with_ports(b, (uint16_t)(1000 + k), 80), 60, true);
  /* reply for flow 0: swap addresses and ports */
  memcpy(rep, with_ports(b, 80, 1000), 60);
  memcpy(rep + 12, b + 16, 4);
  memcpy(rep + 16, b + 12, 4);
  inject(r, "out", rep, 60, true);
  Str s; str_init(&s); str_add(&s, "");
  ErrCtx e = {0};
  e.quiet = true;
  router_call_read(r, "i.count", &s, &e);
  CHECK_EQ_STR(s.s, "1");
  /* 4th flow evicts the least recently used (flow 1) */
  inject(r, "in", with_ports(b, 1003, 80), 60, true);
  s.len = 0; s.s[0] = 0;
  router_call_read(r, "fw.evictions", &s, &e);
  CHECK_EQ_STR(s.s, "1");
  /* idle timeout: after 11 simulated seconds the reply is refused */
  time_warp_to(now_ns() + 11 * NS_PER_SEC);
  inject(r, "out", rep, 60, true);
  s.len = 0; s.s[0] = 0;
  router_call_read(r, "x.count", &s, &e);
  CHECK_EQ_STR(s.s, "1");
  s.len = 0; s.s[0] = 0;
  router_call_read(r, "fw.size", &s, &e);
  CHECK_EQ_STR(s.s, "0");
  str_free(&s);
  str_free(&e.first);
  router_free(r);
}

TEST(checkpoint_roundtrip_and_rejects) {
  Router *r = build("in :: Idle -> c :: Counter -> [0]fw :: FlowFirewall; Idle -> [1]fw; fw[0] -> Discard; fw[1] -> Discard;\n"
                    "rs :: RatedSplitter(100); Idle -> rs; rs[0] -> Discard; rs[1] -> Discard;");
  CHECK(r != NULL);
  if (!r) return;
  uint8_t b[60];
  for (int k = 0; k < 5; k++) inject(r, "in", with_ports(b, (uint16_t)(2000 + k), 443), 60, true);
  Blob blob = {0};
  CHECK(ckpt_build(r, &blob) == 0);
  Router *r2 = build("in :: Idle -> c :: Counter -> [0]fw :: FlowFirewall; Idle -> [1]fw; fw[0] -> Discard; fw[1] -> Discard;\n"
                     "rs :: RatedSplitter(100); Idle -> rs; rs[0] -> Discard; rs[1] -> Discard;");
  ErrCtx e = {0};
  e.quiet = true;
  CHECK(ckpt_load(r2, blob.p, blob.len, &e) == 0);
  Str s; str_init(&s); str_add(&s, "");
  router_call_read(r2, "fw.size", &s, &e);
  CHECK_EQ_STR(s.s, "5");
  s.len = 0; s.s[0] = 0;
  router_call_read(r2, "c.count", &s, &e);
  CHECK_EQ_STR(s.s, "5");
  /* every truncation and every single-byte corruption is rejected cleanly */
  for (size_t n = 0; n < blob.len; n++) {
    ErrCtx e2 = {0};
    e2.quiet = true;
    CHECK(ckpt_load(r2, blob.p, n, &e2) < 0);
    str_free(&e2.first);
  }
  for (size_t i = 0; i < blob.len; i++) {
    blob.p[i] ^= 0x5a;
    ErrCtx e2 = {0};
    e2.quiet = true;
    CHECK(ckpt_load(r2, blob.p, blob.len, &e2) < 0);
    str_free(&e2.first);
    blob.p[i] ^= 0x5a;
  }
  free(blob.p);
  str_free(&s);
  str_free(&e.first);
  router_free(r);
  router_free(r2);
}

int main(void) {
  elements_register_all();
  RUN(short_packets_every_ip_element);
  RUN(flowfirewall_timeout_and_lru);
  RUN(checkpoint_roundtrip_and_rejects);
  DONE();
}
