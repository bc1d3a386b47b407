#!/usr/bin/env bash
# bench/lookback.sh: `c2flow lookback` of a 100,000-entry C2 list over 30 days
# of a 1 M-subscriber ISP, beside nfdump 1.7.1 running the same list as a
# filter (issue 8), in one run.
#
# Run by `make bench-lookback` after `make build`; builds nothing.
#   (1) `c2flow simulate` writes DAYS (30) days of scenarios/isp1m.ini at
#       SUBS (1,000,000) subscribers into a store (retention off), with the
#       truth;
#   (2) the list: every C2 server of the truth (ip, port, proto), filled up
#       to LIST (100,000) entries with random public IPv4 addresses, random
#       ports, tcp or udp (Python's random, seeded with SEED); written as a
#       C2 list (CSV), as one address a line (for `ip in @FILE`) and as an
#       nfdump filter file (`ip in [ ... ]`, read with `nfdump -f`);
#   (3) `c2flow lookback` over the whole window, RUNS times: wall, CPU,
#       peak RSS, records in the store (`c2flow stat`), matched records,
#       hosts and rows; records/s;
#   (4) the same simulation again (same scenario, seed, days, subscribers),
#       this time as NetFlow v9 to nfcapd on 127.0.0.1:PORT at RATE
#       records/s, stopped (SIGTERM to its PID) once it has passed
#       NFDUMP_DAYS (2) days and 15 simulated minutes: 30 days of nfcapd
#       files would not fit on the disk.  The record counts of those days
#       are checked against the store of (1) (a difference is nfcapd's loss);
#   (5) nfcapd's files are imported into a second store (`c2flow import
#       --format nfdump`), so that c2flow and nfdump read exactly the same
#       records; then, RUNS times each on a warm page cache, counting the
#       matches without printing them:
#         nfdump -R NFCAPD_DIR -o null -f list.nfdump  ("passed: N")
#         c2flow query --store IMPORTED -f 'ip in @list.txt' --count
#         c2flow lookback --store IMPORTED --list list.csv (same window)
#       The matching record counts of nfdump and c2flow query must be
#       equal, and lookback's matches (address, port and protocol, with a
#       customer on the other side) can only be fewer;
#   (6) a summary: records/s of each, the ratios against nfdump, peak RSS,
#       the checks, and a `RESULT key=value ...` line.
# The 30-day lookback and the nfdump run cover different spans, so they are
# compared by records/s; the NFDUMP_DAYS runs compare like for like.
# Exit status 1 when the data could not be prepared or a check failed.  The
# stores and nfcapd files are removed unless KEEP=1 (the 30-day store right
# after step 3, so that the disk holds one of them at a time).  Only
# processes this script started are signalled, by PID.
#
# Environment: SUBS (1000000), DAYS (30), NFDUMP_DAYS (2), LIST (100000),
# SEED (1), RATE (500000 records/s offered to nfcapd), RUNS (3), PORT
# (19997), NFCAPD_OPTS (-y: LZ4, about 45 B/record instead of 123),
# BENCH_DATA (/var/tmp/c2flow-bench; this script uses lookback/ in it),
# NICE ("nice -n 10", put before every heavy command, timed ones included),
# KEEP (0; 1 keeps and reuses the 30-day store), BUILD (build).
# See bench/README.md.
set -euo pipefail

cd "$(dirname "$0")/.."
SUBS=${SUBS:-${SUBSCRIBERS:-1000000}}
DAYS=${DAYS:-30}
NFDUMP_DAYS=${NFDUMP_DAYS:-2}
LIST=${LIST:-100000}
SEED=${SEED:-1}
RATE=${RATE:-500000}
RUNS=${RUNS:-3}
PORT=${PORT:-19997}
NFCAPD_OPTS=${NFCAPD_OPTS--y}
BENCH_DATA=${BENCH_DATA:-/var/tmp/c2flow-bench}
NICE=${NICE-nice -n 10}
KEEP=${KEEP:-0}
BUILD=${BUILD:-build}
SCENARIO=scenarios/isp1m.ini

C2FLOW=$BUILD/c2flow
read -r -a NICE_CMD <<<"$NICE"
read -r -a NFCAPD_ARGS <<<"$NFCAPD_OPTS"

# shellcheck source=bench/lib.sh
. bench/lib.sh

need_tools nfcapd nfdump python3 /usr/bin/time
[ -x "$C2FLOW" ] || die "$C2FLOW missing: run 'make build' first (or set BUILD)"
if [ "$NFDUMP_DAYS" -lt 1 ] || [ "$NFDUMP_DAYS" -gt "$DAYS" ]; then
    die "want 1 <= NFDUMP_DAYS <= DAYS"
fi
[ "$LIST" -ge 1 ] || die "LIST must be at least 1"
export TZ=UTC                       # nfdump prints and parses local time

mkdir -p "$BENCH_DATA/lookback"
LB=$(cd "$BENCH_DATA/lookback" && pwd)      # absolute: `ip in @FILE` takes a path
STORE=$LB/store
NFDIR=$LB/nfcapd
IMP=$LB/imported
OUT=$LB/out

NFCAPD_PID=
SIM_PID=
# shellcheck disable=SC2317  # called by the trap
cleanup() {
    if [ -n "$SIM_PID" ] && kill -0 "$SIM_PID" 2>/dev/null; then
        kill -TERM "$SIM_PID" 2>/dev/null || true
        wait "$SIM_PID" 2>/dev/null || true
    fi
    nfcapd_stop
    [ "$KEEP" = 1 ] || rm -rf "$STORE" "$NFDIR" "$IMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- disk: refuse to start what cannot finish ----
# records per subscriber-day of isp1m (bench/simulate.sh: 70.9 M a day at
# 1 M), B/record of a simulated store, of nfcapd's files (LZ4 or not) and of
# the imported store (the export runs a little past NFDUMP_DAYS days); a
# store kept from an earlier run (KEEP=1, same parameters) is reused
PARAMS="scenario=$SCENARIO subs=$SUBS days=$DAYS seed=$SEED"
REUSE=0
if [ "$KEEP" = 1 ] && [ -d "$STORE" ] && [ "$(cat "$LB/params.txt" 2>/dev/null)" = "$PARAMS" ]; then
    REUSE=1
fi
per_day=$(awk -v s="$SUBS" 'BEGIN { printf "%.0f", s * 70.9 }')
nf_bpr=123; [[ " $NFCAPD_OPTS " == *" -y "* || " $NFCAPD_OPTS " == *" -z"* ]] && nf_bpr=45
read -r need_store need_nf <<<"$(awk -v d="$per_day" -v days="$DAYS" -v nd="$NFDUMP_DAYS" -v b="$nf_bpr" \
    -v reuse="$REUSE" 'BEGIN { printf "%.0f %.0f", reuse ? 0 : d * days * 28, d * (nd + 0.25) * (b + 28) }')"
need=$need_store; [ "$need_nf" -gt "$need" ] && need=$need_nf
[ "$KEEP" = 1 ] && need=$((need_store + need_nf))
free=$(df -B1 --output=avail "$LB" | tail -n 1 | tr -d ' ')
say "about $((per_day * DAYS / 1000000)) M records; needs about $((need / 1073741824 + 1)) GiB" \
    "under $LB ($((free / 1073741824)) GiB free)"
[ "$free" -gt "$need" ] || die "not enough disk under $LB: lower DAYS or SUBS, or set BENCH_DATA"

# ---- (1) the 30-day store ----
SIM=("$C2FLOW" simulate --scenario "$SCENARIO" --days "$DAYS" --subscribers "$SUBS" --seed "$SEED")
mkdir -p "$OUT"
if [ "$REUSE" = 1 ]; then
    say "(1) reusing the simulated store in $STORE (KEEP=1, same parameters)"
else
    rm -rf "$STORE" "$NFDIR" "$IMP" "$OUT" "$LB/params.txt"
    mkdir -p "$OUT"
    say "(1) c2flow simulate: $DAYS days of $SUBS subscribers into $STORE"
    t0=$(now)
    "${NICE_CMD[@]}" "${SIM[@]}" --store "$STORE" --retention 0 --truth "$LB/truth.json" --quiet \
        2>"$OUT/simulate.txt" || { cat "$OUT/simulate.txt" >&2; die "c2flow simulate failed"; }
    say "(1) simulated in $(since "$t0") s: $(tail -n 1 "$OUT/simulate.txt")"
    echo "$PARAMS" >"$LB/params.txt"
fi
"$C2FLOW" stat --store "$STORE" -o csv >"$OUT/stat.csv"
"$C2FLOW" stat --store "$STORE" --days -o csv >"$OUT/stat-days.csv"
STORE_RECORDS=$(awk -F, 'NR == 2 { print $2 }' "$OUT/stat.csv")
STORE_BYTES=$(awk -F, 'NR == 2 { print $5 }' "$OUT/stat.csv")
# window: the simulated span, to a day after its end (records start inside
# it; the last ones end a little after); the export of step 4 stops 15
# simulated minutes after NFDUMP_DAYS days, when every record that started
# in them has left (records last at most the active timeout, 60 s)
read -r FROM TO INTERNAL CUT <<<"$(python3 -c '
import datetime as d, json, sys
t = json.load(open(sys.argv[1]))
p = lambda s: d.datetime.fromisoformat(s.replace("Z", "+00:00"))
f = lambda x: x.strftime("%Y-%m-%dT%H:%M:%SZ")
print(t["start"], f(p(t["end"]) + d.timedelta(days=1)), ",".join(t["internal"]),
      f(p(t["start"]) + d.timedelta(days=int(sys.argv[2]), minutes=15)))' "$LB/truth.json" "$NFDUMP_DAYS")"

# ---- (2) the list ----
say "(2) the list: the truth's C2 servers, filled up to $LIST entries"
python3 - "$LB/truth.json" "$LIST" "$SEED" "$OUT" <<'EOF' >"$OUT/list.txt.info"
import ipaddress, json, random, sys
truth, size, seed, out = json.load(open(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
internal = [ipaddress.ip_network(p) for p in truth["internal"]]
keys = {}
for c in truth["c2"]:
    keys.setdefault((c["ip"], c["port"], c["proto"]), None)
c2 = len(keys)
rng = random.Random(seed)
while len(keys) < size:
    a = ipaddress.IPv4Address(rng.getrandbits(32))
    if not a.is_global or a.is_multicast or any(a in n for n in internal):
        continue
    keys.setdefault((str(a), rng.randint(1, 65535), rng.choice(("tcp", "udp"))), None)
with open(out + "/list.csv", "w") as f:
    f.write("ip,port,proto\n")
    f.writelines("%s,%d,%s\n" % k for k in keys)
addrs = sorted({k[0] for k in keys}, key=ipaddress.ip_address)
with open(out + "/list.txt", "w") as f:
    f.writelines(a + "\n" for a in addrs)
with open(out + "/list.nfdump", "w") as f:
    f.write("ip in [\n")
    f.writelines(a + "\n" for a in addrs)
    f.write("]\n")
print("entries=%d c2=%d addresses=%d" % (len(keys), c2, len(addrs)))
EOF
lget() { tr ' ' '\n' <"$OUT/list.txt.info" | sed -n "s/^$1=//p"; }
LIST_C2=$(lget c2)
LIST_ADDRS=$(lget addresses)
[ "$(lget entries)" = "$LIST" ] || die "the list holds $(lget entries) entries, not $LIST"
say "(2) $LIST entries ($LIST_C2 C2 servers of the truth), $LIST_ADDRS distinct addresses"

# run_timed NAME CMD...: RUNS runs of CMD, stdout to $OUT/NAME.out, stderr
# to $OUT/NAME.err; appends "name wall user sys rss_kib" (medians) to
# $OUT/runs.tsv and sets T_WALL T_USER T_SYS T_RSS
run_timed() {
    local name=$1 t0
    shift
    : >"$OUT/$name.runs"
    for _ in $(seq "$RUNS"); do
        t0=$(now)
        /usr/bin/time -f '%e %U %S %M' -o "$OUT/$name.time" "${NICE_CMD[@]}" "$@" \
            >"$OUT/$name.out" 2>"$OUT/$name.err" \
            || { cat "$OUT/$name.err" >&2; die "$name failed: $*"; }
        echo "$(since "$t0") $(tail -n 1 "$OUT/$name.time" | cut -d' ' -f2-)" >>"$OUT/$name.runs"
    done
    T_WALL=$(cut -d' ' -f1 "$OUT/$name.runs" | median)
    T_USER=$(cut -d' ' -f2 "$OUT/$name.runs" | median)
    T_SYS=$(cut -d' ' -f3 "$OUT/$name.runs" | median)
    T_RSS=$(cut -d' ' -f4 "$OUT/$name.runs" | median)
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$T_WALL" "$T_USER" "$T_SYS" "$T_RSS" >>"$OUT/runs.tsv"
    say "$name: wall $T_WALL s, user $T_USER s, sys $T_SYS s, peak RSS $T_RSS KiB (median of $RUNS)"
}
# "matched hosts rows" from a lookback summary on stderr
lookback_counts() {
    sed -n 's/.*; \([0-9]*\) records with one of them; \([0-9]*\) hosts, \([0-9]*\) host-server.*/\1 \2 \3/p' "$1"
}
: >"$OUT/runs.tsv"

# ---- (3) lookback over the whole window ----
say "(3) c2flow lookback over $FROM .. $TO: $STORE_RECORDS records"
run_timed lookback "$C2FLOW" lookback --store "$STORE" --list "$OUT/list.csv" --from "$FROM" --to "$TO" \
    --internal "$INTERNAL"
read -r LB_MATCHED LB_HOSTS LB_ROWS <<<"$(lookback_counts "$OUT/lookback.err")"
say "(3) $LB_MATCHED records with a listed server, $LB_HOSTS hosts, $LB_ROWS rows"
if [ "$KEEP" != 1 ]; then
    say "(3) removing the $DAYS-day store (KEEP=1 keeps it)"
    rm -rf "$STORE"
fi

# ---- (4) the first NFDUMP_DAYS days again, as NetFlow v9 to nfcapd ----
say "(4) the same simulation as NetFlow v9 to nfcapd on 127.0.0.1:$PORT at $RATE records/s," \
    "stopped after $CUT"
rm -rf "$NFDIR" "$IMP"
mkdir -p "$NFDIR"
nfcapd_start "$NFDIR" "$OUT/nfcapd.log" "${NFCAPD_ARGS[@]}"
read -r _ drops0 <<<"$(udp_row)"
"${NICE_CMD[@]}" "${SIM[@]}" --export v9 --to "127.0.0.1:$PORT" --rate "$RATE" 2>"$OUT/export.log" &
SIM_PID=$!
# progress lines come every 2 s: "c2flow simulate: at TIME, N records, ..."
REACHED=
while kill -0 "$SIM_PID" 2>/dev/null; do
    REACHED=$(sed -n 's/^c2flow simulate: at \([^,]*\),.*/\1/p' "$OUT/export.log" | tail -n 1)
    if [ -n "$REACHED" ] && [[ ! "$REACHED" < "$CUT" ]]; then
        kill -TERM "$SIM_PID" 2>/dev/null || true
        break
    fi
    sleep 0.2
done
wait "$SIM_PID" 2>/dev/null || true
SIM_PID=
SENT=$(sed -n 's/^c2flow simulate: sent \([0-9]*\) records.*/\1/p' "$OUT/export.log")
[ -n "$SENT" ] && REACHED=$TO           # it ran to the end
[ -n "$REACHED" ] || die "c2flow simulate --export printed no progress (see $OUT/export.log)"
wait_quiet "$NFCAPD_PID" 1200 || say "warning: nfcapd never went quiet"
read -r _ drops1 <<<"$(udp_row)"
nfcapd_stop
KDROPS=$((drops1 - drops0))
nfdump -R "$NFDIR" -I >"$OUT/nfcapd.info"
NF_RECORDS=$(awk '/^Flows:/ { print $2 }' "$OUT/nfcapd.info")
NF_BYTES=$(fsize_sum "$NFDIR")
say "(4) nfcapd stored $NF_RECORDS records ($NF_BYTES B), simulated time reached $REACHED," \
    "kernel socket drops $KDROPS"
[ "${NF_RECORDS:-0}" -gt 0 ] || die "nfcapd stored nothing (see $OUT/nfcapd.log)"

# ---- (5) the same records into a c2flow store, then the three runs ----
say "(5) c2flow import --format nfdump: nfcapd's files into $IMP"
t0=$(now)
"${NICE_CMD[@]}" "$C2FLOW" import --format nfdump --store "$IMP" --retention 0 "$NFDIR"/nfcapd.2* \
    2>"$OUT/import.log" || { tail -n 5 "$OUT/import.log" >&2; die "c2flow import failed"; }
IMPORT_WALL=$(since "$t0")
"$C2FLOW" stat --store "$IMP" -o csv >"$OUT/imported-stat.csv"
"$C2FLOW" stat --store "$IMP" --days -o csv >"$OUT/imported-stat-days.csv"
IMP_RECORDS=$(awk -F, 'NR == 2 { print $2 }' "$OUT/imported-stat.csv")
[ "$IMP_RECORDS" = "$NF_RECORDS" ] || die "the imported store holds $IMP_RECORDS records, nfcapd $NF_RECORDS"
say "(5) imported $IMP_RECORDS records in $IMPORT_WALL s"
# the days the export completed (ended 15 minutes before the last progress
# line) must hold what the simulated store holds: else nfcapd lost records
read -r DAYS_CMP DAYS_SAME DAYS_LOST <<<"$(awk -F, -v reached="$REACHED" '
    function day(t) { return substr(t, 1, 10) }
    FNR == 1 { next }
    FILENAME == ARGV[1] { want[day($3)] = $2; next }
    { got[day($3)] = $2 }
    END {
        cmd = "date -u -d \"" reached " - 15 minutes\" +%Y-%m-%d"; cmd | getline last; close(cmd)
        for (d in got) if (d < last) { n++; if (got[d] == want[d]) same++; else lost += want[d] - got[d] }
        print n + 0, same + 0, lost + 0
    }' "$OUT/stat-days.csv" "$OUT/imported-stat-days.csv")"
SAME_RECORDS=yes
if [ "$DAYS_CMP" = 0 ]; then
    SAME_RECORDS=unchecked
elif [ "$DAYS_SAME" != "$DAYS_CMP" ]; then
    SAME_RECORDS=no
    say "warning: nfcapd holds $DAYS_LOST records fewer than the simulation on its complete days" \
        "(lost; lower RATE): both tools below still read the same records"
fi
say "(5) complete days checked against the simulated store: $DAYS_SAME of $DAYS_CMP the same"

say "(5) warming the page cache"
cat "$NFDIR"/nfcapd.2* >/dev/null
find "$IMP" -type f -exec cat {} + >/dev/null
say "(5) nfdump -R $NFDIR -o null -f list.nfdump"
run_timed nfdump nfdump -R "$NFDIR" -o null -f "$OUT/list.nfdump"
NFD_PROCESSED=$(sed -n 's/^Total flows processed: \([0-9]*\), passed: \([0-9]*\).*/\1/p' "$OUT/nfdump.out")
NFD_MATCHED=$(sed -n 's/^Total flows processed: \([0-9]*\), passed: \([0-9]*\).*/\2/p' "$OUT/nfdump.out")
say "(5) c2flow query --store $IMP -f 'ip in @list.txt' --count"
run_timed query "$C2FLOW" query --store "$IMP" -f "ip in @$OUT/list.txt" --count
Q_MATCHED=$(tail -n 1 "$OUT/query.out" | tr -dc '0-9')
say "(5) c2flow lookback --store $IMP (the same records as nfdump's)"
run_timed lookback-nd "$C2FLOW" lookback --store "$IMP" --list "$OUT/list.csv" --from "$FROM" --to "$TO" \
    --internal "$INTERNAL"
read -r LBN_MATCHED LBN_HOSTS LBN_ROWS <<<"$(lookback_counts "$OUT/lookback-nd.err")"

# ---- (6) summary ----
CHECK_OK=1
ck() {   # label, verdict (1 = ok)
    printf '%-62s %s\n' "$1" "$([ "$2" = 1 ] && echo ok || echo FAILED)"
    [ "$2" = 1 ] || CHECK_OK=0
}
{
    awk -F'\t' -v days="$DAYS" -v nd="$NFDUMP_DAYS" -v subs="$SUBS" -v lsize="$LIST" \
        -v sr="$STORE_RECORDS" -v nr="$NF_RECORDS" -v runs="$RUNS" -v reached="$REACHED" -v cut="$CUT" '
    { W[$1] = $2; U[$1] = $3; S[$1] = $4; R[$1] = $5 }
    function rps(n, w) { return w > 0 ? n / w : 0 }
    function row(label, name, n) {
        printf "%-44s %13.0f %8.2f %8.2f %8.2f %12.2f %10.1f %8.2f\n", label, n, W[name], U[name], S[name], \
            rps(n, W[name]) / 1e6, R[name] / 1024, rps(n, W[name]) / rps(nr, W["nfdump"])
    }
    END {
        printf "\n== c2flow lookback of a %d-entry list: %d days of %d subscribers (isp1m) ==\n", lsize, days, subs
        printf "nfdump 1.7.1 reads the first %d day(s) of the same simulation (to %s; 30 days of\n", nd, reached
        printf "nfcapd files do not fit on the disk): compare records/s. Median of %d runs each;\n", runs
        printf "the NFDUMP_DAYS runs on a warm page cache, matches counted, not printed.\n\n"
        printf "%-44s %13s %8s %8s %8s %12s %10s %8s\n", "run", "records", "wall s", "user s", "sys s", \
            "M records/s", "RSS MiB", "x nfdump"
        row(sprintf("c2flow lookback, %d days", days), "lookback", sr)
        row(sprintf("c2flow lookback, the %d nfdump day(s)", nd), "lookback-nd", nr)
        row(sprintf("c2flow query ip in @list, %d day(s)", nd), "query", nr)
        row(sprintf("nfdump -f list (ip in [...]), %d day(s)", nd), "nfdump", nr)
    }' "$OUT/runs.tsv"
    printf '\n%-62s %s\n' "lookback, $DAYS days: records with a listed server, hosts, rows" \
        "$LB_MATCHED, $LB_HOSTS, $LB_ROWS"
    printf '%-62s %s\n' "lookback, $NFDUMP_DAYS day(s): records with a listed server, hosts, rows" \
        "$LBN_MATCHED, $LBN_HOSTS, $LBN_ROWS"
    printf '%-62s %s\n' "matching records, nfdump / c2flow query" "$NFD_MATCHED / $Q_MATCHED"
    printf '%-62s %s\n' "nfcapd: records, bytes, kernel drops; import wall s" \
        "$NF_RECORDS, $NF_BYTES, $KDROPS; $IMPORT_WALL"
    printf '%-62s %s\n\n' "$DAYS-day store: bytes" "$STORE_BYTES"
    ck "nfdump read every record nfcapd stored ($NFD_PROCESSED)" "$([ "$NFD_PROCESSED" = "$NF_RECORDS" ] && echo 1)"
    ck "nfdump and c2flow query matched the same records ($NFD_MATCHED)" \
        "$([ -n "$NFD_MATCHED" ] && [ "$NFD_MATCHED" = "$Q_MATCHED" ] && echo 1)"
    ck "lookback's matches are among them ($LBN_MATCHED <= $Q_MATCHED)" \
        "$([ -n "$LBN_MATCHED" ] && [ "$LBN_MATCHED" -le "${Q_MATCHED:-0}" ] && echo 1)"
    printf '%-62s %s\n' "nfcapd's complete days equal the simulation's ($DAYS_SAME of $DAYS_CMP)" \
        "$SAME_RECORDS"
    printf '\ncorrectness: %s\n' "$([ "$CHECK_OK" = 1 ] && echo 'all checks passed' || echo 'SOME CHECKS FAILED')"
    awk -F'\t' -v sr="$STORE_RECORDS" -v nr="$NF_RECORDS" '
        { W[$1] = $2; U[$1] = $3; S[$1] = $4; R[$1] = $5 }
        function rps(n, w) { return w > 0 ? n / w : 0 }
        END {
            split("lookback lookback-nd query nfdump", k, " ")
            split("lookback lookback_nd query nfdump", p, " ")
            for (i = 1; i <= 4; i++) {
                n = k[i] == "lookback" ? sr : nr
                printf " %s_wall=%s %s_user=%s %s_sys=%s %s_rss_kib=%s %s_rps=%.0f", p[i], W[k[i]], p[i], \
                    U[k[i]], p[i], S[k[i]], p[i], R[k[i]], p[i], rps(n, W[k[i]])
            }
            for (i = 1; i <= 3; i++)
                printf " %s_rps_ratio=%.2f", p[i], rps(i == 1 ? sr : nr, W[k[i]]) / rps(nr, W["nfdump"])
            for (i = 1; i <= 3; i++)
                printf " %s_rss_ratio=%.2f", p[i], R["nfdump"] / R[k[i]]
        }' "$OUT/runs.tsv" >"$OUT/result.kv"
    printf 'RESULT subs=%s days=%s nfdump_days=%s list=%s list_c2=%s seed=%s runs=%s records=%s' \
        "$SUBS" "$DAYS" "$NFDUMP_DAYS" "$LIST" "$LIST_C2" "$SEED" "$RUNS" "$STORE_RECORDS"
    printf ' nfdump_records=%s store_bytes=%s nfcapd_bytes=%s kdrops=%s same_records=%s' \
        "$NF_RECORDS" "$STORE_BYTES" "$NF_BYTES" "$KDROPS" "$SAME_RECORDS"
    printf ' lookback_matched=%s lookback_hosts=%s lookback_rows=%s lookback_nd_matched=%s' \
        "$LB_MATCHED" "$LB_HOSTS" "$LB_ROWS" "$LBN_MATCHED"
    printf ' matches=%s/%s%s correct=%s\n' "$NFD_MATCHED" "$Q_MATCHED" "$(cat "$OUT/result.kv")" \
        "$([ "$CHECK_OK" = 1 ] && echo yes || echo no)"
} | tee "$OUT/summary.txt"
# the lookback rows name (simulated) customer hosts: kept only with the data
if [ "$KEEP" = 1 ]; then
    say "kept the data and the outputs (*.out) under $LB (KEEP=1)"
else
    rm -f "$OUT"/*.out
fi
say "outputs in $OUT"
grep -q '^RESULT .* correct=yes' "$OUT/summary.txt"
