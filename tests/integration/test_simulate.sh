#!/bin/bash
# c2flow simulate: the truth against unsampled records, determinism, errors,
# and the same records through NetFlow v9 / IPFIX and c2flow collect.
. "$(dirname "$0")/lib.sh"
SCEN=$C2FLOW_SRC/scenarios/tiny.ini

# 1. Unsampled, every C2's bots and packets in the truth are in the store.
"$C2FLOW" simulate --scenario "$SCEN" --sampling 1 --store "$WORK/s1" --truth "$WORK/t1.json" \
    --feed "$WORK/feed.csv" --quiet 2>"$WORK/log1" || { cat "$WORK/log1"; fail "simulate failed"; }
python3 "$TOOLS/truthcheck.py" "$C2FLOW" "$WORK/s1" "$WORK/t1.json" || fail "truth and records differ"
grep -q '^"20[0-9-]* [0-9:]*","[0-9.]*","[0-9]*","o[nf]*line"' "$WORK/feed.csv" || fail "feed has no Feodo rows"

# 2. Same seed, same records; another seed, other records.
"$C2FLOW" simulate --scenario "$SCEN" --store "$WORK/a" --quiet 2>/dev/null || fail "run a"
"$C2FLOW" simulate --scenario "$SCEN" --store "$WORK/b" --quiet 2>/dev/null || fail "run b"
"$C2FLOW" simulate --scenario "$SCEN" --store "$WORK/c" --seed 2 --quiet 2>/dev/null || fail "run c"
"$C2FLOW" query --store "$WORK/a" -o csv > "$WORK/a.csv"
"$C2FLOW" query --store "$WORK/b" -o csv > "$WORK/b.csv"
"$C2FLOW" query --store "$WORK/c" -o csv > "$WORK/c.csv"
[ "$(wc -l < "$WORK/a.csv")" -gt 10000 ] || fail "too few records"
cmp -s "$WORK/a.csv" "$WORK/b.csv" || fail "same seed gave different records"
cmp -s "$WORK/a.csv" "$WORK/c.csv" && fail "another seed gave the same records"

# 3. Usage and input errors.
expect_status 2 "$C2FLOW" simulate --store "$WORK/x" 2>/dev/null
expect_status 2 "$C2FLOW" simulate --scenario "$SCEN" 2>/dev/null
expect_status 2 "$C2FLOW" simulate --scenario "$SCEN" --store "$WORK/x" --export v9 --to 127.0.0.1:9 2>/dev/null
expect_status 2 "$C2FLOW" simulate --scenario "$SCEN" --export v9 --to 192.0.2.1:2055 2>/dev/null
expect_status 2 "$C2FLOW" simulate --scenario "$SCEN" --store "$WORK/x" --set 'isp.sampling=0' 2>/dev/null
printf '[isp]\nsubscribers = many\n' > "$WORK/bad.ini"
expect_status 1 "$C2FLOW" simulate --scenario "$WORK/bad.ini" --store "$WORK/x" 2>"$WORK/err"
grep -q "subscribers" "$WORK/err" || fail "the error does not name the key"
"$C2FLOW" simulate --help | grep -q -- '--scenario' || fail "no --help"

# 4. The same records as NetFlow v9 and IPFIX through c2flow collect: every
#    field but the exporter address (the collector stores the UDP source).
fields=start,end,domain,in_if,out_if,src_ip,dst_ip,src_port,dst_port,proto,tcp_flags,packets,bytes,sampling,src_as,dst_as
"$C2FLOW" query --store "$WORK/a" -o csv --fields "$fields" | sort > "$WORK/want.csv"
for fmt in v9 ipfix; do
    collect_start "$WORK/n-$fmt"
    "$C2FLOW" simulate --scenario "$SCEN" --export "$fmt" --to "127.0.0.1:$COLLECT_PORT" \
        --follow "$METRICS_URL" --quiet 2>"$WORK/send.log" || { cat "$WORK/send.log"; fail "export $fmt"; }
    collect_settle
    collect_stop
    "$C2FLOW" query --store "$WORK/n-$fmt" -o csv --fields "$fields" | sort > "$WORK/got.csv"
    if ! cmp -s "$WORK/want.csv" "$WORK/got.csv"; then
        diff "$WORK/want.csv" "$WORK/got.csv" | head -5
        fail "$fmt: the collector stored other records than the simulator wrote ($(wc -l < "$WORK/got.csv") vs $(wc -l < "$WORK/want.csv"))"
    fi
done
echo "ok: truth exact, deterministic, v9 and IPFIX through collect identical"
