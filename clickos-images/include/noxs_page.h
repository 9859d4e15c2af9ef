/*
 * noxs_page.h - the noxs control page shared by the toolstack (libnoxs, the
 * edge agent) and the guest runtime (clickos in guest mode).
 *
 * LightVM removed XenStore: the toolstack writes a per-guest device page and
 * the guest reads it; event channels carry notifications. Mayfly does the same
 * with one memfd per guest (this layout) and two eventfds:
 *   - kick_fd  toolstack -> guest   ("a request is in sysctl")
 *   - ack_fd   guest -> toolstack   ("state/ack_seq changed")
 *
 * The memfd is NOXS_PAGE_SIZE bytes of control page, optionally followed by a
 * bulk area (checkpoint / restore blobs) that either side may ftruncate to
 * NOXS_BULK_OFF + bulk_len and access with pread/pwrite or mmap.
 *
 * Protocol (one request at a time, toolstack is the only writer of sysctl):
 *   toolstack: fill areas, set sysctl = NOXS_SYSCTL_X, __atomic ++sysctl_seq,
 *              write(kick_fd, 1)
 *   guest:     handle request, fill result_*, set state,
 *              __atomic store ack_seq = sysctl_seq, write(ack_fd, 1)
 * All multi-byte fields are host-endian; the page never leaves the host
 * (checkpoint blobs in the bulk area carry their own portable format).
 *
 * Versioning: bump NOXS_PAGE_VERSION on any incompatible change; both sides
 * refuse a page whose magic or version differs.
 */
#ifndef NOXS_PAGE_H
#define NOXS_PAGE_H

#include <stdint.h>

#define NOXS_PAGE_MAGIC   0x53584f4eu /* "NOXS" little-endian */
#define NOXS_PAGE_VERSION 1u

/* area layout inside the memfd */
#define NOXS_PAGE_SIZE     (64u * 1024u)
#define NOXS_HDR_OFF       0u
#define NOXS_HDR_SIZE      4096u
#define NOXS_CONFIG_OFF    4096u          /* Click configuration text  */
#define NOXS_CONFIG_SIZE   (44u * 1024u)
#define NOXS_HANDLER_OFF   (48u * 1024u)  /* write-handler request text */
#define NOXS_HANDLER_SIZE  (4u * 1024u)
#define NOXS_STATS_OFF     (52u * 1024u)  /* exported read handlers     */
#define NOXS_STATS_SIZE    (8u * 1024u)
#define NOXS_RESULT_OFF    (60u * 1024u)  /* error text (file:line: msg) */
#define NOXS_RESULT_SIZE   (4u * 1024u)
#define NOXS_BULK_OFF      NOXS_PAGE_SIZE /* checkpoint/restore blob    */
#define NOXS_BULK_MAX      (256u * 1024u * 1024u)

#define NOXS_MAX_DEVS      8
#define NOXS_NAME_LEN      16   /* IFNAMSIZ */
#define NOXS_GUEST_ID_LEN  64

/* guest states (ARCHITECTURE §2 lifecycle) */
enum noxs_state {
  NOXS_STATE_EMPTY = 0,        /* page created, guest not yet started        */
  NOXS_STATE_PREPARED = 1,     /* runtime initialised, waiting on kick_fd    */
  NOXS_STATE_BOOTING = 2,      /* config received, building the graph        */
  NOXS_STATE_RUNNING = 3,
  NOXS_STATE_PAUSED = 4,       /* set by the toolstack (freezer), not guest  */
  NOXS_STATE_CHECKPOINTED = 5, /* blob written to the bulk area              */
  NOXS_STATE_STOPPED = 6,      /* clean poweroff                              */
  NOXS_STATE_CRASHED = 7,
  NOXS_STATE_FAILED = 8        /* boot/restore rejected; see result area     */
};

/* requests from toolstack to guest */
enum noxs_sysctl {
  NOXS_SYSCTL_NONE = 0,
  NOXS_SYSCTL_BOOT = 1,        /* devices + config area are filled: run it    */
  NOXS_SYSCTL_POWEROFF = 2,    /* stop cleanly, state STOPPED, exit 0          */
  NOXS_SYSCTL_CHECKPOINT = 3,  /* quiesce, serialise state into bulk area     */
  NOXS_SYSCTL_RESUME = 4,      /* continue after a checkpoint                  */
  NOXS_SYSCTL_RESTORE = 5,     /* like BOOT, then load element state from bulk */
  NOXS_SYSCTL_WRITE_HANDLER = 6, /* handler area: "elem.handler\nVALUE"        */
  NOXS_SYSCTL_STATS = 7,       /* refresh the stats area now                   */
  NOXS_SYSCTL_IMPORT = 8       /* running guest: replace its element state with
                                  the checkpoint in the bulk area (live
                                  migration into a guest booted ahead; the
                                  result area names a refused blob)           */
};

/* The runtime's own write handler (WRITE_HANDLER "noxs.standby\n1"): a
 * running guest enters standby — packet processing and timers wait, packets
 * queue in the kernel, element tables are allocated ahead — until IMPORT
 * succeeds or "noxs.standby\n0". A live-migration target is booted ahead of
 * the source's pause and put in standby instead of being frozen. */
#define NOXS_HANDLER_STANDBY "noxs.standby"

enum noxs_dev_type {
  NOXS_DEV_NONE = 0,
  NOXS_DEV_NET = 1,
  NOXS_DEV_CONSOLE = 2,
  NOXS_DEV_SYSCTL = 3
};

#define NOXS_DEV_F_UP 0x1u

struct noxs_dev {
  uint32_t type;                  /* enum noxs_dev_type                       */
  uint32_t flags;                 /* NOXS_DEV_F_*                             */
  char     name[NOXS_NAME_LEN];   /* port name used in the config ("access") */
  char     ifname[NOXS_NAME_LEN]; /* interface inside the guest netns         */
  uint8_t  mac[6];
  uint8_t  pad[2];
};

struct noxs_page_hdr {
  uint32_t magic;                 /* NOXS_PAGE_MAGIC                          */
  uint32_t version;               /* NOXS_PAGE_VERSION                        */
  char     guest_id[NOXS_GUEST_ID_LEN];
  uint64_t generation;
  uint32_t state;                 /* enum noxs_state, written by the guest    */
  uint32_t sysctl;                /* enum noxs_sysctl, written by toolstack   */
  uint32_t sysctl_seq;            /* toolstack increments per request         */
  uint32_t ack_seq;               /* guest copies sysctl_seq when done        */
  int32_t  guest_pid;             /* pid of the runtime (host view), info     */
  uint32_t ndev;
  struct noxs_dev devs[NOXS_MAX_DEVS];
  uint32_t config_len;            /* bytes used in the config area            */
  uint32_t handler_len;           /* bytes used in the handler area           */
  uint32_t stats_len;             /* bytes used in the stats area             */
  uint32_t stats_seq;             /* seqlock: odd while the guest writes      */
  int32_t  result_code;           /* 0 ok, else negative errno-style          */
  uint32_t result_line;           /* config line of the error, 0 if none      */
  uint32_t result_len;            /* bytes of text in the result area         */
  uint32_t pad0;
  uint64_t bulk_len;              /* bytes valid at NOXS_BULK_OFF             */
  uint64_t boot_ns;               /* CLOCK_MONOTONIC when RUNNING was written */
  uint64_t reserved[16];
};

#ifdef __cplusplus
static_assert(sizeof(struct noxs_page_hdr) <= NOXS_HDR_SIZE, "header too big");
#else
_Static_assert(sizeof(struct noxs_page_hdr) <= NOXS_HDR_SIZE, "header too big");
#endif

/*
 * Stats area format: text lines "element.handler value\n" (value with any
 * newline replaced by a space), written under the stats_seq seqlock.
 *
 * Guest side environment (guest mode): clickos --guest reads the fds from
 * environment variables NOXS_PAGE_FD, NOXS_KICK_FD, NOXS_ACK_FD (decimal).
 */

#endif /* NOXS_PAGE_H */
