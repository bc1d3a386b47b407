#!/usr/bin/env bash
# test_collect_peers.sh: real exporters from Debian packages, on loopback,
# into the real collector: softflowd (NetFlow v5, v9, IPFIX with each of its
# time formats, and with sampling), pmacctd's nfprobe (v9, IPFIX) and
# sfprobe (sFlow v5) reading the public captures in ../shared/data/real, and
# nfdump's nfreplay (v5, v9) sending a stored nfdump file.  Each run checks
# what was stored against what the exporter says it sent, and against the
# capture: records, packets and bytes.
. "$(dirname "$0")/lib.sh"
for t in softflowd pmacctd nfreplay nfdump python3; do
    command -v "$t" >/dev/null || skip "$t not installed (scripts/setup-deps installs it)"
done
PCAP=$C2FLOW_SHARED_DATA/test7-malicious.pcap
NFFILE=$C2FLOW_SHARED_DATA/test1-malicious.nfdump
[ -r "$PCAP" ] && [ -r "$NFFILE" ] || skip "captures not found in $C2FLOW_SHARED_DATA"

sum_of() { "$C2FLOW" query --store "$1" -o csv --fields "$2" | awk -F, 'NR > 1 {s += $1} END {print s + 0}'; }
expect_eq() { [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"; }

# softflowd_run STORE VERSION [softflowd options]: export the capture, then
# print softflowd's count of records and the packets of its flows
softflowd_run() {
    local store=$1 v=$2
    shift 2
    collect_start "$store"
    softflowd -r "$PCAP" -n "127.0.0.1:$COLLECT_PORT" -v "$v" -c none \
        -p "$WORK/softflowd.pid" "$@" >"$WORK/sf.out" 2>&1 || fail "softflowd -v $v failed"
    collect_settle
    collect_stop
    SF_RECORDS=$(sed -n 's/^Flows exported: [0-9]* (\([0-9]*\) records).*/\1/p' "$WORK/sf.out")
    SF_PACKETS=$(awk '/^Per-protocol statistics/ {on = 1; next}
                      on && /\(/ {p += $4} END {print p + 0}' "$WORK/sf.out")
}

# -- softflowd: v5 (IPv4 only), v9, IPFIX in four time formats
for v in 5 9 10; do
    softflowd_run "$WORK/sf$v" "$v"
    expect_eq "softflowd v$v records" "$(count_records "$WORK/sf$v")" "$SF_RECORDS"
    [ "$v" = 5 ] || expect_eq "softflowd v$v packets" "$(sum_of "$WORK/sf$v" packets)" "$SF_PACKETS"
    grep -q 'stopped:.* malformed=0,' "$COLLECT_LOG" || fail "softflowd v$v: malformed datagrams"
done
# IPFIX absolute times (-A): seconds [150/151], milliseconds [152/153], and
# NTP-format micro- and nanoseconds [154-157] must all give the capture's
# own packet times (softflowd's default sysUpTime-relative times follow its
# wall clock instead, as its v9 ones do).  The first packet of the capture
# is at 1520628556.520001 (pcap header), so the earliest start is
# 2018-03-09T20:49:16.520Z; with -A sec, the same times cut to the second.
fields=start,end,src_ip,dst_ip,src_port,dst_port,proto,packets,bytes
for fmt in milli micro nano sec; do
    softflowd_run "$WORK/ipfix-$fmt" 10 -A "$fmt"
    "$C2FLOW" query --store "$WORK/ipfix-$fmt" -o csv --fields "$fields" | sort >"$WORK/ipfix-$fmt.csv"
done
expect_eq "earliest IPFIX start" "$(sed -n 2p "$WORK/ipfix-milli.csv" | cut -d, -f1)" 2018-03-09T20:49:16.520Z
cmp -s "$WORK/ipfix-milli.csv" "$WORK/ipfix-micro.csv" || fail "IPFIX microseconds differ from milliseconds"
cmp -s "$WORK/ipfix-milli.csv" "$WORK/ipfix-nano.csv" || fail "IPFIX nanoseconds differ from milliseconds"
sed -E 's/\.[0-9]{3}Z/.000Z/g' "$WORK/ipfix-milli.csv" | sort >"$WORK/ipfix-cut.csv"
cmp -s "$WORK/ipfix-cut.csv" "$WORK/ipfix-sec.csv" || fail "IPFIX seconds differ from milliseconds cut to the second"

# -- softflowd with 1-in-10 sampling: the interval is announced and applied
softflowd_run "$WORK/sf-sampled" 9 -s 10
expect_eq "sampled records" "$(count_records "$WORK/sf-sampled")" "$SF_RECORDS"
expect_eq "sampling column" "$("$C2FLOW" query --store "$WORK/sf-sampled" -o csv --fields sampling | tail -n +2 | sort -u)" 10
expect_eq "packets x 10" "$(sum_of "$WORK/sf-sampled" packets)" "$((SF_PACKETS * 10))"

# -- pmacctd nfprobe (v9, IPFIX) and sfprobe (sFlow v5) from the same capture.
# pmacctd runs a print plugin beside the probe on the same packets, so its
# own per-protocol packet and byte totals are the reference.
pmacct_run() {
    local store=$1 plugin=$2 extra=$3
    collect_start "$store"
    rm -f "$WORK/tee.port"
    python3 "$TOOLS/udptee.py" --to "$COLLECT_PORT" --save "$WORK/$plugin.dat" --idle 60 \
        >"$WORK/tee.port" 2>"$WORK/tee.log" &
    local tee=$!
    for _ in $(seq 50); do [ -s "$WORK/tee.port" ] && break; sleep 0.1; done
    cat >"$WORK/pmacctd.conf" <<CONF
daemonize: false
pcap_savefile: $PCAP
pcap_savefile_wait: true
plugins: $plugin[x], print[p]
${plugin}_receiver[x]: 127.0.0.1:$(cat "$WORK/tee.port")
$extra
aggregate[p]: proto
print_output[p]: csv
print_output_file[p]: $WORK/pmacct-print.csv
print_refresh_time[p]: 3600
CONF
    rm -f "$WORK/pmacct-print.csv"
    pmacctd -f "$WORK/pmacctd.conf" >"$WORK/pmacctd.log" 2>&1 &
    local pid=$!
    sleep 6                      # flows expire after 1 s; let several expiry rounds pass
    kill -INT "$pid"
    wait "$pid" || true
    sleep 0.5
    kill -TERM "$tee"
    wait "$tee"
    collect_settle
    collect_stop
    grep -q 'stopped:.* malformed=0, no_template=0, lost_datagrams=0, lost_records=0,' "$COLLECT_LOG" \
        || { tail -n1 "$COLLECT_LOG" >&2; fail "$plugin: datagrams lost, malformed or undecodable"; }
}
# per protocol "proto packets bytes", from pmacct's print plugin and from the store
pmacct_totals() {
    awk -F, 'BEGIN { n["tcp"] = 6; n["udp"] = 17; n["icmp"] = 1; n["igmp"] = 2; n["ipv6-icmp"] = 58 }
             NR > 1 { print (($1 in n) ? n[$1] : $1), $2, $3 }' "$WORK/pmacct-print.csv" | sort -n
}
store_totals() { "$C2FLOW" query --store "$1" -A proto -o csv | awk -F, 'NR > 1 {print $1, $3, $4}' | sort -n; }
# nfprobe leaves the flows still open when pmacctd stops unexported (seen:
# one TCP packet of 60 bytes); every other protocol must match exactly and
# TCP may lack at most one such packet.
compare_totals() {
    local name=$1 store=$2
    python3 - "$name" <(pmacct_totals) <(store_totals "$store") <<'PY' || fail "$name: totals differ from pmacct's own"
import sys
name, ref, got = sys.argv[1], {}, {}
for path, d in ((sys.argv[2], ref), (sys.argv[3], got)):
    for line in open(path):
        p, pk, by = line.split()
        d[int(p)] = (int(pk), int(by))
print("%s: pmacct %s, stored %s" % (name, ref, got))
for p in set(ref) | set(got):
    r, g = ref.get(p, (0, 0)), got.get(p, (0, 0))
    if r == g:
        continue
    if p == 6 and 0 <= r[0] - g[0] <= 1 and 0 <= r[1] - g[1] <= 1500:
        continue
    sys.exit("protocol %d: pmacct %s, stored %s" % (p, r, g))
PY
}
for v in 9 10; do
    pmacct_run "$WORK/pm$v" nfprobe "nfprobe_version[x]: $v
nfprobe_timeouts[x]: tcp=1:tcp.rst=1:tcp.fin=1:udp=1:icmp=1:general=1:maxlife=1:expint=1"
    compare_totals "pmacctd nfprobe v$v" "$WORK/pm$v"
done
# sfprobe samples a few more packets than pmacct's own print plugin counts
# (2016 samples with distinct sequence numbers against 2000 packets here),
# so the reference is the export stream itself: one record per flow sample.
pmacct_run "$WORK/sflow" sfprobe "sampling_rate[x]: 1
sfprobe_agentip[x]: 127.0.0.1"
samples=$(python3 - "$WORK/sfprobe.dat" <<'PY'
import struct, sys
data, pos, samples = open(sys.argv[1], "rb").read(), 0, 0
while pos < len(data):                      # udptee's file: length, datagram
    (n,) = struct.unpack_from(">I", data, pos)
    g, pos = data[pos + 4:pos + 4 + n], pos + 4 + n
    off = 8 + (4 if struct.unpack_from(">I", g, 4)[0] == 1 else 16)
    (count,) = struct.unpack_from(">I", g, off + 12)
    off += 16
    for _ in range(count):                  # sample records: format, length
        fmt, length = struct.unpack_from(">II", g, off)
        samples += fmt in (1, 3)            # flow sample, expanded flow sample
        off += 8 + length
print(samples)
PY
)
expect_eq "sFlow: one record per flow sample" "$(count_records "$WORK/sflow")" "$samples"
expect_eq "sFlow: sampling column" "$("$C2FLOW" query --store "$WORK/sflow" -o csv --fields sampling | tail -n +2 | sort -u)" 1

# -- nfreplay: a stored nfdump file sent as v9 and v5, compared record by record
nfdump -r "$NFFILE" -w "$WORK/t1.nf" || fail "nfdump cannot rewrite $NFFILE"
TZ=UTC nfdump -q -N -r "$WORK/t1.nf" -o "fmt:$(python3 "$TOOLS/flowdiff.py" --nfdump-format)" >"$WORK/t1.txt"
for v in 9 5; do
    collect_start "$WORK/replay$v"
    nfreplay -r "$WORK/t1.nf" -H 127.0.0.1 -p "$COLLECT_PORT" -v "$v" -d 200 >"$WORK/nfreplay.log" 2>&1 \
        || fail "nfreplay -v $v failed"
    collect_settle
    collect_stop
    "$C2FLOW" query --store "$WORK/replay$v" -o csv --fields "$(python3 "$TOOLS/flowdiff.py" --c2flow-fields)" >"$WORK/replay$v.csv"
    # v5 records carry no AS numbers wider than 16 bits and no exporter-side
    # interfaces beyond 16 bits: this file fits both.
    python3 "$TOOLS/flowdiff.py" "$WORK/t1.txt" "$WORK/replay$v.csv" || fail "nfreplay -v $v: records differ"
done
echo "ok: softflowd v5/v9/IPFIX (4 time formats, sampling), pmacctd nfprobe v9/IPFIX and sfprobe, nfreplay v9/v5"
