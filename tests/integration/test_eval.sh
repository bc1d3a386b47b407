#!/bin/bash
# c2flow eval: a small truth and list written here, scored in the three
# output forms (the JSON parsed by python3, figures checked against values
# worked out by hand), --at, --min-bots, --feed, --exclude (feeds, plain
# lists and C2 lists), --curve, lists in both forms and from stdin, and the
# exit statuses: 0 scored, 1 bad input file, 2 usage.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "python3 not installed"

# Three C2 servers and one loader in a window of three days:
#   A 10.0.0.1:23/tcp   mirai   born 01-05 12:00, 37 bots, feed lists it 02-01
#   B 10.0.0.2:23/tcp   mirai   born 01-03, 3 bots, never in the feed
#   C 2001:db8::3:443/tcp emotet born 01-06, 150 bots, feed lists it 01-06 12:00
#   loader 10.9.9.9:80/tcp
cat > "$WORK/truth.json" <<'EOF'
{"format": "c2flow-truth/1", "scenario": "test", "seed": 3,
 "start": "2026-01-05T00:00:00Z", "end": "2026-01-08T00:00:00Z",
 "c2": [
  {"ip": "10.0.0.1", "port": 23, "proto": "tcp", "family": "mirai", "born": "2026-01-05T12:00:00Z",
   "died": null, "bots": 37, "packets": 100, "feed_listed": "2026-02-01T00:00:00Z"},
  {"ip": "10.0.0.2", "port": 23, "proto": "tcp", "family": "mirai", "born": "2026-01-03T00:00:00Z",
   "died": null, "bots": 3, "packets": 10, "feed_listed": null},
  {"ip": "2001:db8::3", "port": 443, "proto": "tcp", "family": "emotet", "born": "2026-01-06T00:00:00Z",
   "died": "2026-01-07T00:00:00Z", "bots": 150, "packets": 1000, "feed_listed": "2026-01-06T12:00:00Z"}
 ],
 "loaders": [{"ip": "10.9.9.9", "port": 80, "proto": "tcp", "family": "mirai", "role": "loader",
              "born": "2026-01-01T00:00:00Z", "died": null}],
 "infected": [], "ddos": [], "lookalikes": [], "stats": {}}
EOF
# A found after 6 h, C after 1 day, the loader, and one benign server
cat > "$WORK/list.csv" <<'EOF'
ip,port,proto,first_seen,last_seen,score,method,group,infected_clients,clients,days_seen
10.0.0.1,23,tcp,2026-01-05T18:00:00Z,2026-01-07T00:00:00Z,95,graph,1,30,31,3
2001:db8::3,443,tcp,2026-01-07T00:00:00Z,,80,both,2,100,120,1
10.9.9.9,80,tcp,,,60,ml,0,0,0,0
192.0.2.1,443,tcp,2026-01-06T00:00:00Z,,40.5,ml,0,0,9,1
EOF

# ---- usage and bad input ----
expect_status 0 "$C2FLOW" eval --help >/dev/null
for opt in --min-bots --exclude --curve; do
    "$C2FLOW" eval --help | grep -q -- "$opt" || fail "--help does not list $opt"
done
exec 3>&2 2>/dev/null
expect_status 2 "$C2FLOW" eval --truth "$WORK/truth.json"
expect_status 2 "$C2FLOW" eval --list "$WORK/list.csv"
expect_status 2 "$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/list.csv" -o xml
expect_status 2 "$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/list.csv" --at someday
expect_status 2 "$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/list.csv" --min-bots -1
expect_status 2 "$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/list.csv" --bogus
expect_status 2 "$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/list.csv" extra
expect_status 2 "$C2FLOW" eval --truth - --list -
expect_status 2 "$C2FLOW" eval --truth "$WORK/truth.json" --list - --exclude -
expect_status 2 "$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/list.csv" --exclude
expect_status 1 "$C2FLOW" eval --truth "$WORK/missing.json" --list "$WORK/list.csv"
exec 2>&3 3>&-

sed 's/c2flow-truth\/1/c2flow-truth\/9/' "$WORK/truth.json" > "$WORK/truth9.json"
expect_status 1 "$C2FLOW" eval --truth "$WORK/truth9.json" --list "$WORK/list.csv" 2>"$WORK/err"
grep -q 'truth9.json: format is not "c2flow-truth/1"' "$WORK/err" || fail "wrong format: $(cat "$WORK/err")"

printf 'ip,port,proto\n10.0.0.1,23,tcp\n10.0.0.2,70000,tcp\n' > "$WORK/bad.csv"
expect_status 1 "$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/bad.csv" 2>"$WORK/err"
grep -q "bad.csv: line 3: port '70000' out of range" "$WORK/err" || fail "bad port: $(cat "$WORK/err")"
printf 'ip,port,proto,src_ip\n' > "$WORK/smuggle.csv"
expect_status 1 "$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/smuggle.csv" 2>"$WORK/err"
grep -q "line 1: unknown column 'src_ip'" "$WORK/err" || fail "extra column: $(cat "$WORK/err")"
printf '# nothing here\n' > "$WORK/empty-feed.csv"
expect_status 1 "$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/list.csv" \
    --feed "$WORK/empty-feed.csv" 2>"$WORK/err"
grep -q "empty-feed.csv: no usable entry" "$WORK/err" || fail "empty feed: $(cat "$WORK/err")"

# ---- the table ----
"$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/list.csv" > "$WORK/table" ||
    fail "eval failed"
grep -Eq '^per server +2 +1 +1 +1 +0 +50\.0 % +75\.0 % +66\.7 % +57\.1 %$' "$WORK/table" ||
    fail "per-server line: $(cat "$WORK/table")"
grep -q 'recall over C2 with >= 20 bots: 100.0 % (2 of 2)' "$WORK/table" || fail "20+ line"

# ---- JSON: every figure checked ----
"$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/list.csv" -o json > "$WORK/out.json" ||
    fail "eval -o json failed"
python3 - "$WORK/out.json" <<'EOF' || fail "JSON figures"
import json, sys
r = json.load(open(sys.argv[1]))
def eq(got, want, what):
    if isinstance(want, float):
        ok = got is not None and abs(got - want) < 1e-5
    else:
        ok = got == want
    if not ok:
        sys.exit(f"{what}: got {got!r}, want {want!r}")
eq(r["at"], "2026-01-08T00:00:00Z", "at")
eq(r["truth"], {"c2": 3, "counted": 3, "excluded": 0, "infra": 1}, "truth")
eq("curve" in r, False, "curve without --curve")
eq(r["list"], {"rows": 4, "after_at": 0}, "list")
s = r["server"]
eq([s[k] for k in ("tp", "fp", "fn", "infra", "ignored")], [2, 1, 1, 1, 0], "server counts")
eq(s["precision"], 0.5, "precision"); eq(s["precision_infra"], 0.75, "precision_infra")
eq(s["recall"], 2 / 3, "recall"); eq(s["f1"], 2 * 0.5 * (2 / 3) / (0.5 + 2 / 3), "f1")
eq([r["ip"][k] for k in ("tp", "fp", "fn", "infra")], [2, 1, 1, 1], "ip counts")
eq([(f["family"], f["c2"], f["detected"]) for f in r["families"]],
   [("emotet", 1, 1), ("mirai", 2, 1)], "families")
eq([(b["bucket"], b["c2"], b["detected"]) for b in r["bots"]],
   [("0", 0, 0), ("1", 0, 0), ("2-4", 1, 0), ("5-19", 0, 0), ("20-99", 1, 1), ("100+", 1, 1)], "bots")
eq(r["bots"][0]["recall"], None, "empty bucket recall")
eq(r["bots_20plus"], {"c2": 2, "detected": 2, "recall": 1.0}, "20+")
l = r["lead_time"]
eq(l["c2"], 2, "lead c2"); eq(l["within_1d"], 1.0, "within 1d")
eq(l["median_days"], 0.625, "median"); eq(l["mean_days"], 0.625, "mean")
f = r["feed"]
eq(f["source"], "truth", "feed source")
eq([f["listed"], f["earlier"], f["never_listed"]], [2, 1, 0], "feed counts")
eq(f["share_earlier"], 0.5, "share earlier"); eq(f["mean_days_earlier"], 26.25, "days earlier")
EOF

# ---- CSV: the same figures as metric,value rows ----
"$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/list.csv" -o csv > "$WORK/out.csv" ||
    fail "eval -o csv failed"
[ "$(head -n1 "$WORK/out.csv")" = "metric,value" ] || fail "CSV header"
for row in server.tp,2 server.fp,1 server.precision,0.5 families.mirai.c2,2 \
           bots.20-99.detected,1 lead_time.median_days,0.625 feed.mean_days_earlier,26.25; do
    grep -qx "$row" "$WORK/out.csv" || fail "no row $row in the CSV"
done
# csv_is_json CSV JSON: the CSV rows are the JSON object flattened, no more, no less
csv_is_json() {
    python3 - "$1" "$2" <<'EOF'
import csv, json, sys
rows = dict(csv.reader(open(sys.argv[1])))
def flat(prefix, v, out):
    if isinstance(v, dict):
        for k, x in v.items():
            flat(f"{prefix}.{k}" if prefix else k, x, out)
    elif isinstance(v, list):
        for x in v:
            first = next(iter(x))          # "family", "bucket", "min_score" name it
            flat(f"{prefix}.{x[first]}", {k: y for k, y in x.items() if k != first}, out)
    else:
        out[prefix] = v
want = {}
flat("", json.load(open(sys.argv[2])), want)
for k, v in want.items():
    got = rows.get(k)
    if v is None:
        assert got == "", (k, got)
    elif isinstance(v, (int, float)) and not isinstance(v, bool):
        assert abs(float(got) - v) < 1e-5, (k, got, v)
    else:
        assert got == str(v), (k, got, v)
assert len(rows) == len(want) + 1, (len(rows), len(want))
EOF
}
csv_is_json "$WORK/out.csv" "$WORK/out.json" || fail "CSV and JSON disagree"

# ---- the list as JSON Lines, and from stdin, gives the same figures ----
python3 - "$WORK/list.csv" > "$WORK/list.jsonl" <<'EOF'
import csv, json, sys
for row in csv.DictReader(open(sys.argv[1])):
    o = {k: (v if v != "" else None) for k, v in row.items()}
    for k in ("port", "group", "infected_clients", "clients", "days_seen"):
        o[k] = int(o[k])
    o["score"] = float(o["score"])
    print(json.dumps(o))
EOF
"$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/list.jsonl" -o json > "$WORK/out2.json" ||
    fail "eval of the JSON Lines list failed"
cmp -s "$WORK/out.json" "$WORK/out2.json" || fail "JSON Lines list scored differently"
"$C2FLOW" eval --truth "$WORK/truth.json" --list - -o json < "$WORK/list.csv" > "$WORK/out3.json" ||
    fail "eval from stdin failed"
cmp -s "$WORK/out.json" "$WORK/out3.json" || fail "stdin list scored differently"

# ---- --at: as of 01-06 12:00, C's row (first seen 01-07) does not count yet ----
"$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/list.csv" -o csv \
    --at 2026-01-06T12:00:00Z > "$WORK/at.csv" || fail "eval --at failed"
for row in at,2026-01-06T12:00:00Z list.after_at,1 truth.counted,3 server.tp,1 server.fn,2 \
           server.fp,1 lead_time.c2,1; do
    grep -qx "$row" "$WORK/at.csv" || fail "--at: no row $row"
done

# ---- --min-bots 20: B (3 bots) is neither found nor missed ----
"$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/list.csv" -o csv --min-bots 20 \
    > "$WORK/mb.csv" || fail "eval --min-bots failed"
for row in min_bots,20 truth.counted,2 server.tp,2 server.fn,0 server.recall,1; do
    grep -qx "$row" "$WORK/mb.csv" || fail "--min-bots: no row $row"
done

# ---- --feed: a Feodo Tracker file instead of the truth's feed_listed ----
cat > "$WORK/feed.csv" <<'EOF'
# "first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"
"2026-01-15 00:00:00","10.0.0.1","23","offline","2026-01-20","Mirai"
"not a row"
EOF
"$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/list.csv" -o csv --feed "$WORK/feed.csv" \
    > "$WORK/feed.out" 2>"$WORK/feed.err" || fail "eval --feed failed: $(cat "$WORK/feed.err")"
grep -q "feed.csv: 1 bad rows skipped, the first: line 3" "$WORK/feed.err" ||
    fail "no warning about the bad feed row: $(cat "$WORK/feed.err")"
for row in feed.source,file feed.listed,1 feed.earlier,1 feed.mean_days_earlier,9.25 \
           feed.never_listed,1; do
    grep -qx "$row" "$WORK/feed.out" || fail "--feed: no row $row"
done
# ---- --exclude: servers already known are neither found nor missed ----
# A from a Feodo Tracker file: its row is ignored, C is the only TP, B the FN
cat > "$WORK/known-feodo.csv" <<'EOF'
"first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"
"2026-01-01 00:00:00","10.0.0.1","23","offline","2026-01-02","Mirai"
EOF
"$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/list.csv" -o csv \
    --exclude "$WORK/known-feodo.csv" > "$WORK/ex1.csv" || fail "eval --exclude (Feodo) failed"
for row in truth.excluded,1 truth.counted,2 server.tp,1 server.fn,1 server.ignored,1 \
           server.fp,1 server.infra,1 server.recall,0.5 ip.ignored,1 families.mirai.c2,1; do
    grep -qx "$row" "$WORK/ex1.csv" || fail "--exclude Feodo: no row $row"
done
"$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/list.csv" \
    --exclude "$WORK/known-feodo.csv" > "$WORK/ex1.table" || fail "eval --exclude table"
grep -q '2 counted (alive in \[start, at\], any number of bots), 1 more excluded as known' \
    "$WORK/ex1.table" || fail "table without the excluded count: $(head -n3 "$WORK/ex1.table")"

# plain lists, repeated: C's address (any port), and the loader (stays infra)
printf '# known\n2001:db8::3\n' > "$WORK/known1.txt"
printf '10.9.9.9:80\n' > "$WORK/known2.txt"
"$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/list.csv" -o csv \
    --exclude "$WORK/known1.txt" --exclude "$WORK/known2.txt" > "$WORK/ex2.csv" ||
    fail "eval --exclude (plain) failed"
for row in truth.excluded,1 truth.counted,2 server.tp,1 server.fn,1 server.ignored,1 \
           server.infra,1 server.fp,1; do
    grep -qx "$row" "$WORK/ex2.csv" || fail "--exclude plain: no row $row"
done
! grep -q '^families\.emotet' "$WORK/ex2.csv" || fail "--exclude plain: emotet (C) still counted"
# the same from stdin
"$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/list.csv" -o csv \
    --exclude - --exclude "$WORK/known2.txt" < "$WORK/known1.txt" > "$WORK/ex3.csv" ||
    fail "eval --exclude - failed"
cmp -s "$WORK/ex2.csv" "$WORK/ex3.csv" || fail "--exclude from stdin scored differently"

# a C2 list (the list itself, as JSON Lines): every C2 it finds is known
"$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/list.csv" -o csv \
    --exclude "$WORK/list.jsonl" > "$WORK/ex4.csv" || fail "eval --exclude (C2 list) failed"
for row in truth.excluded,2 truth.counted,1 server.tp,0 server.fn,1 server.ignored,2 \
           server.infra,1 server.fp,1; do
    grep -qx "$row" "$WORK/ex4.csv" || fail "--exclude C2 list: no row $row"
done

# bad exclude files: exit 1, the message names the file
expect_status 1 "$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/list.csv" \
    --exclude "$WORK/no-such-known.txt" 2>"$WORK/err"
grep -q "no-such-known.txt: No such file" "$WORK/err" || fail "missing exclude: $(cat "$WORK/err")"
printf 'not an address\n' > "$WORK/bad-known.txt"
expect_status 1 "$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/list.csv" \
    --exclude "$WORK/known1.txt" --exclude "$WORK/bad-known.txt" 2>"$WORK/err"
grep -q "bad-known.txt: no usable entry" "$WORK/err" || fail "bad exclude: $(cat "$WORK/err")"
printf 'ip,port,proto\n10.0.0.1,70000,tcp\n' > "$WORK/bad-known.csv"
expect_status 1 "$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/list.csv" \
    --exclude "$WORK/bad-known.csv" 2>"$WORK/err"
grep -q "bad-known.csv: line 2: port '70000' out of range" "$WORK/err" ||
    fail "bad exclude list: $(cat "$WORK/err")"

# ---- --curve: precision and recall by minimum score ----
"$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/list.csv" -o json --curve \
    > "$WORK/curve.json" || fail "eval --curve -o json failed"
python3 - "$WORK/curve.json" <<'EOF' || fail "curve figures"
import json, sys
r = json.load(open(sys.argv[1]))
c = r["curve"]
assert [p["min_score"] for p in c] == list(range(0, 101, 5)), [p["min_score"] for p in c]
s = r["server"]
for k in ("tp", "fp", "fn", "infra", "ignored", "precision", "precision_infra", "recall"):
    assert c[0][k] == s[k], (k, c[0][k], s[k])
assert c[0]["rows"] == 4
by = {p["min_score"]: p for p in c}
# rows scored 95 (A), 80 (C), 60 (the loader), 40.5 (benign)
assert [by[t]["rows"] for t in (40, 45, 60, 65, 80, 85, 95, 100)] == [4, 3, 3, 2, 2, 1, 1, 0]
p = by[50]
assert (p["tp"], p["fp"], p["fn"], p["infra"]) == (2, 0, 1, 1), p
assert abs(p["precision"] - 2 / 3) < 1e-5 and p["precision_infra"] == 1.0, p
assert by[85]["tp"] == 1 and abs(by[85]["recall"] - 1 / 3) < 1e-5, by[85]
assert by[100]["precision"] is None and by[100]["recall"] == 0.0, by[100]
rec = [p["recall"] for p in c]
assert all(a >= b for a, b in zip(rec, rec[1:])), rec
EOF
"$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/list.csv" -o csv --curve \
    --exclude "$WORK/known-feodo.csv" > "$WORK/curve.csv" || fail "eval --curve -o csv failed"
for row in curve.0.rows,4 curve.0.tp,1 curve.0.ignored,1 curve.50.rows,3 curve.50.tp,1 \
           curve.50.precision,0.5 curve.50.precision_infra,1 curve.50.recall,0.5 \
           curve.85.tp,0 curve.85.ignored,1 curve.85.precision, curve.100.rows,0; do
    grep -qx "$row" "$WORK/curve.csv" || fail "--curve: no row $row"
done
"$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/list.csv" -o json --curve \
    --exclude "$WORK/known-feodo.csv" > "$WORK/curve2.json" || fail "eval --curve --exclude json"
csv_is_json "$WORK/curve.csv" "$WORK/curve2.json" || fail "CSV and JSON disagree with --curve"
"$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/list.csv" --curve > "$WORK/curve.table" ||
    fail "eval --curve table failed"
grep -q '^precision/recall by minimum score (per server)$' "$WORK/curve.table" ||
    fail "no curve in the table"
grep -Eq '^>= 50 +3 +2 +0 +1 +1 +0 +66\.7 % +100\.0 % +66\.7 % +66\.7 %$' "$WORK/curve.table" ||
    fail "curve line 50: $(grep -- '>= 50' "$WORK/curve.table")"
echo "eval: ok"
