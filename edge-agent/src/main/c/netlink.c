/* netlink.c - rtnetlink through libmnl: veth pairs, link up/down/MAC/master,
 * bridges. Every request names one interface (by name or ifindex); nothing
 * dumps or lists links. No `ip`, `tc` or `brctl` anywhere. */
#include "noxs_internal.h"
#include <net/if.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>

static __thread struct mnl_socket *tl_host_nl; /* one per calling thread, host netns */
static __thread unsigned tl_seq;

static struct mnl_socket *nl_open(noxs_error_t *err) {
  struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (!nl) {
    nx_fail(err, errno, "netlink socket");
    return NULL;
  }
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    nx_fail(err, errno, "netlink bind");
    mnl_socket_close(nl);
    return NULL;
  }
  return nl;
}

static struct mnl_socket *host_nl(noxs_error_t *err) {
  if (!tl_host_nl) tl_host_nl = nl_open(err);
  if (!tl_seq) tl_seq = (unsigned) time(NULL);
  return tl_host_nl;
}

/* sends nlh and waits for the ack; returns 0 or -1 with err (errno from the kernel) */
static int nl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh, noxs_error_t *err) {
  char buf[8192];
  nlh->nlmsg_flags |= NLM_F_ACK;
  nlh->nlmsg_seq = ++tl_seq;
  unsigned portid = mnl_socket_get_portid(nl);
  if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) return nx_fail(err, errno, "netlink send");
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof buf);
    if (n < 0) return nx_fail(err, errno, "netlink recv");
    int rc = mnl_cb_run(buf, n, nlh->nlmsg_seq, portid, NULL, NULL);
    if (rc < 0) return nx_fail(err, errno, "rtnetlink");
    if (rc == MNL_CB_STOP) return 0;
  }
}

/* SIOCGIFINDEX / SIOCGIFNAME on the thread's rtnetlink socket (an ioctl the socket family
 * does not know falls through to dev_ioctl), not if_nametoindex's socket per call */
int nx_ifindex(const char *name) {
  noxs_error_t e;
  struct mnl_socket *nl = host_nl(&e);
  if (!nl || strlen(name) >= IFNAMSIZ) return (int) if_nametoindex(name);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, name, strlen(name));
  if (ioctl(mnl_socket_get_fd(nl), SIOCGIFINDEX, &ifr) < 0) return 0;
  return ifr.ifr_ifindex;
}

int nx_ifname(int index, char out[16]) {
  noxs_error_t e;
  struct mnl_socket *nl = host_nl(&e);
  if (!nl) return if_indextoname((unsigned) index, out) ? 0 : -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_ifindex = index;
  if (ioctl(mnl_socket_get_fd(nl), SIOCGIFNAME, &ifr) < 0) return -1;
  memcpy(out, ifr.ifr_name, 16);
  out[15] = '\0';
  return 0;
}

int nx_parse_mac(const char *s, uint8_t mac[6]) {
  unsigned v[6];
  char extra;
  if (!s || sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &extra) != 6)
    return -1;
  for (int i = 0; i < 6; i++) {
    if (v[i] > 255) return -1;
    mac[i] = (uint8_t) v[i];
  }
  return 0;
}

int nx_nl_veth_create(const char *host_name, const char *peer_name, pid_t netns_pid,
                      noxs_error_t *err) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct mnl_socket *nl = host_nl(err);
  if (!nl) return -1;
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
  struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof *ifm);
  ifm->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, host_name);
  struct nlattr *linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
  struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  struct nlattr *peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
  struct ifinfomsg *pifm = mnl_nlmsg_put_extra_header(nlh, sizeof *pifm);
  memset(pifm, 0, sizeof *pifm);
  pifm->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, peer_name);
  mnl_attr_put_u32(nlh, IFLA_NET_NS_PID, (uint32_t) netns_pid);
  mnl_attr_nest_end(nlh, peer);
  mnl_attr_nest_end(nlh, data);
  mnl_attr_nest_end(nlh, linkinfo);
  if (nl_talk(nl, nlh, err) < 0) return nx_wrap(err, "create veth `%s`", host_name);
  int idx = nx_ifindex(host_name);
  if (idx <= 0) return nx_fail(err, errno, "ifindex of `%s`", host_name);
  return idx;
}

/* netlink socket inside the network namespace of pidfd (setns there and back) */
void *nx_nl_open_in(int pidfd, noxs_error_t *err) {
  if (setns(pidfd, CLONE_NEWNET) < 0) {
    nx_fail(err, errno, "setns into the guest netns");
    return NULL;
  }
  struct mnl_socket *nl = nl_open(err);
  if (setns(nx_host.host_netns_fd, CLONE_NEWNET) < 0) {
    /* cannot happen unless the host netns fd is broken; keep the thread usable */
    nx_fail(err, errno, "setns back to the host netns");
    if (nl) mnl_socket_close(nl);
    abort();
  }
  return nl;
}

/* netlink socket in the netns of a guest's ports. A parked guest (shell.c) lives in the
 * park netns, so setns(pidfd) would land there: the ports' netns is found through the
 * guest's port socket instead (fd 7, taken with pidfd_getfd; SIOCGSKNS gives its netns). */
void *nx_nl_open_ports(int pidfd, noxs_error_t *err) {
  int sfd = (int) syscall(SYS_pidfd_getfd, pidfd, 7, 0);
  int nsfd = sfd >= 0 ? ioctl(sfd, SIOCGSKNS) : -1;
  if (sfd >= 0) close(sfd);
  if (nsfd < 0) return nx_nl_open_in(pidfd, err); /* not parked: its own netns */
  if (setns(nsfd, CLONE_NEWNET) < 0) {
    nx_fail(err, errno, "setns into the guest's port netns");
    close(nsfd);
    return NULL;
  }
  close(nsfd);
  struct mnl_socket *nl = nl_open(err);
  if (setns(nx_host.host_netns_fd, CLONE_NEWNET) < 0) abort(); /* as in nx_nl_open_in */
  return nl;
}

/* IPv6 address generation off on a link that is still down: when it comes up it gets
 * no link-local address, so it sends no DAD / router solicitation that a shared bridge
 * would flood to every guest on it (a per-boot cost growing with the node's size).
 * Must be a separate, earlier request: in one RTM_NEWLINK the kernel applies IFF_UP
 * before IFLA_AF_SPEC. */
int nx_nl_ipv6_quiet(void *guest_sock, const char *name, noxs_error_t *err) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct mnl_socket *nl = guest_sock ? guest_sock : host_nl(err);
  if (!nl) return nx_wrap(err, "link `%s`", name);
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof *ifm);
  ifm->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
  struct nlattr *af = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
  struct nlattr *in6 = mnl_attr_nest_start(nlh, AF_INET6);
  mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
  mnl_attr_nest_end(nlh, in6);
  mnl_attr_nest_end(nlh, af);
  if (nl_talk(nl, nlh, err) < 0) return nx_wrap(err, "ipv6 address generation off on `%s`", name);
  return 0;
}

void nx_nl_close(void *nl) {
  if (nl) mnl_socket_close(nl);
}

int nx_nl_link_set(void *guest_sock, const char *name, int up, const uint8_t *mac, int master,
                   noxs_error_t *err) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct mnl_socket *nl = guest_sock ? guest_sock : host_nl(err);
  if (!nl) return nx_wrap(err, "link `%s`", name);
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof *ifm);
  ifm->ifi_family = AF_UNSPEC;
  ifm->ifi_change = IFF_UP;
  ifm->ifi_flags = up ? IFF_UP : 0;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
  if (mac) mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
  if (master > 0) mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t) master);
  if (master < 0) mnl_attr_put_u32(nlh, IFLA_MASTER, 0);
  int rc = nl_talk(nl, nlh, err);
  if (rc < 0) return nx_wrap(err, "set link `%s`", name);
  return 0;
}

static int bridge_create(const char *name, int up, noxs_error_t *err);
int nx_nl_bridge_create(const char *name, noxs_error_t *err) {
  return bridge_create(name, 1, err);
}
int nx_nl_bridge_create_down(const char *name, noxs_error_t *err) {
  return bridge_create(name, 0, err);
}

/* sends n requests (sequence numbers first..first+n-1, NLM_F_ACK) in one sendmsg and reads
 * until all n are acked; other answers (a GETLINK's RTM_NEWLINK) are skipped; the first
 * error wins and names its link */
static int send_batch(struct mnl_socket *nl, const char *buf, size_t len, unsigned first, int n,
                      const char *const names[], const char *verb, noxs_error_t *err) {
  char rbuf[32768];
  if (mnl_socket_sendto(nl, buf, len) < 0) return nx_fail(err, errno, "netlink send");
  int acked = 0, failed = 0, bad = -1;
  while (acked < n) {
    ssize_t r = mnl_socket_recvfrom(nl, rbuf, sizeof rbuf);
    if (r < 0) return nx_fail(err, errno, "netlink recv");
    int rem = (int) r;
    for (struct nlmsghdr *h = (struct nlmsghdr *) rbuf; mnl_nlmsg_ok(h, rem);
         h = mnl_nlmsg_next(h, &rem)) {
      if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq < first || h->nlmsg_seq >= first + (unsigned) n)
        continue;
      const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
      acked++;
      if (e->error != 0 && !failed) {
        failed = -e->error;
        bad = (int) (h->nlmsg_seq - first);
      }
    }
  }
  if (failed) return nx_fail(err, failed, "%s link `%s`", verb, names[bad]);
  return 0;
}

int nx_nl_links_set(int n, const char *const names[], const int ups[], const int masters[],
                    noxs_error_t *err) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  if (n <= 0) return 0;
  if (n > 16) return nx_fail(err, EINVAL, "links set: %d requests (max 16)", n);
  struct mnl_socket *nl = host_nl(err);
  if (!nl) return -1;
  size_t len = 0;
  unsigned first = tl_seq + 1;
  for (int i = 0; i < n; i++) {
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + len);
    nlh->nlmsg_type = RTM_NEWLINK;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    nlh->nlmsg_seq = ++tl_seq;
    struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof *ifm);
    ifm->ifi_family = AF_UNSPEC;
    ifm->ifi_change = IFF_UP;
    ifm->ifi_flags = ups[i] ? IFF_UP : 0;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, names[i]);
    if (masters[i] > 0) mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t) masters[i]);
    if (masters[i] < 0) mnl_attr_put_u32(nlh, IFLA_MASTER, 0);
    len += NLMSG_ALIGN(nlh->nlmsg_len);
  }
  return send_batch(nl, buf, len, first, n, names, "set", err);
}

/* Link-watch sync. A carrier change (veth peer up, new veth) is applied by the kernel's
 * link-watch work: the qdisc is activated, the operstate set and bridges told
 * (NETDEV_CHANGE) only then. That work takes 100 devices a second from one global FIFO
 * unless an "urgent" run happens to catch them, so behind a backlog (a node preparing
 * thousands of shells queues ~5 devices each) a booted guest's ports stayed without
 * qdisc and its bridge ports disabled for minutes: the guest RUNNING, no packet passing.
 * RTM_GETLINK of a device makes the kernel run that device's pending link-watch event
 * at once (rtnl_getlink -> linkwatch_sync_dev), so every link this library changes is
 * synced before the call returns and none waits in the backlog. n requests in one send. */
int nx_nl_links_sync(void *guest_sock, int n, const char *const names[], noxs_error_t *err) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  if (n <= 0) return 0;
  if (n > 16) return nx_fail(err, EINVAL, "links sync: %d requests (max 16)", n);
  struct mnl_socket *nl = guest_sock ? guest_sock : host_nl(err);
  if (!nl) return -1;
  size_t len = 0;
  unsigned first = tl_seq + 1;
  for (int i = 0; i < n; i++) {
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + len);
    nlh->nlmsg_type = RTM_GETLINK;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    nlh->nlmsg_seq = ++tl_seq;
    struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof *ifm);
    ifm->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, names[i]);
    mnl_attr_put_u32(nlh, IFLA_EXT_MASK, 0);
    len += NLMSG_ALIGN(nlh->nlmsg_len);
  }
  return send_batch(nl, buf, len, first, n, names, "sync", err);
}

int nx_nl_brport_flood(const char *name, int on, noxs_error_t *err) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct mnl_socket *nl = host_nl(err);
  if (!nl) return -1;
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_SETLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof *ifm);
  ifm->ifi_family = AF_BRIDGE;
  ifm->ifi_index = nx_ifindex(name);
  if (ifm->ifi_index <= 0) return nx_fail(err, ENODEV, "bridge port `%s`", name);
  struct nlattr *pi = mnl_attr_nest_start(nlh, IFLA_PROTINFO);
  mnl_attr_put_u8(nlh, IFLA_BRPORT_BCAST_FLOOD, on ? 1 : 0);
  mnl_attr_put_u8(nlh, IFLA_BRPORT_MCAST_FLOOD, on ? 1 : 0);
  mnl_attr_nest_end(nlh, pi);
  if (nl_talk(nl, nlh, err) < 0) return nx_wrap(err, "bridge port `%s` flooding %s", name, on ? "on" : "off");
  return 0;
}

static int bridge_create(const char *name, int up, noxs_error_t *err) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct mnl_socket *nl = host_nl(err);
  if (!nl) return -1;
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
  struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof *ifm);
  ifm->ifi_family = AF_UNSPEC;
  ifm->ifi_change = IFF_UP;
  ifm->ifi_flags = up ? IFF_UP : 0;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
  struct nlattr *linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
  /* no multicast snooping in a two-port cross-connect: without it a port gets no per-port
   * multicast context and no own-query timers (two per port, fired at once on enslave and
   * re-armed for ever: br_multicast_port_query_expired), and br_add_if skips
   * br_multicast_enable_port */
  struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  mnl_attr_put_u8(nlh, IFLA_BR_MCAST_SNOOPING, 0);
  mnl_attr_nest_end(nlh, data);
  mnl_attr_nest_end(nlh, linkinfo);
  if (nl_talk(nl, nlh, err) < 0) return nx_wrap(err, "create bridge `%s`", name);
  int idx = nx_ifindex(name);
  if (idx <= 0) return nx_fail(err, errno, "ifindex of `%s`", name);
  return idx;
}

int nx_nl_link_del(const char *name, noxs_error_t *err) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct mnl_socket *nl = host_nl(err);
  if (!nl) return -1;
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_DELLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof *ifm);
  ifm->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
  if (nl_talk(nl, nlh, err) < 0) {
    if (err->status == ENODEV) {
      nx_clear(err);
      return 0;
    }
    return nx_wrap(err, "delete link `%s`", name);
  }
  return 0;
}

/* Turns TX checksum offload off on a host-side veth end (one SIOCETHTOOL ioctl).
 * Frames a local stack sends through a veth carry CHECKSUM_PARTIAL; the guest
 * reads them with AF_PACKET and re-sends them on its other port as they are,
 * so without this a TCP/UDP sender in a namespace on this host would see its
 * packets dropped for a bad checksum after crossing the guest. */
int nx_tx_csum_off(const char *name, noxs_error_t *err) {
  static __thread int fd = -1;
  if (fd < 0) fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return nx_fail(err, errno, "socket");
  struct ethtool_value ev = {.cmd = ETHTOOL_STXCSUM, .data = 0};
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  ifr.ifr_data = (void *) &ev;
  if (ioctl(fd, SIOCETHTOOL, &ifr) < 0) return nx_fail(err, errno, "tx checksum off on `%s`", name);
  return 0;
}
