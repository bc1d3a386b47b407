#!/usr/bin/env bash
# bench/simulate.sh: how fast c2flow simulate writes a simulated ISP into a store.
#
# One simulated day of scenarios/isp1m.ini (1,000,000 subscribers, 1-in-10,000
# sampling) straight into a store (`--store`).  Reports records per simulated
# day, wall and CPU time, records/s, peak memory and bytes on disk.  Target
# (issue 5): under 60 s on this 2-core machine.  No peer tool simulates an ISP
# with labelled botnets, so there is no ratio here; bench/store.sh compares
# the store itself with nfcapd.
#
#   DAYS=1 SUBSCRIBERS=1000000 SEED=1 bench/simulate.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
C2FLOW=${C2FLOW:-$here/../build/c2flow}
DAYS=${DAYS:-1}
SUBSCRIBERS=${SUBSCRIBERS:-1000000}
SEED=${SEED:-1}
DATA=${DATA:-/var/tmp/c2flow-bench-sim}
need_tools /usr/bin/time
[ -x "$C2FLOW" ] || die "$C2FLOW not built (make build)"
rm -rf "$DATA"
mkdir -p "$DATA"
say "simulating $DAYS day(s) of $SUBSCRIBERS subscribers into $DATA/store"
/usr/bin/time -v -o "$DATA/time.txt" "$C2FLOW" simulate --scenario "$here/../scenarios/isp1m.ini" \
    --days "$DAYS" --subscribers "$SUBSCRIBERS" --seed "$SEED" --store "$DATA/store" \
    --truth "$DATA/truth.json" --quiet 2> "$DATA/log.txt"
cat "$DATA/log.txt" >&2
records=$(sed -n 's/.*: \([0-9]*\) records (.*/\1/p' "$DATA/log.txt" | tail -n1)
wall=$(awk -F': ' '/Elapsed/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$DATA/time.txt")
user=$(awk -F': ' '/User time/ {print $2}' "$DATA/time.txt")
sys=$(awk -F': ' '/System time/ {print $2}' "$DATA/time.txt")
rss=$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2 / 1024}' "$DATA/time.txt")
bytes=$(fsize_sum "$DATA/store")
printf '\n| figure | value |\n|---|---|\n'
printf '| subscribers x days | %s x %s |\n' "$SUBSCRIBERS" "$DAYS"
printf '| records | %s (%s per simulated day) |\n' "$records" "$(awk -v r="$records" -v d="$DAYS" 'BEGIN {printf "%.0f", r / d}')"
printf '| wall | %s s (target < 60 s per day at 1 M subscribers) |\n' "$wall"
printf '| CPU user + sys | %s s + %s s |\n' "$user" "$sys"
printf '| rate | %s M records/s |\n' "$(awk -v r="$records" -v w="$wall" 'BEGIN {printf "%.2f", r / w / 1e6}')"
printf '| peak memory | %s MiB |\n' "$rss"
printf '| on disk | %s B (%s B/record) |\n' "$bytes" "$(awk -v b="$bytes" -v r="$records" 'BEGIN {printf "%.1f", b / r}')"
rm -rf "$DATA"
