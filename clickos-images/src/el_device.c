/* el_device.c - FromDevice / ToDevice over AF_PACKET, batched with
 * recvmmsg / sendmmsg.  Receive buffers are allocated lazily on the first
 * readable event, so an idle guest keeps no rings. */
#include "clickos.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif
#define MAX_BURST 256

/* One AF_PACKET socket per interface, shared by the FromDevice and
 * ToDevice elements of that interface (a boot opens each port once).  The
 * socket is created with protocol 0 and gets its protocol at bind: a socket
 * created with a protocol is hooked to every device at once, and binding it
 * to one device then unhooks it with synchronize_net(), an RCU grace period
 * (~10-30 ms on a busy host) per port on the guest boot path.  A TX-only
 * socket (protocol 0) that later gains a FromDevice is bound again with
 * ETH_P_ALL, which is cheap because it was never hooked. */
typedef struct { char name[IFNAMSIZ]; int fd, ifindex, refs; bool rx, pre; } DevSock;
static DevSock devsocks[16];

/* Sockets the edge agent opened for us (guest mode, NOXS_DEV_FDS=eth0:7,eth1:8): the guest
 * process lives in a network namespace without interfaces, its ports are reachable only
 * through these. They are never closed: a later configuration reuses them. */
static struct { char name[IFNAMSIZ]; int fd; } preopened[16];
static int npreopened;

int device_set_preopened(const char *spec, ErrCtx *err) {
  npreopened = 0;
  if (!spec || !*spec) return 0;
  const char *p = spec;
  while (*p) {
    const char *colon = strchr(p, ':');
    if (!colon || colon == p || (size_t)(colon - p) >= IFNAMSIZ)
      return err_report(err, 0, "NOXS_DEV_FDS: expected NAME:FD at '%s'", p);
    char *end;
    long fd = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || fd < 0 || fd > 1023 || (*end && *end != ','))
      return err_report(err, 0, "NOXS_DEV_FDS: bad fd at '%s'", colon + 1);
    if (npreopened == 16) return err_report(err, 0, "NOXS_DEV_FDS: more than 16 ports");
    memset(preopened[npreopened].name, 0, IFNAMSIZ);
    memcpy(preopened[npreopened].name, p, (size_t)(colon - p));
    preopened[npreopened].fd = (int)fd;
    npreopened++;
    p = *end ? end + 1 : end;
  }
  return 0;
}

static int open_packet_socket(const char *ifname, bool rx, bool promisc, ErrCtx *err, int *ifindex_out) {
  if (strlen(ifname) >= IFNAMSIZ) return err_report(err, 0, "DEVNAME: interface name '%s' too long", ifname);
  DevSock *ds = NULL, *freeslot = NULL;
  for (int i = 0; i < 16; i++) {
    if (devsocks[i].refs > 0 && !strcmp(devsocks[i].name, ifname)) ds = &devsocks[i];
    else if (devsocks[i].refs == 0 && !freeslot) freeslot = &devsocks[i];
  }
  int one = 1, buf = 4 << 20;
  int pre = -1;
  for (int i = 0; !ds && i < npreopened; i++)
    if (!strcmp(preopened[i].name, ifname)) pre = preopened[i].fd;
  if (!ds && pre >= 0) {
    /* bound to its port (protocol 0) by the agent: the index from the socket itself */
    struct sockaddr_ll sll;
    socklen_t sl = sizeof sll;
    memset(&sll, 0, sizeof sll);
    if (getsockname(pre, (struct sockaddr *)&sll, &sl) < 0 || sll.sll_family != AF_PACKET)
      return err_report(err, 0, "%s: passed socket (fd %d) is not a packet socket", ifname, pre);
    ds = freeslot;
    if (!ds) return err_report(err, 0, "%s: more than 16 interfaces", ifname);
    memset(ds, 0, sizeof *ds);
    memcpy(ds->name, ifname, strlen(ifname));
    ds->fd = pre;
    ds->ifindex = sll.sll_ifindex;
    ds->pre = true;
    setsockopt(pre, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
    if (rx) {
      sll.sll_family = AF_PACKET;
      sll.sll_protocol = htons(ETH_P_ALL);
      if (bind(pre, (struct sockaddr *)&sll, sizeof sll) < 0) return err_report(err, 0, "%s: bind: %s", ifname, strerror(errno));
    }
  } else if (!ds) {
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return err_report(err, 0, "%s: socket: %s", ifname, strerror(errno));
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, ifname, strlen(ifname));
    if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
      close(fd);
      return err_report(err, 0, "DEVNAME: no such interface '%s'", ifname);
    }
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = ifr.ifr_ifindex;
    sll.sll_protocol = rx ? htons(ETH_P_ALL) : 0;
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
      int e = errno;
      close(fd);
      return err_report(err, 0, "%s: bind: %s", ifname, strerror(e));
    }
    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
    if (!freeslot) {
      /* more than 16 interfaces: unshared socket */
      static DevSock extra;
      ds = &extra;
    } else ds = freeslot;
    memset(ds, 0, sizeof *ds);
    memcpy(ds->name, ifname, strlen(ifname));
    ds->fd = fd;
    ds->ifindex = ifr.ifr_ifindex;
    ds->rx = false;
  } else if (rx && !ds->rx) {
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = ds->ifindex;
    sll.sll_protocol = htons(ETH_P_ALL);
    if (bind(ds->fd, (struct sockaddr *)&sll, sizeof sll) < 0) return err_report(err, 0, "%s: bind: %s", ifname, strerror(errno));
  }
  if (rx && !ds->rx) {
    ds->rx = true;
    setsockopt(ds->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
    setsockopt(ds->fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof one);
    if (setsockopt(ds->fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf) < 0) setsockopt(ds->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  }
  if (rx && promisc) {
    struct packet_mreq mr;
    memset(&mr, 0, sizeof mr);
    mr.mr_ifindex = ds->ifindex;
    mr.mr_type = PACKET_MR_PROMISC;
    setsockopt(ds->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr);
  }
  ds->refs++;
  *ifindex_out = ds->ifindex;
  return ds->fd;
}
static void close_packet_socket(int fd) {
  for (int i = 0; i < 16; i++)
    if (devsocks[i].refs > 0 && devsocks[i].fd == fd) {
      if (--devsocks[i].refs == 0 && !devsocks[i].pre) close(fd);
      return;
    }
  close(fd);
}

/* =c
 * FromDevice(DEVNAME [, *keywords* SNIFFER, PROMISC, BURST, SNAPLEN])
 * =s netdevices
 * reads packets from a network device
 * =d
 * Reads Ethernet frames arriving on DEVNAME through an AF_PACKET socket,
 * BURST (default 32) at a time with recvmmsg, and pushes them out.  Frames
 * this host sends are ignored.  In guest mode DEVNAME is the port name from
 * the noxs device table ("access"), mapped to the interface inside the
 * guest's network namespace.  SNAPLEN (default 2048) bounds the frame size;
 * longer frames are counted in "drops".  Frames whose transport checksum the
 * kernel left for offload (CHECKSUM_PARTIAL, e.g. from a local stack on a
 * veth) get their IPv4 TCP/UDP checksum completed in software.
 * =h count read-only
 * Frames received.
 * =h drops read-only
 * Frames dropped (truncated).
 * =h reset_counts write-only
 * Resets counters.
 * =e
 *   FromDevice(eth0) -> Queue -> ToDevice(eth1);
 */
typedef struct {
  Element e;
  char *dev;
  bool promisc, sniffer;
  unsigned burst, snaplen;
  int fd, ifindex;
  Packet **ring;
  struct mmsghdr *msgs;
  struct iovec *iov;
  uint8_t *cmsgbuf;
  uint64_t count, drops, csum_fixed;
  Task task;
} FromDevice;

#define AUX_SPACE CMSG_SPACE(sizeof(struct tpacket_auxdata))
/* Frames from a local stack on a veth may carry CHECKSUM_PARTIAL (the
 * transport checksum is left for the NIC).  Forwarded as is through another
 * AF_PACKET socket they would arrive with a bad checksum, so complete the
 * IPv4 TCP/UDP checksum in software. */
static void complete_l4_checksum(Packet *p) {
  uint8_t *d = pkt_data(p);
  uint32_t len = p->len;
  uint32_t off = 14;
  if (len < 14) return;
  uint16_t et = (uint16_t)(d[12] << 8 | d[13]);
  if (et == 0x8100 && len >= 18) { et = (uint16_t)(d[16] << 8 | d[17]); off = 18; }
  if (et != 0x0800 || len < off + 20) return;
  uint8_t *ip = d + off;
  uint32_t hl = (ip[0] & 0xF) * 4u, iplen = (uint32_t)(ip[2] << 8 | ip[3]);
  if (hl < 20 || iplen < hl || off + iplen > len || (((ip[6] << 8) | ip[7]) & 0x3FFF)) return;
  uint8_t *th = ip + hl;
  uint32_t tl = iplen - hl;
  int ck;
  if (ip[9] == 6 && tl >= 20) ck = 16;
  else if (ip[9] == 17 && tl >= 8) ck = 6;
  else return;
  th[ck] = th[ck + 1] = 0;
  uint32_t sum = cksum_add(0, ip + 12, 8);
  sum += ip[9];
  sum += tl;
  sum = cksum_add(sum, th, tl);
  uint16_t c = cksum_fold(sum);
  if (ip[9] == 17 && c == 0) c = 0xFFFF;
  th[ck] = (uint8_t)(c >> 8);
  th[ck + 1] = (uint8_t)c;
}
static int fd_conf(Element *e, Args *a, ErrCtx *err) {
  (void)err;
  FromDevice *f = (FromDevice *)e;
  f->burst = 32;
  f->snaplen = 2048;
  f->fd = -1;
  f->promisc = false;
  char *method = NULL, *outbound = NULL, *headroom = NULL, *bpf = NULL;
  bool force = false, timestamp = true;
  ArgSpec s[] = {{"DEVNAME", A_WORD, A_POSITIONAL | A_MANDATORY, &f->dev, NULL, NULL},
                 {"SNIFFER", A_BOOL, A_POSITIONAL, &f->sniffer, NULL, NULL},
                 {"PROMISC", A_BOOL, A_POSITIONAL, &f->promisc, NULL, NULL},
                 {"BURST", A_UINT, 0, &f->burst, NULL, NULL},
                 {"SNAPLEN", A_UINT, 0, &f->snaplen, NULL, NULL},
                 {"METHOD", A_WORD, 0, &method, NULL, NULL},
                 {"OUTBOUND", A_ANY, 0, &outbound, NULL, NULL},
                 {"HEADROOM", A_ANY, 0, &headroom, NULL, NULL},
                 {"BPF_FILTER", A_ANY, 0, &bpf, NULL, NULL},
                 {"FORCE_IP", A_BOOL, 0, &force, NULL, NULL},
                 {"TIMESTAMP", A_BOOL, 0, &timestamp, NULL, NULL}};
  int r = args_read(a, s, 11);
  free(method); free(outbound); free(headroom); free(bpf);
  if (f->burst == 0) f->burst = 1;
  if (f->burst > MAX_BURST) f->burst = MAX_BURST;
  if (f->snaplen < 64) f->snaplen = 64;
  if (f->snaplen > 65536) f->snaplen = 65536;
  return r;
}
/* read up to `batches` bursts; returns true if the last burst was full */
static bool fd_read(FromDevice *f, int batches) {
  if (f->fd < 0) return false;
  if (!f->ring) {
    f->ring = xcalloc(f->burst, sizeof(Packet *));
    f->msgs = xcalloc(f->burst, sizeof(struct mmsghdr));
    f->iov = xcalloc(f->burst, sizeof(struct iovec));
    f->cmsgbuf = xcalloc(f->burst, AUX_SPACE);
  }
  for (int b = 0; b < batches; b++) {
    for (unsigned i = 0; i < f->burst; i++) {
      if (!f->ring[i]) f->ring[i] = pkt_alloc(f->snaplen);
      f->iov[i].iov_base = pkt_data(f->ring[i]);
      f->iov[i].iov_len = f->snaplen;
      memset(&f->msgs[i].msg_hdr, 0, sizeof f->msgs[i].msg_hdr);
      f->msgs[i].msg_hdr.msg_iov = &f->iov[i];
      f->msgs[i].msg_hdr.msg_iovlen = 1;
      f->msgs[i].msg_hdr.msg_control = f->cmsgbuf + i * AUX_SPACE;
      f->msgs[i].msg_hdr.msg_controllen = AUX_SPACE;
    }
    int n = recvmmsg(f->fd, f->msgs, f->burst, MSG_DONTWAIT, NULL);
    if (n <= 0) return false;
    uint64_t ts = now_ns();
    for (int i = 0; i < n; i++) {
      Packet *p = f->ring[i];
      f->ring[i] = NULL;
      if (f->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) { f->drops++; pkt_kill(p); continue; }
      p->len = f->msgs[i].msg_len;
      p->mac = (int32_t)p->off;
      struct msghdr *mh = &f->msgs[i].msg_hdr;
      for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
        if (cm->cmsg_level != SOL_PACKET || cm->cmsg_type != PACKET_AUXDATA) continue;
        struct tpacket_auxdata aux;
        memcpy(&aux, CMSG_DATA(cm), sizeof aux);
        if (aux.tp_status & TP_STATUS_CSUMNOTREADY) { complete_l4_checksum(p); f->csum_fixed++; }
      }
      p->ts = ts;
      f->count++;
      output_push(&f->e, 0, p);
    }
    if ((unsigned)n < f->burst) return false;
  }
  return true;
}
static void fd_readable(int fd, void *arg) {
  (void)fd;
  FromDevice *f = arg;
  if (fd_read(f, 4)) task_schedule(&f->task);
}
static bool fd_task(Task *t, void *arg) {
  FromDevice *f = arg;
  if (fd_read(f, 4)) task_schedule(t);
  return true;
}
static int fd_init(Element *e, ErrCtx *err) {
  FromDevice *f = (FromDevice *)e;
  const char *ifname = router_map_device(e->router, f->dev);
  if (!ifname) return err_report(err, 0, "DEVNAME: no port named '%s' in the device table", f->dev);
  f->fd = open_packet_socket(ifname, true, f->promisc, err, &f->ifindex);
  if (f->fd < 0) { f->fd = -1; return -1; }
  task_init(&f->task, fd_task, f);
  sched_add_fd(f->fd, fd_readable, f);
  return 0;
}
static void fd_cleanup(Element *e) {
  FromDevice *f = (FromDevice *)e;
  if (f->fd >= 0) { sched_remove_fd(f->fd); close_packet_socket(f->fd); f->fd = -1; }
  task_unschedule(&f->task);
  if (f->ring) for (unsigned i = 0; i < f->burst; i++) pkt_kill(f->ring[i]);
  free(f->ring); free(f->msgs); free(f->iov); free(f->cmsgbuf);
  free(f->dev);
}
static int fd_rd(Element *e, const void *t, Str *o) {
  FromDevice *f = (FromDevice *)e;
  str_printf(o, "%llu", (unsigned long long)(t ? f->drops : f->count));
  return 0;
}
static int fd_reset(Element *e, const char *v, const void *t, ErrCtx *err) {
  (void)v; (void)t; (void)err;
  FromDevice *f = (FromDevice *)e;
  f->count = f->drops = 0;
  return 0;
}
static const Handler fd_h[] = {
  {"count", fd_rd, NULL, NULL, 0},
  {"drops", fd_rd, NULL, (void *)1, 0},
  {"reset_counts", NULL, fd_reset, NULL, 0},
  {NULL, NULL, NULL, NULL, 0}};
static const ElementClass FromDevice_class = {
  .name = "FromDevice", .port_count = "0/1", .processing = "h/h", .size = sizeof(FromDevice),
  .configure = fd_conf, .initialize = fd_init, .cleanup = fd_cleanup, .handlers = fd_h};

/* =c
 * ToDevice(DEVNAME [, *keywords* BURST, QUEUE])
 * =s netdevices
 * sends packets to a network device
 * =d
 * Sends packets out DEVNAME through an AF_PACKET socket, BURST (default 32)
 * at a time with sendmmsg.  Agnostic: pushed packets are batched and flushed
 * when the burst fills or the current run-loop pass ends; in pull context it
 * pulls whenever its upstream Queue is non-empty.  Packets the kernel
 * refuses (full queue) are counted in "drops".  In guest mode DEVNAME is a
 * port name from the noxs device table.
 * =h count read-only
 * Packets sent.
 * =h drops read-only
 * Packets dropped.
 * =h reset_counts write-only
 * Resets counters.
 * =e
 *   FromDevice(eth0) -> IPFilter(allow all) -> ToDevice(eth1);
 */
typedef struct {
  Element e;
  char *dev;
  unsigned burst;
  int fd, ifindex;
  Packet **pend;
  unsigned npend;
  struct mmsghdr *msgs;
  struct iovec *iov;
  uint64_t count, drops;
  Task task;
  bool pull, sleepable;
} ToDevice;
static int td_conf(Element *e, Args *a, ErrCtx *err) {
  (void)err;
  ToDevice *t = (ToDevice *)e;
  t->burst = 32;
  t->fd = -1;
  char *q = NULL, *method = NULL;
  bool dbg = false;
  ArgSpec s[] = {{"DEVNAME", A_WORD, A_POSITIONAL | A_MANDATORY, &t->dev, NULL, NULL},
                 {"BURST", A_UINT, 0, &t->burst, NULL, NULL},
                 {"QUEUE", A_ANY, 0, &q, NULL, NULL},
                 {"METHOD", A_WORD, 0, &method, NULL, NULL},
                 {"DEBUG", A_BOOL, 0, &dbg, NULL, NULL}};
  int r = args_read(a, s, 5);
  free(q); free(method);
  if (t->burst == 0) t->burst = 1;
  if (t->burst > MAX_BURST) t->burst = MAX_BURST;
  return r;
}
static void td_flush(ToDevice *t) {
  unsigned done = 0;
  while (done < t->npend) {
    unsigned n = t->npend - done;
    for (unsigned i = 0; i < n; i++) {
      Packet *p = t->pend[done + i];
      t->iov[i].iov_base = pkt_data(p);
      t->iov[i].iov_len = p->len;
      memset(&t->msgs[i].msg_hdr, 0, sizeof t->msgs[i].msg_hdr);
      t->msgs[i].msg_hdr.msg_iov = &t->iov[i];
      t->msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int r = sendmmsg(t->fd, t->msgs, n, MSG_DONTWAIT);
    if (r <= 0) {
      if (r < 0 && errno == EINTR) continue;
      /* the first packet was refused: drop it and go on */
      t->drops++;
      done++;
      continue;
    }
    t->count += (unsigned)r;
    done += (unsigned)r;
  }
  for (unsigned i = 0; i < t->npend; i++) pkt_kill(t->pend[i]);
  t->npend = 0;
}
static void td_alloc(ToDevice *t) {
  if (t->pend) return;
  t->pend = xcalloc(t->burst, sizeof(Packet *));
  t->msgs = xcalloc(t->burst, sizeof(struct mmsghdr));
  t->iov = xcalloc(t->burst, sizeof(struct iovec));
}
static void td_push(Element *e, int port, Packet *p) {
  (void)port;
  ToDevice *t = (ToDevice *)e;
  if (t->fd < 0) { t->drops++; pkt_kill(p); return; }
  td_alloc(t);
  t->pend[t->npend++] = p;
  if (t->npend >= t->burst) td_flush(t);
  else task_schedule(&t->task);
}
static bool td_task(Task *tk, void *arg) {
  ToDevice *t = arg;
  if (!t->pull) { if (t->npend) td_flush(t); return true; }
  td_alloc(t);
  Packet *p;
  while (t->npend < t->burst && (p = input_pull(&t->e, 0))) t->pend[t->npend++] = p;
  bool got = t->npend > 0;
  if (got) td_flush(t);
  if (got || !t->sleepable) task_schedule(tk);
  return got;
}
bool element_pull_has_notifier(Element *e, int port, int depth);
static int td_init(Element *e, ErrCtx *err) {
  ToDevice *t = (ToDevice *)e;
  const char *ifname = router_map_device(e->router, t->dev);
  if (!ifname) return err_report(err, 0, "DEVNAME: no port named '%s' in the device table", t->dev);
  t->fd = open_packet_socket(ifname, false, false, err, &t->ifindex);
  if (t->fd < 0) { t->fd = -1; return -1; }
  task_init(&t->task, td_task, t);
  t->pull = e->nin && e->in_proc[0] == 'l';
  if (t->pull) {
    t->sleepable = element_pull_has_notifier(e, 0, 0);
    element_register_puller(e, &t->task);
    task_schedule(&t->task);
  }
  return 0;
}
static void td_cleanup(Element *e) {
  ToDevice *t = (ToDevice *)e;
  if (t->npend && t->fd >= 0) td_flush(t);
  for (unsigned i = 0; i < t->npend; i++) pkt_kill(t->pend[i]);
  if (t->fd >= 0) close_packet_socket(t->fd);
  task_unschedule(&t->task);
  free(t->pend); free(t->msgs); free(t->iov); free(t->dev);
}
static int td_rd(Element *e, const void *tt, Str *o) {
  ToDevice *t = (ToDevice *)e;
  str_printf(o, "%llu", (unsigned long long)(tt ? t->drops : t->count));
  return 0;
}
static int td_reset(Element *e, const char *v, const void *tt, ErrCtx *err) {
  (void)v; (void)tt; (void)err;
  ToDevice *t = (ToDevice *)e;
  t->count = t->drops = 0;
  return 0;
}
static const Handler td_h[] = {
  {"count", td_rd, NULL, NULL, 0},
  {"drops", td_rd, NULL, (void *)1, 0},
  {"reset_counts", NULL, td_reset, NULL, 0},
  {NULL, NULL, NULL, NULL, 0}};
static const ElementClass ToDevice_class = {
  .name = "ToDevice", .port_count = "1/0", .processing = "a/a", .size = sizeof(ToDevice),
  .configure = td_conf, .initialize = td_init, .cleanup = td_cleanup, .push = td_push, .handlers = td_h};

void register_device(void);
void register_device(void) {
  class_register(&FromDevice_class);
  class_register(&ToDevice_class);
}
