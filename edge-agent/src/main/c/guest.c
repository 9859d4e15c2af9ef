/* guest.c - the execute half: plug ports, write the control page, kick, wait
 * for the ack; pause/unpause, checkpoint/restore, handlers. One guest per call. */
#include "noxs_internal.h"
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>

static long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static int dead_error(noxs_shell_t *s, const char *when, noxs_error_t *err) {
  char what[128];
  if (nx_cg_limit_hit(s->slot, what, sizeof what))
    return nx_fail(err, NOXS_E_CAPACITY, "guest died %s: %s", when, what);
  return nx_fail(err, ECHILD, "guest died %s", when);
}

int nx_fds(noxs_shell_t *s, noxs_error_t *err) {
  int want[3] = {3, 4, 5};
  int *have[3] = {&s->page_fd, &s->kick_fd, &s->ack_fd};
  for (int i = 0; i < 3; i++) {
    if (*have[i] >= 0) continue;
    *have[i] = (int) syscall(SYS_pidfd_getfd, s->pidfd, want[i], 0);
    if (*have[i] < 0) return nx_fail(err, errno == ESRCH ? ECHILD : errno, "take guest fd %d back", want[i]);
  }
  return 0;
}

void nx_trim(noxs_shell_t *s) {
  if (!s->trim) return;
  int *fds[3] = {&s->page_fd, &s->kick_fd, &s->ack_fd};
  for (int i = 0; i < 3; i++)
    if (*fds[i] >= 0) {
      close(*fds[i]);
      *fds[i] = -1;
    }
  nx_nl_close(s->guest_nl);
  s->guest_nl = NULL;
}

int nx_request(noxs_shell_t *s, uint32_t sysctl, int timeout_ms, noxs_error_t *err) {
  struct noxs_page_hdr *h = s->hdr;
  if (nx_fds(s, err) < 0) return -1;
  __atomic_store_n(&h->sysctl, sysctl, __ATOMIC_RELEASE);
  uint32_t seq = __atomic_add_fetch(&h->sysctl_seq, 1, __ATOMIC_SEQ_CST);
  uint64_t one = 1;
  if (write(s->kick_fd, &one, sizeof one) != sizeof one) return nx_fail(err, errno, "kick");
  long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 5000);
  struct pollfd pf[2] = {{s->ack_fd, POLLIN, 0}, {s->pidfd, POLLIN, 0}};
  for (;;) {
    if (__atomic_load_n(&h->ack_seq, __ATOMIC_ACQUIRE) == seq) {
      /* a runtime that announces PREPARED by copying sysctl_seq must not end a boot */
      uint32_t st = __atomic_load_n(&h->state, __ATOMIC_ACQUIRE);
      int booting = sysctl == NOXS_SYSCTL_BOOT || sysctl == NOXS_SYSCTL_RESTORE;
      if (!booting || (st != NOXS_STATE_EMPTY && st != NOXS_STATE_PREPARED && st != NOXS_STATE_BOOTING))
        return 0;
    }
    long left = deadline - now_ms();
    if (left <= 0) return nx_fail(err, ETIMEDOUT, "no answer from the guest (request %u)", sysctl);
    int pr = poll(pf, 2, (int) left);
    if (pr < 0 && errno != EINTR) return nx_fail(err, errno, "poll");
    if (pr > 0 && (pf[0].revents & POLLIN)) {
      uint64_t v;
      (void) !read(s->ack_fd, &v, sizeof v);
      continue;
    }
    if (pr > 0 && (pf[1].revents & POLLIN)) {
      if (__atomic_load_n(&h->ack_seq, __ATOMIC_ACQUIRE) == seq) return 0;
      return dead_error(s, "while handling the request", err);
    }
  }
}

int noxs_shell_port_attach(noxs_shell_t *s, int idx, const char *name, const char *mac,
                           const char *bridge, const char *xconnect, noxs_error_t *err) {
  nx_clear(err);
  if (idx < 0 || idx >= s->nports) return nx_fail(err, EINVAL, "port %d: shell has %d ports", idx, s->nports);
  if (!name || !*name || strlen(name) >= NOXS_NAME_LEN)
    return nx_fail(err, EINVAL, "port %d: name must be 1-%d chars", idx, NOXS_NAME_LEN - 1);
  if (bridge && xconnect) return nx_fail(err, EINVAL, "port `%s`: bridge and xconnect are exclusive", name);
  uint8_t m[6];
  if (mac && *mac) {
    if (nx_parse_mac(mac, m) < 0) return nx_fail(err, EINVAL, "port `%s`: bad MAC `%s`", name, mac);
  } else { /* locally administered, derived from slot and port */
    nx_default_mac(s->slot, idx, m);
  }
  char host[16], guest[16];
  nx_host_ifname(host, s->slot, idx);
  snprintf(guest, sizeof guest, "eth%d", idx);
  int master = 0;
  int have_xbr = !!(s->xbr & (1u << idx));
  if (have_xbr || ((s->guest_ready >> idx) & 1)) {
    /* prepared ahead: at most one host-side batch (and the guest end only for another MAC) */
    const char *names[2];
    int ups[2], masters[2], n = 0;
    int pre = s->pre_master[idx];
    if (bridge && *bridge) {
      char cur[16];
      /* joined at prepare: still so if that ifindex is still this bridge (a bridge deleted
       * and made again gets a new index, and deleting it released its ports) */
      if (pre > 0 && strcmp(bridge, s->pre_bridge[idx]) == 0 && nx_ifname(pre, cur) == 0 && strcmp(cur, bridge) == 0)
        master = pre;
      else
        master = nx_ifindex(bridge);
      if (master <= 0) return nx_fail(err, ENODEV, "port `%s`: bridge `%s`", name, bridge);
    } else if (xconnect && *xconnect) {
      if (nx_ifindex(xconnect) <= 0) return nx_fail(err, ENODEV, "port `%s`: xconnect interface `%s`", name, xconnect);
      if (have_xbr) {
        master = s->xbr_index[idx];
      } else {
        char br[16];
        nx_xbr_ifname(br, s->slot, idx);
        master = nx_nl_bridge_create(br, err);
        if (master < 0) return nx_wrap(err, "port `%s`", name);
      }
      names[n] = xconnect; ups[n] = 1; masters[n] = master; n++;
    } else if (have_xbr || pre > 0) {
      master = -1; /* unattached: out of its spare cross-connect bridge or its prepare-time bridge */
    }
    if (!((s->guest_ready >> idx) & 1) || memcmp(m, s->mac[idx], 6) != 0) {
      if (!s->guest_nl && !(s->guest_nl = nx_nl_open_ports(s->pidfd, err))) return nx_wrap(err, "port `%s`", name);
      if (nx_nl_link_set(s->guest_nl, guest, 1, m, 0, err) < 0) return nx_wrap(err, "port `%s` guest end", name);
    }
    int host_up = (s->host_up >> idx) & 1;
    int in_place = host_up && master > 0 && ((have_xbr && master == s->xbr_index[idx]) || master == pre);
    if (!in_place) { /* else: already up in it */
      names[n] = host; ups[n] = 1; masters[n] = master; n++;
    }
    if (nx_nl_links_set(n, names, ups, masters, err) < 0) return nx_wrap(err, "port `%s`", name);
    /* a host end that joined its bridge at prepare gets no flooding until now (shell.c);
     * also after an agent restart, when that is no longer known */
    if (bridge && *bridge && (pre > 0 || s->adopted) && nx_nl_brport_flood(host, 1, err) < 0)
      return nx_wrap(err, "port `%s`", name);
    if (bridge && *bridge) { /* where the host end is now */
      s->pre_master[idx] = master;
      snprintf(s->pre_bridge[idx], sizeof s->pre_bridge[idx], "%s", bridge);
    } else {
      s->pre_master[idx] = 0;
    }
    if (host_up) goto dev; /* both ends' carrier was on and settled at prepare: no link-watch */
    goto sync;
  }
  if (bridge && *bridge) {
    master = nx_ifindex(bridge);
    if (master <= 0) return nx_fail(err, ENODEV, "port `%s`: bridge `%s`", name, bridge);
  } else if (xconnect && *xconnect) {
    /* cross-connect: a two-port bridge holding the host end and the named interface */
    int x = nx_ifindex(xconnect);
    if (x <= 0) return nx_fail(err, ENODEV, "port `%s`: xconnect interface `%s`", name, xconnect);
    char br[16];
    nx_xbr_ifname(br, s->slot, idx);
    master = nx_nl_bridge_create(br, err);
    if (master < 0) return nx_wrap(err, "port `%s`", name);
    if (nx_nl_link_set(NULL, xconnect, 1, NULL, master, err) < 0) return nx_wrap(err, "port `%s`", name);
  }
  if (!s->guest_nl && !(s->guest_nl = nx_nl_open_ports(s->pidfd, err))) return nx_wrap(err, "port `%s`", name);
  if (nx_nl_link_set(s->guest_nl, guest, 1, m, 0, err) < 0) return nx_wrap(err, "port `%s` guest end", name);
  if (nx_nl_link_set(NULL, host, 1, NULL, master, err) < 0) return nx_wrap(err, "port `%s` host end", name);
  if (bridge && *bridge && s->adopted && nx_nl_brport_flood(host, 1, err) < 0) return nx_wrap(err, "port `%s`", name);
sync:;
  /* Bringing the host end up turned both ends' carrier on; until the kernel's link-watch
   * has run for them the guest end has no qdisc (drops) and the bridge keeps the host end
   * disabled. Run it now rather than wait behind the node's backlog (nx_nl_links_sync). */
  {
    const char *hs[1] = {host}, *gs[1] = {guest};
    if (nx_nl_links_sync(NULL, 1, hs, err) < 0) return nx_wrap(err, "port `%s` host end", name);
    if (!s->guest_nl && !(s->guest_nl = nx_nl_open_ports(s->pidfd, err))) return nx_wrap(err, "port `%s`", name);
    if (nx_nl_links_sync(s->guest_nl, 1, gs, err) < 0) return nx_wrap(err, "port `%s` guest end", name);
  }
dev:;
  struct noxs_dev *d = &s->hdr->devs[idx];
  memset(d, 0, sizeof *d);
  d->type = NOXS_DEV_NET;
  d->flags = NOXS_DEV_F_UP;
  memcpy(d->name, name, strlen(name));
  memcpy(d->ifname, guest, strlen(guest));
  memcpy(d->mac, m, 6);
  if (s->hdr->ndev < (uint32_t) idx + 1) s->hdr->ndev = idx + 1;
  return 0;
}

static int write_config(noxs_shell_t *s, const char *guest_id, uint64_t generation,
                        const char *config, noxs_error_t *err) {
  if (!guest_id || strlen(guest_id) >= NOXS_GUEST_ID_LEN)
    return nx_fail(err, EINVAL, "guest id must be 1-%d chars", NOXS_GUEST_ID_LEN - 1);
  size_t len = config ? strlen(config) : 0;
  if (len >= NOXS_CONFIG_SIZE) return nx_fail(err, EINVAL, "config: %zu bytes, limit %u", len, NOXS_CONFIG_SIZE - 1);
  int st = noxs_shell_state(s);
  if (st != NOXS_STATE_PREPARED && st != NOXS_STATE_EMPTY)
    return nx_fail(err, EBUSY, "shell is not prepared (state %d)", st);
  struct noxs_page_hdr *h = s->hdr;
  memset(h->guest_id, 0, sizeof h->guest_id);
  strcpy(h->guest_id, guest_id);
  h->generation = generation;
  memcpy((char *) h + NOXS_CONFIG_OFF, config ? config : "", len);
  ((char *) h)[NOXS_CONFIG_OFF + len] = '\0';
  h->config_len = (uint32_t) len;
  h->result_len = 0;
  h->result_code = 0;
  h->result_line = 0;
  return 0;
}

static int check_running(noxs_shell_t *s, noxs_error_t *err) {
  int st = noxs_shell_state(s);
  if (st == NOXS_STATE_RUNNING) return 0;
  if (st == NOXS_STATE_FAILED) {
    char text[NOXS_RESULT_SIZE + 1];
    noxs_guest_result(s, text, sizeof text);
    return nx_fail(err, NOXS_E_REJECTED, "%s", text[0] ? text : "guest rejected the configuration");
  }
  return nx_fail(err, EPROTO, "guest answered with state %d, not RUNNING", st);
}

int noxs_guest_boot(noxs_shell_t *s, const char *guest_id, uint64_t generation,
                    const char *config, int timeout_ms, noxs_error_t *err) {
  nx_clear(err);
  if (write_config(s, guest_id, generation, config, err) < 0) return nx_wrap(err, "boot");
  s->hdr->bulk_len = 0;
  if (nx_request(s, NOXS_SYSCTL_BOOT, timeout_ms, err) < 0) return nx_wrap(err, "boot `%s`", guest_id);
  if (check_running(s, err) < 0) return nx_wrap(err, "boot `%s`", guest_id);
  s->trim = 1;
  nx_trim(s);
  return 0;
}

int noxs_guest_restore(noxs_shell_t *s, const char *guest_id, uint64_t generation,
                       const char *config, const uint8_t *blob, int64_t blob_len,
                       int timeout_ms, noxs_error_t *err) {
  nx_clear(err);
  if (blob_len < 0 || (uint64_t) blob_len > NOXS_BULK_MAX)
    return nx_fail(err, EINVAL, "restore: checkpoint of %lld bytes (limit %u)", (long long) blob_len, NOXS_BULK_MAX);
  if (write_config(s, guest_id, generation, config, err) < 0) return nx_wrap(err, "restore");
  if (nx_fds(s, err) < 0) return nx_wrap(err, "restore");
  if (ftruncate(s->page_fd, NOXS_BULK_OFF + blob_len) < 0) return nx_fail(err, errno, "restore: size bulk area");
  int64_t off = 0;
  while (off < blob_len) {
    ssize_t n = pwrite(s->page_fd, blob + off, blob_len - off, NOXS_BULK_OFF + off);
    if (n <= 0) return nx_fail(err, errno, "restore: write bulk area");
    off += n;
  }
  s->hdr->bulk_len = (uint64_t) blob_len;
  if (nx_request(s, NOXS_SYSCTL_RESTORE, timeout_ms, err) < 0) return nx_wrap(err, "restore `%s`", guest_id);
  if (check_running(s, err) < 0) return nx_wrap(err, "restore `%s`", guest_id);
  s->trim = 1;
  nx_trim(s);
  return 0;
}

int noxs_guest_import(noxs_shell_t *s, const uint8_t *blob, int64_t blob_len, int timeout_ms,
                      noxs_error_t *err) {
  nx_clear(err);
  if (blob_len < 16 || (uint64_t) blob_len > NOXS_BULK_MAX)
    return nx_fail(err, EINVAL, "import: checkpoint of %lld bytes (16..%u)", (long long) blob_len, NOXS_BULK_MAX);
  int st = noxs_shell_state(s);
  if (st != NOXS_STATE_RUNNING) return nx_fail(err, EBUSY, "import: guest is not running (state %d)", st);
  if (nx_fds(s, err) < 0) return nx_wrap(err, "import");
  if (ftruncate(s->page_fd, NOXS_BULK_OFF + blob_len) < 0) {
    nx_fail(err, errno, "import: size bulk area");
    nx_trim(s);
    return -1;
  }
  int64_t off = 0;
  while (off < blob_len) {
    ssize_t n = pwrite(s->page_fd, blob + off, blob_len - off, NOXS_BULK_OFF + off);
    if (n <= 0) {
      nx_fail(err, n < 0 ? errno : EIO, "import: write bulk area");
      nx_trim(s);
      return -1;
    }
    off += n;
  }
  s->hdr->bulk_len = (uint64_t) blob_len;
  s->hdr->result_len = 0;
  s->hdr->result_code = 0;
  int rc = nx_request(s, NOXS_SYSCTL_IMPORT, timeout_ms, err);
  nx_trim(s);
  if (rc < 0) return nx_wrap(err, "import");
  if (s->hdr->result_code != 0) {
    char text[NOXS_RESULT_SIZE + 1];
    noxs_guest_result(s, text, sizeof text);
    return nx_fail(err, NOXS_E_REJECTED, "import: %s", text[0] ? text : "the guest refused the checkpoint");
  }
  return 0;
}

int64_t noxs_guest_checkpoint(noxs_shell_t *s, int timeout_ms, noxs_error_t *err) {
  nx_clear(err);
  int st = noxs_shell_state(s);
  if (st != NOXS_STATE_RUNNING) return nx_fail(err, EBUSY, "checkpoint: guest is not running (state %d)", st);
  int rc = nx_request(s, NOXS_SYSCTL_CHECKPOINT, timeout_ms, err);
  nx_trim(s);
  if (rc < 0) return nx_wrap(err, "checkpoint");
  st = noxs_shell_state(s);
  if (st != NOXS_STATE_CHECKPOINTED) {
    char text[NOXS_RESULT_SIZE + 1];
    noxs_guest_result(s, text, sizeof text);
    return nx_fail(err, EPROTO, "checkpoint: guest state %d: %s", st, text);
  }
  return (int64_t) s->hdr->bulk_len;
}

int64_t noxs_guest_read_bulk(noxs_shell_t *s, uint8_t *buf, int64_t len, noxs_error_t *err) {
  nx_clear(err);
  int64_t want = (int64_t) s->hdr->bulk_len;
  if (want > len) want = len;
  if (nx_fds(s, err) < 0) return nx_wrap(err, "read bulk area");
  int64_t off = 0;
  while (off < want) {
    ssize_t n = pread(s->page_fd, buf + off, want - off, NOXS_BULK_OFF + off);
    if (n <= 0) {
      nx_fail(err, n < 0 ? errno : EIO, "read bulk area");
      nx_trim(s);
      return -1;
    }
    off += n;
  }
  nx_trim(s);
  return off;
}

int noxs_guest_resume(noxs_shell_t *s, int timeout_ms, noxs_error_t *err) {
  nx_clear(err);
  int st = noxs_shell_state(s);
  if (st != NOXS_STATE_CHECKPOINTED) return nx_fail(err, EBUSY, "resume: guest is not checkpointed (state %d)", st);
  int rc = nx_request(s, NOXS_SYSCTL_RESUME, timeout_ms, err);
  nx_trim(s);
  if (rc < 0) return nx_wrap(err, "resume");
  return check_running(s, err) < 0 ? nx_wrap(err, "resume") : 0;
}

int noxs_guest_pause(noxs_shell_t *s, noxs_error_t *err) {
  nx_clear(err);
  if (nx_cg_freeze(s->slot, 1, err) < 0) return nx_wrap(err, "pause");
  return 0;
}

int noxs_guest_unpause(noxs_shell_t *s, noxs_error_t *err) {
  nx_clear(err);
  if (nx_cg_freeze(s->slot, 0, err) < 0) return nx_wrap(err, "unpause");
  return 0;
}

int noxs_guest_write_handler(noxs_shell_t *s, const char *handler, const char *value,
                             int timeout_ms, noxs_error_t *err) {
  nx_clear(err);
  if (!handler || !strchr(handler, '.')) return nx_fail(err, EINVAL, "handler `%s`: expected element.handler", handler ? handler : "");
  size_t hl = strlen(handler), vl = value ? strlen(value) : 0;
  if (hl + 1 + vl >= NOXS_HANDLER_SIZE) return nx_fail(err, EINVAL, "handler request too long");
  char *area = (char *) s->hdr + NOXS_HANDLER_OFF;
  memcpy(area, handler, hl);
  area[hl] = '\n';
  memcpy(area + hl + 1, value ? value : "", vl);
  area[hl + 1 + vl] = '\0';
  s->hdr->handler_len = (uint32_t) (hl + 1 + vl);
  s->hdr->result_len = 0;
  s->hdr->result_code = 0;
  int rc = nx_request(s, NOXS_SYSCTL_WRITE_HANDLER, timeout_ms, err);
  nx_trim(s);
  if (rc < 0) return nx_wrap(err, "write handler `%s`", handler);
  if (s->hdr->result_code != 0) {
    char text[NOXS_RESULT_SIZE + 1];
    noxs_guest_result(s, text, sizeof text);
    return nx_fail(err, EINVAL, "write handler `%s`: %s", handler, text);
  }
  return 0;
}

int noxs_guest_read_stats(noxs_shell_t *s, char *buf, int len, int timeout_ms, noxs_error_t *err) {
  nx_clear(err);
  if (len <= 0) return nx_fail(err, EINVAL, "stats buffer");
  if (noxs_shell_state(s) == NOXS_STATE_RUNNING && timeout_ms > 0) {
    int rc = nx_request(s, NOXS_SYSCTL_STATS, timeout_ms, err);
    nx_trim(s);
    if (rc < 0) return nx_wrap(err, "stats");
  }
  const char *area = (const char *) s->hdr + NOXS_STATS_OFF;
  for (int tries = 0; tries < 1000; tries++) { /* seqlock read */
    uint32_t a = __atomic_load_n(&s->hdr->stats_seq, __ATOMIC_ACQUIRE);
    if (a & 1) continue;
    uint32_t n = s->hdr->stats_len;
    if (n > NOXS_STATS_SIZE) n = NOXS_STATS_SIZE;
    if ((int) n >= len) n = len - 1;
    memcpy(buf, area, n);
    buf[n] = '\0';
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (__atomic_load_n(&s->hdr->stats_seq, __ATOMIC_ACQUIRE) == a) return (int) n;
  }
  return nx_fail(err, EAGAIN, "stats area kept changing");
}

int noxs_guest_result(noxs_shell_t *s, char *buf, int len) {
  if (len <= 0) return 0;
  uint32_t n = s->hdr->result_len;
  if (n > NOXS_RESULT_SIZE) n = NOXS_RESULT_SIZE;
  if ((int) n >= len) n = len - 1;
  memcpy(buf, (const char *) s->hdr + NOXS_RESULT_OFF, n);
  buf[n] = '\0';
  return (int) n;
}

/* ---- exit watch ---- */
int noxs_watch_create(noxs_error_t *err) {
  nx_clear(err);
  int fd = epoll_create1(EPOLL_CLOEXEC);
  return fd < 0 ? nx_fail(err, errno, "epoll_create") : fd;
}

int noxs_watch_add(int watch_fd, noxs_shell_t *s, int64_t token, noxs_error_t *err) {
  nx_clear(err);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = (uint64_t) token};
  if (epoll_ctl(watch_fd, EPOLL_CTL_ADD, s->pidfd, &ev) < 0) return nx_fail(err, errno, "watch guest %d", s->pid);
  return 0;
}

int noxs_watch_del(int watch_fd, noxs_shell_t *s) {
  return epoll_ctl(watch_fd, EPOLL_CTL_DEL, s->pidfd, NULL);
}

int noxs_watch_wait(int watch_fd, int64_t *tokens, int max, int timeout_ms, noxs_error_t *err) {
  nx_clear(err);
  struct epoll_event ev[64];
  if (max > 64) max = 64;
  int n = epoll_wait(watch_fd, ev, max, timeout_ms);
  if (n < 0) {
    if (errno == EINTR) return 0;
    return nx_fail(err, errno, "epoll_wait");
  }
  for (int i = 0; i < n; i++) tokens[i] = (int64_t) ev[i].data.u64;
  return n;
}

void noxs_watch_close(int watch_fd) {
  if (watch_fd >= 0) close(watch_fd);
}
