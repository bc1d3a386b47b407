#!/usr/bin/env bash
# bench/query.sh: `c2flow query` against nfdump 1.7.1 on the same records, in one run.
#
# Run by `make bench` after bench/store.sh, from the top of the tree after
# `make build`; builds nothing itself and uses build/c2flow and build/nfblast.
#   (1) data: `c2flow synth` writes N records (seed $SEED, start $START) into
#       a store; nfblast sends the same records as NetFlow v9 to nfcapd on
#       loopback, which must store all N (checked with `nfdump -I`, else the
#       run stops); the nfcapd files are merged into one uncompressed file
#       (`nfdump -R DIR -w F`).  Both sides must hold the same records: counts,
#       packet and byte sums, records to port 23 (generator, nfdump -I, and a
#       plain dump of the store through awk, which also gives the expected
#       answer of every query below);
#   (2) the address list: LIST_SIZE (100,000) IPv4 addresses, LIST_HITS
#       (10,000) of them sources present in the data (every k-th of the sorted
#       distinct sources), the rest random public addresses present nowhere in
#       the data; written as an nfdump filter file (`ip in [ ... ]`) and as a
#       plain list for `ip in @FILE`;
#   (3) the queries, warm cache, each QUERY_RUNS (3) times, median, output to
#       files beside the data, /usr/bin/time for user/sys/peak RSS:
#       (a) dst port 23, printing (and counting, if c2flow has --count)
#       (b) -A srcip     (c) -s dstip/flows -n 100     (d) ip in the list;
#       printing is nfdump's `-o line` on both sides when c2flow has it
#       (the same 8 columns), else c2flow prints CSV of all columns;
#   (4) one summary table with the ratios nfdump / c2flow, PASS/FAIL against
#       the targets, the correctness checks, and RESULT lines.
# Exit status 1 when the data or a correctness check failed (or a c2flow
# query could not run); a missed speed or memory target prints FAIL only.
# Big files are removed at the end unless KEEP=1.  Only processes this script
# started are signalled, by PID.
#
# Environment: N (20000000), RATE (1000000 records/s offered to nfcapd),
# BENCH_DATA (/var/tmp/c2flow-bench; this script uses $BENCH_DATA/query/),
# PORT (19997), SEED (1), START (2026-01-01T00:00:00Z), QUERY_RUNS (3),
# LIST_SIZE (100000), LIST_HITS (10000), KEEP (0), BUILD (build: where c2flow
# and nfblast are; e.g. BUILD=build-rel for another build tree).
# See bench/README.md.
set -euo pipefail

cd "$(dirname "$0")/.."
N=${N:-20000000}
RATE=${RATE:-1000000}
BENCH_DATA=${BENCH_DATA:-/var/tmp/c2flow-bench}
PORT=${PORT:-19997}
SEED=${SEED:-1}
START=${START:-2026-01-01T00:00:00Z}
QUERY_RUNS=${QUERY_RUNS:-3}
LIST_SIZE=${LIST_SIZE:-100000}
LIST_HITS=${LIST_HITS:-10000}
KEEP=${KEEP:-0}
BUILD=${BUILD:-build}

C2FLOW=$BUILD/c2flow
NFBLAST=$BUILD/nfblast

# shellcheck source=bench/lib.sh
. bench/lib.sh

need_tools nfcapd nfdump /usr/bin/time
if [ ! -x "$C2FLOW" ] || [ ! -x "$NFBLAST" ]; then
    die "$C2FLOW or $NFBLAST missing: run 'make build' first"
fi
[ "$LIST_HITS" -le "$LIST_SIZE" ] || die "LIST_HITS ($LIST_HITS) > LIST_SIZE ($LIST_SIZE)"

mkdir -p "$BENCH_DATA/query"
QDIR=$(cd "$BENCH_DATA/query" && pwd)       # absolute: `ip in @FILE` takes a path
STORE_DIR=$QDIR/store
NFCAPD_DIR=$QDIR/nfcapd
NF_FILE=$QDIR/flows.nf
PROBE_DIR=$QDIR/probe
OUT=$QDIR/out
LIST_TXT=$OUT/list.txt
LIST_NF=$OUT/list.nfdump

NFCAPD_PID=
# shellcheck disable=SC2317  # called by the trap
cleanup() {
    nfcapd_stop
    rm -rf "$PROBE_DIR"
    if [ "$KEEP" != 1 ]; then
        rm -rf "$STORE_DIR" "$NFCAPD_DIR" "$NF_FILE"
        rm -f "$OUT"/*.out
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$STORE_DIR" "$NFCAPD_DIR" "$NF_FILE" "$PROBE_DIR" "$OUT"
mkdir -p "$OUT"
say "N=$N records, seed $SEED, start $START; data under $QDIR"

# ---- (1) the same records on both sides ----
say "(1) c2flow synth: $N records into $STORE_DIR"
/usr/bin/time -f '%e %U %S %M' -o "$OUT/synth.time" \
    "$C2FLOW" synth --store "$STORE_DIR" --records "$N" --seed "$SEED" --start "$START" \
    --retention 0 2>&1 | tee "$OUT/synth.txt" >&2
C2_STORED=$("$C2FLOW" stat --store "$STORE_DIR" -o csv | awk -F, 'NR == 2 { print $2 }')
[ "$C2_STORED" = "$N" ] || die "the c2flow store holds $C2_STORED records, not $N"

# nfcapd writes uncompressed files (the least CPU, so the fewest losses); if
# it loses records at RATE, one more try at half the rate, then give up
rate=$RATE
for attempt in 1 2; do
    say "(1) nfcapd: $N records offered by nfblast at $rate records/s on 127.0.0.1:$PORT"
    rm -rf "$NFCAPD_DIR"
    nfcapd_collect "$NFCAPD_DIR" "$N" "$rate" "$SEED" "$START" "$OUT" >&2
    [ "$COLLECT_STORED" = "$N" ] && break
    say "nfcapd stored $COLLECT_STORED of $N records at $rate records/s" \
        "(kernel socket drops $COLLECT_KDROPS)"
    [ "$attempt" = 2 ] && die "nfcapd lost records twice: run on a quiet machine" \
        "(no build or fuzzer beside it) or set a lower RATE"
    rate=$((rate / 2))
done
NB=$OUT/nfblast.txt
say "(1) merging into one uncompressed file: nfdump -R DIR -w $NF_FILE"
nfdump -R "$NFCAPD_DIR" -w "$NF_FILE"
rm -rf "$NFCAPD_DIR"
nfdump -r "$NF_FILE" -I >"$OUT/flows.info"
info() { awk -v k="$1:" '$1 == k { print $2 }' "$OUT/flows.info"; }
NF_RECORDS=$(info Flows)
[ "$NF_RECORDS" = "$N" ] || die "the merged nfdump file holds $NF_RECORDS records, not $N"

# A plain dump of the store (the time-range query that predates the filter
# engine) through awk: sums, port 23, and per address its flows as source
# and as destination.  Every expected answer below comes from this file.
say "(1) ground truth: c2flow query --fields src_ip,dst_ip,dst_port,packets,bytes | awk"
"$C2FLOW" query --store "$STORE_DIR" --fields src_ip,dst_ip,dst_port,packets,bytes -o csv \
    | awk -F, -v addrs="$OUT/addrs.out" '
        NR == 1 { next }
        { s[$1]++; d[$2]++; n++; pk += $4; by += $5; if ($3 == 23) p23++ }
        END {
            for (a in s) { srcs++; print a "\t" s[a] "\t" (a in d ? d[a] : 0) > addrs }
            for (a in d) if (!(a in s)) print a "\t0\t" d[a] > addrs
            printf "records=%.0f dport23=%.0f packets=%.0f bytes=%.0f sources=%.0f\n", \
                n, p23, pk, by, srcs
        }' >"$OUT/truth.txt"
tget() { tr ' ' '\n' <"$OUT/truth.txt" | sed -n "s/^$1=//p"; }
T_RECORDS=$(tget records); T_DPORT23=$(tget dport23); T_SOURCES=$(tget sources)
DATA_OK=1
same_or_flag() {   # what, then the values that must be equal
    local what=$1 v=$2 x
    shift 2
    for x in "$@"; do
        if [ "$x" != "$v" ]; then
            say "DIFFERENT $what: $v $*"
            DATA_OK=0
        fi
    done
}
same_or_flag records "$N" "$T_RECORDS" "$NF_RECORDS" "$(get records "$NB")"
same_or_flag packets "$(tget packets)" "$(info Packets)" "$(get sum_packets "$NB")"
same_or_flag bytes "$(tget bytes)" "$(info Bytes)" "$(get sum_bytes "$NB")"
same_or_flag "records to dst port 23" "$T_DPORT23" "$(get dport23 "$NB")"
[ "$DATA_OK" = 1 ] || die "the store and the nfdump file do not hold the same records"
say "(1) same records both sides: $N records, $(tget packets) packets, $(tget bytes) bytes," \
    "$T_DPORT23 to port 23, $T_SOURCES distinct sources"
# expected top 100 destinations by flows (address, flows), and the full
# destination table to look up ties
awk -F'\t' '$3 > 0 { print $1 "\t" $3 }' "$OUT/addrs.out" | sort -t"$(printf '\t')" -k2,2nr -k1,1 \
    >"$OUT/dst-flows.out"
head -n 100 "$OUT/dst-flows.out" >"$OUT/truth-top100.tsv"

# ---- (2) the address list ----
say "(2) address list: $LIST_SIZE IPv4 addresses, $LIST_HITS of them sources in the data"
awk -F'\t' '$2 > 0 && $1 !~ /:/ { print $1 }' "$OUT/addrs.out" | LC_ALL=C sort >"$OUT/v4-sources.out"
CANDIDATES=$(wc -l <"$OUT/v4-sources.out")
[ "$CANDIDATES" -ge "$LIST_HITS" ] || die "only $CANDIDATES IPv4 sources for $LIST_HITS hits: raise N"
# hits: every k-th of the sorted distinct IPv4 sources
awk -v n="$CANDIDATES" -v k="$LIST_HITS" \
    'BEGIN { next_i = 0; j = 0 }
     NR - 1 == next_i && j < k { print; j++; next_i = int(j * n / k) }' \
    "$OUT/v4-sources.out" >"$OUT/list-hits.txt"
# misses: public unicast IPv4 addresses from a fixed 32-bit LCG (exact in
# awk doubles, so every awk gives the same list), none of them anywhere in
# the data as source or destination, no duplicates
awk -F'\t' -v want=$((LIST_SIZE - LIST_HITS)) -v seed="$SEED" '
    function lcg() { x = (1664525 * x + 1013904223) % 4294967296; return x }
    function public(a, b) {
        return !(a == 0 || a == 10 || a == 127 || a >= 224 ||
                 (a == 100 && b >= 64 && b < 128) || (a == 169 && b == 254) ||
                 (a == 172 && b >= 16 && b < 32) || (a == 192 && b == 168) ||
                 (a == 198 && (b == 18 || b == 19)) || (a == 192 && b == 0) ||
                 (a == 198 && b == 51) || (a == 203 && b == 0) || (a == 192 && b == 88))
    }
    { used[$1] = 1 }
    END {
        x = seed + 12345
        while (got < want) {
            hi = int(lcg() / 65536); lo = int(lcg() / 65536)
            a = int(hi / 256); b = hi % 256; c = int(lo / 256); e = lo % 256
            if (!public(a, b) || e == 0 || e == 255) continue
            ip = a "." b "." c "." e
            if (ip in used) continue
            used[ip] = 1; print ip; got++
        }
    }' "$OUT/addrs.out" >"$OUT/list-misses.txt"
LC_ALL=C sort "$OUT/list-hits.txt" "$OUT/list-misses.txt" >"$LIST_TXT"
{ echo "ip in ["; cat "$LIST_TXT"; echo "]"; } >"$LIST_NF"
[ "$(sort -u "$LIST_TXT" | wc -l)" = "$LIST_SIZE" ] || die "the list does not hold $LIST_SIZE distinct addresses"
# expected: records with source or destination among the hits
say "(2) ground truth of (d): c2flow query --fields src_ip,dst_ip | awk"
T_LIST=$("$C2FLOW" query --store "$STORE_DIR" --fields src_ip,dst_ip -o csv \
    | awk -F, -v hits="$OUT/list-hits.txt" '
        BEGIN { while ((getline a < hits) > 0) h[a] = 1 }
        NR > 1 && ($1 in h || $2 in h) { m++ }
        END { print m + 0 }')

# ---- (3) the queries ----
# What this c2flow query can do, tried on a tiny store: an option it lacks
# leaves its figures empty and fails the run, but the nfdump side still runs.
"$C2FLOW" synth --store "$PROBE_DIR" --records 2000 --seed "$SEED" --start "$START" \
    --retention 0 >/dev/null 2>&1
head -n 3 "$LIST_TXT" >"$PROBE_DIR/list.txt"
probe() {   # name, then query options
    local name=$1
    shift
    if "$C2FLOW" query --store "$PROBE_DIR" "$@" >/dev/null 2>"$OUT/probe-$name.err"; then
        echo 1
    else
        say "c2flow query cannot run '$*': $(head -n 1 "$OUT/probe-$name.err")"
        echo 0
    fi
}
HAS_FILTER=$(probe filter -f 'dst port 23' -o csv)
# nfdump's line format, when this c2flow prints it (else all columns as CSV)
PRINT=(-o csv)
[ "$(probe line -f 'dst port 23' -o line)" = 1 ] && PRINT=(-o line)
HAS_COUNT=0
QUERY_HELP=$("$C2FLOW" query --help 2>&1 || true)
case $QUERY_HELP in
    *--count*) HAS_COUNT=$(probe count -f 'dst port 23' --count) ;;
esac
HAS_AGG=$(probe agg -A srcip -o csv)
HAS_TOP=$(probe top -s dstip/flows -n 100 -o csv)
HAS_LIST=$(probe list -f "ip in @$PROBE_DIR/list.txt" -o csv)

say "(3) warming the page cache"
cat "$NF_FILE" >/dev/null
find "$STORE_DIR" -type f -exec cat {} + >/dev/null

: >"$OUT/queries.tsv"
# run_query ID TOOL ENABLED CMD...: QUERY_RUNS runs of CMD, stdout to
# $OUT/ID-TOOL.out; appends "id tool wall user sys rss_kib lines status"
# (medians of the runs) to queries.tsv
run_query() {
    local id=$1 tool=$2 enabled=$3 out tf r t0 status=ok
    shift 3
    out=$OUT/$id-$tool.out
    if [ "$enabled" != 1 ]; then
        printf '%s\t%s\t-\t-\t-\t-\t-\tn/a\n' "$id" "$tool" >>"$OUT/queries.tsv"
        return 0
    fi
    : >"$OUT/$id-$tool.runs"
    for r in $(seq "$QUERY_RUNS"); do
        tf=$OUT/$id-$tool-$r.time
        t0=$(now)
        if ! /usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" >"$out" 2>"$OUT/$id-$tool.err"; then
            status=failed
        fi
        # wall from our own clock (ms), the rest from time(1)'s last line
        echo "$(since "$t0") $(tail -n 1 "$tf" | cut -d' ' -f2-)" >>"$OUT/$id-$tool.runs"
    done
    local wall user sys rss lines
    wall=$(cut -d' ' -f1 "$OUT/$id-$tool.runs" | median)
    user=$(cut -d' ' -f2 "$OUT/$id-$tool.runs" | median)
    sys=$(cut -d' ' -f3 "$OUT/$id-$tool.runs" | median)
    rss=$(cut -d' ' -f4 "$OUT/$id-$tool.runs" | median)
    lines=$(wc -l <"$out")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$tool" "$wall" "$user" "$sys" "$rss" \
        "$lines" "$status" >>"$OUT/queries.tsv"
    say "$tool $id: wall $wall s, user $user s, sys $sys s, peak RSS $rss KiB, $lines lines" \
        "($status)"
    [ "$status" = ok ] || say "  $(head -n 1 "$OUT/$id-$tool.err")"
}

S=(--store "$STORE_DIR")
say "(3a) dst port 23"
run_query a nfdump 1 nfdump -r "$NF_FILE" -q -o line 'dst port 23'
run_query a c2flow "$HAS_FILTER" "$C2FLOW" query "${S[@]}" -f 'dst port 23' "${PRINT[@]}"
run_query a-count c2flow "$HAS_COUNT" "$C2FLOW" query "${S[@]}" -f 'dst port 23' --count
say "(3b) -A srcip"
run_query b nfdump 1 nfdump -r "$NF_FILE" -q -A srcip
run_query b c2flow "$HAS_AGG" "$C2FLOW" query "${S[@]}" -A srcip -o csv
say "(3c) -s dstip/flows -n 100"
# -o line6: addresses in full (the default line format shortens IPv6 ones);
# it only changes how the 100 result lines are printed
run_query c nfdump 1 nfdump -r "$NF_FILE" -q -s dstip/flows -n 100 -o line6
run_query c c2flow "$HAS_TOP" "$C2FLOW" query "${S[@]}" -s dstip/flows -n 100 -o csv
say "(3d) ip in the $LIST_SIZE-address list"
run_query d nfdump 1 nfdump -r "$NF_FILE" -q -o line -f "$LIST_NF"
run_query d c2flow "$HAS_LIST" "$C2FLOW" query "${S[@]}" -f "ip in @$LIST_TXT" "${PRINT[@]}"

# ---- correctness of the answers ----
# records in an nfdump -o line / -A output, rows of a c2flow CSV or line
# output (header off)
nf_rows() { grep -cv -e '^No matching flows' -e '^$' "$1" || true; }
c2_rows() { [ -f "$1" ] && awk 'NR == 1 && /^([a-z_]|Date first seen)/ { next } NF { n++ } END { print n + 0 }' "$1" \
                || echo -; }
# the number a --count printed: the last field of its last line
c2_count() { [ -f "$1" ] && tail -n 1 "$1" | awk -F'[ ,=\t]+' '{ print ($NF ~ /^[0-9]+$/) ? $NF : "-" }' \
                 || echo -; }
qok() { awk -v i="$1" -v t="$2" '$1 == i && $2 == t { print ($8 == "ok") }' "$OUT/queries.tsv"; }

A_NF=$(nf_rows "$OUT/a-nfdump.out")
A_C2=-; [ "$(qok a c2flow)" = 1 ] && A_C2=$(c2_rows "$OUT/a-c2flow.out")
A_CNT=-; [ "$(qok a-count c2flow)" = 1 ] && A_CNT=$(c2_count "$OUT/a-count-c2flow.out")
B_NF=$(nf_rows "$OUT/b-nfdump.out")
B_C2=-; [ "$(qok b c2flow)" = 1 ] && B_C2=$(c2_rows "$OUT/b-c2flow.out")
D_NF=$(nf_rows "$OUT/d-nfdump.out")
D_C2=-; [ "$(qok d c2flow)" = 1 ] && D_C2=$(c2_rows "$OUT/d-c2flow.out")
# with -o line on both sides the printed lines themselves must agree (as
# sets: the two tools print records in different orders)
same_lines() {   # id
    if [ "${PRINT[*]}" = "-o line" ] && [ "$(qok "$1" c2flow)" = 1 ]; then
        if cmp -s <(LC_ALL=C sort "$OUT/$1-nfdump.out") \
                  <(tail -n +2 "$OUT/$1-c2flow.out" | LC_ALL=C sort); then
            say "($1) nfdump and c2flow printed the same lines"
        else
            say "($1) nfdump and c2flow printed DIFFERENT lines"
        fi
    fi
}
same_lines a
same_lines d

# (c): "address flows" of each top 100.  nfdump line6: the address is field
# 5, the flows field 6 up to "(" (only the top ranks may print as "1.2 M").
awk 'NF >= 6 { f = $6; sub(/\(.*/, "", f); print $5 "\t" f }' "$OUT/c-nfdump.out" >"$OUT/c-nfdump.tsv"
: >"$OUT/c-c2flow.tsv"
if [ "$(qok c c2flow)" = 1 ]; then
    # c2flow CSV: the flows column by its header, the address column is the
    # first whose value is an IPv4 or IPv6 address
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "flows") fc = i; next }
             NR == 2 { for (i = 1; i <= NF; i++)
                           if ($i ~ /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/ || $i ~ /^[0-9a-f]*:[0-9a-f:.]*$/) {
                               ac = i; break } }
             ac && fc { print $ac "\t" $fc }' "$OUT/c-c2flow.out" >"$OUT/c-c2flow.tsv"
fi
# compare the two sets with each other and with the expected top 100; an
# address in one set only is a tie when its true flow count equals the true
# count at rank 100.  Prints: verdict, addresses in one set only, flows at
# rank 100 for nfdump, c2flow and the truth.
C_CMP=$(awk -F'\t' '
    FILENAME == ARGV[1] { truth[$1] = $2; next }
    FILENAME == ARGV[2] { nf[$1] = 1; nnf++; lastnf = $2; next }
    FILENAME == ARGV[3] { c2[$1] = 1; nc2++; lastc2 = $2; next }
    FILENAME == ARGV[4] { t100 = $2; next }
    END {
        if (!nc2) { print "-", "-", lastnf, "-", t100; exit }
        for (a in nf) if (!(a in c2)) { diff++; if (truth[a] != t100) bad++ }
        for (a in c2) if (!(a in nf)) { diff++; if (truth[a] != t100) bad++ }
        v = (nnf != 100 || nc2 != 100 || bad) ? "DIFFERENT" : diff ? "ties" : "same"
        print v, diff + 0, lastnf, lastc2, t100
    }' "$OUT/dst-flows.out" "$OUT/c-nfdump.tsv" "$OUT/c-c2flow.tsv" "$OUT/truth-top100.tsv")
# nfdump against the expected set as well (ties at rank 100 allowed)
C_NF_TRUTH=$(awk -F'\t' '
    FILENAME == ARGV[1] { truth[$1] = $2; next }
    FILENAME == ARGV[2] { top[$1] = 1; t100 = $2; next }
    !($1 in top) && truth[$1] != t100 { n++ }
    END { print n + 0 }' "$OUT/dst-flows.out" "$OUT/truth-top100.tsv" "$OUT/c-nfdump.tsv")

# ---- (4) summary ----
awk -F'\t' -v n="$N" -v rate="$rate" -v runs="$QUERY_RUNS" -v qdir="$QDIR" -v lsize="$LIST_SIZE" -v lhits="$LIST_HITS" \
    -v a_nf="$A_NF" -v a_c2="$A_C2" -v a_cnt="$A_CNT" -v a_t="$T_DPORT23" \
    -v b_nf="$B_NF" -v b_c2="$B_C2" -v b_t="$T_SOURCES" \
    -v c_cmp="$C_CMP" -v c_nf_truth="$C_NF_TRUTH" \
    -v d_nf="$D_NF" -v d_c2="$D_C2" -v d_t="$T_LIST" -v c2print="c2flow ${PRINT[*]}" '
function mib(k) { return k == "-" ? "-" : sprintf("%.1f MiB", k / 1024) }
function rps(w) { return (w == "-" || w <= 0) ? "-" : sprintf("%.2f M", n / w / 1e6) }
function ratio(x, y) { return (x == "-" || y == "-" || y <= 0) ? "-" : x / y }
function fx(r) { return r == "-" ? "-" : sprintf("%.1f x", r) }
function pf(r, t) { return r == "-" ? "FAIL (no figure)" : (r >= t ? "PASS" : "FAIL") }
function agree(x, y, t) { return (x != "-" && x == y && x == t) ? "same" : "DIFFERENT" }
{ key = $1 SUBSEP $2; W[key] = $3; U[key] = $4; Y[key] = $5; R[key] = $6; L[key] = $7; ST[key] = $8 }
function row(label, id, tool, name) {
    k = id SUBSEP tool
    printf "%-24s %-16s %8s %8s %8s %11s %12s %12s %s\n", label, name, W[k], U[k], Y[k], \
        rps(W[k]), mib(R[k]), L[k], ST[k] == "ok" ? "" : ST[k]
}
function kv(id, tool, p) {
    k = id SUBSEP tool
    printf " %s_wall=%s %s_user=%s %s_sys=%s %s_rss_kib=%s %s_lines=%s", p, W[k], p, U[k], p, Y[k], \
        p, R[k], p, L[k]
}
END {
    split(c_cmp, C, " ")
    printf "\n== c2flow query vs nfdump 1.7.1: %.0f records, the same on both sides ==\n", n
    printf "nfcapd stored all of them at %.0f records/s; warm page cache; median of %d runs;\n", rate, runs
    printf "output to files under %s\n\n", qdir
    printf "%-24s %-16s %8s %8s %8s %11s %12s %12s\n", "query", "tool", "wall s", "user s", \
        "sys s", "records/s", "peak RSS", "output lines"
    row("(a) dst port 23", "a", "nfdump", "nfdump -o line")
    row("", "a", "c2flow", c2print)
    row("", "a-count", "c2flow", "c2flow --count")
    row("(b) -A srcip", "b", "nfdump", "nfdump")
    row("", "b", "c2flow", "c2flow -o csv")
    row("(c) top 100 dstip/flows", "c", "nfdump", "nfdump -o line6")
    row("", "c", "c2flow", "c2flow -o csv")
    row(sprintf("(d) ip in %dk list", lsize / 1000), "d", "nfdump", "nfdump -o line")
    row("", "d", "c2flow", c2print)

    printf "\n%-44s %12s %12s %s\n", "target (ratio = nfdump / c2flow)", "ratio", "target", "result"
    split("a b c d", ids, " ")
    need["a"] = 5; need["b"] = 5; need["c"] = 5; need["d"] = 50
    name["a"] = "(a) dst port 23, printing"; name["b"] = "(b) -A srcip"
    name["c"] = "(c) top 100"; name["d"] = "(d) address list"
    for (i = 1; i <= 4; i++) {
        id = ids[i]; nk = id SUBSEP "nfdump"; ck = id SUBSEP "c2flow"
        tr[id] = ratio(W[nk], W[ck]); mr[id] = ratio(R[nk], R[ck])
        printf "%-44s %12s %12s %s\n", name[id] ": time", fx(tr[id]), ">= " need[id] " x", pf(tr[id], need[id])
        if (id == "a") {
            cr = ratio(W[nk], W["a-count" SUBSEP "c2flow"])
            printf "%-44s %12s %12s %s\n", "(a) dst port 23, counting (--count): time", fx(cr), "", "(figure only)"
        }
        printf "%-44s %12s %12s %s\n", name[id] ": peak RSS", fx(mr[id]), "> 1 x", \
            mr[id] == "-" ? "FAIL (no figure)" : (mr[id] > 1 ? "PASS" : "FAIL")
        if (pf(tr[id], need[id]) != "PASS") missed++
        if (mr[id] == "-" || mr[id] <= 1) missed++
    }

    printf "\n%-44s %10s %10s %10s %s\n", "check", "nfdump", "c2flow", "expected", "result"
    ra = agree(a_nf, a_c2, a_t)
    printf "%-44s %10s %10s %10s %s\n", "(a) records to dst port 23", a_nf, a_c2, a_t, ra
    rc = "-"
    if (a_cnt != "-") {
        rc = agree(a_nf, a_cnt, a_t)
        printf "%-44s %10s %10s %10s %s\n", "(a) the same, c2flow --count", a_nf, a_cnt, a_t, rc
    }
    rb = agree(b_nf, b_c2, b_t)
    printf "%-44s %10s %10s %10s %s\n", "(b) groups (distinct source addresses)", b_nf, b_c2, b_t, rb
    rcv = C[1] == "same" ? "same" : C[1] == "ties" ? sprintf("same but %d ties at rank 100", C[2]) : \
          C[1] == "-" ? "DIFFERENT (no c2flow answer)" : sprintf("DIFFERENT (%d addresses)", C[2])
    if (c_nf_truth != 0) rcv = rcv sprintf("; nfdump has %d not in the expected set", c_nf_truth)
    printf "%-44s %10s %10s %10s %s\n", "(c) top-100 sets; flows at rank 100", C[3], C[4], C[5], rcv
    rd = agree(d_nf, d_c2, d_t)
    printf "%-44s %10s %10s %10s %s\n", "(d) records matching the list", \
        d_nf, d_c2, d_t, rd
    ok = ra == "same" && rb == "same" && (C[1] == "same" || C[1] == "ties") && c_nf_truth == 0 && \
         rd == "same" && (rc == "-" || rc == "same")
    printf "\ncorrectness: %s; targets: %s\n", ok ? "all answers agree" : "SOME ANSWERS DIFFER", \
        missed ? missed " of 8 missed" : "all 8 met"

    printf "RESULT records=%.0f nfcapd_rate=%.0f runs=%d list_size=%d list_hits=%d", n, rate, runs, lsize, lhits
    kv("a", "nfdump", "a_nfdump"); kv("a", "c2flow", "a_c2flow"); kv("a-count", "c2flow", "a_count_c2flow")
    kv("b", "nfdump", "b_nfdump"); kv("b", "c2flow", "b_c2flow")
    kv("c", "nfdump", "c_nfdump"); kv("c", "c2flow", "c_c2flow")
    kv("d", "nfdump", "d_nfdump"); kv("d", "c2flow", "d_c2flow")
    for (i = 1; i <= 4; i++)
        printf " %s_time_ratio=%s %s_rss_ratio=%s", ids[i], tr[ids[i]] == "-" ? "-" : sprintf("%.2f", tr[ids[i]]), \
            ids[i], mr[ids[i]] == "-" ? "-" : sprintf("%.2f", mr[ids[i]])
    printf " a_rows=%s/%s/%s a_count=%s b_groups=%s/%s/%s c_sets=%s c_diff=%s c_rank100_flows=%s/%s/%s", \
        a_nf, a_c2, a_t, a_cnt, b_nf, b_c2, b_t, C[1], C[2], C[3], C[4], C[5]
    printf " d_matches=%s/%s/%s targets_missed=%d correct=%s\n", d_nf, d_c2, d_t, missed, ok ? "yes" : "no"
    exit ok ? 0 : 1
}' "$OUT/queries.tsv" | tee "$OUT/summary.txt"
status=${PIPESTATUS[0]}
[ "$KEEP" = 1 ] && say "kept the data under $QDIR (KEEP=1)"
say "outputs in $OUT"
exit "$status"
