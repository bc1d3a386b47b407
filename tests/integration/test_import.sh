#!/bin/bash
# c2flow import on the public captures of ../shared/data/real: every file
# into a fresh store, records read back with `c2flow query` and compared
# with counts awk takes from the files themselves (one record per data
# line, plus one per line whose responder sent packets); the labels CSV;
# the retention hint; bad lines, unreadable files and usage errors.
. "$(dirname "$0")/lib.sh"

DATA=${C2FLOW_SHARED_DATA:-}
[ -d "$DATA" ] || skip "no public captures in '$DATA' (../shared/data/real)"
ZEEK=("$DATA/zeek_njrat_botnet-230-1_labeled-conn.log"
      "$DATA/port-scans_horizontal_conn.log")
BINETFLOW=("$DATA/test3-mixed.binetflow" "$DATA/test4-malicious.binetflow"
           "$DATA/test5-mixed.binetflow" "$DATA/test11-portscan.binetflow")

# Records a conn.log should give: data lines + lines with resp_pkts > 0.
zeek_records() {
    awk -F'\t' '/^#fields/ { for (i = 2; i <= NF; i++) if ($i == "resp_pkts") c = i - 1; next }
                /^#/ || /^$/ { next }
                { n++; if ($c > 0) r++ }
                END { print n + r }' "$@"
}
# Records binetflow files should give: IP lines + lines with reverse packets
# (TotPkts - SrcPkts, or without SrcPkts: TotBytes > SrcBytes and TotPkts >= 2).
binetflow_records() {
    local f total=0
    for f in "$@"; do
        total=$((total + $(awk -F'[\t,]' '
            NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
            $col["Proto"] ~ /^(arp|rarp|llc|man)$/ { next }
            { n++
              if ("SrcPkts" in col) { if ($col["TotPkts"] - $col["SrcPkts"] > 0) r++ }
              else if ($col["TotBytes"] > $col["SrcBytes"] && $col["TotPkts"] >= 2) r++ }
            END { print n + r }' "$f")))
    done
    echo "$total"
}

# --- Zeek, with labels ---
store=$WORK/zeek
"$C2FLOW" import --retention 0 --store "$store" --format zeek \
    --labels-out "$WORK/labels.csv" "${ZEEK[@]}" 2> "$WORK/zeek.log" \
    || { cat "$WORK/zeek.log"; fail "zeek import failed"; }
want=$(zeek_records "${ZEEK[0]}")
want=$((want + $(zeek_records "${ZEEK[1]}")))
[ "$want" = 1502 ] || fail "awk counts $want records in the Zeek files, expected 1502"
got=$(count_records "$store")
[ "$got" = "$want" ] || fail "zeek: $got records in the store, expected $want"
grep -q "total 2 files: .* $want records, 0 bad; stored $want records" "$WORK/zeek.log" \
    || fail "zeek summary wrong: $(cat "$WORK/zeek.log")"
[ "$(head -1 "$WORK/labels.csv")" = "ip,port,proto,label,first,last" ] \
    || fail "labels CSV header"
grep -q '^41\.108\.179\.197,1177,tcp,Malicious-CC,1970-01-01T[0-9:.]*Z,1970-01-01T[0-9:.]*Z$' \
    "$WORK/labels.csv" || fail "njRAT C2 41.108.179.197:1177/tcp not labelled CC"

# --- default retention (30 days): the 1970 timestamps expire, with a hint ---
# every record expired: nothing stored, so the import fails (exit 1)
"$C2FLOW" import --store "$WORK/expired" --format zeek "${ZEEK[1]}" 2> "$WORK/expired.log"
[ $? = 1 ] || fail "an import that stored nothing because of retention should exit 1"
grep -q "71 records are older than the retention period (30d) and were not stored; research captures need --retention 0" \
    "$WORK/expired.log" || fail "no retention hint: $(cat "$WORK/expired.log")"
[ "$(count_records "$WORK/expired")" = 0 ] || fail "expired records were stored"

# --- binetflow, one file from standard input ---
store=$WORK/binetflow
want=$(binetflow_records "${BINETFLOW[@]}")
[ "$want" = 1317 ] || fail "awk counts $want records in the binetflow files, expected 1317"
"$C2FLOW" import --retention 0 --store "$store" --format binetflow \
    "${BINETFLOW[@]:0:3}" - < "${BINETFLOW[3]}" 2> "$WORK/bn.log" \
    || { cat "$WORK/bn.log"; fail "binetflow import failed"; }
got=$(count_records "$store")
[ "$got" = "$want" ] || fail "binetflow: $got records in the store, expected $want"
grep -q "test5-mixed.binetflow: 301 lines, 296 flows -> 578 records, 0 bad; skipped header 1, non-ip 4" \
    "$WORK/bn.log" || fail "test5 summary wrong: $(cat "$WORK/bn.log")"

# --- nfdump, binary and CSV ---
if command -v nfdump > /dev/null; then
    nf=$DATA/test1-malicious.nfdump
    flows=$(nfdump -I -r "$nf" | awk '$1 == "Flows:" { print $2 }')
    [ "$flows" = 4593 ] || fail "nfdump -I says $flows flows"
    "$C2FLOW" import --retention 0 --store "$WORK/nfdump" --format nfdump "$nf" \
        2> "$WORK/nf.log" || { cat "$WORK/nf.log"; fail "nfdump import failed"; }
    [ "$(count_records "$WORK/nfdump")" = "$flows" ] || fail "nfdump: record count"
    TZ=UTC nfdump -r "$nf" -o csv > "$WORK/nf.csv"
    "$C2FLOW" import --retention 0 --store "$WORK/nfcsv" --format nfdump-csv \
        "$WORK/nf.csv" 2> "$WORK/nfcsv.log" || fail "nfdump-csv import failed"
    [ "$(count_records "$WORK/nfcsv")" = "$flows" ] || fail "nfdump-csv: record count"
    # both ways give the same records, but for the milliseconds of the times,
    # which nfdump's csv does not print and --format nfdump keeps
    rest=exporter,domain,in_if,out_if,src_ip,dst_ip,src_port,dst_port,proto,tcp_flags,tos,packets,bytes,sampling,src_as,dst_as
    "$C2FLOW" query --store "$WORK/nfdump" -o csv --fields "$rest" | sort > "$WORK/a.csv"
    "$C2FLOW" query --store "$WORK/nfcsv" -o csv --fields "$rest" | sort > "$WORK/b.csv"
    cmp -s "$WORK/a.csv" "$WORK/b.csv" || fail "nfdump and nfdump-csv imports differ"
    "$C2FLOW" query --store "$WORK/nfdump" -o csv --fields start,end | tail -n +2 | sort > "$WORK/a-times"
    TZ=UTC nfdump -r "$nf" -q -o "fmt:%ts,%te" | tr -d ' ' |
        sed -E 's/([0-9-]{10})([0-9:.]{12})/\1T\2Z/g' | sort > "$WORK/nf-times"
    cmp -s "$WORK/a-times" "$WORK/nf-times" || fail "nfdump import: times are not nfdump's, to the millisecond"
    grep -qv '\.000Z' "$WORK/a-times" || fail "nfdump import: no time has milliseconds"
    "$C2FLOW" query --store "$WORK/nfcsv" -o csv --fields start | tail -n +2 | sort > "$WORK/b-start"
    cut -d, -f1 "$WORK/a-times" | sed -E 's/\.[0-9]{3}Z$/.000Z/' | sort | cmp -s - "$WORK/b-start" ||
        fail "nfdump-csv import: start is not nfdump's cut to the second"
    # nfdump reports a bad file only on stderr, with status 0: still a failure
    expect_status 1 "$C2FLOW" import --retention 0 --store "$WORK/nfbad" \
        --format nfdump "$DATA/README.md" 2> "$WORK/nfbad.log"
    grep -q "nfdump" "$WORK/nfbad.log" || fail "no nfdump error message"
else
    echo "nfdump not installed: binary nfdump import not tested"
fi
# nfdump missing from PATH: a clear message, exit 1
PATH=/nonexistent expect_status 1 "$C2FLOW" import --store "$WORK/nonf" \
    --format nfdump x.nfcapd 2> "$WORK/nonf.log"
grep -q "nfdump is not installed" "$WORK/nonf.log" || fail "no 'not installed' message"

# --- bad lines are reported with line numbers, good lines still stored ---
{ head -20 "${ZEEK[1]}"; printf '1.5\tbroken\n'; tail -n +21 "${ZEEK[1]}"; } > "$WORK/bad.log"
"$C2FLOW" import --retention 0 --store "$WORK/bad" --format zeek "$WORK/bad.log" \
    2> "$WORK/badrun.log" || fail "bad lines must not fail the import"
grep -q "1 bad" "$WORK/badrun.log" || fail "bad line not counted"
grep -q "  line 21: 2 columns, header names 21" "$WORK/badrun.log" \
    || fail "bad line not reported: $(cat "$WORK/badrun.log")"
[ "$(count_records "$WORK/bad")" = 71 ] || fail "good lines around a bad one lost"

# --- unreadable file and usage errors ---
expect_status 1 "$C2FLOW" import --retention 0 --store "$WORK/x" --format zeek \
    "$WORK/missing.log" 2> /dev/null
expect_status 1 "$C2FLOW" import --retention 0 --store "$WORK/x" --format binetflow \
    "${ZEEK[1]}" 2> /dev/null                  # no binetflow header
expect_status 2 "$C2FLOW" import --store "$WORK/x" "${ZEEK[1]}" 2> /dev/null
expect_status 2 "$C2FLOW" import --store "$WORK/x" --format pcap "${ZEEK[1]}" 2> /dev/null
expect_status 2 "$C2FLOW" import --store "$WORK/x" --format zeek 2> /dev/null
expect_status 0 "$C2FLOW" import --help > /dev/null
echo "ok"
