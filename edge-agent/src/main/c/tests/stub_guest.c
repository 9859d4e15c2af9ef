/* stub_guest.c - TEST FIXTURE ONLY: a minimal guest speaking the noxs page
 * protocol, used by libnoxs's C tests (and by Java tests until the real clickos
 * guest mode is available). Never part of the product.
 *
 * PREPARED -> on BOOT: FAILED ("config:N: ..." for a line containing FAIL) or
 * RUNNING, forwarding frames between dev 0 and dev 1 with AF_PACKET.
 * STATS: "fwd.count N"; WRITE_HANDLER "fwd.count\nN"; CHECKPOINT writes
 * "STUB <count>" into the bulk area; RESUME; RESTORE reads it back; POWEROFF. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "noxs_page.h"

static struct noxs_page_hdr *h;
static int page_fd, kick_fd, ack_fd, sock[2] = {-1, -1};
static unsigned long long count;

static void ack(void) {
  __atomic_store_n(&h->ack_seq, __atomic_load_n(&h->sysctl_seq, __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
  uint64_t one = 1;
  (void) !write(ack_fd, &one, sizeof one);
}

static void result(int code, unsigned line, const char *text) {
  size_t n = strlen(text);
  memcpy((char *) h + NOXS_RESULT_OFF, text, n);
  h->result_len = n;
  h->result_code = code;
  h->result_line = line;
}

static int open_ports(void) {
  for (unsigned i = 0; i < h->ndev && i < 2; i++) {
    /* protocol 0 at socket(): no hook is registered until bind, so bind does not
     * have to unregister one (that costs a synchronize_net(), an RCU grace period) */
    struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL)};
    /* the agent's sockets (NOXS_DEV_FDS=eth0:7,...): ethN is fd 7+N, already bound to it */
    int s = -1;
    const char *devs = getenv("NOXS_DEV_FDS");
    int port = atoi(h->devs[i].ifname + 3);
    if (devs && strstr(devs, h->devs[i].ifname)) {
      s = 7 + port;
      socklen_t sl = sizeof sll;
      if (getsockname(s, (struct sockaddr *) &sll, &sl) < 0) return -1;
      sll.sll_protocol = htons(ETH_P_ALL);
    } else {
      s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (s < 0) return -1;
      sll.sll_ifindex = (int) if_nametoindex(h->devs[i].ifname);
    }
    if (!sll.sll_ifindex || bind(s, (struct sockaddr *) &sll, sizeof sll) < 0) return -1;
    sock[i] = s;
  }
  return 0;
}

static int load_config(void) {
  const char *cfg = (const char *) h + NOXS_CONFIG_OFF;
  unsigned line = 1;
  for (const char *p = cfg; *p; p++) {
    if (!strncmp(p, "FAIL", 4)) {
      char msg[128];
      snprintf(msg, sizeof msg, "config:%u: FAIL requested by the test", line);
      result(-22, line, msg);
      return -1;
    }
    if (*p == '\n') line++;
  }
  if (open_ports() < 0) {
    result(-19, 0, "stub: cannot open ports");
    return -1;
  }
  return 0;
}

static void stats(void) {
  __atomic_add_fetch(&h->stats_seq, 1, __ATOMIC_ACQ_REL);
  int n = snprintf((char *) h + NOXS_STATS_OFF, NOXS_STATS_SIZE, "fwd.count %llu\n", count);
  h->stats_len = n;
  __atomic_add_fetch(&h->stats_seq, 1, __ATOMIC_ACQ_REL);
}

int main(int argc, char **argv) {
  const char *pf = getenv("NOXS_PAGE_FD"), *kf = getenv("NOXS_KICK_FD"), *af = getenv("NOXS_ACK_FD");
  if (!pf || !kf || !af) {
    fprintf(stderr, "stub guest: NOXS_*_FD not set\n");
    return 2;
  }
  page_fd = atoi(pf), kick_fd = atoi(kf), ack_fd = atoi(af);
  h = mmap(NULL, NOXS_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, page_fd, 0);
  if (h == MAP_FAILED || h->magic != NOXS_PAGE_MAGIC) return 3;
  h->state = NOXS_STATE_PREPARED;
  uint64_t one = 1; /* announce PREPARED without acknowledging any request */
  (void) !write(ack_fd, &one, sizeof one);
  int running = 0;
  char frame[2048];
  for (;;) {
    struct pollfd p[3] = {{kick_fd, POLLIN, 0}, {sock[0], POLLIN, 0}, {sock[1], POLLIN, 0}};
    int np = running && h->state == NOXS_STATE_RUNNING ? 3 : 1;
    if (poll(p, np, -1) < 0) continue;
    for (int i = 0; i < 2 && np == 3; i++) {
      if (!(p[1 + i].revents & POLLIN)) continue;
      struct sockaddr_ll from;
      socklen_t fl = sizeof from;
      ssize_t n;
      while ((n = recvfrom(sock[i], frame, sizeof frame, 0, (struct sockaddr *) &from, &fl)) > 0) {
        if (from.sll_pkttype == PACKET_OUTGOING) continue;
        if (sock[1 - i] >= 0 && send(sock[1 - i], frame, n, 0) == n) count++;
      }
    }
    if (!(p[0].revents & POLLIN)) continue;
    uint64_t v;
    (void) !read(kick_fd, &v, sizeof v);
    if (__atomic_load_n(&h->ack_seq, __ATOMIC_ACQUIRE) == __atomic_load_n(&h->sysctl_seq, __ATOMIC_ACQUIRE))
      continue;
    switch (h->sysctl) {
    case NOXS_SYSCTL_BOOT:
    case NOXS_SYSCTL_RESTORE:
      h->state = NOXS_STATE_BOOTING;
      if (load_config() < 0) {
        h->state = NOXS_STATE_FAILED;
      } else {
        if (h->sysctl == NOXS_SYSCTL_RESTORE) {
          char blob[64] = {0};
          pread(page_fd, blob, sizeof blob - 1 < h->bulk_len ? sizeof blob - 1 : h->bulk_len, NOXS_BULK_OFF);
          if (sscanf(blob, "STUB %llu", &count) != 1) {
            result(-22, 0, "restore: not a stub checkpoint");
            h->state = NOXS_STATE_FAILED;
            break;
          }
        }
        running = 1;
        h->state = NOXS_STATE_RUNNING;
      }
      break;
    case NOXS_SYSCTL_CHECKPOINT: {
      char blob[64];
      int n = snprintf(blob, sizeof blob, "STUB %llu", count);
      ftruncate(page_fd, NOXS_BULK_OFF + n);
      pwrite(page_fd, blob, n, NOXS_BULK_OFF);
      h->bulk_len = n;
      h->state = NOXS_STATE_CHECKPOINTED;
      break;
    }
    case NOXS_SYSCTL_RESUME:
      h->state = NOXS_STATE_RUNNING;
      break;
    case NOXS_SYSCTL_STATS:
      stats();
      break;
    case NOXS_SYSCTL_WRITE_HANDLER: {
      const char *req = (const char *) h + NOXS_HANDLER_OFF;
      if (!strncmp(req, "fwd.count\n", 10)) {
        count = strtoull(req + 10, NULL, 10);
        result(0, 0, "");
      } else {
        result(-2, 0, "no such handler");
      }
      break;
    }
    case NOXS_SYSCTL_POWEROFF:
      h->state = NOXS_STATE_STOPPED;
      ack();
      return 0;
    }
    ack();
  }
}
