#!/bin/bash
# c2flow synth: usage errors, the same seed giving the same store, the
# default start (records end now), options reaching the records, and
# records older than retention counted as expired rather than stored.
. "$(dirname "$0")/lib.sh"

# usage errors exit 2, --help 0
expect_status 0 "$C2FLOW" synth --help >/dev/null
exec 3>&2 2>/dev/null          # the usage messages themselves are not checked here
expect_status 2 "$C2FLOW" synth --store "$WORK/u"
expect_status 2 "$C2FLOW" synth --store "$WORK/u" --records 0
expect_status 2 "$C2FLOW" synth --store "$WORK/u" --records 10 --ipv6-share 1.5
expect_status 2 "$C2FLOW" synth --store "$WORK/u" --records 10 --hosts 1
expect_status 2 "$C2FLOW" synth --store "$WORK/u" --records 10 --rate 0
expect_status 2 "$C2FLOW" synth --store "$WORK/u" --records 10 --start yesterday-ish
expect_status 2 "$C2FLOW" synth --store "$WORK/u" --records 10 --bogus
expect_status 2 "$C2FLOW" synth --store "$WORK/u" --records 10 extra
expect_status 2 "$C2FLOW" synth --records 10          # no store
exec 2>&3 3>&-
[ ! -e "$WORK/u" ] || fail "a usage error created the store"

fields=start,end,exporter,domain,in_if,out_if,src_ip,dst_ip,src_port,dst_port,proto,tcp_flags,tos,packets,bytes,sampling,src_as,dst_as
# every record as CSV, without the header, sorted
dump() { "$C2FLOW" query --store "$1" -o csv --fields "$fields" | tail -n +2 | sort; }

# the same seed and start give the same records; another seed does not
for s in a b; do
    "$C2FLOW" synth --store "$WORK/$s" --records 30000 --seed 5 \
        --start 2026-01-01T00:00:00Z --retention 0 2>"$WORK/$s.err" || fail "synth $s failed"
done
"$C2FLOW" synth --store "$WORK/c" --records 30000 --seed 6 \
    --start 2026-01-01T00:00:00Z --retention 0 2>/dev/null || fail "synth c failed"
dump "$WORK/a" > "$WORK/a.csv"
dump "$WORK/b" > "$WORK/b.csv"
dump "$WORK/c" > "$WORK/c.csv"
[ "$(wc -l < "$WORK/a.csv")" = 30000 ] || fail "store a does not hold 30000 records"
cmp -s "$WORK/a.csv" "$WORK/b.csv" || fail "the same seed gave different records"
cmp -s "$WORK/a.csv" "$WORK/c.csv" && fail "another seed gave the same records"
grep -q '^c2flow synth: 30000 records from 2026-01-01T00:00:00.000Z, 0 expired, [0-9]* segments' \
    "$WORK/a.err" || fail "no summary line: $(cat "$WORK/a.err")"

# 30000 records at 50,000 flows/s end within 0.6 s of the start
awk -F, '$2 < "2026-01-01T00:00:00.000Z" || $2 > "2026-01-01T00:00:00.600Z" {bad++}
         END {exit bad > 0}' "$WORK/a.csv" || fail "end times outside [start, start + span)"

# by default the last record ends now (give or take the run)
before=$(date -u +%Y-%m-%dT%H:%M:%S)
"$C2FLOW" synth --store "$WORK/now" --records 5000 2>/dev/null || fail "synth (now) failed"
after=$(date -u -d '+2 seconds' +%Y-%m-%dT%H:%M:%S)
last=$("$C2FLOW" stat --store "$WORK/now" -o csv | awk -F, 'NR == 2 {print $4}')
if ! [[ "$last" > "$before" && "$last" < "$after" ]]; then
    fail "default start: last record ends $last, not between $before and $after"
fi

# options reach the records: all IPv6, 2 routers, sampling 1 in 10
"$C2FLOW" synth --store "$WORK/opt" --records 5000 --ipv6-share 1 --exporters 2 \
    --sampling 10 --hosts 100 --start 2026-01-01 --retention 0 2>/dev/null || fail "synth (options) failed"
dump "$WORK/opt" > "$WORK/opt.csv"
awk -F, '$7 !~ /:/ || $8 !~ /:/ || $4 < 1 || $4 > 2 || $16 != 10 || $14 % 10 != 0 {bad++}
         END {exit bad > 0}' "$WORK/opt.csv" || fail "options not reflected in the records"
[ "$(cut -d, -f7 "$WORK/opt.csv" | sort -u | wc -l)" -le 100 ] ||
    fail "more sources than --hosts 100"

# records older than the retention period are counted, not stored
"$C2FLOW" synth --store "$WORK/old" --records 1000 --start 2020-01-01 --retention 30d \
    2>"$WORK/old.err" || fail "synth (old) failed"
grep -q ' 0 records from .* 1000 expired' "$WORK/old.err" || fail "expired records not reported"
grep -q -- '--retention 0' "$WORK/old.err" || fail "no hint about --retention 0"
echo "ok"
