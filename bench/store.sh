#!/usr/bin/env bash
# bench/store.sh: the flow store against nfcapd/nfdump 1.7.1, in one run.
#
# Run by `make bench` from the top of the tree after `make build`; builds
# nothing itself and uses build/store_bench and build/nfblast.  Both sides
# get the SAME records (src/synth, seed $SEED, start $START):
#   (a) store_bench writes N records into a fresh c2flow store and scans them;
#   (b) nfblast sends them as NetFlow v9 to nfcapd (-y, LZ4) on loopback at a
#       rate it holds without loss; the stored count is checked with
#       `nfdump -I`; the files are rewritten uncompressed and as bzip2 for
#       their bytes per record;
#   (c) nfdump's filtered reads are timed (/usr/bin/time -v for peak RSS):
#       'dst port 23' (printing its matches) and a filter matching nothing;
#   (d) one summary table with the ratios and the targets.
# The port 23 count is checked to be the same in c2flow, nfdump and the
# generator's ground truth.  Big files are removed at the end unless KEEP=1.
# Only processes this script started are signalled, by PID.
#
# Environment: N (50000000), RATE (1000000 records/s offered to nfcapd),
# BENCH_DATA (/var/tmp/c2flow-bench), PORT (19997), SEED (1),
# START (2026-01-01T00:00:00Z), BZ2_N (5000000: records in the bzip2 sample;
# 0 = all), QUERY_RUNS (3), KEEP (0), BUILD (build).  See bench/README.md.
set -euo pipefail

cd "$(dirname "$0")/.."
N=${N:-50000000}
RATE=${RATE:-1000000}
BENCH_DATA=${BENCH_DATA:-/var/tmp/c2flow-bench}
PORT=${PORT:-19997}
SEED=${SEED:-1}
START=${START:-2026-01-01T00:00:00Z}
BZ2_N=${BZ2_N:-5000000}
QUERY_RUNS=${QUERY_RUNS:-3}
KEEP=${KEEP:-0}
BUILD=${BUILD:-build}

STORE_BENCH=$BUILD/store_bench
NFBLAST=$BUILD/nfblast
STORE_DIR=$BENCH_DATA/store
NFCAPD_DIR=$BENCH_DATA/nfcapd
NFDUMP_DIR=$BENCH_DATA/nfdump
OUT=$BENCH_DATA/out

# shellcheck source=bench/lib.sh
. bench/lib.sh

need_tools nfcapd nfdump /usr/bin/time
if [ ! -x "$STORE_BENCH" ] || [ ! -x "$NFBLAST" ]; then
    die "$STORE_BENCH or $NFBLAST missing: run 'make build' first"
fi
if [ "$BZ2_N" -eq 0 ] || [ "$BZ2_N" -gt "$N" ]; then BZ2_N=$N; fi

NFCAPD_PID=
# shellcheck disable=SC2317  # called by the trap
cleanup() {
    nfcapd_stop
    if [ "$KEEP" != 1 ]; then
        rm -rf "$STORE_DIR" "$NFCAPD_DIR" "$NFDUMP_DIR"
        rm -f "$OUT"/q-*.out
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$STORE_DIR" "$NFCAPD_DIR" "$NFDUMP_DIR" "$OUT"
mkdir -p "$NFCAPD_DIR" "$NFDUMP_DIR" "$OUT"

say "N=$N records, seed $SEED, start $START; data under $BENCH_DATA"

# ---- (a) c2flow store ----
say "(a) c2flow: store_bench"
/usr/bin/time -v -o "$OUT/store_bench.time" \
    "$STORE_BENCH" -n "$N" -d "$STORE_DIR" -s "$SEED" --start "$START" \
    | tee "$OUT/store_bench.txt"
SB=$OUT/store_bench.txt
[ "$(get checks "$SB")" = ok ] || die "store_bench checks failed"

# ---- (b) nfcapd ----
say "(b) nfcapd -y: $N records offered at $RATE records/s on 127.0.0.1:$PORT"
nfcapd_collect "$NFCAPD_DIR" "$N" "$RATE" "$SEED" "$START" "$OUT" -y
NB=$OUT/nfblast.txt
STORED=$COLLECT_STORED
KDROPS=$COLLECT_KDROPS
NFCAPD_NS=$(awk -v t="$COLLECT_CPU_TICKS" -v hz="$CLK_TCK" -v n="$STORED" \
    'BEGIN { printf "%.0f", n ? t / hz * 1e9 / n : 0 }')
LOSS=$(awk -v s="$STORED" -v n="$N" 'BEGIN { printf "%.4f", (n - s) * 100 / n }')
NF_LZ4=$(fsize_sum "$NFCAPD_DIR" -name 'nfcapd.2*')
say "nfcapd stored $STORED of $N records (loss $LOSS %, kernel drops $KDROPS)"

say "rewriting the nfcapd files uncompressed and as bzip2 ($BZ2_N records)"
nfdump -R "$NFCAPD_DIR" -w "$NFDUMP_DIR/flows.raw"
NF_RAW=$(fsize_sum "$NFDUMP_DIR/flows.raw")
t0=$(now)
nfdump -r "$NFDUMP_DIR/flows.raw" -c "$BZ2_N" -j -w "$NFDUMP_DIR/flows.bz2"
BZ2_S=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
NF_BZ2=$(fsize_sum "$NFDUMP_DIR/flows.bz2")
BZ2_REC=$(nfdump -r "$NFDUMP_DIR/flows.bz2" -I | awk '/^Flows:/ {print $2}')

# ---- (c) nfdump filtered reads ----
# input label, then nfdump input arguments
QUERIES=(
    "dir-lz4|-R $NFCAPD_DIR"
    "raw|-r $NFDUMP_DIR/flows.raw"
)
FILTERS=(
    "port23|dst port 23"
    "none|proto udp and dst port 23"
)
cat "$NFCAPD_DIR"/nfcapd.2* "$NFDUMP_DIR/flows.raw" >/dev/null   # warm cache, as for c2flow
: >"$OUT/queries.tsv"
for q in "${QUERIES[@]}"; do
    qlabel=${q%%|*}; qargs=${q#*|}
    for f in "${FILTERS[@]}"; do
        flabel=${f%%|*}; filter=${f#*|}
        walls=()
        for run in $(seq "$QUERY_RUNS"); do
            tf=$OUT/q-$qlabel-$flabel-$run.time
            t0=$(now)
            # shellcheck disable=SC2086
            /usr/bin/time -v -o "$tf" nfdump $qargs -q -o line "$filter" \
                >"$OUT/q-$qlabel-$flabel.out"
            w=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }')
            read -r _ rss <<<"$(time_fields "$tf")"
            walls+=("$w $rss")
        done
        med=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "$(( (QUERY_RUNS + 1) / 2 ))p")
        lines=$(grep -cv '^No matching flows' "$OUT/q-$qlabel-$flabel.out" || true)
        printf '%s\t%s\t%s\t%s\t%s\n' "$qlabel" "$flabel" "${med% *}" "${med#* }" "$lines" \
            >>"$OUT/queries.tsv"
        say "nfdump $qlabel '$filter': ${med% *} s, peak RSS ${med#* } KiB, $lines lines"
    done
done
qget() { awk -v q="$1" -v f="$2" -v c="$3" '$1 == q && $2 == f { print $c }' "$OUT/queries.tsv"; }

# ---- (d) summary ----
C2_BPR=$(get bytes_per_record "$SB")
DP23_C2=$(get dport23 "$SB")
DP23_GEN=$(get dport23 "$NB")
DP23_NF=$(qget dir-lz4 port23 5)
NONE_LINES=$(qget dir-lz4 none 5)
rate_of() { awk -v n="$STORED" -v s="$1" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
NF_Q23_LZ4=$(rate_of "$(qget dir-lz4 port23 3)")
NF_QNONE_LZ4=$(rate_of "$(qget dir-lz4 none 3)")
NF_Q23_RAW=$(rate_of "$(qget raw port23 3)")
NF_QNONE_RAW=$(rate_of "$(qget raw none 3)")
NF_BEST=$(printf '%s\n' "$NF_Q23_LZ4" "$NF_QNONE_LZ4" "$NF_Q23_RAW" "$NF_QNONE_RAW" | sort -n | tail -n1)
SB_RSS=$(time_fields "$OUT/store_bench.time" | awk '{print $2}')

awk -v n="$N" -v stored="$STORED" -v loss="$LOSS" -v kdrops="$KDROPS" -v rate="$RATE" \
    -v c2bpr="$C2_BPR" -v raw="$NF_RAW" -v lz4="$NF_LZ4" -v bz2="$NF_BZ2" -v bz2n="$BZ2_REC" \
    -v bz2s="$BZ2_S" \
    -v wr="$(get write_rps "$SB")" -v wrcpu="$(get write_cpu_rps "$SB")" \
    -v nfns="$NFCAPD_NS" \
    -v full="$(get full_scan_rps "$SB")" -v col="$(get col_scan_rps "$SB")" \
    -v pruned="$(get pruned_scan_s "$SB")" -v pblk="$(get pruned_blocks "$SB")" \
    -v pskip="$(get pruned_blocks_skipped "$SB")" \
    -v q23lz4="$NF_Q23_LZ4" -v qnonelz4="$NF_QNONE_LZ4" \
    -v q23raw="$NF_Q23_RAW" -v qnoneraw="$NF_QNONE_RAW" -v nfbest="$NF_BEST" \
    -v rss23="$(qget dir-lz4 port23 4)" -v rssnone="$(qget dir-lz4 none 4)" -v sbrss="$SB_RSS" \
    -v dp_c2="$DP23_C2" -v dp_nf="$DP23_NF" -v dp_gen="$DP23_GEN" -v nonel="$NONE_LINES" '
function M(x) { return sprintf("%.2f M/s", x / 1e6) }
function div(a, b) { return b ? a / b : 0 }
function ok(c) { return c ? "met" : "MISSED" }
BEGIN {
    rawb = div(raw, stored); lz4b = div(lz4, stored); bz2b = div(bz2, bz2n)
    printf "\n== c2flow store vs nfcapd/nfdump 1.7.1: %.0f records (same records both sides) ==\n", n
    printf "%-34s %-18s %-30s %s\n", "figure", "c2flow", "nfcapd / nfdump", "ratio (target)"
    printf "%-34s %-18.2f %-30s\n", "bytes per record", c2bpr, sprintf("raw %.1f", rawb)
    printf "%-34s %-18s %-30s %.2f x LZ4 (<= 0.5: %s)\n", "", "", sprintf("LZ4 (-y) %.1f", lz4b), \
        div(c2bpr, lz4b), ok(c2bpr <= 0.5 * lz4b)
    printf "%-34s %-18s %-30s %.2f x bz2 (< 1: %s)\n", "", "", \
        sprintf("bz2 (-j) %.1f [%.0f rec, %.0f s]", bz2b, bz2n, bz2s), div(c2bpr, bz2b), ok(c2bpr < bz2b)
    printf "%-34s %-18s %-30s\n", "write rate (wall)", M(wr), \
        sprintf("held %s offered, loss %.3f %%", M(rate), loss)
    printf "%-34s %-18s %-30s nfcapd / c2flow = %.2f\n", "write CPU per record", \
        sprintf("%.0f ns", div(1e9, wrcpu)), sprintf("%.0f ns (nfcapd, incl. v9 decode)", nfns), \
        div(nfns, div(1e9, wrcpu))
    printf "%-34s %-18s %-30s %.1f x\n", "full scan, all columns", M(full), \
        sprintf("%s (best nfdump read)", M(nfbest)), div(full, nfbest)
    printf "%-34s %-18s %-30s %.1f x (>= 10: %s)\n", "single-column scan (dst_port)", M(col), \
        sprintf("%s (best nfdump read)", M(nfbest)), div(col, nfbest), ok(col >= 10 * nfbest)
    printf "%-34s %-18s %-30s\n", "  nfdump LZ4 dir: dst port 23", "", \
        sprintf("%s, peak RSS %.0f KiB", M(q23lz4), rss23)
    printf "%-34s %-18s %-30s\n", "  nfdump LZ4 dir: matches nothing", "", \
        sprintf("%s, peak RSS %.0f KiB", M(qnonelz4), rssnone)
    printf "%-34s %-18s %-30s\n", "  nfdump raw file: dst port 23", "", M(q23raw)
    printf "%-34s %-18s %-30s\n", "  nfdump raw file: matches nothing", "", M(qnoneraw)
    printf "%-34s %-18s %-30s\n", "pruned scan (1 min of starts)", sprintf("%.3f s", pruned), \
        sprintf("(%.0f of %.0f blocks skipped)", pskip, pblk)
    printf "%-34s %-18s %-30s\n", "peak RSS (c2flow: whole bench)", sprintf("%.0f KiB", sbrss), ""
    match23 = dp_c2 == dp_nf && dp_c2 == dp_gen
    printf "%-34s %-18s %-30s %s\n", "records to dst port 23", dp_c2, \
        sprintf("%s (generator %s)", dp_nf, dp_gen), match23 ? "same" : "DIFFERENT"
    if (stored != n) printf "WARNING: nfcapd lost %.0f records (%.4f %%, kernel drops %.0f): lower RATE\n", n - stored, loss, kdrops
    if (nonel != 0) printf "WARNING: the filter meant to match nothing printed %.0f lines\n", nonel
    printf "RESULT records=%.0f c2_bpr=%.3f nfcapd_raw_bpr=%.3f nfcapd_lz4_bpr=%.3f nfcapd_bz2_bpr=%.3f", \
        n, c2bpr, rawb, lz4b, bz2b
    printf " c2_write_rps=%.0f c2_write_cpu_ns=%.0f nfcapd_rate=%.0f nfcapd_loss_pct=%s nfcapd_cpu_ns=%.0f", \
        wr, div(1e9, wrcpu), rate, loss, nfns
    printf " c2_full_scan_rps=%.0f c2_col_scan_rps=%.0f nfdump_best_rps=%.0f", full, col, nfbest
    printf " nfdump_port23_lz4_rps=%.0f nfdump_none_lz4_rps=%.0f nfdump_port23_raw_rps=%.0f nfdump_none_raw_rps=%.0f", \
        q23lz4, qnonelz4, q23raw, qnoneraw
    printf " ratio_bpr_lz4=%.3f ratio_bpr_bz2=%.3f ratio_col_scan=%.1f dport23_c2=%s dport23_nfdump=%s dport23_gen=%s\n", \
        div(c2bpr, lz4b), div(c2bpr, bz2b), div(col, nfbest), dp_c2, dp_nf, dp_gen
    exit (match23 && stored == n && nonel == 0) ? 0 : 1
}' | tee "$OUT/summary.txt"
status=${PIPESTATUS[0]}
[ "$KEEP" = 1 ] && say "kept the data under $BENCH_DATA (KEEP=1)"
say "outputs in $OUT"
exit "$status"
