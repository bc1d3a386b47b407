#!/usr/bin/env bash
# test_collect_handmade.sh: what the peers do not send, over real UDP into
# the real collector (tools/nfpkt.py makes the datagrams; its header lists
# each one): NetFlow v9 options templates announcing sampling, sequence
# gaps and a late datagram, templates kept across a restart; IPFIX data
# before its template, variable-length and enterprise fields, a sequence
# gap counted in records, template withdrawal; malformed datagrams; a
# SIGHUP that changes a sampling override; the /metrics page; the kernel's
# drops of a full socket buffer.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 not installed"

py() { python3 "$@"; }
q() { "$C2FLOW" query --store "$1" -o csv --fields "$2" | tail -n +2; }
expect_eq() { [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"; }

py "$TOOLS/nfpkt.py" v9-sampling "$WORK/v9.dat" >/dev/null
py "$TOOLS/nfpkt.py" ipfix-cases "$WORK/ipfix.dat" >/dev/null

# -- v9: templates and the sampler arrive, the collector restarts, data follows
collect_start "$WORK/v9"
py "$TOOLS/udpsend.py" "$WORK/v9.dat" "$COLLECT_PORT" --only 0
collect_settle
expect_eq "templates learnt" "$(metric c2flow_exporter_templates_total)" 2
collect_stop
grep -q 'loaded saved templates' "$COLLECT_LOG" && fail "first start found templates"
[ -s "$WORK/v9/state/templates" ] || fail "templates not saved in the store"

collect_start "$WORK/v9"
grep -q 'loaded saved templates' "$COLLECT_LOG" || fail "restart did not load the templates"
py "$TOOLS/udpsend.py" "$WORK/v9.dat" "$COLLECT_PORT" --only 1-3
collect_settle
expect_eq "decoded after restart" "$(metric c2flow_exporter_decoded_records_total)" 6
expect_eq "no template" "$(metric c2flow_exporter_no_template_total)" 0
expect_eq "late datagram" "$(metric c2flow_exporter_reordered_total)" 1
lost=$(metric c2flow_exporter_lost_datagrams_total)
[ "$lost" = 1 ] || [ "$lost" = 2 ] || fail "lost datagrams: $lost (2 missing, 1 came late)"
expect_eq "unknown sampling" "$(metric c2flow_exporter_unknown_sampling_total)" 0
expect_eq "sampling gauge" "$(metric c2flow_exporter_sampling_interval 'exporter="127.0.0.1"')" 100
collect_stop

expect_eq "v9 records" "$(count_records "$WORK/v9")" 6
expect_eq "sampling of every record" "$(q "$WORK/v9" sampling | sort -u)" 100
expect_eq "packets x 100" "$(q "$WORK/v9" packets | awk '{s += $1} END {print s}')" 4500
expect_eq "bytes x 100" "$(q "$WORK/v9" bytes | awk '{s += $1} END {print s}')" 450000
expect_eq "first record" "$(q "$WORK/v9" start,end,src_ip,dst_ip,src_port,dst_port,proto,domain | sort | head -n1)" \
    "2025-12-31T23:59:00.000Z,2025-12-31T23:59:00.500Z,10.0.0.1,192.0.2.10,40000,443,6,7"

# -- IPFIX: early data, variable-length and enterprise fields, gap, withdrawal
collect_start "$WORK/ipfix"
py "$TOOLS/udpsend.py" "$WORK/ipfix.dat" "$COLLECT_PORT"
collect_settle
# the early record waited for its template and came out with it; the one
# after the withdrawal waits for the next definition
expect_eq "IPFIX decoded" "$(metric c2flow_exporter_decoded_records_total)" 4
expect_eq "IPFIX no template" "$(metric c2flow_exporter_no_template_total)" 0
expect_eq "IPFIX withdrawals" "$(metric c2flow_exporter_withdrawals_total)" 1
expect_eq "IPFIX lost records" "$(metric c2flow_exporter_lost_records_total)" 5
expect_eq "IPFIX unknown sampling" "$(metric c2flow_exporter_unknown_sampling_total)" 4
metrics_page | grep -q '^c2flow_exporter_decoded_records_total{exporter="127.0.0.1",protocol="ipfix"} 4$' \
    || fail "per-exporter series missing from /metrics"

# -- malformed datagrams are counted, and the collector goes on
python3 - "$COLLECT_PORT" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
bad = [b"", b"\x00", b"\x00\x09\x00", b"\x00\x0a\xff\xff" + b"\x00" * 12,
       struct.pack(">HHIIII", 9, 1, 0, 0, 0, 0) + b"\x01\x00\xff\xff",
       bytes(range(256)) * 4, b"\x00\x05\x00\x1e" + b"\x00" * 20]
for b in bad:
    s.sendto(b, ("127.0.0.1", int(sys.argv[1])))
PY
collect_settle
malformed=$(metric c2flow_exporter_malformed_total)
[ "$malformed" -ge 6 ] || fail "malformed datagrams counted: $malformed, expected at least 6"
py "$TOOLS/udpsend.py" "$WORK/ipfix.dat" "$COLLECT_PORT" --only 1-2
collect_settle
# the template again: the record that waited since the withdrawal, then 2
expect_eq "decoding goes on after garbage" "$(metric c2flow_exporter_decoded_records_total)" 7
collect_stop
grep -q 'malformed:' "$COLLECT_LOG" || fail "malformed datagrams not logged"
expect_eq "IPFIX records" "$(count_records "$WORK/ipfix")" 7
expect_eq "IPFIX first record" \
    "$(q "$WORK/ipfix" start,end,src_ip,dst_ip,src_port,dst_port,proto,packets,bytes,sampling | sort | head -n1)" \
    "2025-12-31T23:59:30.000Z,2025-12-31T23:59:30.250Z,2001:db8::1,2001:db8::10,50000,8443,17,3,300,1"

# -- SIGHUP: a new sampling override applies to what comes after
cat >"$WORK/c.conf" <<'CONF'
[sampling]
exporter = 127.0.0.1 10
CONF
collect_start "$WORK/hup" --config "$WORK/c.conf"
py "$TOOLS/udpsend.py" "$WORK/v9.dat" "$COLLECT_PORT" --only 0-1
collect_settle
sed -i 's/127.0.0.1 10/127.0.0.1 1000/' "$WORK/c.conf"
kill -HUP "$COLLECT_PID"
for _ in $(seq 50); do grep -q 'reload:' "$COLLECT_LOG" && break; sleep 0.1; done
grep -q 'reload: 1 sampling overrides' "$COLLECT_LOG" || fail "SIGHUP not acted on"
sleep 0.5
py "$TOOLS/udpsend.py" "$WORK/v9.dat" "$COLLECT_PORT" --only 2
collect_settle
collect_stop
expect_eq "override before and after SIGHUP" "$(q "$WORK/hup" sampling | sort | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ')" \
    "10x3 1000x2 "
# -- records older than retention are counted as expired, per exporter, not stored
collect_start "$WORK/old" --retention 30d
py "$TOOLS/udpsend.py" "$WORK/v9.dat" "$COLLECT_PORT"
collect_settle
expect_eq "expired records (from 2025-12-31)" "$(metric c2flow_exporter_expired_records_total 'exporter="127.0.0.1"')" 6
expect_eq "stored records" "$(metric c2flow_exporter_stored_records_total)" 0
collect_stop
expect_eq "nothing stored" "$(count_records "$WORK/old")" 0

# -- the kernel's drops are counted: a stopped collector with a small socket
# buffer misses most of a burst; what it received and what the kernel
# dropped add up to what was sent, and the drops are known without another
# datagram coming after them
collect_start "$WORK/drops" --rcvbuf 64K
kill -STOP "$COLLECT_PID"
python3 - "$COLLECT_PORT" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(400):
    s.sendto(b"\x00\x09" + bytes(1198), ("127.0.0.1", int(sys.argv[1])))
PY
kill -CONT "$COLLECT_PID"
collect_settle
drops=$(metric c2flow_collect_socket_drops_total)
got=$(metric c2flow_collect_datagrams_total)
[ "$drops" -gt 0 ] || fail "socket drops not counted (received $got of 400)"
expect_eq "received + socket drops" "$((got + drops))" 400
# the socket buffer's fill is seen too: its peak reached the buffer's size
peak=$(metric c2flow_collect_socket_backlog_peak_bytes)
buf=$(metric c2flow_collect_socket_buffer_bytes)
[ "$buf" -gt 0 ] && [ "$buf" -le 131072 ] || fail "socket buffer gauge: $buf"
[ "$peak" -ge $((buf / 2)) ] || fail "socket backlog peak $peak, buffer $buf"
echo "socket buffer $buf bytes, peak backlog $peak, $drops of 400 dropped"
collect_stop

echo "ok: handmade v9/IPFIX cases, restart with saved templates, malformed, SIGHUP"
