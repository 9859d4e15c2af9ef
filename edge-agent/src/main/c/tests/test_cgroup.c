/* test_cgroup.c - per-slot cgroups: limits, freezer, removal (root only). */
#include "noxs_internal.h"
#include "harness.h"
#include <stdio.h>
#include <sys/stat.h>

static int init_host(noxs_error_t *e) {
  const char *stub = getenv("NOXS_STUB_GUEST");
  return noxs_host_init(stub ? stub : "/bin/true", "/run/mayfly-test-root", 0, e);
}

TEST(create_limits_remove) {
  if (getuid() != 0) SKIP("needs root");
  noxs_error_t e;
  CHECK_OK(init_host(&e), &e);
  CHECK_OK(nx_cg_create("tcg1", 16 << 20, 50, 8, &e), &e);
  char buf[64], p[256];
  if (!nx_host.cgroup_v2) {
    CHECK(nx_read_file("/sys/fs/cgroup/memory/mayfly/tcg1/memory.limit_in_bytes", buf, sizeof buf, &e) > 0);
    CHECK(atoll(buf) == 16 << 20);
    CHECK(nx_read_file("/sys/fs/cgroup/cpu/mayfly/tcg1/cpu.shares", buf, sizeof buf, &e) > 0);
    CHECK(atoi(buf) == 512);
    CHECK(nx_read_file("/sys/fs/cgroup/pids/mayfly/tcg1/pids.max", buf, sizeof buf, &e) > 0);
    CHECK(atoi(buf) == 8);
  }
  /* an existing slot is refused, not silently shared */
  CHECK(nx_cg_create("tcg1", 0, 100, 0, &e) < 0 && e.status == EEXIST);
  CHECK_OK(nx_cg_freeze("tcg1", 1, &e), &e);
  CHECK_OK(nx_cg_freeze("tcg1", 0, &e), &e);
  char what[64];
  CHECK(nx_cg_limit_hit("tcg1", what, sizeof what) == 0);
  CHECK_OK(nx_cg_remove("tcg1", &e), &e);
  struct stat st;
  snprintf(p, sizeof p, nx_host.cgroup_v2 ? "%s/mayfly/tcg1" : "/sys/fs/cgroup/memory/mayfly/tcg1",
           nx_host.cg_v2_base);
  CHECK(stat(p, &st) < 0 && errno == ENOENT);
  if (!nx_host.cgroup_v2) {
    const char *ctrl[] = {"cpu", "pids", "freezer"};
    for (int i = 0; i < 3; i++) {
      snprintf(p, sizeof p, "/sys/fs/cgroup/%s/mayfly/tcg1", ctrl[i]);
      CHECK(stat(p, &st) < 0 && errno == ENOENT);
    }
  }
  /* removing again is fine (idempotent cleanup) */
  CHECK_OK(nx_cg_remove("tcg1", &e), &e);
  return 0;
}

int main(void) {
  RUN(create_limits_remove);
  HARNESS_END("test_cgroup");
}
