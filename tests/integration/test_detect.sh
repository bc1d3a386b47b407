#!/bin/bash
# c2flow detect --method graph, end to end: the tiny scenario simulated into
# a store (1-in-100 sampling), detection with the simulated feed as intel,
# the list scored by c2flow eval (precision and recall floors), the privacy
# guarantee (no customer address anywhere in the list, and nobody but the
# owner and group may read the store or the summaries), --incremental
# reusing its day summary and giving the same list, JSON Lines output, the
# exit statuses of bad input (an old list survives a failed run), and the
# real njRAT capture of ../shared (one infected host: nothing to pool, an
# empty list).
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "python3 not installed"
umask 022                       # what a default shell gives: the modes below are c2flow's

store=$WORK/store
"$C2FLOW" simulate --scenario "$C2FLOW_SRC/scenarios/tiny.ini" --seed 1 --store "$store" \
    --truth "$WORK/truth.json" --feed "$WORK/feed.csv" --quiet || fail "simulate failed"
internal=$(python3 -c 'import json,sys; print(",".join(json.load(open(sys.argv[1]))["internal"]))' \
    "$WORK/truth.json")

# tiny's bots probe 0.02 times a second: the scan rule is lowered to see
# them at all (the defaults are for real scanners, docs/detect.md)
detect() {
    "$C2FLOW" detect --store "$store" --from 2026-01-05 --to 2026-01-06 --internal "$internal" \
        --intel "$WORK/feed.csv" --set scan_pps=0.01 --set scan_min_samples=5 "$@"
}

detect --allowlist "$C2FLOW_SRC/allowlists/public-resolvers.txt" --out "$WORK/c2.csv" \
    2> "$WORK/detect.log" || { cat "$WORK/detect.log"; fail "detect failed"; }
grep -q 'infected hosts' "$WORK/detect.log" || fail "no summary on stderr"
grep -q 'candidates scored, [0-9]* listed; [0-9]* groups; [0-9]* one-off servers left out' \
    "$WORK/detect.log" || fail "no count of one-off servers on stderr"
# the one-off servers into a file of their own (tiny has none: a list with its header),
# and only with graph mining
detect --quiet --out /dev/null --oneoff-out "$WORK/oneoff.csv" || fail "detect --oneoff-out failed"
head -1 "$WORK/oneoff.csv" | grep -q '^ip,port,proto,first_seen,last_seen,score,method,group' \
    || fail "--oneoff-out: not a c2list CSV"
rc=0
detect --quiet --method ml --model /nonexistent --oneoff-out "$WORK/o2.csv" 2> "$WORK/o2.err" || rc=$?
[ "$rc" = 2 ] && grep -q 'oneoff-out' "$WORK/o2.err" || fail "--method ml --oneoff-out: exit $rc, not 2"
rows=$(tail -n +2 "$WORK/c2.csv" | wc -l)
[ "$rows" -ge 3 ] || fail "only $rows servers listed"
head -1 "$WORK/c2.csv" | grep -q '^ip,port,proto,first_seen,last_seen,score,method,group' \
    || fail "not a c2list CSV header"

"$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/c2.csv" -o json > "$WORK/eval.json" \
    || fail "eval failed"
python3 - "$WORK/eval.json" <<'PY' || fail "detection quality below the floor"
import json, sys
r = json.load(open(sys.argv[1]))
s = r["server"]
print(f"tiny: precision {s['precision']:.3f}, with infrastructure {s['precision_infra']:.3f}, "
      f"recall {s['recall']:.3f}")
assert s["precision_infra"] >= 0.9, s
assert s["recall"] >= 0.4, s
PY

# privacy: no row is a customer address, and no infected host appears anywhere
python3 - "$WORK/truth.json" "$WORK/c2.csv" <<'PY' || fail "a customer address leaked into the list"
import csv, ipaddress, json, sys
t = json.load(open(sys.argv[1]))
nets = [ipaddress.ip_network(n) for n in t["internal"]]
text = open(sys.argv[2]).read()
for r in csv.DictReader(open(sys.argv[2])):
    ip = ipaddress.ip_address(r["ip"])
    assert not any(ip in n for n in nets if n.version == ip.version), r["ip"]
    assert r["method"] == "graph"
for h in t["infected"]:
    assert h["ip"] not in text, h["ip"]
PY

# --incremental: the first run keeps the day's summary, the second reads it
# (--retention 0: the simulated day is older than the default 30 days, and
# a summary never outlives the store's retention)
sums=$WORK/sums
detect --incremental --summaries "$sums" --out "$WORK/inc0.csv" --quiet || fail "incremental run failed"
[ -e "$sums"/graph-2026-01-05.sum ] && fail "a summary older than the retention was kept"
detect --retention 0 --incremental --summaries "$sums" --out "$WORK/inc1.csv" 2> "$WORK/inc1.log" \
    || { cat "$WORK/inc1.log"; fail "incremental run failed"; }
ls "$sums"/graph-2026-01-05.sum >/dev/null 2>&1 || fail "no day summary kept"
detect --retention 0 --incremental --summaries "$sums" --out "$WORK/inc2.csv" 2> "$WORK/inc2.log" \
    || fail "second incremental run failed"
grep -q '1 days (1 from summaries)' "$WORK/inc2.log" || { cat "$WORK/inc2.log"; fail "summary not reused"; }
cmp -s "$WORK/c2.csv" "$WORK/inc1.csv" || fail "an incremental run gives another list"
cmp -s "$WORK/inc1.csv" "$WORK/inc2.csv" || fail "the list from the summary differs"
# privacy on disk: flows and summaries hold customer addresses, so nothing
# under the store or the summaries is open to others; the kept lists
# (STORE/lists) and the list itself hold none and are meant to be passed on
open=$(find "$store" "$sums" -path "$store/lists" -prune -o -perm /o=rwx -print | head -3)
[ -z "$open" ] || fail "readable by others: $open"
[ "$(stat -c %a "$store")" = 750 ] || fail "store directory is $(stat -c %a "$store"), not 750"
[ "$(stat -c %a "$sums"/graph-2026-01-05.sum)" = 640 ] || fail "summary is not 0640"
seg=$(find "$store" -name '*.c2s' | head -1)
[ -n "$seg" ] && [ "$(stat -c %a "$seg")" = 640 ] || fail "segment $seg is not 0640"
[ "$(stat -c %a "$WORK/inc2.csv")" = 644 ] || fail "the list is not 0644"
# the simulator's truth names (simulated) customers; its feed does not
[ "$(stat -c %a "$WORK/truth.json")" = 640 ] || fail "the truth is not 0640"
[ "$(stat -c %a "$WORK/feed.csv")" = 644 ] || fail "the feed is not 0644"

# a damaged summary is computed again, not trusted
printf 'garbage' > "$sums/graph-2026-01-05.sum"
detect --retention 0 --incremental --summaries "$sums" --out "$WORK/inc3.csv" --quiet || fail "damaged summary not recomputed"
cmp -s "$WORK/c2.csv" "$WORK/inc3.csv" || fail "the list after a damaged summary differs"

# a summary that cannot be kept (here its directory cannot be made) is a
# warning, even with --quiet; the list is written all the same
touch "$WORK/notadir"
detect --retention 0 --incremental --summaries "$WORK/notadir/sums" --out "$WORK/inc4.csv" \
    --quiet 2> "$WORK/inc4.log" || fail "an unkept summary failed the run"
grep -q 'warning: 1 day summaries not kept' "$WORK/inc4.log" || { cat "$WORK/inc4.log"; fail "no warning"; }
cmp -s "$WORK/c2.csv" "$WORK/inc4.csv" || fail "the list without a kept summary differs"

# JSON Lines, read back by eval the same way
detect -o jsonl --quiet > "$WORK/c2.jsonl" || fail "jsonl output failed"
head -c1 "$WORK/c2.jsonl" | grep -q '{' || fail "not JSON Lines"
"$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/c2.jsonl" -o csv > "$WORK/e2.csv" || fail "eval jsonl"
"$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/c2.csv" -o csv > "$WORK/e1.csv" || fail "eval csv"
cmp -s "$WORK/e1.csv" "$WORK/e2.csv" || fail "CSV and JSON Lines lists score differently"

# bad input: usage errors exit 2, failures 1, and the old list survives
cp "$WORK/c2.csv" "$WORK/keep.csv"
expect_status 2 "$C2FLOW" detect --store "$store" --internal "$internal" 2>/dev/null
expect_status 2 "$C2FLOW" detect --store "$store" --from 2026-01-06 --to 2026-01-05 \
    --internal "$internal" 2>/dev/null
expect_status 2 "$C2FLOW" detect --store "$store" --from 2026-01-05 2>/dev/null
expect_status 2 "$C2FLOW" detect --store "$store" --from 2026-01-05 --internal 300.1.2.3/8 2>/dev/null
expect_status 2 detect --set no_such_key=1 2>/dev/null
expect_status 2 detect --set min_score=200 2>/dev/null
expect_status 2 detect --method ml 2>/dev/null
expect_status 1 detect --intel "$WORK/missing.csv" --out "$WORK/keep.csv" 2>/dev/null
cmp -s "$WORK/c2.csv" "$WORK/keep.csv" || fail "a failed run changed the old list"
expect_status 1 "$C2FLOW" detect --store "$WORK/nostore" --from 2026-01-05 --internal "$internal" 2>/dev/null
"$C2FLOW" detect --help | grep -q -- '--incremental' || fail "--help lacks --incremental"

# the real njRAT capture: one infected host (it contacts a listed C2), so no
# server has two infected clients and the graph method lists nothing
njrat=${C2FLOW_SHARED_DATA:-}/zeek_njrat_botnet-230-1_labeled-conn.log
if [ -f "$njrat" ]; then
    "$C2FLOW" import --retention 0 --store "$WORK/njrat" --format zeek "$njrat" 2>/dev/null \
        || fail "njrat import failed"
    echo "41.108.179.197:1177" > "$WORK/njrat-intel.txt"
    "$C2FLOW" detect --store "$WORK/njrat" --from 1970-01-01 --to 1970-01-02 \
        --internal 192.168.0.0/16,fd00::/8 --intel "$WORK/njrat-intel.txt" \
        --out "$WORK/njrat.csv" 2> "$WORK/njrat.log" || { cat "$WORK/njrat.log"; fail "njrat detect"; }
    grep -q 'infected hosts 1 ' "$WORK/njrat.log" || { cat "$WORK/njrat.log"; fail "njrat host not infected"; }
    [ "$(wc -l < "$WORK/njrat.csv")" = 1 ] || fail "njrat: a list from one infected host"
else
    echo "../shared/data/real absent: the njRAT capture is not run"
fi
echo "ok"
