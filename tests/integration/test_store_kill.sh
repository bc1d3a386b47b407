#!/bin/bash
# A writer killed with SIGKILL in the middle of its work leaves a store that
# reads cleanly: check finds no damage, stat and a full query agree, and a
# new writer can carry on.  Readers running during the writes never fail.
. "$(dirname "$0")/lib.sh"

store=$WORK/store
# 2000 flows/s: a 5-minute slice holds 600,000 records.  Two open slices
# at most: as time moves on, the writer seals the older one, so segments are
# sealed continually.  Small blocks: an open slice always has blocks in its
# temporary file, so the kill surely interrupts a segment being written.
printf '[store]\nblock_records = 1024\nmax_open_slices = 2\nretention = 0\n' \
    > "$WORK/c2flow.conf"
"$C2FLOW" synth --config "$WORK/c2flow.conf" --store "$store" --records 30000000 \
    --seed 7 --rate 2000 2>"$WORK/synth.log" &
pid=$!

# wait until some segments are sealed, reading the store meanwhile
for i in $(seq 1 300); do
    n=$(find "$store" -name '*.c2s' 2>/dev/null | wc -l)
    [ "$n" -ge 3 ] && break
    kill -0 $pid 2>/dev/null || fail "writer ended before it was killed: $(cat "$WORK/synth.log")"
    sleep 0.1
done
[ "$n" -ge 3 ] || fail "no segment sealed after 30 s"
for i in 1 2 3; do
    "$C2FLOW" check --store "$store" -q > "$WORK/check-live.out" \
        || fail "check failed while the writer ran: $(cat "$WORK/check-live.out")"
done
kill -KILL $pid
wait $pid 2>/dev/null

"$C2FLOW" check --store "$store" > "$WORK/check.out"
status=$?
cat "$WORK/check.out"
[ $status = 0 ] || fail "check after SIGKILL exited $status"
grep -q "(0 damaged)" "$WORK/check.out" || fail "check reports damage"
grep -q "temporary files left by interrupted writers" "$WORK/check.out" \
    || fail "the killed writer's temporary files were not reported"

counted=$(count_records "$store")
footer=$(stat_records "$store")
[ "$counted" -gt 0 ] || fail "no record readable after the kill"
[ "$counted" = "$footer" ] || fail "query reads $counted records, stat says $footer"
[ "$counted" -lt 30000000 ] || fail "the writer finished before the kill; test proves nothing"

# a new writer carries on in the same store
"$C2FLOW" synth --store "$store" --records 1000 --seed 8 --retention 0 2>/dev/null \
    || fail "second writer failed"
after=$(count_records "$store")
[ "$after" = $((counted + 1000)) ] || fail "after a second writer: $after, expected $((counted + 1000))"
expect_status 0 "$C2FLOW" check --store "$store" -q
echo "ok: $counted records readable after SIGKILL"
