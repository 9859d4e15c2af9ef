/* test_netlink.c - veth / bridge / link set through rtnetlink (root only). */
#include "noxs_internal.h"
#include "harness.h"
#include <net/if.h>
#include <stdio.h>

static int init_host(noxs_error_t *e) {
  const char *stub = getenv("NOXS_STUB_GUEST");
  return noxs_host_init(stub ? stub : "/bin/true", "/run/mayfly-test-root", 0, e);
}

static int read_sys(const char *ifn, const char *attr, char *buf, size_t n) {
  char p[128];
  noxs_error_t e;
  snprintf(p, sizeof p, "/sys/class/net/%s/%s", ifn, attr);
  return nx_read_file(p, buf, n, &e);
}

TEST(veth_bridge_master_delete) {
  if (getuid() != 0) SKIP("needs root");
  noxs_error_t e;
  CHECK_OK(init_host(&e), &e);
  /* peer in our own netns (pid = us): both ends visible here */
  int idx = nx_nl_veth_create("mftnl0h0", "mftnl0p0", getpid(), &e);
  CHECK_OK(idx, &e);
  CHECK(idx == nx_ifindex("mftnl0h0"));
  CHECK(nx_nl_veth_create("mftnl0h0", "mftnl0p1", getpid(), &e) < 0 && e.status == EEXIST);
  int br = nx_nl_bridge_create("mbtnl0x0", &e);
  CHECK_OK(br, &e);
  uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x42};
  CHECK_OK(nx_nl_link_set(NULL, "mftnl0h0", 1, mac, br, &e), &e);
  char buf[64];
  CHECK(read_sys("mftnl0h0", "address", buf, sizeof buf) > 0);
  CHECK(strncmp(buf, "02:00:00:00:00:42", 17) == 0);
  CHECK(read_sys("mftnl0h0", "master/ifindex", buf, sizeof buf) > 0 && atoi(buf) == br);
  CHECK(read_sys("mftnl0h0", "flags", buf, sizeof buf) > 0 && (strtol(buf, NULL, 16) & 1));
  CHECK_OK(nx_nl_link_set(NULL, "mftnl0h0", 0, NULL, -1, &e), &e);
  CHECK(read_sys("mftnl0h0", "master/ifindex", buf, sizeof buf) < 0);
  CHECK(nx_nl_link_set(NULL, "mfnosuch", 1, NULL, 0, &e) < 0 && e.status == ENODEV);
  CHECK_OK(nx_nl_link_del("mftnl0h0", &e), &e);
  CHECK_OK(nx_nl_link_del("mbtnl0x0", &e), &e);
  CHECK(nx_ifindex("mftnl0h0") == 0 && nx_ifindex("mftnl0p0") == 0 && nx_ifindex("mbtnl0x0") == 0);
  CHECK_OK(nx_nl_link_del("mftnl0h0", &e), &e); /* missing is fine */
  return 0;
}

/* After nx_nl_links_sync the kernel's link-watch work has run for the named links: both
 * ends of a veth just brought up report operstate up and the bridge port forwards. */
TEST(links_sync_runs_link_watch) {
  if (getuid() != 0) SKIP("needs root");
  noxs_error_t e;
  CHECK_OK(init_host(&e), &e);
  CHECK_OK(nx_nl_veth_create("mftnl1h0", "mftnl1p0", getpid(), &e), &e);
  int br = nx_nl_bridge_create("mbtnl1x0", &e);
  CHECK_OK(br, &e);
  const char *names[3] = {"mftnl1h0", "mftnl1p0", "mbtnl1x0"};
  CHECK_OK(nx_nl_links_sync(NULL, 3, names, &e), &e); /* creation's carrier-off events */
  CHECK_OK(nx_nl_link_set(NULL, "mftnl1p0", 1, NULL, 0, &e), &e);
  const int ups[1] = {1}, masters[1] = {br};
  CHECK_OK(nx_nl_links_set(1, names, ups, masters, &e), &e);
  CHECK_OK(nx_nl_links_sync(NULL, 2, names, &e), &e);
  char buf[64];
  CHECK(read_sys("mftnl1h0", "operstate", buf, sizeof buf) > 0 && strncmp(buf, "up", 2) == 0);
  CHECK(read_sys("mftnl1p0", "operstate", buf, sizeof buf) > 0 && strncmp(buf, "up", 2) == 0);
  CHECK(read_sys("mftnl1h0", "brport/state", buf, sizeof buf) > 0 && atoi(buf) == 3); /* forwarding */
  const char *bad[2] = {"mftnl1h0", "mfnosuch"};
  CHECK(nx_nl_links_sync(NULL, 2, bad, &e) < 0 && e.status == ENODEV && strstr(e.msg, "mfnosuch"));
  CHECK(nx_nl_links_sync(NULL, 17, bad, &e) < 0 && e.status == EINVAL);
  CHECK_OK(nx_nl_link_del("mftnl1h0", &e), &e);
  CHECK_OK(nx_nl_link_del("mbtnl1x0", &e), &e);
  CHECK(nx_ifindex("mftnl1h0") == 0 && nx_ifindex("mbtnl1x0") == 0);
  return 0;
}

int main(void) {
  RUN(veth_bridge_master_delete);
  RUN(links_sync_runs_link_watch);
  HARNESS_END("test_netlink");
}
