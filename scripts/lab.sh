#!/usr/bin/env bash
# lab.sh - a lab of network namespaces on this machine for the personal-firewall use case
# (ARCHITECTURE §6, issue 5; docs/lab.md). Every name starts with mf- so that
# `./mayfly clean-host` finds leftovers.
#
#   lab.sh up [--ues N] [--southbound-port P] [--no-agents] [--bulk-attachments N (veths b0.. per edge)]
#             [--core-bridges K (mfcore0..K-1 per edge node; node label mayfly.core-bridge)]
#   lab.sh down            remove everything the lab created (also after a crash)
#   lab.sh exec NAME CMD   run CMD in namespace mf-NAME (ue1, core, edge-a, ...)
#   lab.sh status          what exists now
#   lab.sh handover UE TARGET  move UE's link to edge TARGET and call the handover API (issue 6)
#
# Topology (addresses only inside the lab's own namespaces, plus the root ends of the two
# control links):
#
#   root ns: controller (southbound 0.0.0.0:P)
#     mfc-a 10.77.254.1/30 ===veth=== ctl0 10.77.254.2/30  [mf-edge-a]  agent "edge-a"
#     mfc-b 10.77.254.5/30 ===veth=== ctl0 10.77.254.6/30  [mf-edge-b]  agent "edge-b"
#   [mf-edge-X]: bridge mfcore0 (guests' core ports) + core0 ===veth=== to-X0 on br0 [mf-core]
#                (--core-bridges K: mfcore0..K-1, each with its own uplink coreK / to-XK)
#   [mf-core]:   bridge br0 10.77.0.1/17; HTTP :8080, TCP echo :7777, iperf3 :5201
#   [mf-ueN]:    eth0 10.77.1.N/17 ===veth=== ueN in its edge ns (the subscriber's attachment)
#                ue1, ue3, ... on edge-a; ue2, ue4, ... on edge-b
#
# One lab per machine (fixed names): whole runs (tests/e2e/firewall_test.sh, bench firewall,
# ./mayfly up --lab) hold the lock $LAB_LOCK (flock on fd 9) so that they queue up.
# Environment: MAYFLY_HOME (bootstrap token + CA of the controller), MAYFLY_LAB_DIR (state,
# logs, pid files; default $MAYFLY_HOME/lab), MAYFLY_LAB_POOL (warm shells per agent, 16),
# MAYFLY_LAB_SLOTS (guest slots per agent, 6000), MAYFLY_AGENT_JAVA_OPTS (extra JVM options of
# the agents, split on blanks).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${MAYFLY_HOME:=${HOME:-/root}/.local/share/mayfly}"
: "${MAYFLY_LAB_DIR:=$MAYFLY_HOME/lab}"
AGENT_JAR="$ROOT/edge-agent/target/edge-agent-0.1.0-SNAPSHOT-all.jar"
CLICKOS_BIN="$ROOT/clickos-images/target/bin/clickos"
EDGES=(a b)
SERVER_IP=10.77.0.1
LAB_LOCK=/run/lock/mayfly-lab.lock
SERVER_MAC=02:6d:66:00:00:01

log() { printf '[lab] %s\n' "$*" >&2; }
die() { printf '[lab] error: %s\n' "$*" >&2; exit 1; }

need_root() { [[ $(id -u) -eq 0 ]] || die "the lab needs root (network namespaces)"; }

ue_ip() { echo "10.77.1.$1"; }            # N <= 250
ue_edge() { if (( $1 % 2 == 1 )); then echo a; else echo b; fi; }
ctl_root_ip() { [[ $1 == a ]] && echo 10.77.254.1 || echo 10.77.254.5; }
dp_ip() { [[ $1 == a ]] && echo 10.77.253.1 || echo 10.77.253.2; }   # migration link (issue 6)
DP_PORT=7600
ctl_edge_ip() { [[ $1 == a ]] && echo 10.77.254.2 || echo 10.77.254.6; }

nsx() { local ns="$1"; shift; ip netns exec "$ns" "$@"; }

quiet_ns() { # no IPv6 chatter (router solicitations, DAD) in the lab
  nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1 || true
  nsx "$1" ip link set lo up
}

start_bg() { # name ns cmd... : a process inside namespace ns, pid in $MAYFLY_LAB_DIR/pids/name
  local name="$1" ns="$2"; shift 2
  mkdir -p "$MAYFLY_LAB_DIR/pids" "$MAYFLY_LAB_DIR/log"
  setsid ip netns exec "$ns" "$@" >"$MAYFLY_LAB_DIR/log/$name.log" 2>&1 </dev/null 9>&- &
  echo $! >"$MAYFLY_LAB_DIR/pids/$name"
}

cmd_up() {
  need_root
  local ues=2 sb_port="${MAYFLY_SOUTHBOUND_PORT:-7443}" agents=1 bulk=0 nbr=1
  while (($#)); do
    case "$1" in
      --ues) ues="$2"; shift 2 ;;
      --southbound-port) sb_port="$2"; shift 2 ;;
      --no-agents) agents=0; shift ;;
      --bulk-attachments) bulk="$2"; shift 2 ;;
      --core-bridges) nbr="$2"; shift 2 ;;
      *) die "up: unknown option '$1'" ;;
    esac
  done
  [[ "$ues" =~ ^[0-9]+$ ]] && ((ues >= 0 && ues <= 250)) || die "--ues: 0..250"
  [[ "$nbr" =~ ^[0-9]+$ ]] && ((nbr >= 1 && nbr <= 64)) || die "--core-bridges: 1..64"
  local labels="mayfly.core-bridge=mfcore0" k
  for ((k = 1; k < nbr; k++)); do labels+=":mfcore$k"; done
  if ip netns list | grep -qE '^mf-(core|edge-a|edge-b|ue[0-9]+)\b'; then
    printf '[lab] error: a lab exists already (./mayfly lab down first)\n' >&2
    exit 3 # distinct: the caller did not create it and must not tear it down
  fi
  mkdir -p "$MAYFLY_LAB_DIR"
  echo "$ues" >"$MAYFLY_LAB_DIR/ues"

  # core network + server host
  ip netns add mf-core
  quiet_ns mf-core
  nsx mf-core ip link add br0 address "$SERVER_MAC" type bridge   # fixed MAC: ports do not change it
  nsx mf-core ip addr add "$SERVER_IP/17" dev br0
  nsx mf-core ip link set br0 up

  local e
  for e in "${EDGES[@]}"; do
    ip netns add "mf-edge-$e"
    quiet_ns "mf-edge-$e"
    # control link root <-> edge (the agent dials the controller through it)
    ip link add "mfc-$e" type veth peer name ctl0 netns "mf-edge-$e"
    ip addr add "$(ctl_root_ip "$e")/30" dev "mfc-$e"
    ip link set "mfc-$e" up
    nsx "mf-edge-$e" ip addr add "$(ctl_edge_ip "$e")/30" dev ctl0
    nsx "mf-edge-$e" ip link set ctl0 up
    # core bridge(s) of the node, each with an uplink to the core network (a Linux bridge
    # holds at most 1024 ports: more guests per node need more bridges). No multicast
    # snooping: firewall guests join no groups, and a snooping bridge gives every port a
    # multicast context and two own-query timers (docs/sandbox.md)
    local k
    for ((k = 0; k < nbr; k++)); do
      nsx "mf-edge-$e" ip link add "mfcore$k" type bridge forward_delay 0 mcast_snooping 0
      nsx "mf-edge-$e" ip link set "mfcore$k" up
      nsx "mf-edge-$e" ip link add "core$k" type veth peer name "to-$e$k" netns mf-core
      nsx "mf-edge-$e" ip link set "core$k" master "mfcore$k" up
      nsx mf-core ip link set "to-$e$k" master br0 up
    done
  done

  # data-plane link edge-a <-> edge-b for agent-to-agent migration transfers (issue 6)
  ip link add mfdp-a netns mf-edge-a type veth peer name mfdp-b netns mf-edge-b
  nsx mf-edge-a ip addr add "$(dp_ip a)/30" dev mfdp-a
  nsx mf-edge-b ip addr add "$(dp_ip b)/30" dev mfdp-b
  nsx mf-edge-a ip link set mfdp-a up
  nsx mf-edge-b ip link set mfdp-b up

  # UEs get a static neighbour entry for the server: a mobile UE does not ARP (its PDU
  # session is L3), and it keeps the kernel's ARP retry timers (1 s) out of what the tests
  # and the benchmark measure when a firewall appears in the path
  local i ns
  for ((i = 1; i <= ues; i++)); do
    ns="mf-ue$i"
    e="$(ue_edge "$i")"
    ip netns add "$ns"
    quiet_ns "$ns"
    nsx "$ns" ip link add eth0 type veth peer name "ue$i" netns "mf-edge-$e"
    nsx "$ns" ip addr add "$(ue_ip "$i")/17" dev eth0
    nsx "$ns" ip link set eth0 up
    nsx "$ns" ip neigh replace "$SERVER_IP" lladdr "$SERVER_MAC" dev eth0 nud permanent
    nsx "mf-edge-$e" ip link set "ue$i" up
  done

  if ((bulk > 0)); then # attachment interfaces for bulk provisioning (no UE behind: veth
    # pairs with the peer left alone, since not every kernel has the dummy driver)
    local per=$(((bulk + 1) / 2)) f
    for e in "${EDGES[@]}"; do
      f="$MAYFLY_LAB_DIR/bulk-$e.batch"
      : >"$f"
      for ((i = 0; i < per; i++)); do
        printf 'link add b%d type veth peer name bp%d\nlink set b%d up\nlink set bp%d up\n' "$i" "$i" "$i" "$i" >>"$f"
        # a GETLINK runs the link's pending link-watch event now: 10 000 new veths left to the
        # kernel's 100-a-second link-watch backlog delayed every later guest port for minutes
        printf 'link show dev b%d\nlink show dev bp%d\n' "$i" "$i" >>"$f"
      done
      nsx "mf-edge-$e" ip -batch "$f" >/dev/null
    done
    echo "$per" >"$MAYFLY_LAB_DIR/bulk-per-edge"
  fi

  # servers on the core host
  start_bg http mf-core python3 -m http.server 8080 --bind "$SERVER_IP"
  start_bg echo mf-core python3 "$ROOT/scripts/lab/echo_server.py" "$SERVER_IP" 7777
  start_bg iperf3 mf-core iperf3 -s -B "$SERVER_IP" -p 5201
  log "core: $SERVER_IP (http :8080, echo :7777, iperf3 :5201); $ues UE(s)"

  if ((agents)); then
    [[ -f "$AGENT_JAR" ]] || die "edge agent not built ($AGENT_JAR): ./mayfly build"
    # private copies: a rebuild of target/ while the lab runs must not pull them away
    cp "$AGENT_JAR" "$MAYFLY_LAB_DIR/agent.jar"
    cp "$CLICKOS_BIN" "$MAYFLY_LAB_DIR/clickos"
    [[ -f "$MAYFLY_HOME/bootstrap-token" && -f "$MAYFLY_HOME/pki/ca.pem" ]] \
      || die "no controller state in $MAYFLY_HOME (start the controller first: bootstrap-token, pki/ca.pem)"
    for e in "${EDGES[@]}"; do
      mkdir -p "$MAYFLY_LAB_DIR/pids" "$MAYFLY_LAB_DIR/log" "$MAYFLY_LAB_DIR/agents/edge-$e"
      # nsenter --net: only the network namespace changes (ip netns exec would remount
      # /sys and hide the cgroup hierarchies the sandbox driver needs)
      setsid nsenter --net="/run/netns/mf-edge-$e" env MAYFLY_CLICKOS="$MAYFLY_LAB_DIR/clickos" \
        MAYFLY_POOL_SIZE="${MAYFLY_LAB_POOL:-16}" \
        java -Xmx1g ${MAYFLY_AGENT_JAVA_OPTS:-} -jar "$MAYFLY_LAB_DIR/agent.jar" --controller "$(ctl_root_ip "$e"):$sb_port" --node-name "edge-$e" \
        --state-dir "$MAYFLY_LAB_DIR/agents/edge-$e" \
        --bootstrap-token-file "$MAYFLY_HOME/bootstrap-token" --ca-cert "$MAYFLY_HOME/pki/ca.pem" \
        --guest-slots "${MAYFLY_LAB_SLOTS:-6000}" --destroy-guests-on-exit --labels "$labels" \
        --data-plane-address "$(dp_ip "$e"):$DP_PORT" \
        >"$MAYFLY_LAB_DIR/log/agent-edge-$e.out" 2>"$MAYFLY_LAB_DIR/log/agent-edge-$e.log" </dev/null 9>&- &
      echo $! >"$MAYFLY_LAB_DIR/pids/agent-edge-$e"
    done
    # READY: enrolled, connected and registered. Two JVMs starting at once on a loaded
    # machine (a CI run beside builds) can take well over a minute: MAYFLY_LAB_AGENT_READY_WAIT
    # seconds (default 180) before giving up, with the agent's log tail.
    local ready_wait="${MAYFLY_LAB_AGENT_READY_WAIT:-180}" t0=$SECONDS
    for e in "${EDGES[@]}"; do
      while ((SECONDS - t0 < ready_wait)); do
        grep -q "READY" "$MAYFLY_LAB_DIR/log/agent-edge-$e.out" 2>/dev/null && break
        kill -0 "$(cat "$MAYFLY_LAB_DIR/pids/agent-edge-$e")" 2>/dev/null \
          || { tail -20 "$MAYFLY_LAB_DIR/log/agent-edge-$e.log" >&2; die "agent edge-$e exited"; }
        sleep 0.1
      done
      if ! grep -q "READY" "$MAYFLY_LAB_DIR/log/agent-edge-$e.out"; then
        tail -20 "$MAYFLY_LAB_DIR/log/agent-edge-$e.log" >&2
        die "agent edge-$e not READY after $ready_wait s (log: $MAYFLY_LAB_DIR/log/agent-edge-$e.log)"
      fi
      log "agent edge-$e READY after $((SECONDS - t0)) s (controller $(ctl_root_ip "$e"):$sb_port)"
    done
  fi
  # wait for the servers to listen
  local t
  for ((t = 0; t < 100; t++)); do
    nsx mf-core bash -c "exec 3<>/dev/tcp/$SERVER_IP/8080" 2>/dev/null && break
    sleep 0.1
  done
  log "lab up (state: $MAYFLY_LAB_DIR)"
}

stop_pid() { # pidfile [wait seconds]
  local f="$1" wait_s="${2:-10}" p
  p="$(cat "$f" 2>/dev/null || true)"
  [[ -n "$p" ]] || { rm -f "$f"; return 0; }
  if kill -0 "$p" 2>/dev/null; then
    kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null || true
    local t
    for ((t = 0; t < wait_s * 10; t++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null || true
  fi
  rm -f "$f"
}

# Guests or prepared shells an agent left behind (killed before it destroyed them): the
# driver's slot journal names slot and pid; a pid is killed only while it still sits in that
# slot's cgroup, then the slot's cgroups are removed.
reap_slots() {
  local f slot pid c slots=()
  # the sandbox driver's slot journal (tab-separated: kind, slot, key=value..., checksum;
  # the latest record of a slot wins, GONE ends it): what is left is a slot the agent left
  for f in "$MAYFLY_LAB_DIR"/agents/*/sandbox/slots/journal "$MAYFLY_LAB_DIR"/agents/*/slots/journal; do
    [[ -e "$f" ]] || continue
    while IFS=$'\t' read -r slot pid; do
      [[ "$slot" =~ ^[A-Za-z0-9_-]{1,16}$ ]] || continue
      if [[ "$pid" =~ ^[0-9]+$ ]] && grep -q "/mayfly/$slot\$" "/proc/$pid/cgroup" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
      fi
      slots+=("$slot")
    done < <(awk -F'\t' '$1=="GONE" {delete live[$2]; next}
      $1=="PREPARING" || $1=="SHELL" || $1=="GUEST" {p=""; for (i = 3; i < NF; i++) if (substr($i, 1, 4) == "pid=") p = substr($i, 5); live[$2] = p}
      END {for (s in live) print s "\t" live[s]}' "$f")
    rm -f "$f"
  done
  ((${#slots[@]})) || return 0
  log "reaped ${#slots[@]} slot(s) the agents left behind"
  sleep 0.5
  for slot in "${slots[@]}"; do
    for c in /sys/fs/cgroup/*/mayfly/"$slot" /sys/fs/cgroup/unified/mayfly/"$slot"; do
      [[ -d "$c" ]] && { rmdir "$c" 2>/dev/null || true; }
    done
  done
}

cmd_down() {
  need_root
  local f
  # agents first (they destroy their guests on SIGTERM), then the servers
  # (an agent destroys its guests on SIGTERM: give it MAYFLY_LAB_AGENT_WAIT seconds, 60)
  for f in "$MAYFLY_LAB_DIR"/pids/agent-*; do [[ -e "$f" ]] && stop_pid "$f" "${MAYFLY_LAB_AGENT_WAIT:-60}"; done
  for f in "$MAYFLY_LAB_DIR"/pids/*; do [[ -e "$f" ]] && stop_pid "$f"; done
  reap_slots
  local ns p
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^mf-(core|edge-[ab]|ue[0-9]+)$' || true); do
    # anything still running inside a lab namespace was started by the lab (or its guests)
    for p in $(ip netns pids "$ns" 2>/dev/null || true); do kill -KILL "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  local e
  for e in "${EDGES[@]}"; do ip link del "mfc-$e" 2>/dev/null || true; done
  rm -f "$MAYFLY_LAB_DIR"/bulk-*.batch
  log "lab down"
}

cmd_exec() {
  need_root
  local name="${1:-}"
  [[ -n "$name" ]] || die "exec: NAME required (ue1, core, edge-a, ...)"
  shift
  (($#)) || die "exec: command required"
  ip netns list | awk '{print $1}' | grep -qx "mf-$name" || die "no lab namespace mf-$name"
  exec ip netns exec "mf-$name" "$@"
}

cmd_status() {
  local ns f
  echo "namespaces:"
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^mf-' | sort -V || true); do
    echo "  $ns"
  done
  echo "processes:"
  for f in "$MAYFLY_LAB_DIR"/pids/*; do
    [[ -e "$f" ]] || continue
    if kill -0 "$(cat "$f")" 2>/dev/null; then echo "  $(basename "$f") pid $(cat "$f") running"
    else echo "  $(basename "$f") pid $(cat "$f") gone"; fi
  done
}

# ---- handover (issue 6, docs/handover.md) ------------------------------------------------
# lab.sh handover UE TARGET: the UE moved to another cell. Moves the UE's link (the veth peer
# ueN) from its edge namespace into the target's and tells the controller
# (POST /subscribers/{id}/handover {targetNode, attachment}); waits for the operation and prints
# it. API: MAYFLY_API (default http://127.0.0.1:${MAYFLY_HTTP_PORT:-8080}/api/v1), password
# MAYFLY_ADMIN_PASSWORD or $MAYFLY_HOME/admin-password.
cmd_handover() {
  need_root
  local ue="${1:-}" target="${2:-}"
  [[ "$ue" =~ ^ue([0-9]+)$ ]] || die "handover: UE required (ue1, ue2, ...)"
  local n="${BASH_REMATCH[1]}"
  target="${target#mf-}"
  [[ "$target" =~ ^edge-[ab]$ ]] || die "handover: TARGET must be edge-a or edge-b"
  local api="${MAYFLY_API:-http://127.0.0.1:${MAYFLY_HTTP_PORT:-8080}/api/v1}"
  local pw="${MAYFLY_ADMIN_PASSWORD:-$(cat "$MAYFLY_HOME/admin-password" 2>/dev/null || true)}"
  [[ -n "$pw" ]] || die "handover: no admin password (MAYFLY_ADMIN_PASSWORD or $MAYFLY_HOME/admin-password)"
  local from=""
  ip -n mf-edge-a link show "ue$n" >/dev/null 2>&1 && from=edge-a
  ip -n mf-edge-b link show "ue$n" >/dev/null 2>&1 && from=edge-b
  [[ -n "$from" ]] || die "handover: no link ue$n in mf-edge-a or mf-edge-b"
  local sub
  sub="$(curl -fsS -u "admin:$pw" "$api/subscribers?ueIp=$(ue_ip "$n")" | python3 -c \
    'import json,sys; i=json.load(sys.stdin)["items"]; print(i[0]["id"] if i else "")')" \
    || die "handover: cannot list subscribers at $api"
  [[ -n "$sub" ]] || die "handover: no subscriber with UE IP $(ue_ip "$n")"
  # the bridge holding the link on the source (the firewall guest's cross-connect): an interface
  # that leaves a namespace leaves its bridge, so a link that comes back after a refused or failed
  # handover is put into it again (the source guest still runs and serves it)
  local xbr
  xbr="$(ip -n "mf-$from" -o link show "ue$n" 2>/dev/null | sed -n 's/.* master \([^ ]*\) .*/\1/p')"
  back() { # the link returns to the source, into its cross-connect again
    ip -n "mf-$target" link set "ue$n" netns "mf-$from" 2>/dev/null && ip -n "mf-$from" link set "ue$n" up \
      && { [[ -z "$xbr" ]] || ip -n "mf-$from" link set "ue$n" master "$xbr"; }
  }
  if [[ "$from" != "$target" ]]; then # the radio side of the handover: the link moves
    ip -n "mf-$from" link set "ue$n" netns "mf-$target"
    ip -n "mf-$target" link set "ue$n" up
  fi
  local out status body
  out="$(curl -sS -u "admin:$pw" -H 'Content-Type: application/json' -w '\n%{http_code}' -X POST \
    "$api/subscribers/$sub/handover" -d "{\"targetNode\":\"$target\",\"attachment\":\"ue$n\"}")"
  status="${out##*$'\n'}"; body="${out%$'\n'*}"
  if [[ "$status" != 202 ]]; then
    if [[ "$from" != "$target" ]]; then # refused: the link goes back
      back
    fi
    echo "$body"
    die "handover refused (HTTP $status)"
  fi
  local op t state
  op="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$body")"
  for ((t = 0; t < 600; t++)); do
    body="$(curl -fsS -u "admin:$pw" "$api/operations/$op")"
    state="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])' <<<"$body")"
    [[ "$state" == RUNNING || "$state" == PENDING ]] || break
    sleep 0.05
  done
  echo "$body"
  if [[ "$state" != SUCCEEDED ]]; then
    if [[ "$from" != "$target" ]]; then # the firewall stayed on the source: so does the link
      back
    fi
    die "handover of $sub to $target: $state"
  fi
  log "handover of $sub (ue$n) $from -> $target: SUCCEEDED"
}

cmd="${1:-}"
shift || true
case "$cmd" in
  up) cmd_up "$@" ;;
  down) cmd_down ;;
  exec) cmd_exec "$@" ;;
  status) cmd_status ;;
  handover) cmd_handover "$@" ;;
  ue-ip) ue_ip "$1" ;;
  ue-edge) echo "edge-$(ue_edge "$1")" ;;
  *) echo "usage: lab.sh up [--ues N] [--southbound-port P] [--no-agents] [--bulk-attachments N] | down | exec NAME CMD... | status | handover UE TARGET" >&2; exit 2 ;;
esac
