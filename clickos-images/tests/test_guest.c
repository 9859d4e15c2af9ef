/* test_guest.c - drives `clickos --guest` through the noxs page protocol:
 * PREPARED, BOOT (good and bad configs), STATS, WRITE_HANDLER (good and
 * bad), CHECKPOINT, RESUME, POWEROFF, RESTORE in a fresh guest, IMPORT into
 * a running guest (good, corrupted, truncated), and RESTORE of a corrupted
 * blob. */
#define _GNU_SOURCE 1
#include "harness.h"
#include "noxs_page.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
  int page_fd, kick_fd, ack_fd;
  uint8_t *page;
  struct noxs_page_hdr *h;
  pid_t pid;
} Guest;

static const char *clickos_bin(void) {
  const char *b = getenv("CLICKOS");
  return b ? b : "target/bin/clickos";
}

static int wait_ack(Guest *g, uint32_t seq) {
  for (int i = 0; i < 300; i++) {
    struct pollfd pf = {g->ack_fd, POLLIN, 0};
    if (poll(&pf, 1, 100) > 0) { uint64_t v; if (read(g->ack_fd, &v, sizeof v) < 0) {} }
    if (__atomic_load_n(&g->h->ack_seq, __ATOMIC_ACQUIRE) == seq) return 0;
  }
  return -1;
}

static int guest_start(Guest *g) {
  memset(g, 0, sizeof *g);
  g->page_fd = memfd_create("noxs-test", 0);
  if (g->page_fd < 0 || ftruncate(g->page_fd, NOXS_PAGE_SIZE) < 0) return -1;
  g->page = mmap(NULL, NOXS_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, g->page_fd, 0);
  g->h = (struct noxs_page_hdr *)g->page;
  g->h->magic = NOXS_PAGE_MAGIC;
  g->h->version = NOXS_PAGE_VERSION;
  strcpy(g->h->guest_id, "test-guest");
  g->kick_fd = eventfd(0, 0);
  g->ack_fd = eventfd(0, EFD_NONBLOCK);
  g->pid = fork();
  if (g->pid == 0) {
    char a[16], b[16], c[16];
    snprintf(a, sizeof a, "%d", g->page_fd);
    snprintf(b, sizeof b, "%d", g->kick_fd);
    snprintf(c, sizeof c, "%d", g->ack_fd);
    setenv("NOXS_PAGE_FD", a, 1);
    setenv("NOXS_KICK_FD", b, 1);
    setenv("NOXS_ACK_FD", c, 1);
    execl(clickos_bin(), "clickos", "--guest", (char *)NULL);
    _exit(127);
  }
  /* PREPARED is acked with seq 0 */
  for (int i = 0; i < 1000; i++) { /* generous: CI hosts can be very busy */
    if (__atomic_load_n(&g->h->state, __ATOMIC_ACQUIRE) == NOXS_STATE_PREPARED) return 0;
    usleep(20000);
  }
  return -1;
}
static int request(Guest *g, uint32_t req) {
  __atomic_store_n(&g->h->sysctl, req, __ATOMIC_RELEASE);
  uint32_t seq = __atomic_add_fetch(&g->h->sysctl_seq, 1, __ATOMIC_ACQ_REL);
  uint64_t one = 1;
  if (write(g->kick_fd, &one, sizeof one) < 0) return -1;
  return wait_ack(g, seq);
}
static void set_config(Guest *g, const char *cfg) {
  size_t n = strlen(cfg);
  memcpy(g->page + NOXS_CONFIG_OFF, cfg, n);
  g->h->config_len = (uint32_t)n;
}
static char *stats(Guest *g) {
  static char buf[NOXS_STATS_SIZE + 1];
  uint32_t s1, s2;
  do {
    s1 = __atomic_load_n(&g->h->stats_seq, __ATOMIC_ACQUIRE);
    uint32_t n = g->h->stats_len;
    if (n > NOXS_STATS_SIZE) n = NOXS_STATS_SIZE;
    memcpy(buf, g->page + NOXS_STATS_OFF, n);
    buf[n] = 0;
    s2 = __atomic_load_n(&g->h->stats_seq, __ATOMIC_ACQUIRE);
  } while ((s1 & 1) || s1 != s2);
  return buf;
}
static char *result(Guest *g) {
  static char buf[NOXS_RESULT_SIZE + 1];
  uint32_t n = g->h->result_len > NOXS_RESULT_SIZE ? NOXS_RESULT_SIZE : g->h->result_len;
  memcpy(buf, g->page + NOXS_RESULT_OFF, n);
  buf[n] = 0;
  return buf;
}
static int guest_wait(Guest *g) {
  int st = 0;
  for (int i = 0; i < 1000; i++) {
    pid_t r = waitpid(g->pid, &st, WNOHANG);
    if (r == g->pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    usleep(20000);
  }
  kill(g->pid, SIGKILL);
  waitpid(g->pid, &st, 0);
  return -1;
}
static void guest_close(Guest *g) {
  munmap(g->page, NOXS_PAGE_SIZE);
  close(g->page_fd); close(g->kick_fd); close(g->ack_fd);
}
static void write_handler(Guest *g, const char *req) {
  size_t n = strlen(req);
  memcpy(g->page + NOXS_HANDLER_OFF, req, n);
  g->h->handler_len = (uint32_t)n;
}

/* a TCP SYN 10.0.0.1:1234 -> 10.0.0.2:80 makes one firewall flow */
static const char *CONFIG =
  "// guest test\n"
  "src :: InfiniteSource(\\<45000028 00010000 40060000 0a000001 0a000002 04d20050 00000001 00000000 50020400 00000000>, LIMIT 7)\n"
  "  -> c :: Counter -> MarkIPHeader -> [0]fw :: FlowFirewall(TIMEOUT 3600);\n"
  "Idle -> [1]fw;\n"
  "fw[0] -> f :: IPFilter(allow tcp, deny all) -> Discard;\n"
  "fw[1] -> Discard;\n";

/* the same graph with nothing sending: flows and counts come only from IMPORT */
static const char *IMPORT_CONFIG =
  "src :: Idle -> c :: Counter -> MarkIPHeader -> [0]fw :: FlowFirewall(TIMEOUT 3600);\n"
  "Idle -> [1]fw;\n"
  "fw[0] -> f :: IPFilter(allow tcp, deny all) -> Discard;\n"
  "fw[1] -> Discard;\n";

TEST(boot_stats_write_checkpoint_restore) {
  Guest g;
  CHECK(guest_start(&g) == 0);
  CHECK(g.h->guest_pid == g.pid);
  set_config(&g, CONFIG);
  CHECK(request(&g, NOXS_SYSCTL_BOOT) == 0);
  CHECK_EQ_INT(g.h->state, NOXS_STATE_RUNNING);
  CHECK(g.h->boot_ns > 0);
  /* the source runs once the loop starts: poll the stats until it is done */
  char *s = NULL;
  for (int i = 0; i < 500; i++) {
    CHECK(request(&g, NOXS_SYSCTL_STATS) == 0);
    s = stats(&g);
    if (strstr(s, "c.count 7\n")) break;
    usleep(20000);
  }
  CHECK(strstr(s, "c.count 7\n") != NULL);
  CHECK(strstr(s, "c.byte_count 280\n") != NULL);
  CHECK(strstr(s, "fw.size 1\n") != NULL);
  /* live rule replacement keeps the flow table */
  write_handler(&g, "f.config\ndeny tcp, allow all");
  CHECK(request(&g, NOXS_SYSCTL_WRITE_HANDLER) == 0);
  CHECK_EQ_INT(g.h->result_code, 0);
  write_handler(&g, "f.config\nallow tcp port banana");
  CHECK(request(&g, NOXS_SYSCTL_WRITE_HANDLER) == 0);
  CHECK(g.h->result_code < 0);
  CHECK(strstr(result(&g), "banana") != NULL);
  write_handler(&g, "nosuch.handler\n1");
  CHECK(request(&g, NOXS_SYSCTL_WRITE_HANDLER) == 0);
  CHECK(g.h->result_code < 0);
  CHECK(request(&g, NOXS_SYSCTL_STATS) == 0);
  CHECK(strstr(stats(&g), "fw.size 1\n") != NULL);
  /* checkpoint */
  CHECK(request(&g, NOXS_SYSCTL_CHECKPOINT) == 0);
  CHECK_EQ_INT(g.h->state, NOXS_STATE_CHECKPOINTED);
  CHECK(g.h->bulk_len > 16);
  uint64_t blen = g.h->bulk_len;
  if (blen < 16 || blen > (64u << 20)) { CHECK(!"no checkpoint blob"); kill(g.pid, SIGKILL); guest_wait(&g); guest_close(&g); return; }
  uint8_t *blob = malloc(blen);
  CHECK(pread(g.page_fd, blob, blen, NOXS_BULK_OFF) == (ssize_t)blen);
  CHECK(blob[0] == 'C' && blob[1] == 'K' && blob[2] == 'O' && blob[3] == 'S');
  CHECK(request(&g, NOXS_SYSCTL_RESUME) == 0);
  CHECK_EQ_INT(g.h->state, NOXS_STATE_RUNNING);
  CHECK(request(&g, NOXS_SYSCTL_POWEROFF) == 0);
  CHECK_EQ_INT(g.h->state, NOXS_STATE_STOPPED);
  CHECK_EQ_INT(guest_wait(&g), 0);
  guest_close(&g);

  /* restore into a fresh guest: counters and flows come back, the source
   * (LIMIT already reached) sends nothing more */
  Guest r;
  CHECK(guest_start(&r) == 0);
  set_config(&r, CONFIG);
  CHECK(ftruncate(r.page_fd, NOXS_BULK_OFF + blen) == 0);
  CHECK(pwrite(r.page_fd, blob, blen, NOXS_BULK_OFF) == (ssize_t)blen);
  r.h->bulk_len = blen;
  CHECK(request(&r, NOXS_SYSCTL_RESTORE) == 0);
  CHECK_EQ_INT(r.h->state, NOXS_STATE_RUNNING);
  usleep(50000);
  CHECK(request(&r, NOXS_SYSCTL_STATS) == 0);
  s = stats(&r);
  CHECK(strstr(s, "c.count 7\n") != NULL);
  CHECK(strstr(s, "fw.size 1\n") != NULL);
  CHECK(request(&r, NOXS_SYSCTL_POWEROFF) == 0);
  CHECK_EQ_INT(guest_wait(&r), 0);
  guest_close(&r);

  /* IMPORT into a guest booted ahead (live migration): the state replaces
   * what the running graph holds; a corrupted blob is refused and the guest
   * keeps running with what it had */
  Guest im;
  CHECK(guest_start(&im) == 0);
  set_config(&im, IMPORT_CONFIG);
  CHECK(request(&im, NOXS_SYSCTL_BOOT) == 0);
  CHECK_EQ_INT(im.h->state, NOXS_STATE_RUNNING);
  CHECK(request(&im, NOXS_SYSCTL_STATS) == 0);
  CHECK(strstr(stats(&im), "fw.size 0\n") != NULL);
  /* standby (booted ahead): a bad value is refused, 1 enters it; requests
   * other than IMPORT/STATS/WRITE_HANDLER/POWEROFF are refused meanwhile */
  write_handler(&im, NOXS_HANDLER_STANDBY "\nmaybe");
  CHECK(request(&im, NOXS_SYSCTL_WRITE_HANDLER) == 0);
  CHECK(im.h->result_code < 0);
  write_handler(&im, NOXS_HANDLER_STANDBY "\n1");
  CHECK(request(&im, NOXS_SYSCTL_WRITE_HANDLER) == 0);
  CHECK_EQ_INT(im.h->result_code, 0);
  CHECK(request(&im, NOXS_SYSCTL_CHECKPOINT) == 0);
  CHECK(im.h->result_code < 0);
  CHECK(strstr(result(&im), "standby") != NULL);
  CHECK(request(&im, NOXS_SYSCTL_STATS) == 0);
  CHECK(strstr(stats(&im), "fw.size 0\n") != NULL);
  CHECK(ftruncate(im.page_fd, NOXS_BULK_OFF + blen) == 0);
  CHECK(pwrite(im.page_fd, blob, blen, NOXS_BULK_OFF) == (ssize_t)blen);
  im.h->bulk_len = blen;
  CHECK(request(&im, NOXS_SYSCTL_IMPORT) == 0);
  CHECK_EQ_INT(im.h->result_code, 0);
  CHECK_EQ_INT(im.h->state, NOXS_STATE_RUNNING);
  CHECK(request(&im, NOXS_SYSCTL_STATS) == 0);
  s = stats(&im);
  CHECK(strstr(s, "c.count 7\n") != NULL);
  CHECK(strstr(s, "fw.size 1\n") != NULL);
  /* the import ended the standby: the guest runs (a checkpoint is served) */
  CHECK(request(&im, NOXS_SYSCTL_CHECKPOINT) == 0);
  CHECK_EQ_INT(im.h->state, NOXS_STATE_CHECKPOINTED);
  CHECK(request(&im, NOXS_SYSCTL_RESUME) == 0);
  CHECK_EQ_INT(im.h->state, NOXS_STATE_RUNNING);
  CHECK(ftruncate(im.page_fd, NOXS_BULK_OFF + blen) == 0);
  CHECK(pwrite(im.page_fd, blob, blen, NOXS_BULK_OFF) == (ssize_t)blen);
  im.h->bulk_len = blen;
  blob[blen - 1] ^= 0xFF;
  CHECK(pwrite(im.page_fd, blob, blen, NOXS_BULK_OFF) == (ssize_t)blen);
  CHECK(request(&im, NOXS_SYSCTL_IMPORT) == 0);
  CHECK(im.h->result_code < 0);
  CHECK(strstr(result(&im), "checksum") != NULL);
  CHECK_EQ_INT(im.h->state, NOXS_STATE_RUNNING);
  im.h->bulk_len = 10; /* shorter than a header */
  CHECK(request(&im, NOXS_SYSCTL_IMPORT) == 0);
  CHECK(im.h->result_code < 0);
  CHECK(strstr(result(&im), "truncated") != NULL);
  im.h->bulk_len = blen + 4096; /* longer than the bulk area */
  CHECK(request(&im, NOXS_SYSCTL_IMPORT) == 0);
  CHECK(im.h->result_code < 0);
  CHECK(strstr(result(&im), "shorter") != NULL);
  CHECK(request(&im, NOXS_SYSCTL_STATS) == 0);
  CHECK(strstr(stats(&im), "fw.size 1\n") != NULL);
  CHECK(request(&im, NOXS_SYSCTL_POWEROFF) == 0);
  CHECK_EQ_INT(guest_wait(&im), 0);
  guest_close(&im);
  blob[blen - 1] ^= 0xFF;

  /* corrupted blob is refused with a clear error */
  Guest c;
  CHECK(guest_start(&c) == 0);
  set_config(&c, CONFIG);
  blob[blen - 1] ^= 0xFF;
  CHECK(ftruncate(c.page_fd, NOXS_BULK_OFF + blen) == 0);
  CHECK(pwrite(c.page_fd, blob, blen, NOXS_BULK_OFF) == (ssize_t)blen);
  c.h->bulk_len = blen;
  CHECK(request(&c, NOXS_SYSCTL_RESTORE) == 0);
  CHECK_EQ_INT(c.h->state, NOXS_STATE_FAILED);
  CHECK(strstr(result(&c), "checksum") != NULL);
  CHECK(guest_wait(&c) != 0);
  guest_close(&c);

  /* bad magic */
  Guest m;
  CHECK(guest_start(&m) == 0);
  set_config(&m, CONFIG);
  memcpy(blob, "XXXX", 4);
  CHECK(ftruncate(m.page_fd, NOXS_BULK_OFF + blen) == 0);
  CHECK(pwrite(m.page_fd, blob, blen, NOXS_BULK_OFF) == (ssize_t)blen);
  m.h->bulk_len = blen;
  CHECK(request(&m, NOXS_SYSCTL_RESTORE) == 0);
  CHECK_EQ_INT(m.h->state, NOXS_STATE_FAILED);
  CHECK(strstr(result(&m), "magic") != NULL);
  guest_wait(&m);
  guest_close(&m);
  free(blob);
}

TEST(bad_config_fails_with_line) {
  Guest g;
  CHECK(guest_start(&g) == 0);
  set_config(&g, "Idle -> Discard;\n\nx :: NoSuchElement;\n");
  CHECK(request(&g, NOXS_SYSCTL_BOOT) == 0);
  CHECK_EQ_INT(g.h->state, NOXS_STATE_FAILED);
  CHECK_EQ_INT(g.h->result_line, 3);
  CHECK(g.h->result_code < 0);
  CHECK_EQ_STR(result(&g), "config:3: unknown element class 'NoSuchElement'");
  CHECK(guest_wait(&g) != 0);
  guest_close(&g);

  CHECK(guest_start(&g) == 0);
  set_config(&g, "Idle\n -> q :: Queue(CAPACITY many)\n -> Discard;\n");
  CHECK(request(&g, NOXS_SYSCTL_BOOT) == 0);
  CHECK_EQ_INT(g.h->state, NOXS_STATE_FAILED);
  CHECK_EQ_INT(g.h->result_line, 2);
  CHECK(strstr(result(&g), "CAPACITY") != NULL);
  guest_wait(&g);
  guest_close(&g);

  /* a device name missing from the device table */
  CHECK(guest_start(&g) == 0);
  set_config(&g, "FromDevice(access) -> Discard;\n");
  CHECK(request(&g, NOXS_SYSCTL_BOOT) == 0);
  CHECK_EQ_INT(g.h->state, NOXS_STATE_FAILED);
  CHECK(strstr(result(&g), "access") != NULL);
  guest_wait(&g);
  guest_close(&g);
}

/* the device table maps config port names to interfaces: "access" -> lo */
TEST(device_table_mapping) {
  if (geteuid() != 0) { printf("skip device_table_mapping: AF_PACKET needs root\n"); return; }
  Guest g;
  CHECK(guest_start(&g) == 0);
  g.h->ndev = 1;
  g.h->devs[0].type = NOXS_DEV_NET;
  g.h->devs[0].flags = NOXS_DEV_F_UP;
  strcpy(g.h->devs[0].name, "access");
  strcpy(g.h->devs[0].ifname, "lo");
  set_config(&g, "FromDevice(access) -> c :: Counter -> Discard;\nIdle -> ToDevice(access);\n");
  CHECK(request(&g, NOXS_SYSCTL_BOOT) == 0);
  CHECK_EQ_INT(g.h->state, NOXS_STATE_RUNNING);
  CHECK(request(&g, NOXS_SYSCTL_STATS) == 0);
  CHECK(strstr(stats(&g), "c.count ") != NULL);
  CHECK(request(&g, NOXS_SYSCTL_POWEROFF) == 0);
  CHECK_EQ_INT(guest_wait(&g), 0);
  guest_close(&g);
}

TEST(poweroff_before_boot) {
  Guest g;
  CHECK(guest_start(&g) == 0);
  CHECK(request(&g, NOXS_SYSCTL_POWEROFF) == 0);
  CHECK_EQ_INT(g.h->state, NOXS_STATE_STOPPED);
  CHECK_EQ_INT(guest_wait(&g), 0);
  guest_close(&g);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  RUN(boot_stats_write_checkpoint_restore);
  RUN(bad_config_fails_with_line);
  RUN(device_table_mapping);
  RUN(poweroff_before_boot);
  DONE();
}
