#!/usr/bin/env bash
# test_collect_nfcapd.sh: the differential test.  One export stream goes,
# datagram for datagram, to nfcapd 1.7.1 and to `c2flow collect` (through
# tools/udptee.py, so both see the same exporter); then every record is
# compared field by field: nfdump's view of nfcapd's file against
# `c2flow query -o csv` (tools/flowdiff.py names any record that differs and
# the fields in which it differs).  Streams: softflowd NetFlow v5, v9 and
# IPFIX from three public captures, pmacctd nfprobe v9.
#
# Intended differences, and where nfdump is wrong, are set out in
# docs/collect.md ("Compared with nfcapd") and asserted below, never
# skipped silently.
. "$(dirname "$0")/lib.sh"
for t in softflowd pmacctd nfcapd nfdump python3; do
    command -v "$t" >/dev/null || skip "$t not installed (scripts/setup-deps installs it)"
done
[ -d "$C2FLOW_SHARED_DATA" ] || skip "captures not found in $C2FLOW_SHARED_DATA"

free_port() { python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The newest export time in a saved stream, ms (+999: NetFlow's header has
# whole seconds): nothing can have been seen after it.
newest_export_ms() {
    python3 - "$1" <<'PY'
import struct, sys
data, pos, newest = open(sys.argv[1], "rb").read(), 0, 0
while pos < len(data):
    (n,) = struct.unpack_from(">I", data, pos)
    g, pos = data[pos + 4:pos + 4 + n], pos + 4 + n
    version = struct.unpack_from(">H", g, 0)[0]
    secs = struct.unpack_from(">I", g, 4 if version == 10 else 8)[0]
    newest = max(newest, secs * 1000 + 999)
print(newest)
PY
}

# differential NAME IGNORE EXPORTER-COMMAND...: run the exporter (its
# destination port is substituted for {port}) into the tee, then compare.
differential() {
    local name=$1 ignore=$2
    shift 2
    local dir=$WORK/$name nport
    mkdir -p "$dir/nfcapd"
    nport=$(free_port)
    nfcapd -w "$dir/nfcapd" -p "$nport" -b 127.0.0.1 -t 3600 >"$dir/nfcapd.log" 2>&1 &
    local npid=$!
    collect_start "$dir/store"
    python3 "$TOOLS/udptee.py" --to "$nport,$COLLECT_PORT" --save "$dir/stream.dat" --idle 3 \
        >"$dir/tee.port" 2>"$dir/tee.log" &
    local tpid=$!
    for _ in $(seq 50); do [ -s "$dir/tee.port" ] && break; sleep 0.1; done
    local tport
    tport=$(cat "$dir/tee.port")
    local cmd=("${@//\{port\}/$tport}")
    "${cmd[@]}" >"$dir/exporter.log" 2>&1 || fail "$name: exporter failed: ${cmd[*]}"
    wait "$tpid"
    collect_settle
    collect_stop
    sleep 1
    kill -TERM "$npid"
    wait "$npid" || true
    TZ=UTC nfdump -q -N -6 -R "$dir/nfcapd" -o "fmt:$(python3 "$TOOLS/flowdiff.py" --nfdump-format)" >"$dir/nfdump.txt" \
        || fail "$name: nfdump cannot read nfcapd's files"
    "$C2FLOW" query --store "$dir/store" -o csv --fields "$(python3 "$TOOLS/flowdiff.py" --c2flow-fields)" >"$dir/c2flow.csv"
    echo "== $name ($(cat "$dir/tee.log"))"
    local export_ms
    export_ms=$(newest_export_ms "$dir/stream.dat")
    python3 "$TOOLS/flowdiff.py" "$dir/nfdump.txt" "$dir/c2flow.csv" --ignore "$ignore" \
        --icmp-port --uptime-wrap "$export_ms" \
        || fail "$name: nfcapd and c2flow stored different records"
    [ "$(wc -l <"$dir/nfdump.txt")" -gt 0 ] || fail "$name: nothing was exported"
}

SF=(softflowd -n '127.0.0.1:{port}' -c none -p "$WORK/softflowd.pid")
for pcap in test7-malicious test-cc_test-cc-capture-1 test19-malicious-ssh_malicious-ssh-bruteforce; do
    f=$C2FLOW_SHARED_DATA/$pcap.pcap
    [ -r "$f" ] || fail "$f missing"
    differential "$pcap-v5" "" "${SF[@]}" -r "$f" -v 5
    differential "$pcap-v9" "" "${SF[@]}" -r "$f" -v 9
    # softflowd's IPFIX gives times as flowStart/EndSysUpTime [22/21]
    # relative to systemInitTimeMilliseconds [160] in its options data.
    # nfdump 1.7.1 ignores [160] and prints times with the end before the
    # start; c2flow reads them as RFC 7011/7012 say, which gives exactly the
    # times of the same capture sent as v9.  So: every field but the times
    # against nfdump, the times against c2flow's own v9 records, and
    # nfdump's impossible durations counted.
    differential "$pcap-ipfix" "start,end" "${SF[@]}" -r "$f" -v 10
    python3 - "$WORK/$pcap-v9/c2flow.csv" "$WORK/$pcap-ipfix/c2flow.csv" <<'PY' || fail "$pcap: c2flow's IPFIX times do not follow its v9 times"
# Each run of softflowd has its own clock origin (under a second apart), so
# the same flow's times may differ between the two runs by one constant.
import datetime, sys
def load(path):
    rows = [line.rstrip("\n").split(",") for line in open(path)][1:]
    ms = lambda t: int(datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ")
                       .replace(tzinfo=datetime.timezone.utc).timestamp() * 1000 + 0.5)
    return sorted((tuple(r[2:]), ms(r[0]), ms(r[1])) for r in rows)
v9, ipfix = load(sys.argv[1]), load(sys.argv[2])
assert [k for k, _, _ in v9] == [k for k, _, _ in ipfix], "different flows"
offsets = {b - a for (_, a, _), (_, b, _) in zip(v9, ipfix)} | \
          {b - a for (_, _, a), (_, _, b) in zip(v9, ipfix)}
print("   c2flow IPFIX times = v9 times + %s ms" % sorted(offsets))
sys.exit(0 if max(offsets) - min(offsets) <= 1 and abs(min(offsets)) < 1000 else 1)
PY
    backwards=$(python3 - "$WORK/$pcap-ipfix/nfdump.txt" <<'PY'
import sys
print(sum(1 for line in open(sys.argv[1]) if line.split("|")[1] < line.split("|")[0]))
PY
)
    echo "   nfdump: $backwards of $(wc -l <"$WORK/$pcap-ipfix/nfdump.txt") IPFIX records end before they start"
done
echo "ok: nfcapd and c2flow agree on every record"
