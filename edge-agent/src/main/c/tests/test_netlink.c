/* test_netlink.c - veth / link set / link sync / cross-connect through rtnetlink (root only). */
#include "noxs_internal.h"
#include "harness.h"
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <sys/socket.h>

static int init_host(noxs_error_t *e) {
  const char *stub = getenv("NOXS_STUB_GUEST");
  return noxs_host_init(stub ? stub : "/bin/true", "/run/mayfly-test-root", 0, e);
}

/* a bridge made with ip(8): the product makes none, the tests need one to enslave to */
static int test_bridge(const char *name) {
  char cmd[96];
  snprintf(cmd, sizeof cmd, "ip link add %s type bridge && ip link set %s up", name, name);
  return system(cmd) == 0 ? nx_ifindex(name) : -1;
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
  nx_nl_link_del("mbtnl0x0", &e);
  int br = test_bridge("mbtnl0x0");
  CHECK(br > 0);
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
  nx_nl_link_del("mbtnl1x0", &e);
  int br = test_bridge("mbtnl1x0");
  CHECK(br > 0);
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

/* a packet socket on ifname: raw frames of ethertype 0x88b5 (IEEE local experimental) */
static int psock(const char *ifname) {
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(0x88b5));
  if (fd < 0) return -1;
  struct sockaddr_ll sa = {.sll_family = AF_PACKET, .sll_protocol = htons(0x88b5),
                           .sll_ifindex = nx_ifindex(ifname)};
  if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* sends a frame tagged tag from `from` and says whether `to` receives it within ms */
static int passes(int from, int to, char tag, int ms) {
  unsigned char f[64] = {0x02, 0x6d, 0, 0, 0, 0x99, 0x02, 0x6d, 0, 0, 0, 0x98, 0x88, 0xb5};
  memcpy(f + 14, "noxs-xc", 7);
  f[21] = (unsigned char) tag;
  if (send(from, f, sizeof f, 0) != (ssize_t) sizeof f) return 0;
  for (;;) {
    struct pollfd p = {.fd = to, .events = POLLIN};
    if (poll(&p, 1, ms) <= 0) return 0;
    unsigned char r[128];
    ssize_t n = recv(to, r, sizeof r, 0);
    if (n >= 22 && memcmp(r + 14, "noxs-xc", 7) == 0 && r[21] == (unsigned char) tag) return 1;
  }
}

static void xc_cleanup(void) {
  noxs_error_t e;
  const char *l[3] = {"mftnx0a", "mftnx0h", "mftnx1h"};
  for (int i = 0; i < 3; i++) nx_nl_link_del(l[i], &e);
}

/* nx_nl_xconnect with real frames: attachment a (its far end b: the subscriber) and two
 * "guests" (host end h, guest end g): each way through the redirects; a second cross-connect
 * of a takes its traffic over; once that guest's host end is gone the attachment is closed. */
TEST(xconnect_redirects_both_ways_replaces_and_fails_closed) {
  if (getuid() != 0) SKIP("needs root");
  noxs_error_t e;
  CHECK_OK(init_host(&e), &e);
  xc_cleanup();
  int a = nx_nl_veth_create("mftnx0a", "mftnx0b", getpid(), &e);
  CHECK_OK(a, &e);
  int h0 = nx_nl_veth_create("mftnx0h", "mftnx0g", getpid(), &e);
  CHECK_OK(h0, &e);
  int h1 = nx_nl_veth_create("mftnx1h", "mftnx1g", getpid(), &e);
  CHECK_OK(h1, &e);
  const char *far[3] = {"mftnx0b", "mftnx0g", "mftnx1g"};
  for (int i = 0; i < 3; i++) CHECK_OK(nx_nl_link_set(NULL, far[i], 1, NULL, 0, &e), &e);
  CHECK_OK(nx_nl_clsact("mftnx0h", h0, &e), &e); /* as prepare does */
  CHECK_OK(nx_nl_xconnect("mftnx0a", a, "mftnx0h", h0, 1, &e), &e);
  const char *all[6] = {"mftnx0a", "mftnx0b", "mftnx0h", "mftnx0g", "mftnx1h", "mftnx1g"};
  CHECK_OK(nx_nl_links_sync(NULL, 6, all, &e), &e);
  char buf[64];
  CHECK(read_sys("mftnx0a", "flags", buf, sizeof buf) > 0 && (strtol(buf, NULL, 16) & 0x101) == 0x101);
  int b = psock("mftnx0b"), g0 = psock("mftnx0g"), g1 = psock("mftnx1g");
  CHECK(b >= 0 && g0 >= 0 && g1 >= 0);
  CHECK(passes(b, g0, 'u', 1000));  /* subscriber -> guest 0 */
  CHECK(passes(g0, b, 'd', 1000));  /* guest 0 -> subscriber */
  /* guest 1 takes the attachment over (no clsact prepared on its host end) */
  CHECK_OK(nx_nl_xconnect("mftnx0a", a, "mftnx1h", h1, 0, &e), &e);
  CHECK_OK(nx_nl_links_sync(NULL, 6, all, &e), &e);
  CHECK(passes(b, g1, 'v', 1000));
  CHECK(passes(g1, b, 'e', 1000));
  CHECK(!passes(b, g0, 'w', 200));  /* the old guest no longer sees the subscriber */
  /* guest 1 gone: its redirect drops, nothing reaches the old guest either */
  CHECK_OK(nx_nl_link_del("mftnx1h", &e), &e);
  CHECK(!passes(b, g0, 'x', 300));
  close(b);
  close(g0);
  close(g1);
  /* errors name the step and the link */
  CHECK(nx_nl_xconnect("mftnx0a", a, "mftnx1h", h1, 1, &e) < 0 && e.status == ENODEV
        && strstr(e.msg, "mftnx1h"));
  xc_cleanup();
  CHECK(nx_ifindex("mftnx0a") == 0 && nx_ifindex("mftnx0h") == 0 && nx_ifindex("mftnx1h") == 0);
  return 0;
}

int main(void) {
  RUN(veth_bridge_master_delete);
  RUN(links_sync_runs_link_watch);
  RUN(xconnect_redirects_both_ways_replaces_and_fails_closed);
  HARNESS_END("test_netlink");
}
