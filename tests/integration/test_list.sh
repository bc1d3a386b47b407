#!/bin/bash
# c2flow list: the lists detection runs keep in the store.  Three daily
# runs over a growing window of the tiny scenario; `list show` gives the
# newest list with the first and last run that listed each server, `list
# diff` what appeared and vanished between two runs, `list history` every
# run that listed one address, each row with the category detection gave
# it from the feed; the kept files are C2 lists; a store whose
# lists cannot be written still gets its detection (a warning); usage
# errors exit 2, a time before any run exits 1.  `list import` reads the
# exported list back from every format that can be read back, categories
# included.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "python3 not installed"
store=$WORK/store
"$C2FLOW" simulate --scenario "$C2FLOW_SRC/scenarios/tiny.ini" --seed 1 --days 3 --store "$store" \
    --truth "$WORK/truth.json" --feed "$WORK/feed.csv" --quiet || fail "simulate failed"
internal=$(python3 -c 'import json,sys; print(",".join(json.load(open(sys.argv[1]))["internal"]))' \
    "$WORK/truth.json")
detect() {
    "$C2FLOW" detect --store "$store" --from 2026-01-05 --internal "$internal" \
        --intel "$WORK/feed.csv" --set scan_pps=0.01 --set scan_min_samples=5 --quiet "$@"
}
for to in 2026-01-06 2026-01-07 2026-01-08; do
    detect --to "$to" --out "$WORK/c2-$to.csv" || fail "detect --to $to failed"
done
ls "$store/lists" > "$WORK/kept"
[ "$(cat "$WORK/kept")" = "c2-2026-01-06T000000Z-graph.csv
c2-2026-01-07T000000Z-graph.csv
c2-2026-01-08T000000Z-graph.csv" ] || fail "kept lists: $(cat "$WORK/kept")"
cmp -s "$store/lists/c2-2026-01-08T000000Z-graph.csv" "$WORK/c2-2026-01-08.csv" \
    || fail "the kept list is not the run's list"

"$C2FLOW" list show --store "$store" -o csv > "$WORK/show.csv" || fail "list show failed"
"$C2FLOW" list show --store "$store" --at 2026-01-07T12:00:00Z -o jsonl > "$WORK/show7.jsonl" \
    || fail "list show --at failed"
"$C2FLOW" list diff --store "$store" --since 2026-01-06 -o csv > "$WORK/diff.csv" \
    || fail "list diff failed"
python3 - "$WORK" <<'PY' || fail "list show/diff disagree with the runs' lists"
import csv, json, sys
w = sys.argv[1]
runs = {d: {(r["ip"], r["port"], r["proto"]): r for r in csv.DictReader(open(f"{w}/c2-{d}.csv"))}
        for d in ("2026-01-06", "2026-01-07", "2026-01-08")}
show = list(csv.DictReader(open(f"{w}/show.csv")))
assert {(r["ip"], r["port"], r["proto"]) for r in show} == set(runs["2026-01-08"]), "show"
for r in show:
    k = (r["ip"], r["port"], r["proto"])
    assert r["category"] == runs["2026-01-08"][k]["category"], ("category", r)
    listed = [d for d in sorted(runs) if k in runs[d]]
    assert r["first_listed"].startswith(listed[0]) and r["last_listed"].startswith(listed[-1]), r
    assert int(r["runs"]) == len(listed), r
show7 = [json.loads(l) for l in open(f"{w}/show7.jsonl")]
assert {(r["ip"], str(r["port"]), r["proto"]) for r in show7} == set(runs["2026-01-07"]), "show --at"
diff = list(csv.DictReader(open(f"{w}/diff.csv")))
new = {(r["ip"], r["port"], r["proto"]) for r in diff if r["status"] == "new"}
gone = {(r["ip"], r["port"], r["proto"]) for r in diff if r["status"] == "gone"}
assert new == set(runs["2026-01-08"]) - set(runs["2026-01-06"]), "new"
assert gone == set(runs["2026-01-06"]) - set(runs["2026-01-08"]), "gone"
named = sum(1 for r in show if r["category"])
assert named, "no server of the list has a category (the feed names families)"
print(f"list: {len(show)} servers now ({named} with a category), {len(new)} new and "
      f"{len(gone)} gone since the first run")
PY

ip=$(tail -n +2 "$WORK/c2-2026-01-06.csv" | head -1 | cut -d, -f1)
"$C2FLOW" list history --store "$store" "$ip" -o csv > "$WORK/history.csv" || fail "list history failed"
expect=$(grep -l "^$ip," "$WORK"/c2-*.csv | wc -l)
[ "$(tail -n +2 "$WORK/history.csv" | wc -l)" -ge "$expect" ] || fail "history of $ip: $(cat "$WORK/history.csv")"
head -1 "$WORK/history.csv" | grep -q '^run,ip,port,proto,score,method,category,' || fail "history header"

# lists that cannot be kept (a file where the directory should be, which
# stops root too): the run still writes its list and says so
mv "$store/lists" "$WORK/lists.saved"
touch "$store/lists"
detect --to 2026-01-08T12:00:00Z --out "$WORK/ro.csv" 2> "$WORK/ro.err" \
    || fail "detect failed where its list cannot be kept"
grep -q 'not kept' "$WORK/ro.err" || fail "no warning: $(cat "$WORK/ro.err")"
[ -s "$WORK/ro.csv" ] || fail "no list written"
rm "$store/lists"
mv "$WORK/lists.saved" "$store/lists"

# list import: the list exported in each format that reads back gives the
# same servers again, with their categories (the last column)
last="$store/lists/c2-2026-01-08T000000Z-graph.csv"
for f in csv jsonl feodo-csv threatfox-csv stix21; do
    "$C2FLOW" export --format "$f" --in "$last" --out "$WORK/x.$f" || fail "export $f"
    "$C2FLOW" list import --format "$f" --in "$WORK/x.$f" --out "$WORK/back-$f.csv" 2>/dev/null \
        || fail "list import --format $f"
    [ "$(tail -n +2 "$last" | cut -d, -f1-3,12 | sort)" = \
      "$(tail -n +2 "$WORK/back-$f.csv" | cut -d, -f1-3,12 | sort)" ] \
        || fail "import $f: other servers or categories"
done
mkdir "$WORK/misp"
"$C2FLOW" export --format misp-feed --in "$last" --out "$WORK/misp" || fail "export misp-feed"
event=$(ls "$WORK/misp" | grep -v -e manifest -e hashes)
"$C2FLOW" list import --format misp-feed --in "$WORK/misp/$event" --out "$WORK/back-misp.csv" \
    2>/dev/null || fail "list import --format misp-feed"
[ "$(tail -n +2 "$last" | cut -d, -f1-3 | sort)" = \
  "$(tail -n +2 "$WORK/back-misp.csv" | cut -d, -f1-3 | sort)" ] || fail "import misp-feed: other servers"
# an output that is a device is written in place, never replaced by a file
"$C2FLOW" list import --format csv --in "$last" --out /dev/null 2>&1 | grep -q servers \
    || fail "list import --out /dev/null"
[ -c /dev/null ] || fail "--out /dev/null replaced the device with a file"
expect_status 1 "$C2FLOW" list import --format stix21 --in "$WORK/x.csv" 2>/dev/null
expect_status 1 "$C2FLOW" list import --format nftables --in "$WORK/x.csv" 2>/dev/null
expect_status 2 "$C2FLOW" list import --format stix21 2>/dev/null
expect_status 2 "$C2FLOW" list import --format yaml --in "$WORK/x.csv" 2>/dev/null

expect_status 2 "$C2FLOW" list --store "$store" 2>/dev/null
expect_status 2 "$C2FLOW" list frobnicate --store "$store" 2>/dev/null
expect_status 2 "$C2FLOW" list diff --store "$store" 2>/dev/null
expect_status 2 "$C2FLOW" list history --store "$store" not-an-ip 2>/dev/null
expect_status 1 "$C2FLOW" list show --store "$store" --at 2025-01-01 2>/dev/null
expect_status 0 "$C2FLOW" list --help > /dev/null
echo "ok: list show, diff, history"
