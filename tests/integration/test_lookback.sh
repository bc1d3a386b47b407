#!/bin/bash
# c2flow lookback: the tiny scenario simulated unsampled for two days, its
# C2 servers (from the truth) as the list; every host lookback reports must
# be a bot of the truth (no healthy subscriber), nearly every bot must be
# found, --targets narrows to given addresses, JSON Lines carries the same
# rows, --leases names each row's subscriber, the output is marked internal
# and no C2 list reader accepts it (so c2flow export refuses it) nor may
# anybody but its owner and group read it (it names customers), and bad
# input exits 1 or 2.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "python3 not installed"
umask 022
store=$WORK/store
"$C2FLOW" simulate --scenario "$C2FLOW_SRC/scenarios/tiny.ini" --seed 1 --days 2 --sampling 1 \
    --store "$store" --truth "$WORK/truth.json" --feed "$WORK/feed.csv" --quiet \
    || fail "simulate failed"
python3 - "$WORK/truth.json" "$WORK/list.csv" <<'PY' || fail "could not write the list"
import json, sys
t = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as f:
    f.write("ip,port,proto\n")
    for c in t["c2"]:
        f.write(f"{c['ip']},{c['port']},{c['proto']}\n")
print(",".join(t["internal"]))
PY
internal=$(python3 -c 'import json,sys; print(",".join(json.load(open(sys.argv[1]))["internal"]))' \
    "$WORK/truth.json")
"$C2FLOW" lookback --store "$store" --list "$WORK/list.csv" --from 2026-01-05 --to 2026-01-07 \
    --internal "$internal" --out "$WORK/lb.csv" 2> "$WORK/lb.log" \
    || { cat "$WORK/lb.log"; fail "lookback failed"; }
head -1 "$WORK/lb.csv" | grep -q '^# c2flow lookback: INTERNAL' || fail "output not marked internal"
[ "$(stat -c %a "$WORK/lb.csv")" = 640 ] || fail "lookback output is $(stat -c %a "$WORK/lb.csv"), not 640"
python3 - "$WORK/truth.json" "$WORK/lb.csv" <<'PY' || fail "lookback found the wrong hosts"
import csv, json, sys
t = json.load(open(sys.argv[1]))
start, end = "2026-01-05", "2026-01-07"
# the bots of families whose C2 servers are in the list, infected during the window
families = {c["family"] for c in t["c2"]}
bots = {h["ip"] for h in t["infected"] if h["family"] in families and
        h["infected_at"] < end + "T" and (h["cleaned_at"] is None or h["cleaned_at"] >= start)}
lines = open(sys.argv[2]).read().splitlines()[1:]
rows = list(csv.DictReader(lines))
hosts = {r["host"] for r in rows}
c2 = {(c["ip"], str(c["port"])) for c in t["c2"]}
assert all((r["server"], r["port"]) in c2 for r in rows), "a server not in the list"
infected = {h["ip"] for h in t["infected"]}
healthy = hosts - infected
assert not healthy, f"healthy subscribers reported: {sorted(healthy)[:5]}"
recall = len(hosts & bots) / len(bots)
print(f"lookback, unsampled: {len(hosts)} hosts found, {len(bots)} bots in the window, "
      f"recall {recall:.3f}, no healthy subscriber")
assert recall >= 0.9, recall
PY

# at tiny's 1-in-100 sampling: a bot is found only when a record of its
# C2 traffic was sampled; still no healthy subscriber
"$C2FLOW" simulate --scenario "$C2FLOW_SRC/scenarios/tiny.ini" --seed 1 --days 2 \
    --store "$WORK/sampled" --truth "$WORK/truth-s.json" --quiet || fail "simulate failed"
"$C2FLOW" lookback --store "$WORK/sampled" --list "$WORK/list.csv" --from 2026-01-05 \
    --to 2026-01-07 --internal "$internal" --quiet --out "$WORK/lb-s.csv" || fail "lookback (sampled)"
python3 - "$WORK/truth-s.json" "$WORK/lb-s.csv" <<'PY' || fail "lookback (sampled) found a healthy host"
import csv, json, sys
t = json.load(open(sys.argv[1]))
families = {c["family"] for c in t["c2"]}
bots = {h["ip"] for h in t["infected"] if h["family"] in families}
hosts = {r["host"] for r in csv.DictReader(open(sys.argv[2]).read().splitlines()[1:])}
assert hosts <= {h["ip"] for h in t["infected"]}, sorted(hosts)[:5]
print(f"lookback, 1 in {t['sampling']}: {len(hosts & bots)} of {len(bots)} bots found "
      f"({len(hosts & bots) / max(1, len(bots)):.3f}), no healthy subscriber")
PY

# --targets: one bot's address alone
one=$(sed -n 3p "$WORK/lb.csv" | cut -d, -f1)
echo "$one" > "$WORK/targets.txt"
"$C2FLOW" lookback --store "$store" --list "$WORK/list.csv" --from 2026-01-05 --to 2026-01-07 \
    --targets "$WORK/targets.txt" -o jsonl --quiet > "$WORK/one.jsonl" || fail "--targets failed"
python3 - "$WORK/one.jsonl" "$WORK/lb.csv" "$one" <<'PY' || fail "--targets / JSON Lines rows differ"
import csv, json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
assert "c2flow_lookback" in objs[0]
got = {(o["host"], o["server"], str(o["port"]), o["flows"]) for o in objs[1:]}
rows = csv.DictReader(open(sys.argv[2]).read().splitlines()[1:])
want = {(r["host"], r["server"], r["port"], int(r["flows"])) for r in rows if r["host"] == sys.argv[3]}
assert got == want and got, (got, want)
PY

# --leases: every infected host's address leased to a made-up "sub-<n>"
# for the whole window; every row names its host's subscriber, and the rows
# are those without --leases
python3 - "$WORK/truth.json" "$WORK/leases.csv" <<'PY' || fail "could not write the leases"
import json, sys
t = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as f:
    f.write("address,start,end,subscriber\n# made up: one subscriber per infected host\n")
    for n, h in enumerate(sorted({h["ip"] for h in t["infected"]})):
        f.write(f"{h},2026-01-01T00:00:00Z,,sub-{n}\n")
PY
"$C2FLOW" lookback --store "$store" --list "$WORK/list.csv" --from 2026-01-05 --to 2026-01-07 \
    --internal "$internal" --leases "$WORK/leases.csv" --out "$WORK/lb-leases.csv" \
    2> "$WORK/lb-leases.log" || { cat "$WORK/lb-leases.log"; fail "lookback --leases failed"; }
grep -q ' 0 rows with no lease' "$WORK/lb-leases.log" || fail "--leases: summary wrong"
head -1 "$WORK/lb-leases.csv" | grep -q '^# c2flow lookback: INTERNAL' || fail "--leases: not marked internal"
"$C2FLOW" lookback --store "$store" --list "$WORK/list.csv" --from 2026-01-05 --to 2026-01-07 \
    --internal "$internal" --leases "$WORK/leases.csv" -o jsonl --quiet > "$WORK/lb-leases.jsonl" \
    || fail "lookback --leases -o jsonl failed"
python3 - "$WORK/leases.csv" "$WORK/lb-leases.csv" "$WORK/lb.csv" "$WORK/lb-leases.jsonl" <<'PY' \
    || fail "--leases: wrong subscribers"
import csv, json, sys
sub = {r["address"]: r["subscriber"]
       for r in csv.DictReader(l for l in open(sys.argv[1]) if not l.startswith("#"))}
lines = open(sys.argv[2]).read().splitlines()
assert lines[1].startswith("host,subscriber,server,"), lines[1]
rows = list(csv.DictReader(lines[1:]))
assert rows, "no rows"
for r in rows:
    assert r["subscriber"] == sub[r["host"]], (r["host"], r["subscriber"])
plain = list(csv.DictReader(open(sys.argv[3]).read().splitlines()[1:]))
strip = lambda r: {k: v for k, v in r.items() if k != "subscriber"}
assert [strip(r) for r in rows] == plain, "rows differ from those without --leases"
objs = [json.loads(l) for l in open(sys.argv[4])]
assert "c2flow_lookback" in objs[0]
assert list(objs[1])[:3] == ["host", "subscriber", "server"], list(objs[1])
assert [(o["host"], o["subscriber"]) for o in objs[1:]] == [(r["host"], r["subscriber"]) for r in rows]
print(f"lookback --leases: {len(rows)} rows, every one with its host's subscriber")
PY
printf 'address,start,end,subscriber\n100.64.0.1,2026-01-05,,ok\n100.64.0.2,yesterday,,bad\n' \
    > "$WORK/bad-leases.csv"
expect_status 1 "$C2FLOW" lookback --store "$store" --list "$WORK/list.csv" --from 2026-01-05 \
    --internal "$internal" --leases "$WORK/bad-leases.csv" 2> "$WORK/bad-leases.log"
grep -q "bad-leases.csv: line 3: bad start" "$WORK/bad-leases.log" || fail "--leases: error not named"

# never shareable: no C2 list reader takes it
expect_status 1 "$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/lb.csv" 2>/dev/null
if "$C2FLOW" export --help > /dev/null 2>&1; then
    expect_status 1 "$C2FLOW" export --format csv --in "$WORK/lb.csv" 2>/dev/null
fi

expect_status 2 "$C2FLOW" lookback --store "$store" --from 2026-01-05 2>/dev/null
expect_status 2 "$C2FLOW" lookback --store "$store" --list "$WORK/list.csv" 2>/dev/null
expect_status 2 "$C2FLOW" lookback --store "$store" --list "$WORK/list.csv" --from 2026-01-05 \
    -o xml --internal "$internal" 2>/dev/null
expect_status 1 "$C2FLOW" lookback --store "$store" --list "$WORK/none.csv" --from 2026-01-05 \
    --internal "$internal" 2>/dev/null
echo "ok: lookback"
