/*
 * noxs.h - libnoxs, the sandbox driver's native half (ARCHITECTURE §2).
 *
 * Shells (namespaces + cgroup + veths + control page + the guest runtime waiting
 * in PREPARED) are prepared ahead of time and booted on demand by writing the
 * noxs control page (clickos-images/include/noxs_page.h) and kicking an eventfd.
 *
 * Errors follow crun's convention: a fallible function returns a negative value
 * and fills *err with an errno-style status and a message; callers wrap it with
 * context ("outer: inner"). Only the noxs_* symbols below are exported
 * (libnoxs.lds); the Java binding (dev.mayfly.agent.driver.sandbox.NoxsLib)
 * binds exactly this set.
 *
 * Nothing here walks all guests: every operation addresses one shell by its
 * pidfd, its cgroup directory and its interface names.
 */
#ifndef NOXS_H
#define NOXS_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NOXS_ERR_MSG_LEN 508

/* error status values beyond errno (kept > 4095 so they never collide) */
#define NOXS_E_REJECTED 5001  /* the guest rejected its configuration (see msg) */
#define NOXS_E_CAPACITY 5002  /* a memory / pids limit was reached              */

typedef struct noxs_error {
  int32_t status;                 /* errno or NOXS_E_*, 0 = no error */
  char msg[NOXS_ERR_MSG_LEN];     /* "outer: inner: strerror"        */
} noxs_error_t;                   /* 512 bytes                       */

typedef struct noxs_shell noxs_shell_t;

/* noxs_host_init flags */
#define NOXS_HOST_USERNS   0x1u   /* use a user namespace per guest if the host allows */
#define NOXS_HOST_STDERR   0x2u   /* guests inherit the agent's stderr (debugging)     */
#define NOXS_HOST_CGROUP_V2 0x4u  /* force cgroup v2 even if v1 controllers are mounted */
#define NOXS_HOST_NO_PARK  0x8u   /* keep each guest process in its ports' netns (no park netns) */

/*
 * Once per process: copies the runtime binary into root_dir (the guests' empty
 * read-only root), detects the cgroup layout and user-namespace support, raises
 * RLIMIT_NOFILE, creates the per-controller parent cgroup "mayfly".
 */
int noxs_host_init(const char *runtime_path, const char *root_dir, uint32_t flags,
                   noxs_error_t *err);

/* "key=value\n" facts (cgroup=v1|v2, userns=0|1, kernel=...) into buf; returns length. */
int noxs_host_describe(char *buf, size_t len, noxs_error_t *err);

/* Makes the calling process a child subreaper (orphaned guests reparent to it). */
int noxs_host_set_subreaper(noxs_error_t *err);

/* Reaps one exited child or orphan-adopted pid if it is ours (WNOHANG); 1 reaped, 0 not. */
int noxs_host_reap(int pid, noxs_error_t *err);
/*
 * Raises the calling thread's nice value by NOXS_BACKGROUND_NICE (at most 19). For the
 * threads that prepare shells ahead (the background half of the split toolstack): a prepare
 * gets about a tenth of the CPU share of a boot, the controller or a running guest when they
 * compete. Not SCHED_IDLE: a prepare holds the kernel's RTNL lock for each netlink request,
 * and a SCHED_IDLE holder starved by busy CPUs would stall every boot on the node behind it.
 * Shells prepared by such a thread run their guest at the thread's former nice value.
 */
#define NOXS_BACKGROUND_NICE 10
int noxs_thread_background(noxs_error_t *err);

/*
 * Prepares a shell. slot: short unique id ([0-9a-z], <= 8 chars) that names the
 * cgroup ("mayfly/<slot>") and the host veth ends ("mf<slot>h<i>"). memory_bytes,
 * cpu_weight (1..10000, 100 = default) and pids_max (0 = unlimited) are the limits.
 * wait_ms > 0 waits until the runtime reports PREPARED; 0 returns after exec.
 */
int noxs_shell_prepare(const char *slot, int nports, int64_t memory_bytes, int cpu_weight,
                       int pids_max, int wait_ms, noxs_shell_t **out, noxs_error_t *err);

/*
 * The same, with more of the execute half done ahead: the guest ends are up with their
 * default MACs, and for every port i in xconnect_mask (bit i) the host end already sits in
 * its own cross-connect bridge "mb<slot>x<i>", so a boot that cross-connects port i only
 * enslaves the named interface. A boot that attaches such a port to a bridge or leaves it
 * unattached moves the host end out (the spare bridge goes at destroy).
 */
int noxs_shell_prepare_x(const char *slot, int nports, uint32_t xconnect_mask,
                         int64_t memory_bytes, int cpu_weight, int pids_max, int wait_ms,
                         noxs_shell_t **out, noxs_error_t *err);

/*
 * The same, and the host end of port i joins the bridge named by entry i of `bridges` (one
 * comma-separated entry per port, empty for none; not for ports in xconnect_mask), e.g.
 * ",mfcore3": a boot that attaches port i to that bridge then enslaves nothing. Best effort:
 * a bridge that does not exist or is full leaves the port to the boot. A boot naming another
 * bridge moves the host end there; one naming none takes it out.
 */
int noxs_shell_prepare_b(const char *slot, int nports, uint32_t xconnect_mask, const char *bridges,
                         int64_t memory_bytes, int cpu_weight, int pids_max, int wait_ms,
                         noxs_shell_t **out, noxs_error_t *err);

/*
 * Re-adopts a running guest after an agent restart: pidfd_open(pid), checks the
 * process start time (clock ticks, /proc/<pid>/stat field 22), takes the page and
 * eventfds from the guest's fds 3, 4, 5 with pidfd_getfd. ENOENT/ESRCH: it is gone.
 */
int noxs_shell_adopt(const char *slot, int pid, uint64_t start_time, int nports,
                     noxs_shell_t **out, noxs_error_t *err);

int noxs_shell_pid(noxs_shell_t *s);
int noxs_shell_pidfd(noxs_shell_t *s);
uint64_t noxs_shell_start_time(noxs_shell_t *s);
/* enum noxs_state read from the page. */
int noxs_shell_state(noxs_shell_t *s);
/*
 * What the page says about the guest booted in s, as text "id\ngeneration\nport0,port1,...,\n"
 * (the state file may lag the boot: recovery reads this instead). Returns the length, or
 * 0 when the page holds no booted guest (EMPTY / PREPARED).
 */
int noxs_shell_identity(noxs_shell_t *s, char *buf, int len);
/* 1 while the process is alive, 0 when it exited (not reaped by us). */
int noxs_shell_alive(noxs_shell_t *s);

/*
 * Plugs port idx: page device entry (name used in the config, guest ifname
 * "eth<idx>", MAC "02:..:.." or NULL for one derived from slot+idx), guest end
 * up with that MAC, host end up and attached: bridge != NULL -> IFLA_MASTER to
 * that bridge; xconnect != NULL -> a per-port bridge "mb<slot>x<idx>" holding
 * the host end and that interface; both NULL -> host end up, unattached.
 */
int noxs_shell_port_attach(noxs_shell_t *s, int idx, const char *name, const char *mac,
                           const char *bridge, const char *xconnect, noxs_error_t *err);

/* Boot: writes id, generation and config into the page, sysctl BOOT, waits for RUNNING. */
int noxs_guest_boot(noxs_shell_t *s, const char *guest_id, uint64_t generation,
                    const char *config, int timeout_ms, noxs_error_t *err);
/* Restore: like boot, with the checkpoint blob in the bulk area; sysctl RESTORE. */
int noxs_guest_restore(noxs_shell_t *s, const char *guest_id, uint64_t generation,
                       const char *config, const uint8_t *blob, int64_t blob_len,
                       int timeout_ms, noxs_error_t *err);
/* Checkpoint: sysctl CHECKPOINT; returns the blob length (read it with noxs_guest_read_bulk). */
int64_t noxs_guest_checkpoint(noxs_shell_t *s, int timeout_ms, noxs_error_t *err);
int64_t noxs_guest_read_bulk(noxs_shell_t *s, uint8_t *buf, int64_t len, noxs_error_t *err);
/* Import (live migration, issue 6): a running guest replaces its element state
 * with the checkpoint blob (written to the bulk area; sysctl IMPORT). A refused
 * blob fails with NOXS_E_REJECTED and the guest keeps running unchanged. */
int noxs_guest_import(noxs_shell_t *s, const uint8_t *blob, int64_t blob_len, int timeout_ms,
                      noxs_error_t *err);
/* Resume after a checkpoint (sysctl RESUME). */
int noxs_guest_resume(noxs_shell_t *s, int timeout_ms, noxs_error_t *err);
/* Freezer (v1 freezer.state / v2 cgroup.freeze); waits until frozen/thawed. */
int noxs_guest_pause(noxs_shell_t *s, noxs_error_t *err);
int noxs_guest_unpause(noxs_shell_t *s, noxs_error_t *err);
/* Write handler "elem.handler" = value (sysctl WRITE_HANDLER). */
int noxs_guest_write_handler(noxs_shell_t *s, const char *handler, const char *value,
                             int timeout_ms, noxs_error_t *err);
/* Refreshes (sysctl STATS; not with timeout_ms 0) and copies the stats area text; returns its length. */
int noxs_guest_read_stats(noxs_shell_t *s, char *buf, int len, int timeout_ms,
                          noxs_error_t *err);
/* The result area text (guest's last error) into buf; returns its length. */
int noxs_guest_result(noxs_shell_t *s, char *buf, int len);

/*
 * Destroy: deletes the host veth ends (and xconnect bridges), SIGKILL through the
 * pidfd, waits for exit (reaps it when it is our child), removes the cgroups,
 * unmaps the page, closes the fds and frees s (always, even on error).
 */
int noxs_shell_destroy(noxs_shell_t *s, noxs_error_t *err);
/*
 * Cleanup of a guest that is already gone (recovery): deletes "mf<slot>h*"
 * veths / xconnect bridges and the cgroups of slot; missing pieces are fine.
 */
int noxs_slot_cleanup(const char *slot, int nports, noxs_error_t *err);
/* Forgets s without touching the guest (agent shutdown): unmaps, closes, frees. */
void noxs_shell_release(noxs_shell_t *s);

/* Exit watch: an epoll set of pidfds; wait returns the tokens of exited guests. */
int noxs_watch_create(noxs_error_t *err);
int noxs_watch_add(int watch_fd, noxs_shell_t *s, int64_t token, noxs_error_t *err);
int noxs_watch_del(int watch_fd, noxs_shell_t *s);
int noxs_watch_wait(int watch_fd, int64_t *tokens, int max, int timeout_ms, noxs_error_t *err);
void noxs_watch_close(int watch_fd);

#ifdef __cplusplus
}
#endif
#endif /* NOXS_H */
