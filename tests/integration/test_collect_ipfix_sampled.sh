#!/usr/bin/env bash
# test_collect_ipfix_sampled.sh: bench/nfblast (src/exporter) exports
# synthetic records sampled 1 in N (counters N times what the routers
# counted; the routers send counts divided by N and announce N in options
# data), as IPFIX and as NetFlow v9, each router from its own loopback
# address (--router-addrs), to `c2flow collect`, following the collector's
# /metrics page so that a busy machine loses nothing.  The store must hold
# every record, each with sampling N, and exactly the packet and byte totals
# of nfblast's RESULT line; the collector must have seen three routers, no
# loss by sequence number and no record of unknown sampling.
. "$(dirname "$0")/lib.sh"
BLAST=${C2FLOW_BUILD:-$(dirname "$C2FLOW")}/nfblast
[ -x "$BLAST" ] || skip "no nfblast next to c2flow ($BLAST)"

expect_eq() { [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"; }
result() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" "$2"; }    # a field of the RESULT line
q() { "$C2FLOW" query --store "$1" -o csv --fields "$2" | tail -n +2; }

# one_run VERSION SAMPLING RECORDS
one_run() {
    local version=$1 n=$2 records=$3 store=$WORK/store-$1-$2 out=$WORK/blast-$1-$2.txt
    collect_start "$store"
    "$BLAST" -p "$COLLECT_PORT" -n "$records" -V "$version" -S "$n" --exporters 3 \
        --router-addrs --follow "$METRICS_URL" >"$out" 2>"$out.err" \
        || { cat "$out.err" >&2; fail "nfblast -V $version -S $n failed"; }
    collect_settle
    local what="v$version 1:$n"
    expect_eq "$what: datagrams received" "$(metric c2flow_collect_datagrams_total)" \
        "$(result packets "$out")"
    expect_eq "$what: exporters" "$(metric c2flow_collect_exporters)" 3
    expect_eq "$what: queue backlog once settled" "$(metric c2flow_collect_queue_backlog_bytes)" 0
    [ "$(metric c2flow_collect_queue_memory_bytes)" -ge 262144 ] ||
        fail "$what: queue memory $(metric c2flow_collect_queue_memory_bytes), not at least a chunk"
    for k in malformed no_template lost_datagrams lost_records unknown_sampling sequence_resets; do
        expect_eq "$what: $k" "$(metric "c2flow_exporter_${k}_total")" 0
    done
    for a in 127.0.0.2 127.0.0.3 127.0.0.4; do
        expect_eq "$what: sampling of $a" \
            "$(metric c2flow_exporter_sampling_interval "exporter=\"$a\"")" "$n"
    done
    collect_stop

    expect_eq "$what: records" "$(count_records "$store")" "$(result records "$out")"
    expect_eq "$what: records sent" "$(result records "$out")" "$records"
    expect_eq "$what: sampling" "$(q "$store" sampling | sort -u)" "$n"
    local sums
    sums=$(q "$store" packets,bytes | awk -F, '{p += $1; b += $2} END {printf "%.0f %.0f", p, b}')
    expect_eq "$what: packets and bytes" "$sums" \
        "$(result sum_packets "$out") $(result sum_bytes "$out")"
    # every router kept its own source address and domain
    expect_eq "$what: (exporter, domain) pairs" \
        "$(q "$store" exporter,domain | sort -u | cut -d, -f1 | tr '\n' ' ')" \
        "127.0.0.2 127.0.0.3 127.0.0.4 "
    expect_eq "$what: domains" "$(q "$store" domain | sort -u | tr '\n' ' ')" "1 2 3 "
}

one_run 10 1000 30000
one_run 9 100 20000

# usage errors
expect_status 2 "$BLAST" -V 7 -n 1 2>/dev/null
expect_status 2 "$BLAST" -S 0 -n 1 2>/dev/null
expect_status 2 "$BLAST" -d 192.0.2.1 -n 1 2>/dev/null
exit 0
