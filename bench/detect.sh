#!/usr/bin/env bash
# bench/detect.sh: how fast c2flow detect --method graph runs, and how well.
#
# Simulates DAYS + 1 days of scenarios/isp1m.ini (1,000,000 subscribers,
# 1-in-10,000 sampling; SUBSCRIBERS and DAYS scale it down) into a store,
# then:
#   1. detection over the first DAYS days, every day read from the store
#      (--incremental, so the day summaries are kept): wall time and peak
#      memory; target (issue 6) for 7 days at 1 M subscribers: < 2 minutes
#      and < 4 GB;
#   2. the next day's run over the window shifted by a day: DAYS - 1 days
#      come from their summaries, one is read; target < 20 s;
#   3. the list of run 1 scored by c2flow eval against the truth.
# No peer tool detects C2 servers from flows, so there is no ratio here; the
# store and query benchmarks compare c2flow with nfdump.
#
#   DAYS=7 SUBSCRIBERS=1000000 SEED=1 bench/detect.sh
#   KEEP=1 bench/detect.sh      # keep (and reuse) the simulated store in DATA
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
C2FLOW=${C2FLOW:-$here/../build/c2flow}
DAYS=${DAYS:-7}
SUBSCRIBERS=${SUBSCRIBERS:-1000000}
SEED=${SEED:-1}
DATA=${DATA:-/var/tmp/c2flow-bench-detect}
need_tools /usr/bin/time python3
[ -x "$C2FLOW" ] || die "$C2FLOW not built (make build)"
KEEP=${KEEP:-0}
simulated_store "$here/../scenarios/isp1m.ini" $((DAYS + 1)) "$SEED" --subscribers "$SUBSCRIBERS"
rm -rf "$DATA/store/summaries"          # run 1 reads every day from the store
internal=$(truth_internal)

# run N FROM TO: one timed detection; sets WALL and RSS
run() {
    local n=$1 from=$2 to=$3
    /usr/bin/time -v -o "$DATA/time$n.txt" "$C2FLOW" detect --store "$DATA/store" --retention 0 \
        --from "$from" --to "$to" --internal "$internal" --intel "$DATA/feed.csv" --incremental \
        --out "$DATA/c2-$n.csv" 2> "$DATA/log$n.txt"
    tail -n 4 "$DATA/log$n.txt" >&2
    WALL=$(awk -F': ' '/Elapsed/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$DATA/time$n.txt")
    RSS=$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2 / 1024}' "$DATA/time$n.txt")
}
say "1: detection over $DAYS days, every day read from the store"
run 1 "$(truth_day 0)" "$(truth_day "$DAYS")"
wall1=$WALL rss1=$RSS
records=$(sed -n 's/.*days (.*), \([0-9]*\) records.*/\1/p' "$DATA/log1.txt")
say "2: the next day: $((DAYS - 1)) days from their summaries, one from the store"
run 2 "$(truth_day 1)" "$(truth_day $((DAYS + 1)))"
wall2=$WALL rss2=$RSS
say "3: the list of run 1 against the truth"
"$C2FLOW" eval --truth "$DATA/truth.json" --list "$DATA/c2-1.csv" --at "$(truth_day "$DAYS")" \
    --min-bots 20 -o json > "$DATA/eval.json"
read -r prec preci recall <<< "$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["server"]; print(s["precision"], s["precision_infra"], s["recall"])' "$DATA/eval.json")"
printf '\n| figure | value |\n|---|---|\n'
printf '| subscribers x days | %s x %s (+1 for the daily run) |\n' "$SUBSCRIBERS" "$DAYS"
printf '| records in the window | %s |\n' "$records"
printf '| full run: wall, peak memory | %s s, %s MiB (target < 120 s, < 4096 MiB) |\n' "$wall1" "$rss1"
printf '| full run: records/s | %s M |\n' "$(awk -v r="$records" -v w="$wall1" 'BEGIN {printf "%.2f", r / w / 1e6}')"
printf '| daily run: wall, peak memory | %s s, %s MiB (target < 20 s) |\n' "$wall2" "$rss2"
printf '| summaries on disk | %s B for %s days |\n' "$(fsize_sum "$DATA/store/summaries")" "$((DAYS + 1))"
printf '| listed | %s servers |\n' "$(($(wc -l < "$DATA/c2-1.csv") - 1))"
printf '| C2 with >= 20 bots: precision, with infrastructure, recall | %s, %s, %s |\n' "$prec" "$preci" "$recall"
[ "$KEEP" = 1 ] || rm -rf "$DATA"
