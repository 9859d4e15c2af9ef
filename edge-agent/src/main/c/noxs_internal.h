/* noxs_internal.h - private to libnoxs (hidden by libnoxs.lds). */
#ifndef NOXS_INTERNAL_H
#define NOXS_INTERNAL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/types.h>

#include "noxs.h"
#include "noxs_page.h"

/* ---- cleanup attributes (crun style) ---- */
static inline void noxs_cleanup_fdp(int *fd) {
  if (*fd >= 0) close(*fd);
}
static inline void noxs_cleanup_freep(void *p) {
  free(*(void **) p);
}
#define cleanup_fd __attribute__((cleanup(noxs_cleanup_fdp)))
#define cleanup_free __attribute__((cleanup(noxs_cleanup_freep)))

/* ---- errors (error.c) ---- */
/* Sets err from errno_value + printf message (": strerror" appended when errno_value
 * is a real errno); returns -1. */
int nx_fail(noxs_error_t *err, int errno_value, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes the existing message with "context: "; returns -1. */
int nx_wrap(noxs_error_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void nx_clear(noxs_error_t *err);

/* ---- host state (shell.c) ---- */
struct nx_host {
  int initialised;
  int cgroup_v2;            /* 0: v1 controllers, 1: v2 unified                  */
  char cg_v2_base[256];     /* v2 mount point (".../unified" or "/sys/fs/cgroup") */
  int userns;               /* user namespace per guest                          */
  int keep_stderr;
  char root_dir[256];       /* guests' root: holds only "clickos"                 */
  int host_netns_fd;        /* to come back after setns into a guest netns       */
  int park_netns_fd;        /* where guest processes live (-1: each in its own)  */
  int cap_last;
};
extern struct nx_host nx_host;

/* ---- cgroups (cgroup.c) ---- */
int nx_cg_init(noxs_error_t *err);
int nx_cg_create(const char *slot, int64_t memory_bytes, int cpu_weight, int pids_max,
                 noxs_error_t *err);
int nx_cg_attach(const char *slot, pid_t pid, noxs_error_t *err);
int nx_cg_freeze(const char *slot, int freeze, noxs_error_t *err);
int nx_cg_remove(const char *slot, noxs_error_t *err);
/* 1 if the memory or pids limit of slot was hit (failcnt / events), else 0 */
int nx_cg_limit_hit(const char *slot, char *what, size_t len);
int nx_write_file(const char *path, const char *data, noxs_error_t *err);
int nx_read_file(const char *path, char *buf, size_t len, noxs_error_t *err);

/* ---- rtnetlink (netlink.c) ---- */
/* veth host_name <-> peer_name (in netns of pid), peer down; returns host ifindex */
int nx_nl_veth_create(const char *host_name, const char *peer_name, pid_t netns_pid,
                      noxs_error_t *err);
/* set link (by name) up/down, optional MAC (6 bytes or NULL), optional master ifindex
 * (0: leave, -1: none) */
int nx_nl_link_set(void *guest_sock, const char *name, int up, const uint8_t *mac,
                   int master, noxs_error_t *err);
/* a netlink socket that lives in the netns of pidfd (kept per shell: no setns at boot) */
void *nx_nl_open_in(int pidfd, noxs_error_t *err);
/* the same for the netns of a guest's ports, also once the guest has parked (netlink.c) */
void *nx_nl_open_ports(int pidfd, noxs_error_t *err);
void nx_nl_close(void *nl);
int nx_nl_ipv6_quiet(void *guest_sock, const char *name, noxs_error_t *err);
int nx_nl_bridge_create(const char *name, noxs_error_t *err);
/* the same, created down (prepare: IPv6 is turned off before it comes up) */
int nx_nl_bridge_create_down(const char *name, noxs_error_t *err);
/* bridge port `name`: broadcast and multicast flooding to it on or off (AF_BRIDGE
 * RTM_SETLINK, IFLA_BRPORT_BCAST_FLOOD / IFLA_BRPORT_MCAST_FLOOD) */
int nx_nl_brport_flood(const char *name, int on, noxs_error_t *err);
/* n RTM_NEWLINK requests (name, up, master as in nx_nl_link_set, no MAC) sent in one
 * sendmsg on the host socket; waits for all n acks; the first error wins */
int nx_nl_links_set(int n, const char *const names[], const int ups[], const int masters[],
                    noxs_error_t *err);
/* delete by name; a missing link is not an error (returns 0) */
/* RTM_GETLINK of n links (guest_sock or the host netns) in one send: runs their pending
 * link-watch events now (see netlink.c) */
int nx_nl_links_sync(void *guest_sock, int n, const char *const names[], noxs_error_t *err);
int nx_nl_link_del(const char *name, noxs_error_t *err);
int nx_ifindex(const char *name);
/* the name of interface `index` (SIOCGIFNAME); 0, or -1 if there is none */
int nx_ifname(int index, char out[16]);
int nx_tx_csum_off(const char *name, noxs_error_t *err);
int nx_parse_mac(const char *s, uint8_t mac[6]);

/* ---- names ---- */
int nx_slot_valid(const char *slot);
void nx_host_ifname(char out[16], const char *slot, int idx);
void nx_xbr_ifname(char out[16], const char *slot, int idx);
/* the MAC a port gets when the spec names none: locally administered, from slot + idx */
void nx_default_mac(const char *slot, int idx, uint8_t m[6]);

struct noxs_shell {
  char slot[12];
  pid_t pid;
  int pidfd;
  int page_fd;
  int kick_fd;
  int ack_fd;
  struct noxs_page_hdr *hdr;   /* mmap of NOXS_PAGE_SIZE */
  int nports;
  int is_child;                /* we may waitid() it */
  uint64_t start_time;
  void *guest_nl;              /* rtnetlink socket in the guest's netns */
  int trim;                    /* running guest: hold only the pidfd between requests */
  /* prepared ahead (noxs_shell_prepare_x): guest end i up with mac[i] (guest_ready bit i);
   * host end i up, carrier settled (host_up bit i), and enslaved to its own cross-connect
   * bridge mb<slot>x<i> (xbr bit i) */
  uint32_t guest_ready;
  uint32_t host_up;
  uint32_t xbr;
  int xbr_index[NOXS_MAX_DEVS];
  uint8_t mac[NOXS_MAX_DEVS][6];
  /* prepared ahead (noxs_shell_prepare_b): host end i already enslaved to the bridge
   * pre_bridge[i] (ifindex pre_master[i]); 0: not enslaved at prepare */
  int pre_master[NOXS_MAX_DEVS];
  int adopted;                 /* noxs_shell_adopt: what prepare did is not known */
  char pre_bridge[NOXS_MAX_DEVS][16];
};
/* a booted guest keeps only its pidfd open (the agent may not raise RLIMIT_NOFILE past
 * 20000 here, and 8000 guests x 5 fds would not fit); page, kick and ack fds are taken
 * back from the guest's fds 3, 4, 5 with pidfd_getfd for each request */
int nx_fds(noxs_shell_t *s, noxs_error_t *err);
void nx_trim(noxs_shell_t *s);

int nx_request(noxs_shell_t *s, uint32_t sysctl, int timeout_ms, noxs_error_t *err);
int nx_proc_start_time(pid_t pid, uint64_t *out);

#endif
