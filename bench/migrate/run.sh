#!/usr/bin/env bash
# ./mayfly bench migrate [--quick]  ->  bench/results/migrate.json, migrate.md
#
# Live migration of a personal-firewall guest (clickos FlowFirewall) holding 0, 1 000, 10 000
# and 100 000 flows between two sandbox drivers with their own agent migration handlers
# (mutual TLS over 127.0.0.1, certificates shaped like enrolment certificates), driven by the
# shared MigrationMachine with the controller's command sequence (AgentCommandSteps): the live
# path (target booted ahead, the downtime in one agent-to-agent command) and, interleaved in the
# same run, the stop-and-copy path as the peer. The table is filled by restoring a synthetic
# clickos checkpoint (docs/handover.md). Metrics: downtime_N (pause -> resume), total_N (ms),
# phase_<phase>_N; peers stopcopy_downtime_N, stopcopy_total_N and their ratios. Needs root.
# The agents warm the transfer path up as a long-running agent would have (256 MiB of loopback
# transfers, docs/migration.md) before anything is measured.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
quick=()
for a in "$@"; do
  case "$a" in
    --quick) quick=(--quick) ;;
    *) echo "bench migrate: unknown option $a (usage: ./mayfly bench migrate [--quick])" >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "bench migrate: needs root (namespaces, cgroups)" >&2; exit 1; }
jar="$root/edge-agent/target/edge-agent-0.1.0-SNAPSHOT-all.jar"
bench_jar="$root/bench/target/mayfly-bench.jar"
if [[ ! -f "$jar" || ! -x "$root/clickos-images/target/bin/clickos" || ! -f "$bench_jar" ]]; then
  echo "bench migrate: building clickos-images, edge-agent and bench (tests skipped)" >&2
  mvn -B -q -o -pl clickos-images,edge-agent,bench -am install -DskipTests
fi
out="$root/bench/results"; mkdir -p "$out"
work="$(mktemp -d /tmp/mayfly-migbench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
# private copies: a rebuild of the shared jars during the run must not pull classes from under it
cp "$jar" "$work/agent.jar" && jar="$work/agent.jar"
cp "$bench_jar" "$work/bench.jar" && bench_jar="$work/bench.jar"

# a throwaway CA and two agent identities (CN = node, client-auth usage, no SAN: as enrolment)
pki() {
  openssl ecparam -name prime256v1 -genkey -noout -out "$work/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$work/ca.key" -subj "/CN=mayfly-bench-ca" -days 1 -out "$work/ca.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  local n
  for n in a b; do
    mkdir -p "$work/certs/$n"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/certs/$n/agent.key" 2>/dev/null
    openssl req -new -key "$work/certs/$n/agent.key" -subj "/CN=edge-$n" -out "$work/$n.csr" 2>/dev/null
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' \
      > "$work/ext.cnf"
    openssl x509 -req -in "$work/$n.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 1 \
      -extfile "$work/ext.cnf" -out "$work/certs/$n/agent.pem" 2>/dev/null
    cp "$work/ca.pem" "$work/certs/$n/ca.pem"
  done
}
pki
printf "<configuration><appender name=\"E\" class=\"ch.qos.logback.core.ConsoleAppender\"><target>System.err</target><encoder><pattern>%%msg%%n</pattern></encoder></appender><root level=\"WARN\"><appender-ref ref=\"E\"/></root></configuration>\n" > "$work/logback.xml"
java -Xss512k -Dmayfly.migration.warmup.mib=256 -Dlogback.configurationFile="$work/logback.xml" -cp "$jar" dev.mayfly.agent.migration.MigrateBench "${quick[@]}" --certs "$work/certs" \
  --samples "$work/samples.txt"
java -cp "$bench_jar" dev.mayfly.bench.MigrateBench "$work/samples.txt" "$out" \
  "quick=$([[ ${#quick[@]} -gt 0 ]] && echo true || echo false)" \
  "fill=synthetic clickos checkpoint restored into the source" \
  "path=AgentCommandSteps over in-process dispatchers (no southbound hop, no database)" \
  "peer=stop-and-copy (one command per phase, restore into a fresh shell), interleaved" \
  "load=$(cut -d' ' -f1-3 /proc/loadavg)"
echo "bench migrate: wrote $out/migrate.json, migrate.md" >&2
cat "$out/migrate.md"
