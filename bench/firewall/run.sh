#!/usr/bin/env bash
# ./mayfly bench firewall [--quick]: personal firewalls in the lab (docs/firewall.md).
# Starts a controller (temporary MAYFLY_HOME) and the lab (scripts/lab.sh) with UEs and
# bulk attachments, then bench/firewall/fwbench.py measures provision_to_forwarding,
# bulk_rate and TCP throughput through a firewall vs the direct path. Writes
# bench/results/firewall.{json,md}. Needs root. --quick: 20 UEs, 1000 bulk subscribers,
# 3 s iperf3 (same metric names).
#
# --pool N: warm firewall shells per agent (MAYFLY_POOL_SIZE). Default: one for every guest
# the run puts on a node (BULK/2 + UES/2 + 16): LightVM's split toolstack prepares shells
# ahead and executes on demand, so a burst starts from prepared shells instead of the refill
# rate; fwbench.py waits for the pools to be full before measuring and reports the wait
# (notes.pool_fill_wait_ms, ~70 s for 5066 per agent). About 0.5 MiB per shell. Until guests
# parked outside their ports' netns (docs/sandbox.md) 10 000 idle shells slowed the whole
# host and the default was capped at 1024. --pool 32 gives the old small-pool setup.
# MAYFLY_BENCH_LOGS=DIR keeps the controller's and the lab's logs there (the run's temporary
# MAYFLY_HOME is removed at exit).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
[[ $(id -u) -eq 0 ]] || { echo "[bench firewall] needs root (network namespaces)" >&2; exit 1; }

UES=100 BULK=10000 SECS=5 QUICK=0 POOL=""
while (($#)); do
  case "$1" in
    --quick) UES=20 BULK=1000 SECS=3 QUICK=1; shift ;;
    --ues) UES="$2"; shift 2 ;;
    --bulk) BULK="$2"; shift 2 ;;
    --pool) POOL="$2"; shift 2 ;;
    *) echo "[bench firewall] unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p /run/lock
exec 9>/run/lock/mayfly-lab.lock
flock -n 9 || { echo "[bench firewall] waiting for another lab run (lock /run/lock/mayfly-lab.lock) ..." >&2; flock 9; }
if ip netns list | grep -qE '^mf-(core|edge-a|edge-b)\b'; then
  echo "[bench firewall] a lab is running (./mayfly lab down first)" >&2; exit 1
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
WORK="$(mktemp -d /tmp/mf-bench-fw.XXXXXX)"
if [[ -z "$POOL" ]]; then
  POOL="${MAYFLY_LAB_POOL:-$((BULK / 2 + UES / 2 + 16))}"
fi
[[ "$POOL" =~ ^[0-9]+$ ]] || { echo "[bench firewall] --pool: not a number: $POOL" >&2; exit 2; }
export MAYFLY_HOME="$WORK" MAYFLY_LAB_DIR="$WORK/lab" MAYFLY_LAB_POOL="$POOL"
# slots for every guest plus the warm shells (a prepared shell holds its slot)
export MAYFLY_LAB_SLOTS=$((BULK / 2 + UES + POOL + 164))
HP="$(free_port)"; SP="$(free_port)"; PW="bench-$RANDOM$RANDOM"
CPID=""
LAB_OURS=0
cleanup() {
  trap - EXIT INT TERM
  if ((LAB_OURS)); then
    # agents killed at once (MAYFLY_LAB_AGENT_WAIT=0), not left to destroy 10 000 guests one by
    # one (each cross-connect bridge deletion waits for an RCU grace period under RTNL: ~7 min);
    # lab.sh reaps the guests from the slot journals and deleting the edge namespaces removes
    # every bridge and veth in one batch
    MAYFLY_LAB_AGENT_WAIT=0 bash "$ROOT/scripts/lab.sh" down || true
    # after a 10 000-guest run the first pass can leave the namespaces behind: once more
    if ip netns list | grep -qE '^mf-(core|edge-a|edge-b|ue[0-9]+)\b'; then
      bash "$ROOT/scripts/lab.sh" down || true
    fi
  fi
  if [[ -n "$CPID" ]]; then
    kill -TERM "$CPID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$CPID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$CPID" 2>/dev/null || true
  fi
  if [[ -n "${MAYFLY_BENCH_LOGS:-}" ]]; then # keep the controller's and the lab's logs
    mkdir -p "$MAYFLY_BENCH_LOGS" && cp -r "$WORK/log" "$MAYFLY_BENCH_LOGS/controller" && cp -r "$WORK/lab/log" "$MAYFLY_BENCH_LOGS/lab" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK/log" "$ROOT/bench/results"
echo "[bench firewall] controller (MAYFLY_HOME=$WORK) ..." >&2
cp controller/target/mayfly-controller.jar "$WORK/controller.jar" # a rebuild must not pull it away under us
java -jar "$WORK/controller.jar" --server.port="$HP" --mayfly.southbound.port="$SP" \
  --mayfly.southbound.extra-sans=10.77.254.1,10.77.254.5 --mayfly.admin.password="$PW" \
  --logging.level.dev.mayfly=WARN \
  >"$WORK/log/controller.log" 2>&1 9>&- &
CPID=$!
for _ in $(seq 1 600); do
  curl -fsS -o /dev/null "http://127.0.0.1:$HP/actuator/health" 2>/dev/null && break
  kill -0 "$CPID" 2>/dev/null || { tail -30 "$WORK/log/controller.log" >&2; exit 1; }
  sleep 0.5
done
echo "[bench firewall] lab: $UES UEs, $BULK bulk attachments ..." >&2
LAB_RC=0
# A Linux bridge takes at most 1024 ports, and adding a port costs O(ports) (br_add_if walks
# them: 7% of the CPU of a 10 000 bulk with 900-port bridges): one core bridge per 300
# guests of a node. BULK/5 more attachments for fwbench.py's warm-up batch.
NBR=$(((BULK / 2 + UES / 2 + 100) / 300 + 1))
WARM=$((BULK / 5))
bash scripts/lab.sh up --ues "$UES" --southbound-port "$SP" --bulk-attachments "$((BULK + WARM))" --core-bridges "$NBR" \
  || LAB_RC=$?
((LAB_RC == 3)) || LAB_OURS=1 # 3: somebody else's lab: leave it alone
((LAB_RC == 0)) || exit 1
python3 bench/firewall/fwbench.py "http://127.0.0.1:$HP/api/v1" "$PW" "$ROOT/bench/results" \
  --ues "$UES" --bulk "$BULK" --warm-bulk "$WARM" --iperf-seconds "$SECS" --quick "$QUICK" --pool "$POOL"
echo "[bench firewall] wrote bench/results/firewall.json and firewall.md" >&2
