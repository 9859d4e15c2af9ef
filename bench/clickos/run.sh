#!/usr/bin/env bash
# bench/clickos/run.sh [--quick] - the clickos guest runtime benchmark.
# Run from the repository root (./mayfly bench clickos).  Needs root
# (network namespaces).  Writes bench/results/clickos.json and clickos.md.
#
# Metrics (bench/README.md, /work/shared/BENCH.md):
#   parse_firewall_config  us   parse + graph build + element init of the personal
#                               firewall (FlowFirewall + IPFilter 20 rules + ARP
#                               pass-through), in process, devices opened
#   idle_rss               KiB  RSS of an idle clickos running that firewall config
#   idle_rss_minimal       KiB  RSS of `clickos -e 'Idle -> Discard'`
#   idle_private_anon      KiB  private anonymous memory (Pss_Anon) of the idle firewall
#   forward_64b_pps        pkt/s 64-byte frames through FromDevice -> IPFilter(20) -> ToDevice
#   forward_tcp_gbps       Gb/s  iperf3 TCP through the same path
# Peers (same namespaces, same run): bridge_64b_pps, bridge_tcp_gbps (Linux bridge).
#
# Topology: netns S (veth s0) -- netns M (s1, d1) -- netns D (veth d0); M either
# bridges s1/d1 (peer) or runs clickos.  Offloads (TSO/GSO/GRO) are off on all
# veths for both runs: AF_PACKET forwarding handles MTU-sized frames only.
set -euo pipefail

QUICK=0
[[ "${1:-}" == "--quick" ]] && QUICK=1
ROOT=$(pwd)
CK="$ROOT/clickos-images"
BIN="$CK/target/bin/clickos"
HERE="$ROOT/bench/clickos"
OUT="$ROOT/bench/results"
mkdir -p "$OUT"
[[ $(id -u) -eq 0 ]] || { echo "clickos bench: needs root (network namespaces)" >&2; exit 1; }

if ((QUICK)); then PPS_DUR=2; TCP_DUR=3; PARSE_N=300; else PPS_DUR=5; TCP_DUR=8; PARSE_N=2000; fi
WARM=1

make -s -C "$CK" all target/libclickos.a >/dev/null
WORK=$(mktemp -d /tmp/clickos-bench.XXXXXX)
ID=$$
NS_S="mf-ckb${ID}-s"; NS_M="mf-ckb${ID}-m"; NS_D="mf-ckb${ID}-d"
PIDS=()

cleanup() {
  set +e
  for p in "${PIDS[@]:-}"; do [[ -n "$p" ]] && kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  for ns in "$NS_S" "$NS_M" "$NS_D"; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

log() { echo "[clickos bench] $*" >&2; }

# ------------------------------------------------------------ topology
ip netns add "$NS_S"; ip netns add "$NS_M"; ip netns add "$NS_D"
ip link add "ckb${ID}a" type veth peer name "ckb${ID}b"
ip link add "ckb${ID}c" type veth peer name "ckb${ID}d"
ip link set "ckb${ID}a" netns "$NS_S" name s0
ip link set "ckb${ID}b" netns "$NS_M" name s1
ip link set "ckb${ID}c" netns "$NS_M" name d1
ip link set "ckb${ID}d" netns "$NS_D" name d0
for pair in "$NS_S s0" "$NS_M s1" "$NS_M d1" "$NS_D d0"; do
  set -- $pair
  ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 2>/dev/null || true
  ip -n "$1" link set dev "$2" gso_max_segs 1 2>/dev/null || true
  if command -v ethtool >/dev/null; then ip netns exec "$1" ethtool -K "$2" tso off gso off gro off >/dev/null 2>&1 || true; fi
  ip -n "$1" link set dev "$2" up
  ip -n "$1" link set dev lo up
done
ip -n "$NS_S" addr add 10.99.0.1/24 dev s0
ip -n "$NS_D" addr add 10.99.0.2/24 dev d0
MAC_D0=$(ip -n "$NS_D" -o link show d0 | grep -o 'link/ether [0-9a-f:]*' | awk '{print $2}')
MAC_S0=$(ip -n "$NS_S" -o link show s0 | grep -o 'link/ether [0-9a-f:]*' | awk '{print $2}')

sed -e "/@RULES@/{r $HERE/rules.txt" -e 'd}' "$HERE/personal-firewall.click.in" > "$WORK/personal-firewall.click"
sed -e "/@RULES@/{r $HERE/rules.txt" -e 'd}' -e 's/@A@/s1/g; s/@B@/d1/g' "$HERE/forward.click.in" > "$WORK/forward.click"

# ------------------------------------------------------------ parse benchmark
log "parse_firewall_config ($PARSE_N runs)"
gcc -O2 -std=c11 -I"$CK/src" -I"$CK/include" -o "$WORK/parse_bench" "$HERE/parse_bench.c" "$CK/target/libclickos.a" \
  $(ls /usr/lib/x86_64-linux-gnu/libseccomp.a 2>/dev/null)
# devices "access"/"internet" are s1/d1 in namespace M
sed -e 's/define(\$ACCESS access, \$INTERNET internet)/define($ACCESS s1, $INTERNET d1)/' "$WORK/personal-firewall.click" > "$WORK/pf-m.click"
read -r P_N P50 P90 P99 PMAX < <(ip netns exec "$NS_M" "$WORK/parse_bench" "$WORK/pf-m.click" "$PARSE_N")

# ------------------------------------------------------------ idle RSS
rss_of() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
anon_of() { awk '/^Pss_Anon/ {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
log "idle_rss"
ip netns exec "$NS_M" "$BIN" "$WORK/pf-m.click" & IDLEPID=$!; PIDS+=("$IDLEPID")
sleep 1
IDLE_RSS=$(rss_of "$IDLEPID")
IDLE_ANON=$(anon_of "$IDLEPID")
kill "$IDLEPID" 2>/dev/null; wait "$IDLEPID" 2>/dev/null || true
"$BIN" -e 'Idle -> Discard' & MINPID=$!; PIDS+=("$MINPID")
sleep 0.5
MIN_RSS=$(rss_of "$MINPID")
kill "$MINPID" 2>/dev/null; wait "$MINPID" 2>/dev/null || true

# ------------------------------------------------------------ traffic helpers
hex2() { printf '%02x%02x' $(( ($1 >> 8) & 255 )) $(( $1 & 255 )); }
# 60-byte Ethernet frame (64 on the wire): UDP 10.99.0.1:9 -> 10.99.0.3:9 (not a
# local address of D, so D's stack drops it cheaply), dst MAC = d0.
make_frame() {
  local ip_words=(0x4500 0x002e 0x0000 0x0000 0x4011 0x0000 0x0a63 0x0001 0x0a63 0x0003) sum=0 w
  for w in "${ip_words[@]}"; do sum=$((sum + w)); done
  while ((sum >> 16)); do sum=$(( (sum & 0xffff) + (sum >> 16) )); done
  local ck=$(( ~sum & 0xffff ))
  local dst=${MAC_D0//:/} src=${MAC_S0//:/}
  echo "${dst}${src}0800 4500002e 00000000 4011$(hex2 $ck) 0a630001 0a630003 00090009 001a0000 $(printf '%036d' 0)"
}
FRAME=$(make_frame)

measure_pps() { # prints packets/s received at d0
  local rx="$WORK/rx.txt"
  ip netns exec "$NS_D" "$BIN" -e "FromDevice(d0, BURST 64) -> c :: Counter -> Discard;
    DriverManager(wait ${WARM}s, write c.reset, wait ${PPS_DUR}s, read c.count, stop)" 2>"$rx" &
  local rxpid=$!; PIDS+=("$rxpid")
  sleep 0.2
  ip netns exec "$NS_S" "$BIN" -e "InfiniteSource(DATA \\<${FRAME}>, BURST 32) -> ToDevice(s0, BURST 32);
    DriverManager(wait $((WARM + PPS_DUR + 1))s, stop)" 2>/dev/null &
  local txpid=$!; PIDS+=("$txpid")
  wait "$rxpid" || true
  kill "$txpid" 2>/dev/null; wait "$txpid" 2>/dev/null || true
  local n
  n=$(awk '/^c.count:/ {getline; print; exit}' "$rx")
  awk -v n="${n:-0}" -v d="$PPS_DUR" 'BEGIN { printf "%.0f", n / d }'
}
measure_tcp() { # prints Gb/s received
  ip netns exec "$NS_D" iperf3 -s -1 -B 10.99.0.2 >/dev/null 2>&1 &
  local spid=$!; PIDS+=("$spid")
  sleep 0.5
  timeout $((TCP_DUR + 15)) ip netns exec "$NS_S" iperf3 -c 10.99.0.2 -t "$TCP_DUR" --connect-timeout 3000 -J > "$WORK/iperf.json" 2>/dev/null || true
  kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null || true
  local v
  v=$(awk '/"sum_received"/ {f=1} f && /"bits_per_second"/ {gsub(/[^0-9.e+]/, "", $2); printf "%.3f", $2 / 1e9; exit}' "$WORK/iperf.json")
  echo "${v:-0}"
}

# ------------------------------------------------------------ Linux bridge (peer)
log "bridge: 64-byte pps and TCP"
ip -n "$NS_M" link add br0 type bridge
ip -n "$NS_M" link set s1 master br0
ip -n "$NS_M" link set d1 master br0
ip -n "$NS_M" link set br0 up
sleep 0.5
ip netns exec "$NS_S" ping -c 1 -W 2 10.99.0.2 >/dev/null 2>&1 || true
BR_PPS=$(measure_pps)
BR_TCP=$(measure_tcp)
ip -n "$NS_M" link del br0
sleep 0.2

# ------------------------------------------------------------ clickos
log "clickos: 64-byte pps and TCP"
ip netns exec "$NS_M" "$BIN" "$WORK/forward.click" 2>"$WORK/fwd.err" & FWDPID=$!; PIDS+=("$FWDPID")
sleep 0.5
ip netns exec "$NS_S" ping -c 1 -W 2 10.99.0.2 >/dev/null 2>&1 || true
CK_PPS=$(measure_pps)
CK_TCP=$(measure_tcp)
kill -INT "$FWDPID" 2>/dev/null; wait "$FWDPID" 2>/dev/null || true

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else printf "0" }'; }
R_PPS=$(ratio "${CK_PPS:-0}" "${BR_PPS:-0}")
R_TCP=$(ratio "${CK_TCP:-0}" "${BR_TCP:-0}")

KERNEL=$(uname -r)
CPUS=$(nproc)
MEMG=$(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)
JAVA=$(java -version 2>&1 | awk -F'"' '/version/ {print $2; exit}' || true)
STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)

cat > "$OUT/clickos.json" <<EOF
{
  "bench": "clickos",
  "started": "$STARTED",
  "host": {"cpus": $CPUS, "mem_gib": $MEMG, "kernel": "$KERNEL", "java": "${JAVA:-unknown}"},
  "params": {"quick": $([[ $QUICK == 1 ]] && echo true || echo false), "parse_runs": $PARSE_N, "pps_seconds": $PPS_DUR, "tcp_seconds": $TCP_DUR,
             "frame_bytes": 64, "ipfilter_rules": 20, "offloads": "tso/gso/gro off on all veths (both runs)"},
  "metrics": [
    {"name": "parse_firewall_config", "unit": "us", "n": ${P_N:-0}, "p50": ${P50:-0}, "p90": ${P90:-0}, "p99": ${P99:-0}, "max": ${PMAX:-0}},
    {"name": "idle_rss", "unit": "KiB", "value": ${IDLE_RSS:-0}},
    {"name": "idle_rss_minimal", "unit": "KiB", "value": ${MIN_RSS:-0}},
    {"name": "idle_private_anon", "unit": "KiB", "value": ${IDLE_ANON:-0}},
    {"name": "forward_64b_pps", "unit": "packets/s", "value": ${CK_PPS:-0}},
    {"name": "forward_tcp_gbps", "unit": "Gb/s", "value": ${CK_TCP:-0}}
  ],
  "peers": [
    {"name": "bridge_64b_pps", "unit": "packets/s", "value": ${BR_PPS:-0}},
    {"name": "bridge_tcp_gbps", "unit": "Gb/s", "value": ${BR_TCP:-0}}
  ],
  "ratios": [
    {"name": "forward_64b_pps/bridge_64b_pps", "value": $R_PPS},
    {"name": "forward_tcp_gbps/bridge_tcp_gbps", "value": $R_TCP}
  ]
}
EOF

cat > "$OUT/clickos.md" <<EOF
# clickos benchmark ($STARTED)

Host: $CPUS CPUs, $MEMG GiB, kernel $KERNEL. $( ((QUICK)) && echo "Quick run." )
Offloads (TSO/GSO/GRO) off on all veths for both the bridge and clickos runs.

| metric | value | goal |
|---|---|---|
| parse_firewall_config (FlowFirewall + IPFilter 20 rules + ARP, devices opened) | p50 ${P50} us, p90 ${P90}, p99 ${P99}, max ${PMAX} (n=${P_N}) | p50 <= 100 us |
| idle_rss (firewall config, idle) | ${IDLE_RSS} KiB | <= 1024 KiB |
| idle_rss_minimal (Idle -> Discard) | ${MIN_RSS} KiB | |
| idle_private_anon (firewall config; the rest of the RSS is the static binary's shared text) | ${IDLE_ANON} KiB | |
| forward_64b_pps (FromDevice -> IPFilter(20) -> ToDevice) | ${CK_PPS} | >= bridge |
| bridge_64b_pps (Linux bridge, peer) | ${BR_PPS} | |
| forward_64b_pps / bridge_64b_pps | ${R_PPS} | >= 1 |
| forward_tcp_gbps (iperf3) | ${CK_TCP} | |
| bridge_tcp_gbps (peer) | ${BR_TCP} | |
| forward_tcp_gbps / bridge_tcp_gbps | ${R_TCP} | >= 0.5 |
EOF
cat "$OUT/clickos.md"
