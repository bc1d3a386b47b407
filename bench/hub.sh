#!/usr/bin/env bash
# bench/hub.sh: the hub under load (issue 9): SUBMITTERS members submit
# ROWS-row lists all at once while POLLERS TAXII clients poll, on loopback.
#
# Run by `make bench-hub` after `make build`; builds nothing.  It writes a
# hub.conf (plain HTTP on 127.0.0.1:0, THREADS worker threads, max_body
# 64M), adds the submitting members (read-write) in TRUST_GROUPS trust groups of
# equal size (member i in group hubload-g(i * TRUST_GROUPS / SUBMITTERS)) and the
# pollers' members (read-only, poller j in group j mod TRUST_GROUPS), starts
# `c2flow hub serve --port-file`, runs build/hub_load (bench/hub_load.c: the
# lists, the load, the latencies and the CHECK lines), reads /metrics, stops
# the hub with SIGTERM and prints the database's size, the hub's CPU time
# and peak memory, and its counters.  Exit status: hub_load's (1 when a
# check failed).  Only processes this script started are signalled.
#
# Environment: SUBMITTERS (50), ROWS (10000), POLLERS (200), TRUST_GROUPS (5),
# OVERLAP (0.3), INTERVAL_MS (200), PAGE (1000), TYPE (match[type] of the
# polls; empty = every object), THREADS (8), SEED (1), TIMEOUT (3600 s),
# BENCH_DATA (/var/tmp/c2flow-hubbench), BUILD (build), KEEP (0).
set -euo pipefail

cd "$(dirname "$0")/.."
SUBMITTERS=${SUBMITTERS:-50}
ROWS=${ROWS:-10000}
POLLERS=${POLLERS:-200}
TRUST_GROUPS=${TRUST_GROUPS:-5}
OVERLAP=${OVERLAP:-0.3}
INTERVAL_MS=${INTERVAL_MS:-200}
PAGE=${PAGE:-1000}
TYPE=${TYPE:-}
THREADS=${THREADS:-8}
SEED=${SEED:-1}
TIMEOUT=${TIMEOUT:-3600}
BENCH_DATA=${BENCH_DATA:-/var/tmp/c2flow-hubbench}
BUILD=${BUILD:-build}
KEEP=${KEEP:-0}
C2FLOW=$BUILD/c2flow
HUB_LOAD=$BUILD/hub_load
RUNDIR=$BENCH_DATA/run
OUT=$BENCH_DATA/out

# shellcheck source=bench/lib.sh
. bench/lib.sh
need_tools curl
[ -x "$C2FLOW" ] && [ -x "$HUB_LOAD" ] || die "$C2FLOW or $HUB_LOAD missing: run 'make build' first"
[ "$TRUST_GROUPS" -ge 1 ] && [ "$TRUST_GROUPS" -le "$SUBMITTERS" ] || die "TRUST_GROUPS must be 1..SUBMITTERS"
rm -rf "$RUNDIR"
mkdir -p "$RUNDIR" "$OUT"
HUB_PID=
# shellcheck disable=SC2317
cleanup() {
    [ -n "$HUB_PID" ] && kill -TERM "$HUB_PID" 2>/dev/null || true
    [ "$KEEP" = 1 ] || rm -rf "$RUNDIR"
}
trap cleanup EXIT

CONF=$RUNDIR/hub.conf
cat > "$CONF" <<EOF
# written by bench/hub.sh
[hub]
listen = 127.0.0.1:0
plain_http = yes
database = $RUNDIR/hub.db
max_body = 64M
max_rows = 1000000
page_max = $PAGE
threads = $THREADS
identity = c2flow hub benchmark
EOF

say "adding $SUBMITTERS submitting members in $TRUST_GROUPS groups and $POLLERS pollers"
TOKENS=$RUNDIR/tokens.txt
: > "$TOKENS"
chmod 600 "$TOKENS"
add_member() {   # ROLE NAME GROUP [--read-only]
    local tok
    tok=$("$C2FLOW" hub member add "$2" --group "$3" ${4:+"$4"} --purposes "load benchmark" \
          --config "$CONF" 2>>"$OUT/members.err") || die "member add $2 failed (see $OUT/members.err)"
    printf '%s %s %s %s\n' "$1" "$2" "$3" "$tok" >> "$TOKENS"
}
: > "$OUT/members.err"
for ((i = 0; i < SUBMITTERS; i++)); do
    add_member submitter "isp-$i" "hubload-g$((i * TRUST_GROUPS / SUBMITTERS))"
done
for ((j = 0; j < POLLERS; j++)); do
    add_member poller "reader-$j" "hubload-g$((j % TRUST_GROUPS))" --read-only
done

PORT_FILE=$RUNDIR/port
"$C2FLOW" hub serve --config "$CONF" --port-file "$PORT_FILE" 2> "$OUT/hub.log" &
HUB_PID=$!
for ((t = 0; t < 100; t++)); do
    [ -s "$PORT_FILE" ] && break
    kill -0 "$HUB_PID" 2>/dev/null || die "the hub did not start: $(tail -n 3 "$OUT/hub.log")"
    sleep 0.1
done
[ -s "$PORT_FILE" ] || die "the hub wrote no port file"
ADDR=$(cat "$PORT_FILE")
URL=http://$ADDR
say "hub at $URL (pid $HUB_PID, $THREADS threads); running hub_load"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

set +e
"$HUB_LOAD" --url "$URL" --tokens "$TOKENS" --submitters "$SUBMITTERS" --rows "$ROWS" \
    --pollers "$POLLERS" --overlap "$OVERLAP" --poll-interval-ms "$INTERVAL_MS" --page "$PAGE" \
    ${TYPE:+--type "$TYPE"} --seed "$SEED" --timeout "$TIMEOUT" --hub-pid "$HUB_PID" | tee "$OUT/hub_load.txt"
STATUS=${PIPESTATUS[0]}
set -e

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
curl -s --max-time 30 "$URL/metrics" > "$OUT/metrics.txt" || say "warning: /metrics did not answer"
HUB_CPU=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$HUB_PID/stat")
HUB_RSS=$(awk '/^VmHWM/ { print $2 }' "/proc/$HUB_PID/status")
kill -TERM "$HUB_PID"
wait "$HUB_PID" || say "warning: the hub exited with status $?"
HUB_PID=
DB_BYTES=$(fsize_sum "$RUNDIR" -name 'hub.db*')

echo
echo "hub: CPU ${HUB_CPU} s (user + system, all threads), peak RSS $((HUB_RSS / 1024)) MiB,"\
     "database $(awk -v b="$DB_BYTES" 'BEGIN { printf "%.1f MiB", b / 1048576 }') (hub.db with its WAL)"
echo "load average (1, 5, 15 min) before: $LOAD_BEFORE, after: $LOAD_AFTER on $(nproc) cores"\
     "(other processes share the CPU: compare CPU seconds, and wall times only on a quiet machine)"
echo "hub /metrics:"
grep -v '^#' "$OUT/metrics.txt" | sed 's/^c2flow_hub_/  /'
echo "RESULT hub_cpu_s=$HUB_CPU hub_rss_kib=$HUB_RSS db_bytes=$DB_BYTES threads=$THREADS" \
     "$(grep -v '^#' "$OUT/metrics.txt" | sed 's/^c2flow_hub_//; s/_total / /' | awk '{ printf "%s=%s ", $1, $2 }')" \
     | tee -a "$OUT/hub_load.txt"
[ "$KEEP" = 1 ] && say "kept $RUNDIR (hub.conf, hub.db, tokens.txt)"
exit "$STATUS"
