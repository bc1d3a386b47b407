#!/bin/bash
# The command-line contract of query, stat and check: --help, usage errors
# (exit 2), config file and command-line overrides, output formats, time
# ranges, and what damage does to the exit status.
. "$(dirname "$0")/lib.sh"

for cmd in import query stat check synth; do
    "$C2FLOW" $cmd --help > "$WORK/help" || fail "$cmd --help failed"
    grep -q "^usage: c2flow $cmd" "$WORK/help" || fail "$cmd --help prints no usage"
done
expect_status 2 "$C2FLOW"
expect_status 2 "$C2FLOW" frobnicate
expect_status 2 "$C2FLOW" query --bogus
expect_status 2 "$C2FLOW" query --store "$WORK/none" --from yesterday
expect_status 2 "$C2FLOW" query --store "$WORK/none" -o xml
expect_status 2 "$C2FLOW" query --store "$WORK/none" -f 'dst port'      # filter error
expect_status 2 "$C2FLOW" query --store "$WORK/none" -f 'port 1' 'port 2' # filter twice
expect_status 2 "$C2FLOW" query --store "$WORK/none" -A srcip -s dstip
expect_status 2 "$C2FLOW" query --store "$WORK/none" -A nosuchfield
expect_status 2 "$C2FLOW" query --store "$WORK/none" --count -A srcip
expect_status 2 "$C2FLOW" query                     # no store given
expect_status 1 "$C2FLOW" query --store "$WORK/none"  # store does not exist
expect_status 2 "$C2FLOW" stat --store "$WORK/s" --slice 7m

store=$WORK/store
# a config file names the store; 1-minute slices from the command line
cat > "$WORK/c2flow.conf" <<CONF
[store]
dir = $store
retention = 0
CONF
"$C2FLOW" synth --config "$WORK/c2flow.conf" --slice 1m --records 20000 --seed 3 \
    --start 2026-01-01T00:00:00Z --rate 100 2>/dev/null || fail "synth failed"
# 20000 records at 100/s = 200 s: slices 00:00 .. 00:03
n=$(find "$store/2026/01/01" -name '000[0-3]00_60s_*.c2s' | wc -l)
[ "$n" -ge 4 ] || fail "expected 1-minute slices, found $n files"

[ "$(count_records "$store")" = 20000 ] || fail "query does not read 20000 records"
[ "$(stat_records "$store")" = 20000 ] || fail "stat does not count 20000 records"

# time ranges are [from, to) on the start time
"$C2FLOW" query --store "$store" --from 2026-01-01T00:01:00Z --to 2026-01-01T00:02:00Z \
    -o csv --fields start > "$WORK/range.csv"
awk -F, 'NR > 1 && ($1 < "2026-01-01T00:01:00.000Z" || $1 >= "2026-01-01T00:02:00.000Z") {bad++}
         END {exit bad > 0}' "$WORK/range.csv" || fail "records outside the range"
inrange=$(($(wc -l < "$WORK/range.csv") - 1))
[ "$inrange" -gt 5000 ] && [ "$inrange" -lt 7000 ] || fail "odd count in one minute: $inrange"

# JSON Lines: one object a line with every field; table has a header
"$C2FLOW" query --store "$store" -o json -n 5 > "$WORK/q.json"
[ "$(wc -l < "$WORK/q.json")" = 5 ] || fail "--limit 5 did not give 5 lines"
python3 - "$WORK/q.json" <<'PY' || fail "JSON Lines output is not valid"
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    for k in ("start", "end", "src_ip", "dst_ip", "dst_port", "proto", "packets", "bytes", "sampling"):
        assert k in o, k
PY
"$C2FLOW" query --store "$store" -o table -n 3 | head -1 | grep -q "src_ip" || fail "table has no header"
"$C2FLOW" stat --store "$store" --days -o csv | grep -q "^segments,records" || fail "stat --days csv header"

# damage: flip one byte in one segment -> query reports it, exits 1, prints the rest
seg=$(find "$store" -name '*.c2s' | sort | head -1)
printf '\xff\xff\xff\xff' | dd of="$seg" bs=1 seek=40 conv=notrunc status=none
"$C2FLOW" query --store "$store" -o csv --fields start > "$WORK/after.csv" 2> "$WORK/after.err"
[ $? = 1 ] || fail "query over a damaged block should exit 1"
grep -q "$seg" "$WORK/after.err" || fail "the error does not name the damaged file"
left=$(($(wc -l < "$WORK/after.csv") - 1))
[ "$left" -gt 0 ] && [ "$left" -lt 20000 ] || fail "after damage $left records were printed"
expect_status 1 "$C2FLOW" check --store "$store" -q
echo ok
