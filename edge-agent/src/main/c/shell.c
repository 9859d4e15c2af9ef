/* shell.c - prepare / adopt / destroy of shells: clone into fresh namespaces,
 * cgroup join, veths, control page, exec of the runtime on an empty read-only root.
 *
 * The child is cloned with CLONE_VM on its own small stack (like posix_spawn):
 * no copy of the agent JVM's page tables, so prepare cost does not depend on the
 * agent's size. Until exec the child only makes raw system calls; it waits on a
 * pipe until the parent has mapped its user ids, put it in its cgroups and
 * created its veths, and reports exec failure through a CLOEXEC pipe.
 */
#include "noxs_internal.h"
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

struct nx_host nx_host = {.host_netns_fd = -1, .park_netns_fd = -1};

int nx_slot_valid(const char *slot) {
  size_t n = slot ? strlen(slot) : 0;
  if (n == 0 || n > 8) return 0;
  for (size_t i = 0; i < n; i++)
    if (!((slot[i] >= '0' && slot[i] <= '9') || (slot[i] >= 'a' && slot[i] <= 'z'))) return 0;
  return 1;
}
void nx_host_ifname(char out[16], const char *slot, int idx) {
  snprintf(out, 16, "mf%sh%d", slot, idx);
}
void nx_xbr_ifname(char out[16], const char *slot, int idx) {
  snprintf(out, 16, "mb%sx%d", slot, idx);
}
void nx_default_mac(const char *slot, int idx, uint8_t m[6]) {
  uint32_t h = 2166136261u;
  for (const char *c = slot; *c; c++) h = (h ^ (uint8_t) *c) * 16777619u;
  m[0] = 0x02; m[1] = 0x6d; m[2] = h >> 24; m[3] = h >> 16; m[4] = h >> 8; m[5] = (uint8_t) ((h & 0xf0) | idx);
}

/* IPv6 off on a host-side link that is still down (see the comment in prepare) */
static int host_ipv6_off(const char *name, noxs_error_t *err) {
  if (nx_nl_ipv6_quiet(NULL, name, err) < 0) return -1;
  char p6[96];
  snprintf(p6, sizeof p6, "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
  noxs_error_t e6;
  if (nx_write_file(p6, "1", &e6) < 0 && e6.status != ENOENT) { *err = e6; return -1; }
  return 0;
}

static int copy_file(const char *src, const char *dst, noxs_error_t *err) {
  cleanup_fd int in = open(src, O_RDONLY | O_CLOEXEC);
  if (in < 0) return nx_fail(err, errno, "open runtime `%s`", src);
  char tmp[512];
  snprintf(tmp, sizeof tmp, "%s.tmp.%d", dst, (int) getpid());
  cleanup_fd int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  if (out < 0) return nx_fail(err, errno, "create `%s`", tmp);
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0)
    if (write(out, buf, n) != n) return nx_fail(err, errno, "write `%s`", tmp);
  if (n < 0) return nx_fail(err, errno, "read `%s`", src);
  if (fchmod(out, 0755) < 0) return nx_fail(err, errno, "chmod `%s`", tmp);
  if (rename(tmp, dst) < 0) return nx_fail(err, errno, "rename to `%s`", dst);
  return 0;
}

static int probe_userns(void) {
  /* a user namespace per guest needs unprivileged-userns-capable kernels; try one */
  pid_t pid = fork();
  if (pid < 0) return 0;
  if (pid == 0) _exit(unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0 ? 0 : 1);
  int st;
  if (waitpid(pid, &st, 0) < 0) return 0;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int noxs_host_init(const char *runtime_path, const char *root_dir, uint32_t flags,
                   noxs_error_t *err) {
  nx_clear(err);
  if (!runtime_path || !root_dir) return nx_fail(err, EINVAL, "runtime path and root dir are required");
  if (strlen(root_dir) >= sizeof nx_host.root_dir - 16) return nx_fail(err, ENAMETOOLONG, "root dir");
  if (getuid() != 0) return nx_fail(err, EPERM, "libnoxs needs root (namespaces, cgroups, rtnetlink)");
  struct stat st;
  if (stat(runtime_path, &st) < 0) return nx_fail(err, errno, "runtime `%s`", runtime_path);
  if (mkdir(root_dir, 0755) < 0 && errno != EEXIST) return nx_fail(err, errno, "mkdir `%s`", root_dir);
  chmod(root_dir, 0755);
  char dst[512];
  snprintf(dst, sizeof dst, "%s/clickos", root_dir);
  if (copy_file(runtime_path, dst, err) < 0) return nx_wrap(err, "install runtime into guest root");
  strcpy(nx_host.root_dir, root_dir);

  /* cgroup layout: v1 controllers (memory, cpu, pids, freezer) if mounted, else v2 */
  struct stat cs;
  int v1 = stat("/sys/fs/cgroup/memory/memory.limit_in_bytes", &cs) == 0 &&
           stat("/sys/fs/cgroup/pids/cgroup.procs", &cs) == 0 &&
           stat("/sys/fs/cgroup/cpu/cpu.shares", &cs) == 0 &&
           stat("/sys/fs/cgroup/freezer/cgroup.procs", &cs) == 0;
  if (flags & NOXS_HOST_CGROUP_V2) v1 = 0;
  nx_host.cgroup_v2 = !v1;
  if (!v1) {
    if (stat("/sys/fs/cgroup/cgroup.controllers", &cs) == 0)
      strcpy(nx_host.cg_v2_base, "/sys/fs/cgroup");
    else if (stat("/sys/fs/cgroup/unified/cgroup.procs", &cs) == 0)
      strcpy(nx_host.cg_v2_base, "/sys/fs/cgroup/unified");
    else
      return nx_fail(err, ENOTSUP, "no usable cgroup hierarchy (v1 memory/cpu/pids/freezer or v2)");
  }
  if (nx_cg_init(err) < 0) return nx_wrap(err, "host init");

  nx_host.userns = (flags & NOXS_HOST_USERNS) ? probe_userns() : 0;
  nx_host.keep_stderr = !!(flags & NOXS_HOST_STDERR);
  char buf[32];
  noxs_error_t e;
  nx_host.cap_last = 40;
  if (nx_read_file("/proc/sys/kernel/cap_last_cap", buf, sizeof buf, &e) > 0) nx_host.cap_last = atoi(buf);
  if (nx_host.host_netns_fd < 0) {
    nx_host.host_netns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (nx_host.host_netns_fd < 0) return nx_fail(err, errno, "open host netns");
  }
  /* The park netns: an empty network namespace (no interfaces, lo down) where every guest
   * process lives once it has opened its ports. A guest's ports stay in a netns of their
   * own, held by its packet sockets (see child_main). Why not leave the process there: a
   * process per network namespace costs the host per namespace - on this build host the
   * machine's init walks every process's netns, and at 5000 guests it took a core and made
   * every rtnetlink change 2.6x slower (docs/firewall.md). With a user namespace per guest
   * the guest may not enter a netns of the host's user namespace: no park then. */
  if (nx_host.park_netns_fd < 0 && !nx_host.userns && !(flags & NOXS_HOST_NO_PARK)) {
    if (unshare(CLONE_NEWNET) < 0) return nx_fail(err, errno, "create the park netns");
    nx_host.park_netns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    int e = errno;
    if (setns(nx_host.host_netns_fd, CLONE_NEWNET) < 0) abort(); /* thread unusable otherwise */
    if (nx_host.park_netns_fd < 0) return nx_fail(err, e, "open the park netns");
  }
  /* 8000 guests x (pidfd, page, kick, ack) exceed the usual 20000 fds */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 262144) {
    rl.rlim_cur = rl.rlim_max = 262144;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  nx_host.initialised = 1;
  return 0;
}

int noxs_host_describe(char *buf, size_t len, noxs_error_t *err) {
  nx_clear(err);
  struct utsname u;
  uname(&u);
  int n = snprintf(buf, len, "cgroup=%s\ncgroup_v2_base=%s\nuserns=%d\nkernel=%s\nroot=%s\n",
                   nx_host.cgroup_v2 ? "v2" : "v1", nx_host.cg_v2_base, nx_host.userns, u.release,
                   nx_host.root_dir);
  return n < 0 ? nx_fail(err, EIO, "describe") : (n >= (int) len ? (int) len - 1 : n);
}

int noxs_host_set_subreaper(noxs_error_t *err) {
  nx_clear(err);
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) return nx_fail(err, errno, "PR_SET_CHILD_SUBREAPER");
  return 0;
}

/* noxs_thread_background: this thread's nice before it was raised, for its guests */
static __thread int tl_background;
static __thread int tl_nice_before;

int noxs_thread_background(noxs_error_t *err) {
  nx_clear(err);
  if (tl_background) return 0;
  pid_t tid = (pid_t) syscall(SYS_gettid);
  errno = 0;
  int cur = getpriority(PRIO_PROCESS, (id_t) tid);
  if (cur == -1 && errno) return nx_fail(err, errno, "getpriority");
  int want = cur + NOXS_BACKGROUND_NICE > 19 ? 19 : cur + NOXS_BACKGROUND_NICE;
  if (setpriority(PRIO_PROCESS, (id_t) tid, want) < 0) return nx_fail(err, errno, "setpriority %d", want);
  tl_nice_before = cur;
  tl_background = 1;
  return 0;
}

int noxs_host_reap(int pid, noxs_error_t *err) {
  nx_clear(err);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  if (waitid(P_PID, pid, &si, WEXITED | WNOHANG) < 0) {
    if (errno == ECHILD) return 0;
    return nx_fail(err, errno, "waitid %d", pid);
  }
  return si.si_pid == pid ? 1 : 0;
}

int nx_proc_start_time(pid_t pid, uint64_t *out) {
  char p[64], buf[1024];
  noxs_error_t e;
  snprintf(p, sizeof p, "/proc/%d/stat", (int) pid);
  if (nx_read_file(p, buf, sizeof buf, &e) < 0) return -1;
  char *s = strrchr(buf, ')'); /* comm may contain spaces */
  if (!s) return -1;
  s += 2; /* field 3 */
  for (int field = 3; field < 22; field++) {
    s = strchr(s, ' ');
    if (!s) return -1;
    s++;
  }
  *out = strtoull(s, NULL, 10);
  return 0;
}

/* ---- the child, before exec: raw system calls only (CLONE_VM) ---- */
struct child_args {
  int sync_rd;       /* parent writes 1 byte when ready, EOF = abort */
  int exec_wr;       /* CLOEXEC; child writes errno + step on failure */
  int page_fd, kick_fd, ack_fd;
  int devnull;
  const char *root;
  const char *slot;
  int keep_stderr;
  int cap_last;
  int userns;
  int nports;   /* ports eth0..: packet sockets opened in the guest's netns before it parks */
  int park_fd;  /* -1: stay in the guest's own netns */
};

static void child_fail(struct child_args *a, int step) {
  int msg[2] = {errno, step};
  (void) !write(a->exec_wr, msg, sizeof msg);
  _exit(127);
}

static int child_main(void *arg) {
  struct child_args *a = arg;
  char c;
  if (read(a->sync_rd, &c, 1) != 1) _exit(126);
  if (a->userns) {
    if (syscall(SYS_setresgid, 0, 0, 0) < 0) child_fail(a, 1);
    if (syscall(SYS_setresuid, 0, 0, 0) < 0) child_fail(a, 1);
  }
  /* Open the ports while still in the guest's own netns (the agent created eth0.. there
   * before releasing us), then move to the park netns: the sockets keep the port netns
   * alive and work from anywhere; the guest itself sees no interface at all. Protocol 0
   * until the runtime binds for receive (see clickos el_device.c). */
  int devfd[NOXS_MAX_DEVS];
  for (int i = 0; i < a->nports; i++) {
    devfd[i] = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, 0);
    if (devfd[i] < 0) child_fail(a, 19);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, "eth", 3);
    if (i >= 10) ifr.ifr_name[3] = (char) ('0' + i / 10), ifr.ifr_name[4] = (char) ('0' + i % 10);
    else ifr.ifr_name[3] = (char) ('0' + i);
    if (ioctl(devfd[i], SIOCGIFINDEX, &ifr) < 0) child_fail(a, 20);
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = ifr.ifr_ifindex;
    if (bind(devfd[i], (struct sockaddr *) &sll, sizeof sll) < 0) child_fail(a, 21);
  }
  if (a->park_fd >= 0 && setns(a->park_fd, CLONE_NEWNET) < 0) child_fail(a, 22);
  if (sethostname(a->slot, strlen(a->slot)) < 0) child_fail(a, 2);
  /* empty read-only root: bind the shared root dir (holds only clickos), pivot */
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) child_fail(a, 3);
  if (mount(a->root, a->root, NULL, MS_BIND, NULL) < 0) child_fail(a, 4);
  if (chdir(a->root) < 0) child_fail(a, 5);
  if (syscall(SYS_pivot_root, ".", ".") < 0) child_fail(a, 6);
  if (umount2(".", MNT_DETACH) < 0) child_fail(a, 7);
  if (chdir("/") < 0) child_fail(a, 8);
  if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
    child_fail(a, 9);
  /* fds: 0,1 (and 2 unless kept) -> /dev/null, page 3, kick 4, ack 5, exec pipe 6,
   * port sockets 7.. */
  int hi = 100;
  for (int i = 0; i < a->nports; i++) {
    int h = fcntl(devfd[i], F_DUPFD, hi);
    if (h < 0) child_fail(a, 10);
    close(devfd[i]);
    devfd[i] = h;
  }
  int p = fcntl(a->page_fd, F_DUPFD, hi), k = fcntl(a->kick_fd, F_DUPFD, hi),
      ak = fcntl(a->ack_fd, F_DUPFD, hi), ew = fcntl(a->exec_wr, F_DUPFD_CLOEXEC, hi),
      dn = fcntl(a->devnull, F_DUPFD, hi);
  if (p < 0 || k < 0 || ak < 0 || ew < 0 || dn < 0) child_fail(a, 10);
  a->exec_wr = ew;
  if (dup2(dn, 0) < 0 || dup2(dn, 1) < 0 || (!a->keep_stderr && dup2(dn, 2) < 0)) child_fail(a, 11);
  if (dup2(p, 3) < 0 || dup2(k, 4) < 0 || dup2(ak, 5) < 0) child_fail(a, 11);
  if (dup3(ew, 6, O_CLOEXEC) < 0) child_fail(a, 11);
  a->exec_wr = 6;
  for (int i = 0; i < a->nports; i++)
    if (dup2(devfd[i], 7 + i) < 0) child_fail(a, 11);
  if (syscall(SYS_close_range, 7 + a->nports, ~0U, 0) < 0) child_fail(a, 12);
  /* capabilities: keep only CAP_NET_RAW (AF_PACKET on its own ports) */
  if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                                   SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED) < 0)
    child_fail(a, 13);
  for (int cap = 0; cap <= a->cap_last; cap++)
    if (cap != CAP_NET_RAW && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
      child_fail(a, 14);
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  data[0].effective = data[0].permitted = data[0].inheritable = 1u << CAP_NET_RAW;
  if (syscall(SYS_capset, &hdr, data) < 0) child_fail(a, 15);
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0) < 0) child_fail(a, 16);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) child_fail(a, 17);
  static char *const argv[] = {"clickos", "--guest", NULL};
  /* NOXS_DEV_FDS=eth0:7,eth1:8,... (built by hand: no stdio before exec) */
  char devs[16 + NOXS_MAX_DEVS * 12];
  size_t dl = 0;
  memcpy(devs, "NOXS_DEV_FDS=", 13);
  dl = 13;
  for (int i = 0; i < a->nports; i++) {
    int fd = 7 + i;
    if (i) devs[dl++] = ',';
    memcpy(devs + dl, "eth", 3);
    dl += 3;
    if (i >= 10) devs[dl++] = (char) ('0' + i / 10);
    devs[dl++] = (char) ('0' + i % 10);
    devs[dl++] = ':';
    if (fd >= 10) devs[dl++] = (char) ('0' + fd / 10);
    devs[dl++] = (char) ('0' + fd % 10);
  }
  devs[dl] = 0;
  char *envp[] = {"NOXS_PAGE_FD=3", "NOXS_KICK_FD=4", "NOXS_ACK_FD=5", "PATH=/", devs, NULL};
  syscall(SYS_execve, "/clickos", argv, envp);
  child_fail(a, 18);
  return 127;
}

static const char *child_step_name(int step) {
  static const char *names[] = {"?", "setresuid", "sethostname", "make / private", "bind root",
                                "chdir root", "pivot_root", "detach old root", "chdir /",
                                "remount root read-only", "dup fds", "place fds", "close_range",
                                "securebits", "drop bounding caps", "capset", "ambient cap",
                                "no_new_privs", "execve /clickos", "port packet socket",
                                "port ifindex", "port bind", "enter the park netns"};
  return step >= 0 && step <= 22 ? names[step] : "?";
}

static int write_id_maps(pid_t pid, noxs_error_t *err) {
  char p[64];
  snprintf(p, sizeof p, "/proc/%d/setgroups", (int) pid);
  if (nx_write_file(p, "deny", err) < 0) return -1;
  /* guest root = host nobody: the guest owns nothing on the host */
  snprintf(p, sizeof p, "/proc/%d/uid_map", (int) pid);
  if (nx_write_file(p, "0 65534 1", err) < 0) return -1;
  snprintf(p, sizeof p, "/proc/%d/gid_map", (int) pid);
  if (nx_write_file(p, "0 65534 1", err) < 0) return -1;
  return 0;
}

static noxs_shell_t *shell_new(const char *slot, int nports) {
  noxs_shell_t *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  strcpy(s->slot, slot);
  s->nports = nports;
  s->pidfd = s->page_fd = s->kick_fd = s->ack_fd = -1;
  return s;
}

static void shell_close(noxs_shell_t *s) {
  nx_nl_close(s->guest_nl);
  if (s->hdr) munmap(s->hdr, NOXS_PAGE_SIZE);
  if (s->pidfd >= 0) close(s->pidfd);
  if (s->page_fd >= 0) close(s->page_fd);
  if (s->kick_fd >= 0) close(s->kick_fd);
  if (s->ack_fd >= 0) close(s->ack_fd);
  free(s);
}

static int map_page(noxs_shell_t *s, noxs_error_t *err) {
  void *m = mmap(NULL, NOXS_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, s->page_fd, 0);
  if (m == MAP_FAILED) return nx_fail(err, errno, "mmap control page");
  s->hdr = m;
  return 0;
}

/* kill + wait for exit; reaps when it is our child */
static void kill_wait(noxs_shell_t *s, int timeout_ms) {
  if (s->pidfd < 0) return;
  syscall(SYS_pidfd_send_signal, s->pidfd, SIGKILL, NULL, 0);
  struct pollfd pfd = {s->pidfd, POLLIN, 0};
  poll(&pfd, 1, timeout_ms);
  siginfo_t si;
  if (s->is_child) waitid(P_PIDFD, s->pidfd, &si, WEXITED | WNOHANG);
}

static int is_capacity_errno(int e) {
  return e == EAGAIN || e == ENOMEM || e == ENOSPC || e == EMFILE || e == ENFILE || e == EDQUOT;
}

int noxs_shell_prepare(const char *slot, int nports, int64_t memory_bytes, int cpu_weight,
                       int pids_max, int wait_ms, noxs_shell_t **out, noxs_error_t *err) {
  return noxs_shell_prepare_x(slot, nports, 0, memory_bytes, cpu_weight, pids_max, wait_ms, out, err);
}

int noxs_shell_prepare_x(const char *slot, int nports, uint32_t xconnect_mask, int64_t memory_bytes,
                         int cpu_weight, int pids_max, int wait_ms, noxs_shell_t **out,
                         noxs_error_t *err) {
  return noxs_shell_prepare_b(slot, nports, xconnect_mask, NULL, memory_bytes, cpu_weight, pids_max,
                              wait_ms, out, err);
}

/* bridges: "" or NULL, else one comma-separated entry per port (empty: none) */
static int parse_bridges(const char *bridges, int nports, uint32_t xconnect_mask,
                         char names[NOXS_MAX_DEVS][16], noxs_error_t *err) {
  memset(names, 0, NOXS_MAX_DEVS * 16);
  if (!bridges || !*bridges) return 0;
  const char *p = bridges;
  for (int i = 0;; i++) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t) (end - p) : strlen(p);
    if (i >= nports) return nx_fail(err, EINVAL, "bridges `%s`: more entries than the %d ports", bridges, nports);
    if (len >= 16) return nx_fail(err, EINVAL, "bridges: entry %d: a name of 1-15 chars", i);
    if (len && (xconnect_mask & (1u << i)))
      return nx_fail(err, EINVAL, "bridges: port %d is cross-connected (xconnect_mask)", i);
    for (size_t k = 0; k < len; k++)
      if (p[k] == '/' || p[k] == ':' || p[k] <= ' ') return nx_fail(err, EINVAL, "bridges: entry %d: not an interface name", i);
    memcpy(names[i], p, len);
    if (!end) return 0;
    p = end + 1;
  }
}

int noxs_shell_prepare_b(const char *slot, int nports, uint32_t xconnect_mask, const char *bridges,
                         int64_t memory_bytes, int cpu_weight, int pids_max, int wait_ms,
                         noxs_shell_t **out, noxs_error_t *err) {
  nx_clear(err);
  *out = NULL;
  if (!nx_host.initialised) return nx_fail(err, EINVAL, "noxs_host_init was not called");
  if (!nx_slot_valid(slot)) return nx_fail(err, EINVAL, "slot `%s`: 1-8 chars of [0-9a-z]", slot ? slot : "");
  if (nports < 0 || nports > NOXS_MAX_DEVS) return nx_fail(err, EINVAL, "ports: %d not in 0..%d", nports, NOXS_MAX_DEVS);
  char pre[NOXS_MAX_DEVS][16];
  if (parse_bridges(bridges, nports, xconnect_mask, pre, err) < 0) return nx_wrap(err, "prepare shell `%s`", slot);

  noxs_shell_t *s = shell_new(slot, nports);
  if (!s) return nx_fail(err, ENOMEM, "shell");
  int cg = 0, rc = -1, sync_pipe[2] = {-1, -1}, exec_pipe[2] = {-1, -1}, devnull = -1;
  void *stack = MAP_FAILED;
  const size_t stack_size = 64 * 1024;

  if (nx_cg_create(slot, memory_bytes, cpu_weight, pids_max, err) < 0) goto out;
  cg = 1;
  s->page_fd = memfd_create("noxs-page", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (s->page_fd < 0) { nx_fail(err, errno, "memfd"); goto out; }
  if (ftruncate(s->page_fd, NOXS_PAGE_SIZE) < 0) { nx_fail(err, errno, "size control page"); goto out; }
  fcntl(s->page_fd, F_ADD_SEALS, F_SEAL_SHRINK);
  if (map_page(s, err) < 0) goto out;
  s->hdr->magic = NOXS_PAGE_MAGIC;
  s->hdr->version = NOXS_PAGE_VERSION;
  s->hdr->state = NOXS_STATE_EMPTY;
  s->kick_fd = eventfd(0, EFD_CLOEXEC);
  s->ack_fd = eventfd(0, EFD_CLOEXEC);
  if (s->kick_fd < 0 || s->ack_fd < 0) { nx_fail(err, errno, "eventfd"); goto out; }
  if (pipe2(sync_pipe, O_CLOEXEC) < 0 || pipe2(exec_pipe, O_CLOEXEC) < 0) { nx_fail(err, errno, "pipe"); goto out; }
  devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) { nx_fail(err, errno, "/dev/null"); goto out; }
  stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) { nx_fail(err, errno, "child stack"); goto out; }

  struct child_args a = {.sync_rd = sync_pipe[0], .exec_wr = exec_pipe[1], .page_fd = s->page_fd,
                         .kick_fd = s->kick_fd, .ack_fd = s->ack_fd, .devnull = devnull,
                         .root = nx_host.root_dir, .slot = s->slot, .keep_stderr = nx_host.keep_stderr,
                         .cap_last = nx_host.cap_last, .userns = nx_host.userns,
                         .nports = nports, .park_fd = nx_host.userns ? -1 : nx_host.park_netns_fd};
  int flags = CLONE_VM | CLONE_PIDFD | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWUTS |
              CLONE_NEWIPC | (nx_host.userns ? CLONE_NEWUSER : 0) | SIGCHLD;
  int pidfd = -1;
  pid_t pid = clone(child_main, (char *) stack + stack_size, flags, &a, &pidfd);
  if (pid < 0) {
    nx_fail(err, errno, "clone");
    if (is_capacity_errno(err->status)) err->status = NOXS_E_CAPACITY;
    goto out;
  }
  s->pid = pid;
  s->pidfd = pidfd;
  s->is_child = 1;
  /* prepared by a background thread (noxs_thread_background): the guest runs at the thread's
   * former nice value. Set from here (root in the host's user namespace) while the child
   * still waits for the sync byte: a child in its own user namespace could not lower it. */
  if (tl_background && setpriority(PRIO_PROCESS, (id_t) pid, tl_nice_before) < 0) {
    nx_fail(err, errno, "guest nice value %d", tl_nice_before);
    goto kill;
  }
  close(sync_pipe[0]);
  sync_pipe[0] = -1;
  close(exec_pipe[1]);
  exec_pipe[1] = -1;

  if (nx_host.userns && write_id_maps(pid, err) < 0) { nx_wrap(err, "user namespace maps"); goto kill; }
  for (int i = 0; i < nports; i++) {
    char host[16], peer[16];
    nx_host_ifname(host, slot, i);
    snprintf(peer, sizeof peer, "eth%d", i);
    if (nx_nl_veth_create(host, peer, pid, err) < 0) goto kill;
    if (nx_tx_csum_off(host, err) < 0) goto kill;
  }
  /* the guest-side rtnetlink socket now, in the background half, not at boot */
  if (!(s->guest_nl = nx_nl_open_in(s->pidfd, err))) goto kill;
  for (int i = 0; i < nports; i++) {
    char host[16], peer[16];
    nx_host_ifname(host, slot, i);
    snprintf(peer, sizeof peer, "eth%d", i);
    if (nx_nl_ipv6_quiet(NULL, host, err) < 0 || nx_nl_ipv6_quiet(s->guest_nl, peer, err) < 0) goto kill;
    /* IPv6 off on the host end: an IPv6-enabled device adds an ff00::/8 route to the
     * host's table, and every link up/down walks that table (fib6_ifup / rt6_sync_down:
     * fib6_clean_all) - O(guests) per boot and per destroy. One /proc/sys write. */
    char p6[96];
    snprintf(p6, sizeof p6, "/proc/sys/net/ipv6/conf/%s/disable_ipv6", host);
    noxs_error_t e6;
    if (nx_write_file(p6, "1", &e6) < 0 && e6.status != ENOENT) { *err = e6; goto kill; }
  }
  /* The rest of the execute half that does not depend on the request, done here in the
   * background: guest ends up with their default MAC; host ends up, so both ends' carrier
   * is on and settled (link-watch, below) before any request; for ports in xconnect_mask
   * the host end already sits in its own cross-connect bridge. A boot then only enslaves:
   * the subscriber's interface into that bridge, or the host end into its bridge - no
   * carrier change, so no link-watch work, no operstate notifications and no sync at boot
   * (each of those built a link message, and with thousands of guests every host-end
   * message costs a walk over the node's netns ids: peernet2id). */
  for (int i = 0; i < nports; i++) {
    char peer[16];
    snprintf(peer, sizeof peer, "eth%d", i);
    nx_default_mac(slot, i, s->mac[i]);
    if (nx_nl_link_set(s->guest_nl, peer, 1, s->mac[i], 0, err) < 0) goto kill;
    s->guest_ready |= 1u << i;
    char host[16], br[16];
    nx_host_ifname(host, slot, i);
    if (!(xconnect_mask & (1u << i))) {
      /* a bridge named for this port (the node's core bridge): the host end joins it now, so
       * a boot onto that bridge enslaves nothing. Best effort: a missing or full bridge
       * (EXFULL, 1024 ports) leaves the port to the boot, as without a name. */
      int bi = pre[i][0] ? nx_ifindex(pre[i]) : 0;
      noxs_error_t eb;
      /* no broadcast or multicast flooding to a shell waiting in the pool: with thousands of
       * pooled shells in the core bridges every ARP request of the core network was copied
       * to each, overflowed the CPU's backlog (netdev_max_backlog) and the copy for a running
       * guest was lost - its subscriber unreachable. The boot turns flooding on. Enslaved
       * down, flooding off, then up: no frame is flooded to it in between. */
      if (bi > 0 && nx_nl_link_set(NULL, host, 0, NULL, bi, &eb) == 0) {
        if (nx_nl_brport_flood(host, 0, err) < 0 || nx_nl_link_set(NULL, host, 1, NULL, 0, err) < 0) goto kill;
        s->pre_master[i] = bi;
        memcpy(s->pre_bridge[i], pre[i], 16);
      } else if (nx_nl_link_set(NULL, host, 1, NULL, 0, err) < 0) {
        goto kill;
      }
      s->host_up |= 1u << i;
      continue;
    }
    nx_xbr_ifname(br, slot, i);
    int bi = nx_nl_bridge_create_down(br, err);
    if (bi < 0) goto kill;
    s->xbr |= 1u << i;
    s->xbr_index[i] = bi;
    if (host_ipv6_off(br, err) < 0) goto kill;
    if (nx_nl_link_set(NULL, br, 1, NULL, 0, err) < 0) goto kill;
    if (nx_nl_link_set(NULL, host, 1, NULL, bi, err) < 0) goto kill;
    s->host_up |= 1u << i;
  }
  /* every link made above has a pending link-watch event; run them now instead of
   * leaving ~5 devices per shell in the kernel's global backlog (see nx_nl_links_sync) */
  {
    char hn[2 * NOXS_MAX_DEVS][16], gn[NOXS_MAX_DEVS][16];
    const char *hp[2 * NOXS_MAX_DEVS], *gp[NOXS_MAX_DEVS];
    int nh = 0;
    for (int i = 0; i < nports; i++) {
      nx_host_ifname(hn[nh], slot, i);
      hp[nh] = hn[nh];
      nh++;
      if (s->xbr & (1u << i)) {
        nx_xbr_ifname(hn[nh], slot, i);
        hp[nh] = hn[nh];
        nh++;
      }
      snprintf(gn[i], sizeof gn[i], "eth%d", i);
      gp[i] = gn[i];
    }
    for (int off = 0; off < nh; off += 16)
      if (nx_nl_links_sync(NULL, nh - off < 16 ? nh - off : 16, hp + off, err) < 0) goto kill;
    for (int off = 0; off < nports; off += 16)
      if (nx_nl_links_sync(s->guest_nl, nports - off < 16 ? nports - off : 16, gp + off, err) < 0) goto kill;
  }
  if (write(sync_pipe[1], "g", 1) != 1) { nx_fail(err, errno, "release child"); goto kill; }
  int msg[2];
  ssize_t n;
  do n = read(exec_pipe[0], msg, sizeof msg); while (n < 0 && errno == EINTR);
  if (n != 0) {
    if (n == (ssize_t) sizeof msg)
      nx_fail(err, msg[0], "guest setup: %s", child_step_name(msg[1]));
    else
      nx_fail(err, EIO, "guest setup: lost the child");
    goto kill;
  }
  /* Join the cgroups only now: before exec the child shares the agent's address space
   * (CLONE_VM), and a memory-cgroup OOM kill of it would take every task sharing that
   * mm, the agent included. The few pages exec itself needs stay charged to the agent. */
  if (nx_cg_attach(slot, pid, err) < 0) goto kill;
  nx_proc_start_time(pid, &s->start_time);
  s->hdr->guest_pid = pid;
  if (wait_ms > 0) {
    struct pollfd pf[2] = {{s->ack_fd, POLLIN, 0}, {s->pidfd, POLLIN, 0}};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
      if (__atomic_load_n(&s->hdr->state, __ATOMIC_ACQUIRE) == NOXS_STATE_PREPARED) break;
      clock_gettime(CLOCK_MONOTONIC, &t1);
      long el = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
      if (el >= wait_ms) { nx_fail(err, ETIMEDOUT, "guest runtime did not reach PREPARED in %d ms", wait_ms); goto kill; }
      int pr = poll(pf, 2, 1); /* 1 ms steps: the runtime may or may not kick on PREPARED */
      if (pr > 0 && (pf[1].revents & POLLIN)) {
        char what[128];
        if (nx_cg_limit_hit(slot, what, sizeof what)) nx_fail(err, NOXS_E_CAPACITY, "guest runtime died while starting: %s", what);
        else nx_fail(err, ECHILD, "guest runtime exited while starting");
        goto kill;
      }
      if (pr > 0 && (pf[0].revents & POLLIN)) {
        uint64_t v;
        (void) !read(s->ack_fd, &v, sizeof v);
      }
    }
  }
  if (wait_ms > 0) {
    /* A pooled shell waits holding only its pidfd (and the page mapping): page, kick and
     * ack fds are taken back from the guest with pidfd_getfd at boot, the guest-netns
     * rtnetlink socket is reopened only for a MAC the boot names. Thousands of pooled shells
     * x 5 fds would not fit this host's RLIMIT_NOFILE (20000, not raisable by the agent). */
    int *fds[3] = {&s->page_fd, &s->kick_fd, &s->ack_fd};
    for (int i = 0; i < 3; i++) {
      close(*fds[i]);
      *fds[i] = -1;
    }
    nx_nl_close(s->guest_nl);
    s->guest_nl = NULL;
  }
  rc = 0;
  goto out;
kill:
  kill_wait(s, 2000);
out:
  if (sync_pipe[0] >= 0) close(sync_pipe[0]);
  if (sync_pipe[1] >= 0) close(sync_pipe[1]);
  if (exec_pipe[0] >= 0) close(exec_pipe[0]);
  if (exec_pipe[1] >= 0) close(exec_pipe[1]);
  if (devnull >= 0) close(devnull);
  if (stack != MAP_FAILED) munmap(stack, stack_size); /* child has exec'd or is dead */
  if (rc < 0) {
    noxs_error_t e2;
    for (int i = 0; i < nports; i++) {
      char host[16];
      nx_host_ifname(host, slot, i);
      nx_nl_link_del(host, &e2);
      if (s->xbr & (1u << i)) {
        nx_xbr_ifname(host, slot, i);
        nx_nl_link_del(host, &e2);
      }
    }
    if (cg) nx_cg_remove(slot, &e2);
    shell_close(s);
    return nx_wrap(err, "prepare shell `%s`", slot);
  }
  *out = s;
  return 0;
}

int noxs_shell_adopt(const char *slot, int pid, uint64_t start_time, int nports,
                     noxs_shell_t **out, noxs_error_t *err) {
  nx_clear(err);
  *out = NULL;
  if (!nx_slot_valid(slot)) return nx_fail(err, EINVAL, "slot `%s`", slot ? slot : "");
  noxs_shell_t *s = shell_new(slot, nports);
  if (!s) return nx_fail(err, ENOMEM, "shell");
  s->pid = pid;
  s->pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
  if (s->pidfd < 0) { nx_fail(err, errno, "pidfd_open %d", pid); goto fail; }
  uint64_t st = 0;
  if (nx_proc_start_time(pid, &st) < 0 || st != start_time) {
    nx_fail(err, ESRCH, "pid %d is not the guest any more (start time %llu, expected %llu)", pid,
            (unsigned long long) st, (unsigned long long) start_time);
    goto fail;
  }
  s->start_time = st;
  s->page_fd = (int) syscall(SYS_pidfd_getfd, s->pidfd, 3, 0);
  s->kick_fd = (int) syscall(SYS_pidfd_getfd, s->pidfd, 4, 0);
  s->ack_fd = (int) syscall(SYS_pidfd_getfd, s->pidfd, 5, 0);
  if (s->page_fd < 0 || s->kick_fd < 0 || s->ack_fd < 0) { nx_fail(err, errno, "pidfd_getfd"); goto fail; }
  if (map_page(s, err) < 0) goto fail;
  if (s->hdr->magic != NOXS_PAGE_MAGIC || s->hdr->version != NOXS_PAGE_VERSION) {
    nx_fail(err, EPROTO, "fd 3 of pid %d is not a noxs page", pid);
    goto fail;
  }
  /* our own parent/child relation is gone; siblings of the old agent are orphans */
  siginfo_t si;
  memset(&si, 0, sizeof si);
  s->is_child = waitid(P_PIDFD, s->pidfd, &si, WEXITED | WNOHANG | WNOWAIT) == 0;
  s->adopted = 1;
  int pst = noxs_shell_state(s);
  s->trim = pst != NOXS_STATE_EMPTY && pst != NOXS_STATE_PREPARED;
  nx_trim(s);
  *out = s;
  return 0;
fail:
  shell_close(s);
  return nx_wrap(err, "adopt guest slot `%s`", slot);
}

int noxs_shell_pid(noxs_shell_t *s) { return s->pid; }
int noxs_shell_pidfd(noxs_shell_t *s) { return s->pidfd; }
uint64_t noxs_shell_start_time(noxs_shell_t *s) { return s->start_time; }
int noxs_shell_state(noxs_shell_t *s) {
  return (int) __atomic_load_n(&s->hdr->state, __ATOMIC_ACQUIRE);
}
int noxs_shell_identity(noxs_shell_t *s, char *buf, int len) {
  if (!s || !buf || len <= 0) return 0;
  buf[0] = '\0';
  struct noxs_page_hdr *h = s->hdr;
  uint32_t st = __atomic_load_n(&h->state, __ATOMIC_ACQUIRE);
  if (st == NOXS_STATE_EMPTY || st == NOXS_STATE_PREPARED || h->guest_id[0] == '\0') return 0;
  char id[NOXS_GUEST_ID_LEN];
  memcpy(id, h->guest_id, sizeof id); /* the guest may scribble on its page: bound it */
  id[sizeof id - 1] = '\0';
  int n = snprintf(buf, len, "%s\n%llu\n", id, (unsigned long long) h->generation);
  uint32_t ndev = h->ndev < NOXS_MAX_DEVS ? h->ndev : NOXS_MAX_DEVS;
  for (uint32_t i = 0; i < ndev && n >= 0 && n < len; i++) {
    char name[NOXS_NAME_LEN];
    memcpy(name, h->devs[i].name, sizeof name);
    name[sizeof name - 1] = '\0';
    n += snprintf(buf + n, len - n, "%s,", name);
  }
  if (n >= 0 && n < len) n += snprintf(buf + n, len - n, "\n");
  return n < 0 ? 0 : (n >= len ? len - 1 : n);
}

int noxs_shell_alive(noxs_shell_t *s) {
  struct pollfd pfd = {s->pidfd, POLLIN, 0};
  return poll(&pfd, 1, 0) == 0;
}

int noxs_slot_cleanup(const char *slot, int nports, noxs_error_t *err) {
  nx_clear(err);
  if (!nx_slot_valid(slot)) return nx_fail(err, EINVAL, "slot `%s`", slot ? slot : "");
  int rc = 0;
  for (int i = 0; i < nports; i++) {
    char name[16];
    nx_host_ifname(name, slot, i);
    if (nx_nl_link_del(name, err) < 0) rc = -1;
    nx_xbr_ifname(name, slot, i);
    if (nx_nl_link_del(name, err) < 0) rc = -1;
  }
  if (nx_cg_remove(slot, err) < 0) rc = -1;
  return rc < 0 ? nx_wrap(err, "cleanup slot `%s`", slot) : 0;
}

int noxs_shell_destroy(noxs_shell_t *s, noxs_error_t *err) {
  nx_clear(err);
  if (!s) return 0;
  int rc = 0;
  noxs_error_t e;
  nx_clear(&e);
  /* thaw first: a frozen task cannot die */
  char st[64], p[512];
  if (!nx_host.cgroup_v2) {
    snprintf(p, sizeof p, "/sys/fs/cgroup/freezer/mayfly/%s/freezer.state", s->slot);
    if (nx_read_file(p, st, sizeof st, &e) > 0 && strncmp(st, "THAWED", 6) != 0) nx_write_file(p, "THAWED", &e);
  } else {
    snprintf(p, sizeof p, "%s/mayfly/%s/cgroup.freeze", nx_host.cg_v2_base, s->slot);
    nx_write_file(p, "0", &e);
  }
  kill_wait(s, 5000);
  if (noxs_shell_alive(s)) {
    rc = nx_fail(err, ETIMEDOUT, "guest pid %d did not exit after SIGKILL", s->pid);
  }
  /* The veth pairs die with the guest's network namespace (the kernel batches that
   * teardown; an explicit RTM_DELLINK here would wait for an RCU grace period per
   * port). Host-side xconnect bridges are ours to delete; the cgroups are removed
   * now that the task is gone. */
  for (int i = 0; i < s->nports; i++) {
    char name[16];
    nx_xbr_ifname(name, s->slot, i);
    if (nx_ifindex(name) > 0 && nx_nl_link_del(name, &e) < 0 && rc == 0) {
      *err = e;
      rc = -1;
    }
  }
  if (nx_cg_remove(s->slot, &e) < 0 && rc == 0) {
    *err = e;
    rc = -1;
  }
  char slot[12];
  strcpy(slot, s->slot);
  shell_close(s);
  return rc < 0 ? nx_wrap(err, "destroy `%s`", slot) : 0;
}

void noxs_shell_release(noxs_shell_t *s) {
  if (s) shell_close(s);
}
