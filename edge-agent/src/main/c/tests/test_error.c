/* test_error.c - crun-style error filling and wrapping. */
#include "noxs_internal.h"
#include "harness.h"

TEST(fail_appends_strerror) {
  noxs_error_t e;
  CHECK(nx_fail(&e, ENOENT, "open `%s`", "x") == -1);
  CHECK(e.status == ENOENT);
  CHECK(strcmp(e.msg, "open `x`: No such file or directory") == 0);
  return 0;
}

TEST(wrap_prefixes_context) {
  noxs_error_t e;
  nx_fail(&e, EINVAL, "inner");
  CHECK(nx_wrap(&e, "outer %d", 1) == -1);
  CHECK(strcmp(e.msg, "outer 1: inner: Invalid argument") == 0);
  CHECK(e.status == EINVAL);
  return 0;
}

TEST(custom_status_has_no_strerror) {
  noxs_error_t e;
  nx_fail(&e, NOXS_E_REJECTED, "config:3: unknown element class `Foo`");
  CHECK(e.status == NOXS_E_REJECTED);
  CHECK(strcmp(e.msg, "config:3: unknown element class `Foo`") == 0);
  return 0;
}

TEST(wrap_truncates_safely) {
  noxs_error_t e;
  char big[700];
  memset(big, 'a', sizeof big - 1);
  big[sizeof big - 1] = 0;
  nx_fail(&e, EIO, "%s", big);
  for (int i = 0; i < 10; i++) nx_wrap(&e, "ctx%d", i);
  CHECK(strlen(e.msg) < sizeof e.msg);
  CHECK(strncmp(e.msg, "ctx9: ctx8: ", 12) == 0);
  return 0;
}

TEST(slot_names_fit_ifnamsiz) {
  char n[16];
  CHECK(nx_slot_valid("abcd1234"));
  CHECK(!nx_slot_valid("abcd12345"));
  CHECK(!nx_slot_valid("AB"));
  CHECK(!nx_slot_valid(""));
  nx_host_ifname(n, "abcd1234", 7);
  CHECK(strcmp(n, "mfabcd1234h7") == 0 && strlen(n) < 16);
  nx_xbr_ifname(n, "abcd1234", 7);
  CHECK(strcmp(n, "mbabcd1234x7") == 0);
  uint8_t mac[6];
  CHECK(nx_parse_mac("02:00:0a:ff:10:01", mac) == 0 && mac[3] == 0xff);
  CHECK(nx_parse_mac("02:00:0a:ff:10", mac) < 0);
  CHECK(nx_parse_mac("02:00:0a:ff:10:01x", mac) < 0);
  CHECK(nx_parse_mac("02:00:0a:ff:10:100", mac) < 0);
  return 0;
}

int main(void) {
  RUN(fail_appends_strerror);
  RUN(wrap_prefixes_context);
  RUN(custom_status_has_no_strerror);
  RUN(wrap_truncates_safely);
  RUN(slot_names_fit_ifnamsiz);
  HARNESS_END("test_error");
}
