# shellcheck shell=bash disable=SC2034  # sourced: the globals set here are used by the caller
# bench/lib.sh: shell helpers shared by the benchmarks (sourced, not run).
#
# store.sh and query.sh both feed the records of src/synth to nfcapd through
# nfblast and time peer commands with /usr/bin/time; the helpers for that
# live here so that both measure the same way.  Everything is bash; the
# caller sets `set -euo pipefail`.  Processes are only ever signalled by the
# PID this file recorded when it started them (NFCAPD_PID).  detect.sh,
# ml.sh and split.sh get their simulated store from simulated_store.
#
# Globals read: PORT (loopback UDP port of nfcapd), NFBLAST (path); by
#               simulated_store: C2FLOW, DATA, KEEP; by truth_internal and
#               truth_day: DATA.
# Globals set:  NFCAPD_PID (while nfcapd runs), and by nfcapd_collect:
#               COLLECT_STORED, COLLECT_KDROPS, COLLECT_CPU_TICKS.

say() { printf '%s\n' "${0##*/}: $*" >&2; }
die() { say "$*"; exit 1; }

# die unless every named command exists
need_tools() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null || die "$t not found (scripts/setup-deps installs it)"
    done
}

# key=value from a RESULT line in file $2
get() { grep '^RESULT ' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n1; }
now() { date +%s.%N; }
# seconds since $1 (a `now` value), 3 decimals
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
fsize_sum() { find "$@" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}'; }

# /proc/net/udp row of 127.0.0.1:$PORT: "rx_queue drops" (nothing if unbound)
udp_row() {
    local hex row
    hex=$(printf '0100007F:%04X' "$PORT")
    row=$(awk -v a="$hex" '$2 == a { split($5, q, ":"); print q[2], $NF; exit }' /proc/net/udp)
    [ -n "$row" ] && echo "$((16#${row% *})) ${row#* }"
    return 0
}
# utime + stime of a process, in clock ticks
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
CLK_TCK=$(getconf CLK_TCK)

# "elapsed peak_rss_kib" from a /usr/bin/time -v file
time_fields() {
    awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0;
                                           for (i = 1; i <= n; i++) s = s * 60 + t[i]; e = s }
                /Maximum resident set size/ { r = $2 }
                END { print e, r }' "$1"
}

# median of the numbers on stdin, one a line
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }

# nfcapd_start DIR LOG [nfcapd options...]: nfcapd writing into DIR on
# 127.0.0.1:$PORT (-t 3600 -B 8388608 plus the options), started in the
# background; returns once its socket is bound.  Sets NFCAPD_PID.
nfcapd_start() {
    local dir=$1 log=$2
    shift 2
    [ -z "$(udp_row)" ] || die "UDP port $PORT is in use; set PORT"
    nfcapd -w "$dir" -p "$PORT" -b 127.0.0.1 -t 3600 -B 8388608 "$@" >"$log" 2>&1 &
    NFCAPD_PID=$!
    for _ in $(seq 100); do [ -n "$(udp_row)" ] && break; sleep 0.1; done
    [ -n "$(udp_row)" ] || die "nfcapd did not bind port $PORT (see $log)"
}

# wait_quiet PID [HALF_SECONDS]: wait (up to 2 minutes by default) until the
# socket queue of 127.0.0.1:$PORT is empty and the CPU time of process PID
# stands still: the collector has stored everything it received.
# Returns 1 when it never went quiet.
wait_quiet() {
    local pid=$1 prev=-1 cur rxq
    for _ in $(seq "${2:-240}"); do
        read -r rxq _ <<<"$(udp_row)"
        cur=$(cpu_ticks "$pid")
        [ "${rxq:-0}" = 0 ] && [ "$cur" = "$prev" ] && return 0
        prev=$cur
        sleep 0.5
    done
    return 1
}
nfcapd_drain() { wait_quiet "$NFCAPD_PID" || true; }

# SIGTERM to the nfcapd this file started (nfcapd closes its file), if any
nfcapd_stop() {
    if [ -n "${NFCAPD_PID:-}" ] && kill -0 "$NFCAPD_PID" 2>/dev/null; then
        kill -TERM "$NFCAPD_PID" 2>/dev/null || true
        wait "$NFCAPD_PID" 2>/dev/null || true
    fi
    NFCAPD_PID=
}

# nfcapd_collect DIR RECORDS RATE SEED START OUT [nfcapd options...]:
# nfcapd into DIR, nfblast sends RECORDS records (seed, start) at RATE
# records/s, drain, stop, count with `nfdump -R DIR -I`.  Writes into the
# directory OUT: nfcapd.log, nfblast.txt (its RESULT line, also on stdout)
# and nfcapd.info (nfdump -I).  Sets COLLECT_STORED (records stored),
# COLLECT_KDROPS (kernel socket drops) and COLLECT_CPU_TICKS (nfcapd CPU).
nfcapd_collect() {
    local dir=$1 records=$2 rate=$3 seed=$4 start=$5 out=$6 drops0 drops1 cpu0 cpu1
    shift 6
    mkdir -p "$dir"
    nfcapd_start "$dir" "$out/nfcapd.log" "$@"
    read -r _ drops0 <<<"$(udp_row)"
    cpu0=$(cpu_ticks "$NFCAPD_PID")
    "$NFBLAST" -p "$PORT" -n "$records" -r "$rate" -s "$seed" --start "$start" \
        | tee "$out/nfblast.txt"
    nfcapd_drain
    read -r _ drops1 <<<"$(udp_row)"
    cpu1=$(cpu_ticks "$NFCAPD_PID")
    nfcapd_stop
    nfdump -R "$dir" -I >"$out/nfcapd.info"
    COLLECT_STORED=$(awk '/^Flows:/ {print $2}' "$out/nfcapd.info")
    COLLECT_KDROPS=$((drops1 - drops0))
    COLLECT_CPU_TICKS=$((cpu1 - cpu0))
}

# The simulated store, truth and feed in $DATA: kept from an earlier run when
# KEEP=1 and they are there, else simulated afresh (C2FLOW, DATA and KEEP
# read).  simulated_store SCENARIO_INI DAYS SEED [more simulate options]
simulated_store() {
    local ini=$1 days=$2 seed=$3
    shift 3
    if [ "${KEEP:-0}" = 1 ] && [ -f "$DATA/truth.json" ] && [ -d "$DATA/store" ]; then
        say "reusing the simulated store in $DATA"
        return 0
    fi
    rm -rf "$DATA"
    mkdir -p "$DATA"
    say "simulating $days days of ${ini##*/} (seed $seed $*) into $DATA/store"
    "$C2FLOW" simulate --scenario "$ini" --days "$days" --seed "$seed" "$@" \
        --store "$DATA/store" --truth "$DATA/truth.json" --feed "$DATA/feed.csv" --quiet
}

# The simulated ISP's customer space, as --internal takes it.
truth_internal() {
    python3 -c 'import json, sys; print(",".join(json.load(open(sys.argv[1]))["internal"]))' \
        "$DATA/truth.json"
}

# The date N days after the simulation's first day: truth_day N
truth_day() {
    python3 -c 'import datetime as d, json, sys
t = d.date.fromisoformat(json.load(open(sys.argv[1]))["start"][:10])
print((t + d.timedelta(days=int(sys.argv[2]))).isoformat())' "$DATA/truth.json" "$1"
}
