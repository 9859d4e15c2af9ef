#!/usr/bin/env bash
# ./mayfly bench boot [--quick]  ->  bench/results/boot.json, boot.md, boot-latency.png
#
# Boot latency of sandbox guests (pooled and cold) as the node fills, memory per guest,
# density, destroy time; peers measured in the same run: fork+exec of a static binary and
# `crun run` of a minimal bundle. Also the agent's firewall create path (create_fw,
# create_fw_rate, create_fw_cpu: N firewall-shaped CREATE commands through the agent's
# CommandDispatcher, access cross-connected, core on a bridge, pool pre-filled) with its
# peer iproute2_fw_links (the same links from one `ip -batch`). MAYFLY_AGENT_WORKERS applies.
# Run from the repo root, as root. Format: BENCH.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
quick=()
n_peer=200; n_crun=50
for a in "$@"; do
  case "$a" in
    --quick) quick=(--quick); n_peer=100; n_crun=20 ;;
    *) echo "bench boot: unknown option $a (usage: ./mayfly bench boot [--quick])" >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "bench boot: needs root (namespaces, cgroups)" >&2; exit 1; }
jar="$root/edge-agent/target/edge-agent-0.1.0-SNAPSHOT-all.jar"
if [[ ! -f "$jar" || ! -x "$root/clickos-images/target/bin/clickos" ]]; then
  echo "bench boot: building clickos-images and edge-agent (tests skipped)" >&2
  mvn -B -q -o -pl clickos-images,edge-agent -am install -DskipTests
fi
out="$root/bench/results"; mkdir -p "$out"
work="$(mktemp -d /tmp/mayfly-bootbench.XXXXXX)"
trap 'rm -rf "$work"' EXIT

# --- peers -------------------------------------------------------------------------
gcc -O2 -o "$work/spawn" bench/boot/spawn.c
printf 'int main(void){return 0;}\n' > "$work/true.c"
gcc -O2 -static -o "$work/true" "$work/true.c"
"$work/spawn" "$n_peer" "$work/true" > "$work/fork_exec.txt"

# crun: Debian's crun fails on this host while the cgroup v2 hierarchy holds hugetlb;
# mounting a v1 hugetlb hierarchy first makes it run (see DEVELOPERS.md).
if command -v crun >/dev/null; then
  if ! mountpoint -q /sys/fs/cgroup/hugetlb 2>/dev/null; then
    mkdir -p /sys/fs/cgroup/hugetlb && mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb || true
  fi
  mkdir -p "$work/bundle/rootfs"
  cp "$work/true" "$work/bundle/rootfs/true"
  (cd "$work/bundle" && crun spec)
  python3 - "$work/bundle/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["/true"]
c["root"]["readonly"] = True
json.dump(c, open(p, "w"))
PY
  crun_cmd="$(command -v crun)"
  if "$work/spawn" 1 "$crun_cmd" run --bundle "$work/bundle" mayfly-bench-crun >/dev/null 2>"$work/crun.err"; then
    "$work/spawn" "$n_crun" "$crun_cmd" run --bundle "$work/bundle" mayfly-bench-crun > "$work/crun_run.txt"
  else
    echo "bench boot: crun run failed, peer skipped: $(cat "$work/crun.err")" >&2
  fi
fi

# --- the sandbox driver ------------------------------------------------------------
java -Xss512k -cp "$jar" dev.mayfly.agent.driver.sandbox.BootBench "${quick[@]}" --out "$out" \
  --peer fork_exec="$work/fork_exec.txt" --peer crun_run="$work/crun_run.txt"
echo "bench boot: wrote $out/boot.json, boot.md, boot-latency.png" >&2
