#!/bin/bash
# The hub end to end on three simulated ISPs (scripts/hub-demo at 30 % of
# make demo's size): each ISP detects C2 servers in its own flows every day
# and shares the list with `c2flow share --as-of`; the hub evaluates them
# against the simulated feed.  The report's overlap (every member set) and
# early-detection figures must equal the ones computed here, independently,
# from the lists the ISPs submitted and the simulation's truth (when the
# feed listed each C2); `c2flow fetch` must bring back every reported
# server, and no submitted or served byte may hold a customer address.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "python3 not installed"
out=$WORK/hub
C2FLOW=$C2FLOW SCALE=0.3 "$C2FLOW_SRC/scripts/hub-demo" "$out" > "$WORK/demo.log" 2>&1 \
    || { tail -30 "$WORK/demo.log"; fail "scripts/hub-demo failed"; }
grep -q "rows stored" "$WORK/demo.log" || fail "no submission was stored"

python3 - "$out" <<'PY' || fail "the report's figures differ from the truth's"
import csv, glob, itertools, json, os, statistics, sys
out = sys.argv[1]
truth = json.load(open(f"{out}/truth-a.json"))
listed = {}                        # (ip, port, proto) -> when the feed listed it
for c in truth["c2"]:
    if c["feed_listed"]:
        listed[(c["ip"], str(c["port"]), c["proto"])] = c["feed_listed"]
protos = {"6": "tcp", "17": "udp"}
first = {}                         # member -> key -> first as-of
for path in sorted(glob.glob(f"{out}/c2-*-*.csv")):
    isp, day = os.path.basename(path)[3:-4].split("-", 1)
    d = int(day[-2:])
    asof = f"2026-01-{d + 1:02d}T00:00:00Z"
    for r in csv.DictReader(open(path)):
        key = (r["ip"], r["port"], r["proto"])
        m = first.setdefault("isp-" + isp, {})
        m[key] = min(m.get(key, asof), asof)
report = json.load(open(f"{out}/report.json"))
errors = []
def check(what, got, want):
    if got != want:
        errors.append(f"{what}: report {got}, expected {want}")
members = ["isp-a", "isp-b", "isp-c"]
keys = set().union(*(first.get(m, {}).keys() for m in members))
check("keys", report["keys"] + report["excluded"]["keys"], len(keys))
combos = {tuple(c["members"]): c["keys"] for c in report["overlap"]["combinations"]}
for n in range(1, 4):
    for s in itertools.combinations(members, n):
        want = sum(1 for k in keys if {m for m in members if k in first.get(m, {})} == set(s))
        check(f"overlap {'+'.join(s)}", combos.get(s), want)
def norm(k):                       # truth keys name protocols
    return (k[0], k[1], protos.get(k[2], k[2]))
def early(keys_first):
    n_intel = n_earlier = 0
    days = []
    for k, asof in keys_first.items():
        when = listed.get(norm(k))
        if not when:
            continue
        n_intel += 1
        if asof < when:
            n_earlier += 1
            from datetime import datetime
            f = lambda t: datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()
            days.append((f(when) - f(asof)) / 86400)
    return n_intel, n_earlier, days
rep = {e["member"]: e for e in report["early_detection"]["members"]}
for m in members:
    n_intel, n_earlier, days = early(first.get(m, {}))
    check(f"{m} n_intel", rep[m]["n_intel"], n_intel)
    check(f"{m} n_earlier", rep[m]["n_earlier"], n_earlier)
    if days:
        check(f"{m} mean days", round(rep[m]["mean_days_earlier"], 2), round(statistics.mean(days), 2))
overall = {}
for m in members:
    for k, asof in first.get(m, {}).items():
        overall[k] = min(overall.get(k, asof), asof)
n_intel, n_earlier, _ = early(overall)
check("overall n_intel", report["early_detection"]["overall"]["n_intel"], n_intel)
check("overall n_earlier", report["early_detection"]["overall"]["n_earlier"], n_earlier)
if errors:
    print("\n".join(errors)); sys.exit(1)
print(f"hub report: {len(keys)} servers, overlap and early detection as computed "
      f"({n_earlier} of {n_intel} earlier than the feed)")
PY

# fetch brought back every reported server that no allowlist excluded
python3 - "$out" <<'PY' || fail "fetch did not bring back the group's list"
import csv, glob, sys
out = sys.argv[1]
reported = set()
for path in glob.glob(f"{out}/c2-*-*.csv"):
    reported |= {(r["ip"], r["port"]) for r in csv.DictReader(open(path))}
fetched = {(r["ip"], r["port"]) for r in csv.DictReader(open(f"{out}/isac-list.csv"))}
missing = reported - fetched
if missing or not fetched <= reported:
    print("missing", sorted(missing)[:5], "extra", sorted(fetched - reported)[:5]); sys.exit(1)
PY

# privacy: no customer address in anything submitted or served
python3 - "$out" <<'PY' || fail "a customer address left an ISP"
import glob, ipaddress, json, sys
out = sys.argv[1]
nets = []
for isp in "abc":
    nets += [ipaddress.ip_network(n) for n in json.load(open(f"{out}/truth-{isp}.json"))["internal"]]
import re
for path in glob.glob(f"{out}/c2-*.csv") + [f"{out}/isac-list.csv"]:
    for tok in re.findall(r"[0-9a-fA-F:.]{7,}", open(path).read()):
        try:
            a = ipaddress.ip_address(tok)
        except ValueError:
            continue
        if any(a in n for n in nets):
            print(path, tok); sys.exit(1)
PY
echo "ok"
