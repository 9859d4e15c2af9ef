/* guest.c - guest mode: clickos --guest under the edge agent.
 *
 * The fds come from NOXS_PAGE_FD, NOXS_KICK_FD and NOXS_ACK_FD (see
 * include/noxs_page.h for the page layout and the protocol).  Lifecycle:
 *   start    mmap page, check magic/version, state PREPARED, ack, wait kick
 *   BOOT     read devices + config; parse/build; FAILED (+ result_code,
 *            result_line, "config:LINE: message") and exit 1, or RUNNING +
 *            boot_ns, ack, install the seccomp allow-list, run
 *   RESTORE  like BOOT, then load element state from the bulk area
 *   STATS    all read handlers as "elem.handler value" lines, seqlocked
 *   WRITE_HANDLER  "elem.handler\nVALUE" from the handler area;
 *            "noxs.standby\n1" enters standby (booted ahead as a live-migration
 *            target: no packet processing until IMPORT; see standby_loop)
 *   CHECKPOINT     serialise element state to the bulk area, CHECKPOINTED,
 *                  packet processing paused until RESUME (or POWEROFF)
 *   IMPORT   (running) load element state from the bulk area into the live
 *            graph, replacing what the elements hold (live migration into
 *            a guest booted ahead of the pause); the bulk area is mapped,
 *            not copied; a refused blob leaves the guest running with
 *            result_code < 0 and the reason in the result area
 *   POWEROFF state STOPPED, ack, exit 0
 */
#include "clickos.h"
#include "noxs_page.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <malloc.h>
#if defined(__SANITIZE_ADDRESS__) || defined(__has_feature)
#if defined(__SANITIZE_ADDRESS__)
#define CLICKOS_SANITIZED 1
#elif __has_feature(address_sanitizer)
#define CLICKOS_SANITIZED 1
#endif
#endif
/* The sanitizer runtime needs syscalls the run loop does not (at exit and
 * on reports), so sanitizer builds skip the filter. */
#if defined(CLICKOS_SANITIZED)
#undef HAVE_SECCOMP
#endif
#ifdef HAVE_SECCOMP
#include <seccomp.h>
#endif

static struct noxs_page_hdr *H;
static uint8_t *page;
static int page_fd = -1, kick_fd = -1, ack_fd = -1;
static Router *grouter;
static bool g_poweroff;

static int env_fd(const char *n) {
  const char *v = getenv(n);
  if (!v || !*v) return -1;
  char *end;
  long x = strtol(v, &end, 10);
  if (*end || x < 0 || x > 1 << 20) return -1;
  return (int)x;
}

static void ack(void) {
  uint32_t seq = __atomic_load_n(&H->sysctl_seq, __ATOMIC_ACQUIRE);
  __atomic_store_n(&H->ack_seq, seq, __ATOMIC_RELEASE);
  uint64_t one = 1;
  ssize_t w = write(ack_fd, &one, sizeof one);
  (void)w;
}
static void set_state(uint32_t s) { __atomic_store_n(&H->state, s, __ATOMIC_RELEASE); }
static void set_result(int code, int line, const char *text) {
  H->result_code = code;
  H->result_line = line > 0 ? (uint32_t)line : 0;
  size_t n = text ? strlen(text) : 0;
  if (n > NOXS_RESULT_SIZE) n = NOXS_RESULT_SIZE;
  if (n) memcpy(page + NOXS_RESULT_OFF, text, n);
  H->result_len = (uint32_t)n;
}
static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static const char *devmap(const char *name, void *arg) {
  (void)arg;
  uint32_t n = H->ndev > NOXS_MAX_DEVS ? NOXS_MAX_DEVS : H->ndev;
  static char buf[NOXS_NAME_LEN + 1];
  for (uint32_t i = 0; i < n; i++) {
    struct noxs_dev *d = &H->devs[i];
    if (d->type != NOXS_DEV_NET) continue;
    char nm[NOXS_NAME_LEN + 1];
    memcpy(nm, d->name, NOXS_NAME_LEN);
    nm[NOXS_NAME_LEN] = 0;
    if (strcmp(nm, name)) continue;
    memcpy(buf, d->ifname, NOXS_NAME_LEN);
    buf[NOXS_NAME_LEN] = 0;
    return buf[0] ? buf : name;
  }
  return NULL;
}

static void export_stats(void) {
  Str s;
  str_init(&s);
  str_add(&s, "");
  router_export_stats(grouter, &s);
  size_t n = s.len;
  if (n > NOXS_STATS_SIZE) {
    /* cut at the last complete line */
    n = NOXS_STATS_SIZE;
    while (n > 0 && s.s[n - 1] != '\n') n--;
  }
  uint32_t seq = __atomic_load_n(&H->stats_seq, __ATOMIC_RELAXED);
  __atomic_store_n(&H->stats_seq, seq | 1u, __ATOMIC_RELEASE);
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  memcpy(page + NOXS_STATS_OFF, s.s, n);
  H->stats_len = (uint32_t)n;
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  __atomic_store_n(&H->stats_seq, (seq | 1u) + 1u, __ATOMIC_RELEASE);
  str_free(&s);
}

enum { WH_DONE = 0, WH_STANDBY = 1, WH_WAKE = 2 };

/* Runs the write-handler request; the runtime's own pseudo-handler
 * "noxs.standby" (value 1 or 0) asks to enter or leave standby. */
static int write_handler(void) {
  uint32_t n = H->handler_len;
  if (n > NOXS_HANDLER_SIZE) n = NOXS_HANDLER_SIZE;
  char *req = xstrndup((const char *)page + NOXS_HANDLER_OFF, n);
  char *nl = strchr(req, '\n');
  const char *value = "";
  if (nl) { *nl = 0; value = nl + 1; }
  if (!strcmp(req, NOXS_HANDLER_STANDBY)) {
    int r = WH_DONE;
    if (!strcmp(value, "1")) { set_result(0, 0, ""); r = WH_STANDBY; }
    else if (!strcmp(value, "0")) { set_result(0, 0, ""); r = WH_WAKE; }
    else set_result(-EINVAL, 0, NOXS_HANDLER_STANDBY ": expected 1 or 0");
    free(req);
    return r;
  }
  ErrCtx err = {0};
  err.quiet = true;
  int r = router_call_write(grouter, req, value, &err);
  if (r < 0) set_result(-EINVAL, 0, err.first.s ? err.first.s : "write handler failed");
  else set_result(0, 0, "");
  str_free(&err.first);
  free(req);
  return WH_DONE;
}

static int do_checkpoint(void) {
  Blob b = {0};
  if (ckpt_build(grouter, &b) < 0) { set_result(-E2BIG, 0, "checkpoint: state too large"); free(b.p); return -1; }
  if (b.len > NOXS_BULK_MAX) { set_result(-E2BIG, 0, "checkpoint: state too large"); free(b.p); return -1; }
  if (ftruncate(page_fd, (off_t)NOXS_BULK_OFF + (off_t)b.len) < 0) {
    set_result(-errno, 0, "checkpoint: cannot grow the bulk area");
    free(b.p);
    return -1;
  }
  size_t done = 0;
  while (done < b.len) {
    ssize_t w = pwrite(page_fd, b.p + done, b.len - done, (off_t)NOXS_BULK_OFF + (off_t)done);
    if (w <= 0) { if (w < 0 && errno == EINTR) continue; set_result(-EIO, 0, "checkpoint: write failed"); free(b.p); return -1; }
    done += (size_t)w;
  }
  H->bulk_len = b.len;
  set_result(0, 0, "");
  free(b.p);
  return 0;
}

/* Loads the blob of bulk_len bytes at NOXS_BULK_OFF: mapped read-only (no
 * copy; the offset is page aligned) unless it is empty. */
static int load_bulk(ErrCtx *cerr) {
  uint64_t bl = H->bulk_len;
  if (bl > NOXS_BULK_MAX || bl > (uint64_t)CKPT_MAX + 16)
    return err_report(cerr, 0, "bulk_len %llu exceeds the size cap", (unsigned long long)bl);
  if (bl < 16) return err_report(cerr, 0, "checkpoint: truncated header (%llu bytes)", (unsigned long long)bl);
  struct stat st;
  if (fstat(page_fd, &st) < 0 || (uint64_t)st.st_size < (uint64_t)NOXS_BULK_OFF + bl)
    return err_report(cerr, 0, "bulk area shorter than bulk_len (%llu bytes)", (unsigned long long)bl);
  void *m = mmap(NULL, (size_t)bl, PROT_READ, MAP_SHARED, page_fd, (off_t)NOXS_BULK_OFF);
  if (m == MAP_FAILED) return err_report(cerr, 0, "cannot map the bulk area: %s", strerror(errno));
  int lr = ckpt_load(grouter, m, (size_t)bl, cerr);
  munmap(m, (size_t)bl);
  return lr;
}

static void do_import(void) {
  ErrCtx cerr = {0};
  cerr.quiet = true;
  if (load_bulk(&cerr) < 0) set_result(-EINVAL, 0, cerr.first.s ? cerr.first.s : "import: checkpoint refused");
  else set_result(0, 0, "");
  str_free(&cerr.first);
}

static uint64_t read_kick(bool block) {
  uint64_t v = 0;
  for (;;) {
    ssize_t r = read(kick_fd, &v, sizeof v);
    if (r == (ssize_t)sizeof v) return v;
    if (r < 0 && errno == EINTR) { if (sched_stop_requested()) return 0; continue; }
    if (r < 0 && errno == EAGAIN && !block) return 0;
    if (r < 0 && errno == EAGAIN) { struct pollfd pf = {kick_fd, POLLIN, 0}; poll(&pf, 1, -1); continue; }
    return 0;
  }
}

static void handle_running_request(void);

/* Standby (a live-migration target booted ahead): packet processing and
 * timers wait — packets queue in the kernel — while the element tables are
 * prepared; serves IMPORT (which ends it once it succeeds), STATS,
 * WRITE_HANDLER ("noxs.standby 0" ends it), POWEROFF. Runs nested in the
 * kick handler, like checkpointed_loop. */
static void standby_loop(void) {
  ckpt_prepare_load(grouter);
  for (;;) {
    if (read_kick(true) == 0 && sched_stop_requested()) return;
    uint32_t req = __atomic_load_n(&H->sysctl, __ATOMIC_ACQUIRE);
    if (req == NOXS_SYSCTL_IMPORT) { do_import(); int ok = H->result_code == 0; ack(); if (ok) return; continue; }
    if (req == NOXS_SYSCTL_STATS) { export_stats(); set_result(0, 0, ""); ack(); continue; }
    if (req == NOXS_SYSCTL_WRITE_HANDLER) { int r = write_handler(); ack(); if (r == WH_WAKE) return; continue; }
    if (req == NOXS_SYSCTL_RESUME) { set_result(0, 0, ""); ack(); continue; }
    if (req == NOXS_SYSCTL_POWEROFF) { set_result(0, 0, ""); set_state(NOXS_STATE_STOPPED); ack(); g_poweroff = true; router_stop_now(grouter); return; }
    set_result(-EBUSY, 0, "guest is in standby: IMPORT, STATS, WRITE_HANDLER or POWEROFF expected");
    ack();
  }
}

/* paused after a checkpoint: serve only RESUME / POWEROFF / STATS */
static void checkpointed_loop(void) {
  for (;;) {
    read_kick(true);
    uint32_t req = __atomic_load_n(&H->sysctl, __ATOMIC_ACQUIRE);
    if (req == NOXS_SYSCTL_RESUME) { set_result(0, 0, ""); set_state(NOXS_STATE_RUNNING); ack(); return; }
    if (req == NOXS_SYSCTL_POWEROFF) { set_result(0, 0, ""); set_state(NOXS_STATE_STOPPED); ack(); g_poweroff = true; router_stop_now(grouter); return; }
    if (req == NOXS_SYSCTL_STATS) { export_stats(); set_result(0, 0, ""); ack(); continue; }
    if (req == NOXS_SYSCTL_CHECKPOINT) { do_checkpoint(); ack(); continue; }
    set_result(-EBUSY, 0, "guest is checkpointed: RESUME or POWEROFF expected");
    ack();
  }
}

static void handle_running_request(void) {
  uint32_t req = __atomic_load_n(&H->sysctl, __ATOMIC_ACQUIRE);
  switch (req) {
    case NOXS_SYSCTL_POWEROFF:
      set_result(0, 0, "");
      set_state(NOXS_STATE_STOPPED);
      ack();
      g_poweroff = true;
      router_stop_now(grouter);
      return;
    case NOXS_SYSCTL_STATS: export_stats(); set_result(0, 0, ""); ack(); return;
    case NOXS_SYSCTL_WRITE_HANDLER:
      if (write_handler() == WH_STANDBY) { ack(); standby_loop(); }
      else ack();
      return;
    case NOXS_SYSCTL_CHECKPOINT:
      if (do_checkpoint() == 0) {
        set_state(NOXS_STATE_CHECKPOINTED);
        ack();
        checkpointed_loop();
      } else ack();
      return;
    case NOXS_SYSCTL_RESUME: set_result(0, 0, ""); ack(); return;
    case NOXS_SYSCTL_IMPORT: do_import(); ack(); return;
    default: set_result(-ENOSYS, 0, "request not valid while running"); ack(); return;
  }
}

static void on_kick(int fd, void *arg) {
  (void)fd; (void)arg;
  if (read_kick(false) == 0) return;
  handle_running_request();
}

#ifdef HAVE_SECCOMP
static int install_seccomp(void) {
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
  if (!ctx) return -1;
  /* compile-time syscall numbers (SCMP_SYS): no name resolver linked in */
  static const int allow[] = {
    SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(readv), SCMP_SYS(close), SCMP_SYS(poll),
    SCMP_SYS(ppoll), SCMP_SYS(recvmmsg), SCMP_SYS(sendmmsg), SCMP_SYS(recvfrom), SCMP_SYS(sendto),
    SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep),
    SCMP_SYS(nanosleep), SCMP_SYS(gettimeofday), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
    SCMP_SYS(brk), SCMP_SYS(madvise), SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(rt_sigreturn),
    SCMP_SYS(rt_sigprocmask), SCMP_SYS(futex), SCMP_SYS(ftruncate), SCMP_SYS(pwrite64), SCMP_SYS(pread64),
    SCMP_SYS(lseek), SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(getpid), SCMP_SYS(gettid),
    SCMP_SYS(tgkill), SCMP_SYS(restart_syscall), SCMP_SYS(sched_yield), SCMP_SYS(getrandom)};
  for (size_t i = 0; i < sizeof allow / sizeof allow[0]; i++) {
    if (allow[i] < 0) continue;
    if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allow[i], 0) < 0) { seccomp_release(ctx); return -1; }
  }
  int r = seccomp_load(ctx);
  seccomp_release(ctx);
  return r;
}
#else
static int install_seccomp(void) { return 0; }
#endif

/* Page faults of the execute half, taken in the prepare half. A firewall boot grows the heap
 * by ~50 KiB (configuration, element graph) and writes the first pages of the config and result
 * areas of the control page; each fresh page costs a fault and a clear - on this host's VM
 * ~10 us each, 5-7% of the CPU of a 10 000-guest bulk (perf: clear_page_erms under
 * _int_malloc in the guests). Touched here while the shell waits in the pool, and kept: the
 * trim threshold is raised so that free() does not hand the pages back. */
#define PREFAULT_HEAP (64u * 1024u)
static void prefault(void) {
  mallopt(M_TRIM_THRESHOLD, 512 * 1024);
  char *p = malloc(PREFAULT_HEAP);
  if (p) {
    for (size_t i = 0; i < PREFAULT_HEAP; i += 4096) ((volatile char *)p)[i] = 0;
    __asm__ volatile("" : : "r"(p) : "memory"); /* the compiler may not drop malloc/free */
    free(p);
  }
  /* read, never write: on the cold path the agent writes the configuration and kicks BOOT
   * without waiting for PREPARED, so it may already be in the page (a read of a hole in a
   * shared memfd mapping allocates and clears the page all the same) */
  volatile const char *pg = (volatile const char *)page;
  for (uint32_t off = NOXS_CONFIG_OFF; off < NOXS_CONFIG_OFF + 8192u; off += 4096u) (void)pg[off];
  (void)pg[NOXS_RESULT_OFF];
}

static int boot(bool restore) {
  set_state(NOXS_STATE_BOOTING);
  uint32_t n = H->config_len;
  if (n > NOXS_CONFIG_SIZE) n = NOXS_CONFIG_SIZE;
  char *text = xmalloc(n + 1);
  memcpy(text, page + NOXS_CONFIG_OFF, n);
  text[n] = 0;
  for (uint32_t i = 0; i < n; i++) if (!text[i]) text[i] = '\x01';
  ErrCtx err = {0};
  err.file = "config";
  err.quiet = false;
  Config cfg;
  int rc = config_parse(text, "config", &cfg, &err);
  free(text);
  if (rc == 0) {
    grouter = router_build(&cfg, &err, devmap, NULL);
    config_free(&cfg);
  }
  if (rc < 0 || !grouter) {
    set_result(-EINVAL, err.first_line, err.first.s ? err.first.s : "config: could not be initialized");
    set_state(NOXS_STATE_FAILED);
    ack();
    str_free(&err.first);
    return -1;
  }
  if (restore) {
    ErrCtx cerr = {0};
    cerr.file = NULL;
    int lr = load_bulk(&cerr);
    if (lr < 0) {
      set_result(-EINVAL, 0, cerr.first.s ? cerr.first.s : "checkpoint: restore failed");
      set_state(NOXS_STATE_FAILED);
      ack();
      str_free(&cerr.first);
      return -1;
    }
  }
  set_result(0, 0, "");
  H->boot_ns = mono_ns();
  set_state(NOXS_STATE_RUNNING);
  ack();
  return 0;
}

int guest_main(void) {
  page_fd = env_fd("NOXS_PAGE_FD");
  kick_fd = env_fd("NOXS_KICK_FD");
  ack_fd = env_fd("NOXS_ACK_FD");
  if (page_fd < 0 || kick_fd < 0 || ack_fd < 0) {
    fprintf(stderr, "clickos: guest mode needs NOXS_PAGE_FD, NOXS_KICK_FD and NOXS_ACK_FD\n");
    return 2;
  }
  page = mmap(NULL, NOXS_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, page_fd, 0);
  if (page == MAP_FAILED) { fprintf(stderr, "clickos: mmap noxs page: %s\n", strerror(errno)); return 2; }
  H = (struct noxs_page_hdr *)page;
  if (H->magic != NOXS_PAGE_MAGIC || H->version != NOXS_PAGE_VERSION) {
    fprintf(stderr, "clickos: bad noxs page (magic 0x%08x version %u)\n", H->magic, H->version);
    return 2;
  }
  {
    ErrCtx derr = {0};
    derr.quiet = true;
    if (device_set_preopened(getenv("NOXS_DEV_FDS"), &derr) < 0) {
      fprintf(stderr, "clickos: %s\n", derr.first.s ? derr.first.s : "bad NOXS_DEV_FDS");
      return 2;
    }
  }
  H->guest_pid = getpid();
  prefault();
  set_state(NOXS_STATE_PREPARED);
  ack();
  /* wait for BOOT or RESTORE */
  for (;;) {
    read_kick(true);
    if (sched_stop_requested()) return 0;
    uint32_t req = __atomic_load_n(&H->sysctl, __ATOMIC_ACQUIRE);
    if (req == NOXS_SYSCTL_BOOT || req == NOXS_SYSCTL_RESTORE) {
      if (boot(req == NOXS_SYSCTL_RESTORE) < 0) return 1;
      break;
    }
    if (req == NOXS_SYSCTL_POWEROFF) { set_result(0, 0, ""); set_state(NOXS_STATE_STOPPED); ack(); return 0; }
    set_result(-ENOSYS, 0, "guest not booted: BOOT, RESTORE or POWEROFF expected");
    ack();
  }
  sched_add_fd(kick_fd, on_kick, NULL);
  pkt_pool_trim();
  sched_install_signals();
  trim_text_rss();
  if (install_seccomp() < 0) fprintf(stderr, "clickos: warning: seccomp filter not installed\n");
  sched_run(grouter, NULL, NULL);
  if (!g_poweroff) {
    /* stopped by the configuration (DriverManager) or a signal */
    set_state(NOXS_STATE_STOPPED);
    ack();
  }
  /* no cleanup under seccomp beyond what exit needs */
  _exit(0);
}
