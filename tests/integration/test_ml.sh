#!/bin/bash
# Detection method 2 end to end: the tiny scenario simulated for four days
# (1-in-100 sampling), `c2flow features` over them (header, no customer
# address), `c2flow train` on days 1-2 with the simulated feed as labels,
# `c2flow detect --method ml|both` on days 3-4, each list scored by
# `c2flow eval` on the C2 servers that were not training labels (a time
# split), the merge rule's method names, the privacy guarantee, a model of
# other features refused, and the exit statuses of bad input.  With
# ../shared: the real njRAT capture scored by a model of unsampled
# simulated flows, its C2 first.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "python3 not installed"

store=$WORK/store
"$C2FLOW" simulate --scenario "$C2FLOW_SRC/scenarios/tiny.ini" --seed 1 --days 4 \
    --store "$store" --truth "$WORK/truth.json" --feed "$WORK/feed.csv" --quiet \
    || fail "simulate failed"
internal=$(python3 -c 'import json,sys; print(",".join(json.load(open(sys.argv[1]))["internal"]))' \
    "$WORK/truth.json")
# tiny's bots probe 0.02 times a second: method 1's scan rule is lowered to
# see them at all (as in test_detect.sh)
common=(--store "$store" --internal "$internal" --intel "$WORK/feed.csv"
        --set scan_pps=0.01 --set scan_min_samples=5 --threads 2)

# --- features ---
"$C2FLOW" features "${common[@]}" --from 2026-01-05 --to 2026-01-07 --out "$WORK/f.csv" \
    2> "$WORK/f.log" || { cat "$WORK/f.log"; fail "features failed"; }
head -1 "$WORK/f.csv" | grep -q '^day,ip,port,proto,first,last,clients,infected,infected_share,' \
    || fail "features: not the documented header"
rows=$(tail -n +2 "$WORK/f.csv" | wc -l)
[ "$rows" -ge 50 ] || fail "features: only $rows rows"
"$C2FLOW" features "${common[@]}" --from 2026-01-05 --to 2026-01-07 -o jsonl --quiet \
    > "$WORK/f.jsonl" || fail "features -o jsonl failed"
[ "$(wc -l < "$WORK/f.jsonl")" = "$rows" ] || fail "features: JSON Lines and CSV row counts differ"

# --- train on days 1-2 ---
"$C2FLOW" train "${common[@]}" --from 2026-01-05 --to 2026-01-07 --labels "$WORK/feed.csv" \
    --rounds 50 --model "$WORK/model.json" > "$WORK/importance.txt" 2> "$WORK/train.log" \
    || { cat "$WORK/train.log"; fail "train failed"; }
grep -q 'positive' "$WORK/train.log" || fail "train: no report on stderr"
grep -q 'positive weight 1;' "$WORK/train.log" || fail "train: the positive weight is not 1 by default"
head -1 "$WORK/importance.txt" | grep -q '^feature' || fail "train: no importance table"
[ "$(tail -n +2 "$WORK/importance.txt" | wc -l)" -ge 20 ] || fail "train: importance of too few features"
grep -q '"c2flow_model"' "$WORK/model.json" || fail "train: the model file is not marked"
# --incremental keeps method 1's summaries and the feature rows of each
# day (simulated days lie in the past: --retention 0 keeps them); a second
# run reads no flows and writes the same model
for run in 1 2; do
    "$C2FLOW" train "${common[@]}" --from 2026-01-05 --to 2026-01-07 --labels "$WORK/feed.csv" \
        --rounds 50 --incremental --retention 0 --model "$WORK/model-inc$run.json" \
        > /dev/null 2> "$WORK/train-inc$run.log" || { cat "$WORK/train-inc$run.log"; fail "train --incremental"; }
done
grep -q '2 days (2 from the cache), 0 records read' "$WORK/train-inc2.log" \
    || { cat "$WORK/train-inc2.log"; fail "train --incremental: the features were read again"; }
ls "$store"/summaries/features-2026-01-0[56].rows > /dev/null || fail "no feature cache files"
cmp -s "$WORK/model.json" "$WORK/model-inc1.json" || fail "train --incremental: another model"
cmp -s "$WORK/model-inc1.json" "$WORK/model-inc2.json" || fail "train from the cache: another model"
# the classes balanced: another model, and the report says so
"$C2FLOW" train "${common[@]}" --from 2026-01-05 --to 2026-01-07 --labels "$WORK/feed.csv" \
    --rounds 50 --incremental --retention 0 --positive-weight 0 --model "$WORK/model-bal.json" \
    > /dev/null 2> "$WORK/train-bal.log" || { cat "$WORK/train-bal.log"; fail "train --positive-weight 0"; }
grep -q 'positive weight balanced;' "$WORK/train-bal.log" || fail "train: balanced not reported"
cmp -s "$WORK/model.json" "$WORK/model-bal.json" && fail "train --positive-weight 0: the same model"
# ... the same from [train] in the config file, and the command line wins over it
printf '[train]\npositive_weight = 0\nrounds = 50\n' > "$WORK/train.conf"
"$C2FLOW" train "${common[@]}" --config "$WORK/train.conf" --from 2026-01-05 --to 2026-01-07 \
    --labels "$WORK/feed.csv" --incremental --retention 0 --model "$WORK/model-conf.json" \
    > /dev/null 2> "$WORK/train-conf.log" || { cat "$WORK/train-conf.log"; fail "train --config"; }
grep -q 'positive weight balanced;' "$WORK/train-conf.log" || fail "train: [train] ignored"
cmp -s "$WORK/model-bal.json" "$WORK/model-conf.json" || fail "train: [train] gave another model"
"$C2FLOW" train "${common[@]}" --config "$WORK/train.conf" --from 2026-01-05 --to 2026-01-07 \
    --labels "$WORK/feed.csv" --incremental --retention 0 --positive-weight 1 \
    --model "$WORK/model-conf1.json" > /dev/null 2> "$WORK/train-conf1.log" \
    || { cat "$WORK/train-conf1.log"; fail "train --config --positive-weight 1"; }
grep -q 'positive weight 1;' "$WORK/train-conf1.log" || fail "train: the option did not win"
cmp -s "$WORK/model-inc1.json" "$WORK/model-conf1.json" || fail "train: option over [train]: another model"

# --- detect on days 3-4: graph, ml, both ---
for m in graph ml both; do
    "$C2FLOW" detect "${common[@]}" --from 2026-01-07 --to 2026-01-09 --method "$m" \
        --model "$WORK/model.json" --out "$WORK/$m.csv" 2> "$WORK/$m.log" \
        || { cat "$WORK/$m.log"; fail "detect --method $m failed"; }
done
grep -q "both: [0-9]* graph candidates, [0-9]* scored by the model, [0-9]* listed; of graph mining's own listing the model vetoed [0-9]*, not [0-9]* hubs of their group; of the model's, [0-9]* one-off servers left out" \
    "$WORK/both.log" || { cat "$WORK/both.log"; fail "detect --method both: no merge summary"; }
# the training labels: feed entries listed before day 3
awk -F'"' '/^#/ || $2 < "2026-01-07"' "$WORK/feed.csv" > "$WORK/train-labels.csv"
for m in graph ml both; do
    "$C2FLOW" eval --truth "$WORK/truth.json" --list "$WORK/$m.csv" --from 2026-01-07 \
        --exclude "$WORK/train-labels.csv" -o json > "$WORK/$m.json" || fail "eval of $m failed"
done
python3 - "$WORK" <<'PY' || fail "method 2 below its floors"
import csv, json, sys
w = sys.argv[1]
r = {m: json.load(open(f"{w}/{m}.json"))["server"] for m in ("graph", "ml", "both")}
for m, s in r.items():
    print(f"tiny, unseen C2: {m}: precision {s['precision']}, recall {s['recall']}")
assert r["ml"]["tp"] >= 2 and r["ml"]["precision"] >= 0.9, r["ml"]
assert r["both"]["tp"] >= max(r["graph"]["tp"], r["ml"]["tp"]), r
methods = {row["method"] for row in csv.DictReader(open(f"{w}/both.csv"))}
assert methods <= {"graph", "ml", "both"} and "both" in methods, methods
assert {row["method"] for row in csv.DictReader(open(f"{w}/ml.csv"))} == {"ml"}
PY

# --- the merge rule's hubs, through the command line: with the veto at
# 100 every server keeps the model's score, except (by default) a hub of
# its group, whose two scores combine; ml_hub_share=0 has no hubs ---
for hub in 0 0.5; do
    "$C2FLOW" detect "${common[@]}" --from 2026-01-07 --to 2026-01-09 --method both \
        --model "$WORK/model.json" --set min_score=0 --set ml_min_score=0 \
        --set ml_veto_score=100 --set ml_hub_share=$hub --out "$WORK/hub$hub.csv" --quiet \
        || fail "detect --method both, ml_hub_share=$hub failed"
done
"$C2FLOW" detect "${common[@]}" --from 2026-01-07 --to 2026-01-09 --method ml \
    --model "$WORK/model.json" --set ml_min_score=0 --out "$WORK/ml-all.csv" --quiet \
    || fail "detect --method ml, ml_min_score=0 failed"
python3 - "$WORK" <<'PY' || fail "the merge rule's hubs"
import csv, sys
w = sys.argv[1]
read = lambda n: {(r["ip"], r["port"], r["proto"]): r for r in csv.DictReader(open(f"{w}/{n}"))}
ml, none, hubs = read("ml-all.csv"), read("hub0.csv"), read("hub0.5.csv")
assert none.keys() == hubs.keys()
both = [k for k, r in none.items() if r["method"] == "both"]
assert both and all(none[k]["score"] == ml[k]["score"] for k in both), "a score not the model's"
raised = [k for k in both if float(hubs[k]["score"]) > float(none[k]["score"])]
print(f"tiny: {len(raised)} hubs of {len(both)} servers both methods scored")
assert raised, "no hub"
for k in raised:
    assert 2 * int(hubs[k]["infected_clients"]) >= int(hubs[k]["clients"]), hubs[k]
    assert int(hubs[k]["infected_clients"]) >= 6, hubs[k]    # 2 x min_infected
assert all(hubs[k]["score"] == none[k]["score"] for k in none if k not in raised)
PY
expect_status 2 "$C2FLOW" detect "${common[@]}" --from 2026-01-07 --method both \
    --model "$WORK/model.json" --set ml_hub_share=1.5 2>/dev/null

# --- privacy: no customer address in features, lists or model ---
python3 - "$WORK/truth.json" "$WORK" <<'PY' || fail "a customer address leaked"
import csv, ipaddress, json, sys
t = json.load(open(sys.argv[1]))
w = sys.argv[2]
nets = [ipaddress.ip_network(n) for n in t["internal"]]
for name in ("f.csv", "ml.csv", "both.csv"):
    for r in csv.DictReader(open(f"{w}/{name}")):
        ip = ipaddress.ip_address(r["ip"])
        assert not any(ip in n for n in nets if n.version == ip.version), (name, r["ip"])
for name in ("f.csv", "f.jsonl", "ml.csv", "both.csv", "model.json"):
    text = open(f"{w}/{name}").read()
    for h in t["infected"]:
        assert h["ip"] not in text, (name, h["ip"])
PY

# --- bad input ---
expect_status 2 "$C2FLOW" detect "${common[@]}" --from 2026-01-07 --method ml 2>/dev/null
expect_status 2 "$C2FLOW" detect "${common[@]}" --from 2026-01-07 --method neural 2>/dev/null
expect_status 2 "$C2FLOW" train "${common[@]}" --from 2026-01-05 --model "$WORK/x.json" 2>/dev/null
expect_status 2 "$C2FLOW" train "${common[@]}" --from 2026-01-05 --labels "$WORK/feed.csv" \
    --model "$WORK/x.json" --rounds 0 2>/dev/null
expect_status 2 "$C2FLOW" train "${common[@]}" --from 2026-01-05 --labels "$WORK/feed.csv" \
    --model "$WORK/x.json" --positive-weight -1 2>/dev/null
# no labelled server in the window: nothing to learn, the old model stays
echo "192.0.2.77:4444" > "$WORK/nothing.txt"
cp "$WORK/model.json" "$WORK/keep.json"
expect_status 1 "$C2FLOW" train "${common[@]}" --from 2026-01-05 --to 2026-01-07 \
    --labels "$WORK/nothing.txt" --model "$WORK/keep.json" --quiet 2> "$WORK/err.txt"
grep -q 'no known C2 server' "$WORK/err.txt" || fail "train without positives: $(cat "$WORK/err.txt")"
cmp -s "$WORK/model.json" "$WORK/keep.json" || fail "a failed train replaced the model"
# a model of other features is refused by name
sed 's/"infected_share"/"infected_ratio"/' "$WORK/model.json" > "$WORK/other.json"
cp "$WORK/ml.csv" "$WORK/old.csv"
expect_status 1 "$C2FLOW" detect "${common[@]}" --from 2026-01-07 --to 2026-01-09 --method ml \
    --model "$WORK/other.json" --out "$WORK/old.csv" --quiet 2> "$WORK/err.txt"
grep -q "infected_ratio" "$WORK/err.txt" || fail "other features: $(cat "$WORK/err.txt")"
cmp -s "$WORK/ml.csv" "$WORK/old.csv" || fail "a failed detect replaced the list"
expect_status 1 "$C2FLOW" detect "${common[@]}" --from 2026-01-07 --method ml \
    --model "$WORK/none.json" --quiet 2>/dev/null

# --- the real njRAT capture: unsampled, one infected host.  A model for
# unsampled data is trained on an unsampled simulation (the features of
# sampled and unsampled flows differ); servers of one client get rows by
# default, and the C2, which got nothing but SYNs from its one client
# (237 of them: it was down), is a host knocking, not a scanner's target.
# The capture's host is infected through the intel entry of its C2, so
# every destination shares infected_share 1 and the model must tell the C2
# apart by its traffic ---
njrat=${C2FLOW_SHARED_DATA:-}/zeek_njrat_botnet-230-1_labeled-conn.log
if [ -f "$njrat" ]; then
    "$C2FLOW" simulate --scenario "$C2FLOW_SRC/scenarios/tiny.ini" --seed 1 --days 2 \
        --sampling 1 --store "$WORK/unsampled" --truth "$WORK/u-truth.json" \
        --feed "$WORK/u-feed.csv" --quiet || fail "unsampled simulate failed"
    "$C2FLOW" train --store "$WORK/unsampled" --from 2026-01-05 --to 2026-01-07 \
        --internal "$internal" --intel "$WORK/u-feed.csv" --labels "$WORK/u-feed.csv" \
        --model "$WORK/u-model.json" --quiet > /dev/null \
        || fail "unsampled train failed"
    "$C2FLOW" import --retention 0 --store "$WORK/njrat" --format zeek "$njrat" 2>/dev/null \
        || fail "njrat import failed"
    echo "41.108.179.197:1177" > "$WORK/njrat-intel.txt"
    "$C2FLOW" detect --store "$WORK/njrat" --from 1970-01-01 --to 1970-01-02 --method ml \
        --model "$WORK/u-model.json" --internal 192.168.0.0/16,fd00::/8 \
        --intel "$WORK/njrat-intel.txt" --set ml_min_score=0 \
        --out "$WORK/njrat.csv" --quiet || fail "njrat detect --method ml failed"
    top=$(sed -n 2p "$WORK/njrat.csv" | cut -d, -f1,2,6)
    second=$(sed -n 3p "$WORK/njrat.csv" | cut -d, -f6)
    echo "njrat: first of $(($(wc -l < "$WORK/njrat.csv") - 1)) destinations: $top (next: $second)"
    case $top in
    41.108.179.197,1177,*) ;;
    *) head -5 "$WORK/njrat.csv"; fail "njrat: its C2 is not first" ;;
    esac
    [ "${top##*,}" != "$second" ] || fail "njrat: the C2 ties with the next destination"
else
    echo "../shared/data/real absent: the njRAT capture is not run"
fi
echo "ok: features, train, detect --method ml|both"
