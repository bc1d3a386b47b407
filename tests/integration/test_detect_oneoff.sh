#!/bin/bash
# c2flow detect's one-off servers through the real binary: three days of
# hand-written flows (a Zeek conn.log, imported) in which 20 scanning bots
# come back to their C2 every day, ten of them tell a report server of a
# victim once each, and eight others reach a tier of three servers once a
# day each.  The report server is left out and written by --oneoff-out; the
# C2 and the tier are listed; with the rule off the report server is listed.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "python3 not installed"

python3 - > "$WORK/conn.log" <<'PY'
DAY0 = 1767571200                      # 2026-01-05T00:00:00Z
fields = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto",
          "duration", "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes", "history"]
print("#separator \\x09")
print("#unset_field\t-")
print("#fields\t" + "\t".join(fields))
n = 0
def conn(ts, src, sport, dst, dport, opk, ob, rpk, rb, hist):
    global n
    n += 1
    print("\t".join(str(v) for v in (f"{ts:.3f}", f"C{n}", src, sport, dst, dport, "tcp",
                                     "0.5", opk, ob, rpk, rb, hist)))
for b in range(20):
    bot = f"100.64.0.{20 + b}" if b < 12 else f"100.64.0.{40 + b - 12}"
    for day in range(3):
        t = DAY0 + day * 86400
        for i in range(40):            # a scanner: SYN-only probes to fresh addresses
            conn(t + 3600 + i * 0.1, bot, 40000 + i, f"11.{b}.{day}.{i}", 23, 1, 44, 0, 0, "S")
        # back to its C2 every day, both ways
        conn(t + 7200 + b * 60, bot, 50000, "203.0.113.5", 6969, 5, 1500, 4, 1200, "ShADadF")
        if b >= 12:                    # a tier: one server a day, each once
            conn(t + 25200, bot, 51000, f"203.0.113.{80 + (b + day) % 3}", 8080, 1, 300, 0, 0, "D")
    if b < 10:                         # one report of a victim
        conn(DAY0 + (b % 3) * 86400 + 18000, bot, 51000, "203.0.113.48", 48101, 1, 300, 0, 0, "D")
PY

store=$WORK/store
"$C2FLOW" import --format zeek --store "$store" --retention 0 "$WORK/conn.log" 2> "$WORK/import.log" \
    || { cat "$WORK/import.log"; fail "import failed"; }

# the probes are unsampled (one packet each): the scan rate is lowered to see them
detect() {
    "$C2FLOW" detect --store "$store" --retention 0 --from 2026-01-05 --to 2026-01-08 \
        --internal 100.64.0.0/16 --set scan_pps=0.5 "$@"
}
has() { grep -q "^$2,$3,tcp," "$1"; }

detect --out "$WORK/c2.csv" --oneoff-out "$WORK/oneoff.csv" 2> "$WORK/detect.log" \
    || { cat "$WORK/detect.log"; fail "detect failed"; }
grep -q 'infected hosts 20 ' "$WORK/detect.log" || { cat "$WORK/detect.log"; fail "not 20 bots"; }
grep -q '; 1 one-off servers left out' "$WORK/detect.log" \
    || { cat "$WORK/detect.log"; fail "not one one-off server"; }
has "$WORK/c2.csv" 203.0.113.5 6969 || fail "the C2 is not listed"
for i in 80 81 82; do has "$WORK/c2.csv" "203.0.113.$i" 8080 || fail "tier server .$i not listed"; done
has "$WORK/c2.csv" 203.0.113.48 48101 && fail "the report server is listed"
[ "$(tail -n +2 "$WORK/oneoff.csv" | wc -l)" = 1 ] || fail "--oneoff-out: not one row"
grep -q '^203\.0\.113\.48,48101,tcp,.*,oneoff,[0-9]*,10,10,3,' "$WORK/oneoff.csv" \
    || { cat "$WORK/oneoff.csv"; fail "--oneoff-out: not the report server, 10 infected clients"; }

# the rule off: the report server is listed like a C2, nothing is one-off
detect --set oneoff_significance=0 --quiet --out "$WORK/off.csv" --oneoff-out "$WORK/off-oneoff.csv" \
    || fail "detect with the rule off failed"
has "$WORK/off.csv" 203.0.113.48 48101 || fail "rule off: the report server is not listed"
[ "$(tail -n +2 "$WORK/off-oneoff.csv" | wc -l)" = 0 ] || fail "rule off: one-off rows"
echo "ok"
