/* cgroup.c - one cgroup per guest under a parent "mayfly", cgroup v1 or v2.
 *
 * v1 (this host): /sys/fs/cgroup/{memory,cpu,pids,freezer}/mayfly/<slot>
 * v2:             <v2 mount>/mayfly/<slot>  (memory.max, cpu.weight, pids.max,
 *                 cgroup.freeze); controllers are enabled in subtree_control once.
 * Every call touches only the directories of one slot.
 */
#include "noxs_internal.h"
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

static const char *v1_ctrl[] = {"memory", "cpu", "pids", "freezer"};
#define NV1 4

int nx_write_file(const char *path, const char *data, noxs_error_t *err) {
  cleanup_fd int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return nx_fail(err, errno, "open `%s`", path);
  size_t len = strlen(data);
  ssize_t n = write(fd, data, len);
  if (n < 0) return nx_fail(err, errno, "write `%s` to `%s`", data, path);
  if ((size_t) n != len) return nx_fail(err, EIO, "short write to `%s`", path);
  return 0;
}

int nx_read_file(const char *path, char *buf, size_t len, noxs_error_t *err) {
  cleanup_fd int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nx_fail(err, errno, "open `%s`", path);
  ssize_t n = read(fd, buf, len - 1);
  if (n < 0) return nx_fail(err, errno, "read `%s`", path);
  buf[n] = '\0';
  return (int) n;
}

static int mkdir_ok(const char *p, noxs_error_t *err) {
  if (mkdir(p, 0755) < 0 && errno != EEXIST) return nx_fail(err, errno, "mkdir `%s`", p);
  return 0;
}

int nx_cg_init(noxs_error_t *err) {
  char p[512];
  if (!nx_host.cgroup_v2) {
    for (int i = 0; i < NV1; i++) {
      snprintf(p, sizeof p, "/sys/fs/cgroup/%s/mayfly", v1_ctrl[i]);
      if (mkdir_ok(p, err) < 0) return nx_wrap(err, "cgroup v1 parent");
    }
    /* memory v1: hierarchical accounting so the parent shows the sum */
    return 0;
  }
  snprintf(p, sizeof p, "%s/cgroup.subtree_control", nx_host.cg_v2_base);
  noxs_error_t ignore;
  nx_write_file(p, "+memory +cpu +pids", &ignore); /* best effort: may be absent */
  snprintf(p, sizeof p, "%s/mayfly", nx_host.cg_v2_base);
  if (mkdir_ok(p, err) < 0) return nx_wrap(err, "cgroup v2 parent");
  snprintf(p, sizeof p, "%s/mayfly/cgroup.subtree_control", nx_host.cg_v2_base);
  nx_write_file(p, "+memory +cpu +pids", &ignore);
  return 0;
}

static void v1_path(char *p, size_t n, int ctrl, const char *slot, const char *file) {
  snprintf(p, n, "/sys/fs/cgroup/%s/mayfly/%s%s%s", v1_ctrl[ctrl], slot, file ? "/" : "",
           file ? file : "");
}
static void v2_path(char *p, size_t n, const char *slot, const char *file) {
  snprintf(p, n, "%s/mayfly/%s%s%s", nx_host.cg_v2_base, slot, file ? "/" : "", file ? file : "");
}

static int cg_mkdir(const char *p, noxs_error_t *err) {
  if (mkdir(p, 0755) < 0) {
    if (errno == ENOSPC || errno == ENOMEM) return nx_fail(err, errno, "mkdir `%s` (cgroup limit)", p);
    return nx_fail(err, errno, "mkdir `%s`", p);
  }
  return 0;
}

int nx_cg_create(const char *slot, int64_t memory_bytes, int cpu_weight, int pids_max,
                 noxs_error_t *err) {
  char p[512], v[64];
  if (cpu_weight < 1) cpu_weight = 100;
  if (cpu_weight > 10000) cpu_weight = 10000;
  if (!nx_host.cgroup_v2) {
    for (int i = 0; i < NV1; i++) {
      v1_path(p, sizeof p, i, slot, NULL);
      if (cg_mkdir(p, err) < 0) {
        for (int j = 0; j < i; j++) {
          v1_path(p, sizeof p, j, slot, NULL);
          rmdir(p);
        }
        return nx_wrap(err, "cgroup create");
      }
    }
    if (memory_bytes > 0) {
      v1_path(p, sizeof p, 0, slot, "memory.limit_in_bytes");
      snprintf(v, sizeof v, "%lld", (long long) memory_bytes);
      if (nx_write_file(p, v, err) < 0) goto fail;
    }
    /* cpu.shares: 1024 is the default weight (v2 cpu.weight 100) */
    v1_path(p, sizeof p, 1, slot, "cpu.shares");
    snprintf(v, sizeof v, "%d", cpu_weight * 1024 / 100 < 2 ? 2 : cpu_weight * 1024 / 100);
    if (nx_write_file(p, v, err) < 0) goto fail;
    if (pids_max > 0) {
      v1_path(p, sizeof p, 2, slot, "pids.max");
      snprintf(v, sizeof v, "%d", pids_max);
      if (nx_write_file(p, v, err) < 0) goto fail;
    }
    return 0;
  }
  v2_path(p, sizeof p, slot, NULL);
  if (cg_mkdir(p, err) < 0) return nx_wrap(err, "cgroup create");
  noxs_error_t e2;
  if (memory_bytes > 0) {
    v2_path(p, sizeof p, slot, "memory.max");
    snprintf(v, sizeof v, "%lld", (long long) memory_bytes);
    if (nx_write_file(p, v, &e2) < 0 && e2.status != ENOENT) { *err = e2; goto fail; }
  }
  v2_path(p, sizeof p, slot, "cpu.weight");
  snprintf(v, sizeof v, "%d", cpu_weight);
  if (nx_write_file(p, v, &e2) < 0 && e2.status != ENOENT) { *err = e2; goto fail; }
  if (pids_max > 0) {
    v2_path(p, sizeof p, slot, "pids.max");
    snprintf(v, sizeof v, "%d", pids_max);
    if (nx_write_file(p, v, &e2) < 0 && e2.status != ENOENT) { *err = e2; goto fail; }
  }
  return 0;
fail:
  {
    noxs_error_t ignore;
    nx_cg_remove(slot, &ignore);
  }
  return nx_wrap(err, "cgroup limits");
}

int nx_cg_attach(const char *slot, pid_t pid, noxs_error_t *err) {
  char p[512], v[32];
  snprintf(v, sizeof v, "%d", (int) pid);
  if (!nx_host.cgroup_v2) {
    for (int i = 0; i < NV1; i++) {
      v1_path(p, sizeof p, i, slot, "cgroup.procs");
      if (nx_write_file(p, v, err) < 0) return nx_wrap(err, "cgroup attach");
    }
    return 0;
  }
  v2_path(p, sizeof p, slot, "cgroup.procs");
  if (nx_write_file(p, v, err) < 0) return nx_wrap(err, "cgroup attach");
  return 0;
}

static void sleep_us(long us) {
  struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
  nanosleep(&ts, NULL);
}

int nx_cg_freeze(const char *slot, int freeze, noxs_error_t *err) {
  char p[512], buf[128];
  if (!nx_host.cgroup_v2) {
    v1_path(p, sizeof p, 3, slot, "freezer.state");
    const char *want = freeze ? "FROZEN" : "THAWED";
    if (nx_write_file(p, want, err) < 0) return nx_wrap(err, freeze ? "freeze" : "thaw");
    for (int i = 0; i < 5000; i++) { /* v1 freezing is asynchronous: FREEZING -> FROZEN */
      if (nx_read_file(p, buf, sizeof buf, err) < 0) return nx_wrap(err, "freezer state");
      if (strncmp(buf, want, strlen(want)) == 0) return 0;
      if (freeze && i % 100 == 99) nx_write_file(p, want, err);
      sleep_us(100);
    }
    return nx_fail(err, ETIMEDOUT, "freezer `%s` did not reach %s", p, want);
  }
  v2_path(p, sizeof p, slot, "cgroup.freeze");
  if (nx_write_file(p, freeze ? "1" : "0", err) < 0) return nx_wrap(err, freeze ? "freeze" : "thaw");
  v2_path(p, sizeof p, slot, "cgroup.events");
  for (int i = 0; i < 5000; i++) {
    if (nx_read_file(p, buf, sizeof buf, err) < 0) return nx_wrap(err, "cgroup.events");
    char *f = strstr(buf, "frozen ");
    if (f && (f[7] == '1') == !!freeze) return 0;
    sleep_us(100);
  }
  return nx_fail(err, ETIMEDOUT, "cgroup `%s` did not %s", p, freeze ? "freeze" : "thaw");
}

static int rmdir_retry(const char *p, noxs_error_t *err) {
  for (int i = 0; i < 2000; i++) {
    if (rmdir(p) == 0 || errno == ENOENT) return 0;
    if (errno != EBUSY) return nx_fail(err, errno, "rmdir `%s`", p);
    sleep_us(i < 100 ? 50 : 500); /* the exiting task leaves the cgroup asynchronously */
  }
  return nx_fail(err, EBUSY, "rmdir `%s`", p);
}

int nx_cg_remove(const char *slot, noxs_error_t *err) {
  char p[512];
  int rc = 0;
  if (!nx_host.cgroup_v2) {
    for (int i = 0; i < NV1; i++) {
      v1_path(p, sizeof p, i, slot, NULL);
      if (rmdir_retry(p, err) < 0) rc = -1;
    }
    return rc;
  }
  v2_path(p, sizeof p, slot, NULL);
  return rmdir_retry(p, err);
}

int nx_cg_limit_hit(const char *slot, char *what, size_t len) {
  char p[512], buf[512];
  noxs_error_t e;
  if (!nx_host.cgroup_v2) {
    v1_path(p, sizeof p, 0, slot, "memory.failcnt");
    if (nx_read_file(p, buf, sizeof buf, &e) > 0 && atoll(buf) > 0) {
      v1_path(p, sizeof p, 0, slot, "memory.limit_in_bytes");
      nx_read_file(p, buf, sizeof buf, &e);
      snprintf(what, len, "memory limit %lld KiB reached", atoll(buf) / 1024);
      return 1;
    }
    v1_path(p, sizeof p, 2, slot, "pids.events");
    if (nx_read_file(p, buf, sizeof buf, &e) > 0) {
      char *m = strstr(buf, "max ");
      if (m && atoll(m + 4) > 0) {
        snprintf(what, len, "pids limit reached");
        return 1;
      }
    }
    return 0;
  }
  v2_path(p, sizeof p, slot, "memory.events");
  if (nx_read_file(p, buf, sizeof buf, &e) > 0) {
    char *m = strstr(buf, "oom ");
    if (m && atoll(m + 4) > 0) {
      snprintf(what, len, "memory limit reached");
      return 1;
    }
  }
  v2_path(p, sizeof p, slot, "pids.events");
  if (nx_read_file(p, buf, sizeof buf, &e) > 0) {
    char *m = strstr(buf, "max ");
    if (m && atoll(m + 4) > 0) {
      snprintf(what, len, "pids limit reached");
      return 1;
    }
  }
  return 0;
}
