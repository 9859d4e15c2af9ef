/* test_shell.c - shell lifecycle with the stub guest fixture (root only):
 * prepare, boot, real forwarding between the two ports, pause/unpause,
 * checkpoint/resume/restore, handlers, adopt, destroy leaves nothing behind. */
#include "noxs_internal.h"
#include "harness.h"
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define ETHERTYPE_TEST 0x88b5

static int init_host(noxs_error_t *e) {
  const char *stub = getenv("NOXS_STUB_GUEST");
  if (!stub) {
    nx_fail(e, ENOENT, "NOXS_STUB_GUEST not set");
    return -1;
  }
  return noxs_host_init(stub, "/run/mayfly-test-root", 0, e);
}

static int raw_on(const char *ifn) {
  int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETHERTYPE_TEST));
  if (s < 0) return -1;
  struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETHERTYPE_TEST),
                            .sll_ifindex = (int) if_nametoindex(ifn)};
  if (bind(s, (struct sockaddr *) &sll, sizeof sll) < 0) return -1;
  return s;
}

/* sends one frame into host end h0 and reports whether it comes out of h1 */
static int forwards(const char *h0, const char *h1, int marker) {
  int tx = raw_on(h0), rx = raw_on(h1);
  if (tx < 0 || rx < 0) return -1;
  unsigned char f[64] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1,
                         ETHERTYPE_TEST >> 8, ETHERTYPE_TEST & 0xff};
  memcpy(f + 14, &marker, sizeof marker);
  int got = 0;
  for (int attempt = 0; attempt < 5 && !got; attempt++) {
    if (send(tx, f, sizeof f, 0) != sizeof f) break;
    struct pollfd p = {rx, POLLIN, 0};
    while (!got && poll(&p, 1, 200) > 0) {
      unsigned char r[128];
      ssize_t n = recv(rx, r, sizeof r, 0);
      if (n >= 18 && memcmp(r + 14, &marker, sizeof marker) == 0) got = 1;
    }
  }
  close(tx);
  close(rx);
  return got;
}

static int gone(pid_t pid, const char *slot) {
  char p[256];
  struct stat st;
  snprintf(p, sizeof p, "/proc/%d/stat", (int) pid);
  uint64_t t;
  if (nx_proc_start_time(pid, &t) == 0) {
    /* a zombie reparented to a non-reaping init still has /proc: accept only Z */
    char buf[512];
    noxs_error_t e;
    if (nx_read_file(p, buf, sizeof buf, &e) > 0) {
      char *s = strrchr(buf, ')');
      if (!s || s[2] != 'Z') return 0;
    }
  }
  char n0[16], n1[16];
  nx_host_ifname(n0, slot, 0);
  nx_host_ifname(n1, slot, 1);
  /* the veths go with the guest's netns, which the kernel tears down asynchronously */
  for (int i = 0; i < 500 && (if_nametoindex(n0) || if_nametoindex(n1)); i++) usleep(10000);
  if (if_nametoindex(n0) || if_nametoindex(n1)) return 0;
  snprintf(p, sizeof p, nx_host.cgroup_v2 ? "%s/mayfly/%s" : "/sys/fs/cgroup/memory/mayfly/%s%s",
           nx_host.cgroup_v2 ? nx_host.cg_v2_base : slot, nx_host.cgroup_v2 ? slot : "");
  if (stat(p, &st) == 0) return 0;
  if (!nx_host.cgroup_v2) { /* every controller's directory, not just memory */
    const char *ctrl[] = {"cpu", "pids", "freezer"};
    for (int i = 0; i < 3; i++) {
      snprintf(p, sizeof p, "/sys/fs/cgroup/%s/mayfly/%s", ctrl[i], slot);
      if (stat(p, &st) == 0) return 0;
    }
  }
  return 1;
}

TEST(lifecycle_forwarding_pause_checkpoint) {
  if (getuid() != 0) SKIP("needs root");
  noxs_error_t e;
  CHECK_OK(init_host(&e), &e);
  noxs_shell_t *s;
  CHECK_OK(noxs_shell_prepare("tsh1", 2, 32 << 20, 100, 16, 3000, &s, &e), &e);
  pid_t pid = noxs_shell_pid(s);
  CHECK(noxs_shell_state(s) == NOXS_STATE_PREPARED);
  CHECK_OK(noxs_shell_port_attach(s, 0, "access", "02:00:00:00:aa:01", NULL, NULL, &e), &e);
  CHECK_OK(noxs_shell_port_attach(s, 1, "core", NULL, NULL, NULL, &e), &e);
  CHECK_OK(noxs_guest_boot(s, "g-1", 7, "FromDevice(access) -> ToDevice(core);", 3000, &e), &e);
  CHECK(noxs_shell_state(s) == NOXS_STATE_RUNNING);
  CHECK(s->hdr->generation == 7 && strcmp(s->hdr->guest_id, "g-1") == 0);
  CHECK(forwards("mftsh1h0", "mftsh1h1", 1) == 1);
  CHECK(forwards("mftsh1h1", "mftsh1h0", 2) == 1);
  /* the guest process lives in the park netns (no interfaces), not in its ports' netns:
   * it forwards through the packet sockets it was handed */
  {
    char p[64];
    struct stat gs, ps;
    snprintf(p, sizeof p, "/proc/%d/ns/net", (int) pid);
    CHECK(stat(p, &gs) == 0);
    CHECK(nx_host.park_netns_fd >= 0 && fstat(nx_host.park_netns_fd, &ps) == 0);
    CHECK(gs.st_ino == ps.st_ino);
    snprintf(p, sizeof p, "/proc/%d/net/dev", (int) pid);
    char dev[2048];
    CHECK(nx_read_file(p, dev, sizeof dev, &e) > 0 && !strstr(dev, "eth0"));
  }

  CHECK_OK(noxs_guest_pause(s, &e), &e);
  CHECK(forwards("mftsh1h0", "mftsh1h1", 3) == 0);
  CHECK_OK(noxs_guest_unpause(s, &e), &e);
  CHECK(forwards("mftsh1h0", "mftsh1h1", 4) == 1);

  char stats[256];
  CHECK(noxs_guest_read_stats(s, stats, sizeof stats, 2000, &e) > 0);
  CHECK(strncmp(stats, "fwd.count ", 10) == 0 && atoi(stats + 10) >= 3);
  CHECK_OK(noxs_guest_write_handler(s, "fwd.count", "41", 2000, &e), &e);
  CHECK(noxs_guest_write_handler(s, "nosuch.h", "1", 2000, &e) < 0 && strstr(e.msg, "no such handler"));
  CHECK(noxs_guest_write_handler(s, "nodot", "1", 2000, &e) < 0 && e.status == EINVAL);

  int64_t n = noxs_guest_checkpoint(s, 2000, &e);
  CHECK_OK(n, &e);
  uint8_t blob[64] = {0};
  CHECK(noxs_guest_read_bulk(s, blob, sizeof blob - 1, &e) == n);
  CHECK(strcmp((char *) blob, "STUB 41") == 0);
  CHECK(noxs_guest_checkpoint(s, 2000, &e) < 0 && e.status == EBUSY);
  CHECK_OK(noxs_guest_resume(s, 2000, &e), &e);

  /* restore the blob into a second shell */
  noxs_shell_t *r;
  CHECK_OK(noxs_shell_prepare("tsh2", 2, 32 << 20, 100, 16, 3000, &r, &e), &e);
  CHECK_OK(noxs_shell_port_attach(r, 0, "access", NULL, NULL, NULL, &e), &e);
  CHECK_OK(noxs_shell_port_attach(r, 1, "core", NULL, NULL, NULL, &e), &e);
  CHECK_OK(noxs_guest_restore(r, "g-1", 8, "x", blob, n, 3000, &e), &e);
  CHECK(noxs_guest_read_stats(r, stats, sizeof stats, 2000, &e) > 0 && atoi(stats + 10) >= 41);
  pid_t rpid = noxs_shell_pid(r);
  CHECK_OK(noxs_shell_destroy(r, &e), &e);
  CHECK(gone(rpid, "tsh2"));

  CHECK_OK(noxs_shell_destroy(s, &e), &e);
  CHECK(gone(pid, "tsh1"));
  return 0;
}

TEST(rejected_config_reports_line) {
  if (getuid() != 0) SKIP("needs root");
  noxs_error_t e;
  CHECK_OK(init_host(&e), &e);
  noxs_shell_t *s;
  CHECK_OK(noxs_shell_prepare("tsh3", 1, 0, 100, 0, 0, &s, &e), &e); /* cold: no wait */
  CHECK_OK(noxs_shell_port_attach(s, 0, "p", NULL, NULL, NULL, &e), &e);
  CHECK(noxs_shell_port_attach(s, 1, "q", NULL, NULL, NULL, &e) < 0 && e.status == EINVAL);
  CHECK(noxs_shell_port_attach(s, 0, "p", "zz", NULL, NULL, &e) < 0 && strstr(e.msg, "bad MAC"));
  CHECK(noxs_shell_port_attach(s, 0, "p", NULL, "nosuchbr0", NULL, &e) < 0 && e.status == ENODEV);
  CHECK(noxs_guest_boot(s, "g-bad", 1, "a;\nb;\nFAIL;\n", 3000, &e) < 0);
  CHECK(e.status == NOXS_E_REJECTED);
  CHECK(strstr(e.msg, "config:3: FAIL requested") != NULL);
  pid_t pid = noxs_shell_pid(s);
  CHECK_OK(noxs_shell_destroy(s, &e), &e);
  CHECK(gone(pid, "tsh3"));
  return 0;
}

TEST(adopt_and_crash) {
  if (getuid() != 0) SKIP("needs root");
  noxs_error_t e;
  CHECK_OK(init_host(&e), &e);
  noxs_shell_t *s, *a;
  CHECK_OK(noxs_shell_prepare("tsh4", 2, 0, 100, 0, 3000, &s, &e), &e);
  CHECK_OK(noxs_shell_port_attach(s, 0, "a", NULL, NULL, NULL, &e), &e);
  CHECK_OK(noxs_shell_port_attach(s, 1, "b", NULL, NULL, NULL, &e), &e);
  CHECK_OK(noxs_guest_boot(s, "g-4", 1, "ok", 3000, &e), &e);
  CHECK(noxs_shell_adopt("tsh4", noxs_shell_pid(s), noxs_shell_start_time(s) + 1, 2, &a, &e) < 0 && e.status == ESRCH);
  CHECK_OK(noxs_shell_adopt("tsh4", noxs_shell_pid(s), noxs_shell_start_time(s), 2, &a, &e), &e);
  CHECK(noxs_shell_state(a) == NOXS_STATE_RUNNING && strcmp(a->hdr->guest_id, "g-4") == 0);
  char stats[128];
  CHECK(noxs_guest_read_stats(a, stats, sizeof stats, 2000, &e) > 0);
  CHECK(forwards("mftsh4h0", "mftsh4h1", 9) == 1);
  noxs_shell_release(s); /* the old agent's handle goes away; the guest keeps running */
  CHECK(noxs_shell_alive(a));
  int w = noxs_watch_create(&e);
  CHECK_OK(w, &e);
  CHECK_OK(noxs_watch_add(w, a, 42, &e), &e);
  int64_t tok[4];
  CHECK(noxs_watch_wait(w, tok, 4, 0, &e) == 0);
  kill(noxs_shell_pid(a), SIGKILL); /* a crash */
  CHECK(noxs_watch_wait(w, tok, 4, 3000, &e) == 1 && tok[0] == 42);
  CHECK(!noxs_shell_alive(a));
  noxs_watch_close(w);
  pid_t pid = noxs_shell_pid(a);
  CHECK_OK(noxs_shell_destroy(a, &e), &e);
  CHECK(gone(pid, "tsh4"));
  CHECK(noxs_shell_adopt("tsh4", pid, 1, 2, &a, &e) < 0);
  return 0;
}

TEST(xconnect_bridge_is_made_and_removed) {
  if (getuid() != 0) SKIP("needs root");
  noxs_error_t e;
  CHECK_OK(init_host(&e), &e);
  nx_nl_link_del("mftxa", &e);
  CHECK_OK(nx_nl_veth_create("mftxa", "mftxb", getpid(), &e), &e); /* the "subscriber" link */
  noxs_shell_t *s;
  CHECK_OK(noxs_shell_prepare("tsh5", 1, 0, 100, 0, 3000, &s, &e), &e);
  CHECK_OK(noxs_shell_port_attach(s, 0, "access", NULL, NULL, "mftxa", &e), &e);
  int br = (int) if_nametoindex("mbtsh5x0");
  CHECK(br > 0);
  char p[128], buf[32];
  snprintf(p, sizeof p, "/sys/class/net/mftxa/master/ifindex");
  CHECK(nx_read_file(p, buf, sizeof buf, &e) > 0 && atoi(buf) == br);
  snprintf(p, sizeof p, "/sys/class/net/mftsh5h0/master/ifindex");
  CHECK(nx_read_file(p, buf, sizeof buf, &e) > 0 && atoi(buf) == br);
  CHECK(noxs_shell_port_attach(s, 0, "access", NULL, "x", "y", &e) < 0 && strstr(e.msg, "exclusive"));
  CHECK(noxs_shell_port_attach(s, 0, "access", NULL, NULL, "mfnosuch", &e) < 0 && e.status == ENODEV);
  pid_t pid = noxs_shell_pid(s);
  CHECK_OK(noxs_shell_destroy(s, &e), &e);
  CHECK(if_nametoindex("mbtsh5x0") == 0);
  CHECK(if_nametoindex("mftxa") > 0); /* released, not deleted */
  snprintf(p, sizeof p, "/sys/class/net/mftxa/master");
  struct stat st;
  CHECK(stat(p, &st) < 0);
  CHECK_OK(nx_nl_link_del("mftxa", &e), &e);
  (void) pid;
  return 0;
}

/* A pooled shell's ports are up with their carrier settled at prepare, so a boot only
 * enslaves: the bridge ports forward at once, with no link-watch run at boot. */
TEST(prepared_ports_forward_at_once) {
  if (getuid() != 0) SKIP("needs root");
  noxs_error_t e;
  CHECK_OK(init_host(&e), &e);
  nx_nl_link_del("mftxc", &e);
  nx_nl_link_del("mftbr6", &e);
  CHECK(system("ip link add mftbr6 type bridge && ip link set mftbr6 up") == 0);
  CHECK_OK(nx_nl_veth_create("mftxc", "mftxd", getpid(), &e), &e); /* the "subscriber" link */
  CHECK_OK(nx_nl_link_set(NULL, "mftxc", 1, NULL, 0, &e), &e);
  CHECK_OK(nx_nl_link_set(NULL, "mftxd", 1, NULL, 0, &e), &e);
  const char *att[3] = {"mftxc", "mftxd", "mftbr6"};
  CHECK_OK(nx_nl_links_sync(NULL, 3, att, &e), &e);
  noxs_shell_t *s;
  CHECK_OK(noxs_shell_prepare_x("tsh6", 2, 1u, 0, 100, 0, 3000, &s, &e), &e);
  char p[128], buf[32];
  for (int i = 0; i < 2; i++) {
    snprintf(p, sizeof p, "/sys/class/net/mftsh6h%d/operstate", i);
    CHECK(nx_read_file(p, buf, sizeof buf, &e) > 0 && strncmp(buf, "up", 2) == 0);
  }
  CHECK_OK(noxs_shell_port_attach(s, 0, "access", NULL, NULL, "mftxc", &e), &e);
  CHECK_OK(noxs_shell_port_attach(s, 1, "core", NULL, "mftbr6", NULL, &e), &e);
  const char *fwd[3] = {"/sys/class/net/mftxc/brport/state", "/sys/class/net/mftsh6h0/brport/state",
                        "/sys/class/net/mftsh6h1/brport/state"};
  for (int i = 0; i < 3; i++) CHECK(nx_read_file(fwd[i], buf, sizeof buf, &e) > 0 && atoi(buf) == 3);
  snprintf(p, sizeof p, "/sys/class/net/mftxc/master/ifindex");
  CHECK(nx_read_file(p, buf, sizeof buf, &e) > 0 && atoi(buf) == (int) if_nametoindex("mbtsh6x0"));
  CHECK_OK(noxs_shell_destroy(s, &e), &e);
  CHECK(if_nametoindex("mbtsh6x0") == 0);
  CHECK_OK(nx_nl_link_del("mftxc", &e), &e);
  CHECK_OK(nx_nl_link_del("mftbr6", &e), &e);
  return 0;
}

/* an integer from /sys/class/net/DEV/WHAT, or `none` if the file is not there */
static int net_int(const char *dev, const char *what, int none) {
  char p[160], buf[32];
  noxs_error_t e;
  snprintf(p, sizeof p, "/sys/class/net/%s/%s", dev, what);
  return nx_read_file(p, buf, sizeof buf, &e) > 0 ? atoi(buf) : none;
}
#define master_of(dev) net_int(dev, "master/ifindex", 0)
#define brport_state(dev) net_int(dev, "brport/state", -1)
#define brport_flag(dev, flag) net_int(dev, "brport/" flag, -1)

/* noxs_shell_prepare_b: the core port joins the named bridge at prepare, forwarding before
 * any boot; a boot onto it enslaves nothing, onto another bridge moves it, with none takes it
 * out; a bridge made again after prepare, a missing one, bad lists */
TEST(core_bridge_joined_at_prepare) {
  if (getuid() != 0) SKIP("needs root");
  noxs_error_t e;
  CHECK_OK(init_host(&e), &e);
  nx_nl_link_del("mftbr8", &e);
  nx_nl_link_del("mftbr9", &e);
  CHECK(system("for b in mftbr8 mftbr9; do ip link add $b type bridge forward_delay 0 && ip link set $b up || exit 1; done") == 0);
  noxs_shell_t *s;
  /* onto the same bridge */
  CHECK_OK(noxs_shell_prepare_b("tsh8a", 2, 1u, ",mftbr8", 0, 100, 0, 3000, &s, &e), &e);
  CHECK(master_of("mftsh8ah1") == (int) if_nametoindex("mftbr8"));
  CHECK(brport_state("mftsh8ah1") == 3);
  { /* the cross-connect bridge made at prepare has no multicast snooping */
    char buf[8];
    CHECK(nx_read_file("/sys/class/net/mbtsh8ax0/bridge/multicast_snooping", buf, sizeof buf, &e) > 0 && buf[0] == '0');
  }
  CHECK(brport_flag("mftsh8ah1", "broadcast_flood") == 0 && brport_flag("mftsh8ah1", "multicast_flood") == 0);
  CHECK_OK(noxs_shell_port_attach(s, 1, "core", NULL, "mftbr8", NULL, &e), &e);
  CHECK(master_of("mftsh8ah1") == (int) if_nametoindex("mftbr8"));
  CHECK(brport_state("mftsh8ah1") == 3);
  CHECK(brport_flag("mftsh8ah1", "broadcast_flood") == 1 && brport_flag("mftsh8ah1", "multicast_flood") == 1);
  CHECK_OK(noxs_shell_destroy(s, &e), &e);
  /* onto another bridge: moved */
  CHECK_OK(noxs_shell_prepare_b("tsh8b", 2, 1u, ",mftbr9", 0, 100, 0, 3000, &s, &e), &e);
  CHECK(master_of("mftsh8bh1") == (int) if_nametoindex("mftbr9"));
  CHECK_OK(noxs_shell_port_attach(s, 1, "core", NULL, "mftbr8", NULL, &e), &e);
  CHECK(master_of("mftsh8bh1") == (int) if_nametoindex("mftbr8"));
  CHECK(brport_state("mftsh8bh1") == 3);
  CHECK_OK(noxs_shell_destroy(s, &e), &e);
  /* unattached: taken out */
  CHECK_OK(noxs_shell_prepare_b("tsh8c", 2, 1u, ",mftbr9", 0, 100, 0, 3000, &s, &e), &e);
  CHECK_OK(noxs_shell_port_attach(s, 1, "core", NULL, NULL, NULL, &e), &e);
  CHECK(master_of("mftsh8ch1") == 0);
  CHECK_OK(noxs_shell_destroy(s, &e), &e);
  /* the bridge deleted and made again after prepare (its ports released): joined again */
  CHECK_OK(noxs_shell_prepare_b("tsh8d", 2, 1u, ",mftbr8", 0, 100, 0, 3000, &s, &e), &e);
  CHECK_OK(nx_nl_link_del("mftbr8", &e), &e);
  CHECK(master_of("mftsh8dh1") == 0);
  CHECK(system("ip link add mftbr8 type bridge forward_delay 0 && ip link set mftbr8 up") == 0);
  CHECK_OK(noxs_shell_port_attach(s, 1, "core", NULL, "mftbr8", NULL, &e), &e);
  CHECK(master_of("mftsh8dh1") == (int) if_nametoindex("mftbr8"));
  CHECK_OK(noxs_shell_destroy(s, &e), &e);
  /* a bridge that does not exist: prepared all the same, the boot reports it */
  CHECK_OK(noxs_shell_prepare_b("tsh8e", 2, 1u, ",mftnone", 0, 100, 0, 3000, &s, &e), &e);
  CHECK(master_of("mftsh8eh1") == 0);
  CHECK(noxs_shell_port_attach(s, 1, "core", NULL, "mftnone", NULL, &e) < 0 && e.status == ENODEV);
  CHECK(strstr(e.msg, "mftnone") != NULL);
  CHECK_OK(noxs_shell_destroy(s, &e), &e);
  /* bad lists: nothing is made */
  const char *bad[4] = {"a,b,c", "mftbr8,", ",bad/name", ",a-name-too-long-for-linux"};
  for (int i = 0; i < 4; i++) {
    CHECK(noxs_shell_prepare_b("tsh8f", 2, 1u, bad[i], 0, 100, 0, 3000, &s, &e) < 0 && e.status == EINVAL);
    CHECK(if_nametoindex("mftsh8fh0") == 0);
  }
  CHECK_OK(nx_nl_link_del("mftbr8", &e), &e);
  CHECK_OK(nx_nl_link_del("mftbr9", &e), &e);
  return 0;
}

/* A background thread prepares at a raised nice value; the guest it starts runs at the
 * thread's former one. Runs in its own thread (the raise is per thread and one-way). */
static void *background_prepare(void *arg) {
  noxs_error_t *e = arg;
  static int out[3];
  out[0] = getpriority(PRIO_PROCESS, 0);
  if (noxs_thread_background(e) < 0) return NULL;
  out[1] = getpriority(PRIO_PROCESS, 0);
  noxs_shell_t *s;
  if (noxs_shell_prepare("tsh7", 1, 0, 100, 0, 3000, &s, e) < 0) return NULL;
  out[2] = getpriority(PRIO_PROCESS, (id_t) noxs_shell_pid(s));
  if (noxs_shell_destroy(s, e) < 0) return NULL;
  return out;
}

TEST(background_prepare_runs_guest_normally) {
  if (getuid() != 0) SKIP("needs root");
  noxs_error_t e;
  CHECK_OK(init_host(&e), &e);
  pthread_t t;
  void *r = NULL;
  CHECK(pthread_create(&t, NULL, background_prepare, &e) == 0);
  CHECK(pthread_join(t, &r) == 0);
  CHECK_OK(r ? 0 : -1, &e);
  int *n = r;
  CHECK(n[1] == (n[0] + NOXS_BACKGROUND_NICE > 19 ? 19 : n[0] + NOXS_BACKGROUND_NICE));
  CHECK(n[2] == n[0]);
  CHECK(getpriority(PRIO_PROCESS, 0) == n[0]); /* this thread untouched */
  return 0;
}

int main(void) {
  if (getuid() == 0) { /* leftovers of an earlier failed run */
    noxs_error_t e;
    if (init_host(&e) == 0)
      for (int i = 1; i <= 13; i++) {
        char slot[8];
        if (i <= 7) snprintf(slot, sizeof slot, "tsh%d", i);
        else snprintf(slot, sizeof slot, "tsh8%c", 'a' + (i - 8)); /* core_bridge_joined_at_prepare */
        /* a guest an earlier failed run left running keeps its cgroup busy: kill it first */
        char procs[128], buf[256];
        snprintf(procs, sizeof procs, "/sys/fs/cgroup/memory/mayfly/%s/cgroup.procs", slot);
        if (nx_read_file(procs, buf, sizeof buf, &e) > 0)
          for (char *q = buf; *q;) {
            long pid = strtol(q, &q, 10);
            if (pid > 0) kill((pid_t) pid, SIGKILL);
            while (*q == '\n') q++;
            if (pid <= 0) break;
          }
        usleep(100000);
        noxs_slot_cleanup(slot, 2, &e);
      }
  }
  RUN(lifecycle_forwarding_pause_checkpoint);
  RUN(rejected_config_reports_line);
  RUN(adopt_and_crash);
  RUN(xconnect_bridge_is_made_and_removed);
  RUN(prepared_ports_forward_at_once);
  RUN(background_prepare_runs_guest_normally);
  RUN(core_bridge_joined_at_prepare);
  HARNESS_END("test_shell");
}
