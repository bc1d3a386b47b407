# lib.sh: helpers for the integration tests (sourced by tests/integration/test_*.sh).
# Environment from ctest: C2FLOW (the binary), C2FLOW_SRC, C2FLOW_SHARED_DATA, C2FLOW_TEST_TMP.
set -u
: "${C2FLOW:?run through ctest, or set C2FLOW to the c2flow binary}"
: "${C2FLOW_TEST_TMP:=/tmp}"
mkdir -p "$C2FLOW_TEST_TMP"
WORK=$(mktemp -d "$C2FLOW_TEST_TMP/$(basename "$0" .sh)-XXXXXX")
trap 'rm -rf "$WORK"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
# expect_status N cmd...: run cmd, fail unless it exits with N
expect_status() {
    local want=$1; shift
    "$@"; local got=$?
    [ "$got" = "$want" ] || fail "'$*' exited $got, expected $want"
}
# records in a store, counted by reading every record back
count_records() { "$C2FLOW" query --store "$1" -o csv --fields start | tail -n +2 | wc -l; }
# records in a store according to the footers (stat)
stat_records() { "$C2FLOW" stat --store "$1" -o csv | awk -F, 'NR==2 {print $2}'; }

# ---- the collector ----
TOOLS=$C2FLOW_SRC/tests/integration/tools

# collect_start STORE [collect options...]: `c2flow collect` into STORE on
# 127.0.0.1 and a free port, /metrics on another; returns once both are
# bound.  Sets COLLECT_PID, COLLECT_PORT, METRICS_URL, COLLECT_LOG.
collect_start() {
    local store=$1
    shift
    COLLECT_LOG=$(mktemp "$WORK/collect-XXXXXX.log")
    "$C2FLOW" collect --store "$store" --retention 0 --listen 127.0.0.1:0 \
        --metrics 127.0.0.1:0 --log-interval 0 "$@" 2>"$COLLECT_LOG" &
    COLLECT_PID=$!
    # a failed check must not leave the collector running (it would hold
    # ctest's output open until the test's timeout)
    trap 'kill -KILL $COLLECT_PID 2>/dev/null; [ -z "${HUB_PID:-}" ] || kill $HUB_PID 2>/dev/null; rm -rf "$WORK"' EXIT
    for _ in $(seq 100); do
        grep -q 'metrics at' "$COLLECT_LOG" && break
        kill -0 "$COLLECT_PID" 2>/dev/null || { cat "$COLLECT_LOG" >&2; fail "collect did not start"; }
        sleep 0.1
    done
    COLLECT_PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$COLLECT_LOG" | head -n1)
    METRICS_URL=http://$(sed -n 's|.*metrics at http://\([^/]*\)/metrics.*|\1|p' "$COLLECT_LOG" | head -n1)/metrics
    [ -n "$COLLECT_PORT" ] || { cat "$COLLECT_LOG" >&2; fail "no listening line in the log"; }
}

# the /metrics page
metrics_page() {
    python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$METRICS_URL"
}
# metric NAME [LABEL-SUBSTRING]: the sum of NAME's series (matching the substring)
metric() {
    metrics_page | awk -v n="$1" -v m="${2:-}" '
        $1 == n || (index($1, n "{") == 1 && index($1, m)) { s += $2 } END { print s + 0 }'
}
# wait until the collector has decoded every datagram it received (counters
# published a few times a second stand still for a second)
collect_settle() {
    local prev="" cur
    for _ in $(seq 100); do
        cur=$(metrics_page | awk '/^c2flow_collect_(datagrams|stored_records)_total / {printf "%s ", $2}')
        [ "$cur" = "$prev" ] && return 0
        prev=$cur
        sleep 1
    done
    fail "collector counters never settled"
}
# SIGTERM, and the exit status must be 0
collect_stop() {
    kill -TERM "$COLLECT_PID"
    wait "$COLLECT_PID"
    local rc=$?
    [ "$rc" = 0 ] || { cat "$COLLECT_LOG" >&2; fail "collect exited $rc after SIGTERM"; }
}

# ---- the hub ----

# make_test_ca: a test CA ($WORK/ca.pem) and a certificate for 127.0.0.1 signed
# by it ($WORK/srv.pem, $WORK/srv.key), for https on loopback; fails (status 1)
# when openssl is missing or cannot make them.
make_test_ca() {
    command -v openssl >/dev/null &&
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj /CN=c2flow-test-ca -addext basicConstraints=critical,CA:TRUE \
        -addext keyUsage=keyCertSign -keyout "$WORK/ca.key" -out "$WORK/ca.pem" 2>/dev/null &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=127.0.0.1 \
        -keyout "$WORK/srv.key" -out "$WORK/srv.csr" 2>/dev/null &&
    printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' > "$WORK/ext" &&
    openssl x509 -req -in "$WORK/srv.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" \
        -CAcreateserial -days 2 -extfile "$WORK/ext" -out "$WORK/srv.pem" 2>/dev/null
}

# hub_start CONF: `c2flow hub serve` on CONF (which listens on port 0) in the
# background, killed on exit; returns once it listens.  Sets HUB_PID; the
# address it serves on is in $WORK/port, its log in $WORK/hub.log.
hub_start() {
    "$C2FLOW" hub serve --config "$1" --port-file "$WORK/port" 2> "$WORK/hub.log" &
    HUB_PID=$!
    trap 'kill $HUB_PID 2>/dev/null; wait $HUB_PID 2>/dev/null; rm -rf "$WORK"' EXIT
    for _ in $(seq 100); do
        [ -s "$WORK/port" ] && return 0
        kill -0 $HUB_PID 2>/dev/null || { cat "$WORK/hub.log" >&2; fail "the hub did not start"; }
        sleep 0.1
    done
    fail "the hub did not write its port file"
}
