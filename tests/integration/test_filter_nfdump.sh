#!/bin/bash
# The filter language against nfdump itself.  nfblast sends 200,000 synthetic
# records (IPv4 and IPv6, TCP/UDP/ICMP, flags, AS, interfaces, tos) as NetFlow
# v9 to a real nfcapd on loopback; the capture file is imported into a c2flow
# store; then for each filter below, the records nfdump selects from the
# file (`nfdump -r FILE 'FILTER'`) and the records `c2flow query -f FILTER`
# selects from the store must be the same multiset.  A record is compared by
# its key: start second, addresses, ports, protocol number, packets, bytes.
#
# Each line of FILTERS is `C2FLOW FILTER` or `C2FLOW FILTER | NFDUMP FILTER`
# when c2flow's spelling is an extension (exporter, !=, @FILE) with an nfdump
# equivalent.  Address filters use addresses taken from the capture (the
# busiest destinations), so that they select something; a filter that
# selects nothing on both sides fails the test, as it would prove nothing.
. "$(dirname "$0")/lib.sh"

command -v nfcapd >/dev/null || skip "nfcapd not installed (Debian package nfdump)"
command -v nfdump >/dev/null || skip "nfdump not installed"
BLAST=${C2FLOW_BUILD:-$(dirname "$C2FLOW")}/nfblast
[ -x "$BLAST" ] || skip "no nfblast next to c2flow ($BLAST)"
export TZ=UTC                           # nfdump prints local time

# --- capture: nfblast -> nfcapd on a free loopback port ---
mkdir -p "$WORK/cap"
NFCAPD=
for try in 0 1 2 3 4; do
    PORT=$((20000 + ($$ * 7 + try * 1013) % 30000))
    nfcapd -w "$WORK/cap" -p "$PORT" -b 127.0.0.1 -t 3600 -B 8388608 > "$WORK/nfcapd.log" 2>&1 &
    NFCAPD=$!
    sleep 1                             # binds, or exits when the port is taken
    kill -0 $NFCAPD 2>/dev/null && break
    NFCAPD=
done
[ -n "$NFCAPD" ] || { cat "$WORK/nfcapd.log"; fail "nfcapd did not start"; }
trap 'kill -TERM $NFCAPD 2>/dev/null; rm -rf "$WORK"' EXIT
"$BLAST" -p "$PORT" -n 200000 -r 200000 -s 1 > "$WORK/blast.log" \
    || fail "nfblast failed: $(cat "$WORK/blast.log")"
sleep 1                                 # let nfcapd drain its socket
kill -TERM $NFCAPD
wait $NFCAPD
trap 'rm -rf "$WORK"' EXIT
# nfcapd rotates on the hour: a run across one leaves two files
FILES=("$WORK"/cap/nfcapd.2*)
[ -e "${FILES[0]}" ] || { cat "$WORK/nfcapd.log"; fail "nfcapd wrote no file"; }
nf() { nfdump -R "$WORK/cap" -q -o csv "$@"; }
# a busy machine may drop datagrams on loopback: harmless, as both sides
# read the same file, but a capture that lost most of them tests little
total=$(nf | grep -c '^[0-9]')
[ "$total" -ge 100000 ] || fail "nfcapd stored only $total records of 200000"

STORE=$WORK/store
"$C2FLOW" import --format nfdump --retention 0 --store "$STORE" "${FILES[@]}" \
    > "$WORK/import.log" 2>&1 || { cat "$WORK/import.log"; fail "import failed"; }

# --- keys: start second, src, dst, sport, dport, proto number, packets, bytes ---
# nfdump -o csv: ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,... (pr by name)
nfdump_keys() {
    nf "$1" | awk -F, '
        BEGIN { p["ICMP"] = 1; p["IGMP"] = 2; p["TCP"] = 6; p["UDP"] = 17; p["GRE"] = 47;
                p["ESP"] = 50; p["AH"] = 51; p["ICMP6"] = 58; p["SCTP"] = 132 }
        /^[0-9]/ { pr = ($8 in p) ? p[$8] : $8
                   print $1 "," $4 "," $5 "," $6 "," $7 "," pr "," $12 "," $13 }' | sort
}
# c2flow query -o csv --fields ...: start is 2026-11-22T04:11:16.000Z
c2flow_keys() {
    "$C2FLOW" query --store "$STORE" -o csv -f "$1" \
        --fields start,src_ip,dst_ip,src_port,dst_port,proto,packets,bytes |
        awk -F, 'NR > 1 { $1 = substr($1, 1, 10) " " substr($1, 12, 8); print }' OFS=, | sort
}

# --- addresses that occur in the capture, for the address filters ---
nf | awk -F, '/^[0-9]/ { print $5 }' | sort | uniq -c | sort -rn \
    > "$WORK/dsts"
ADDR_V4=$(awk '$2 !~ /:/ { print $2; exit }' "$WORK/dsts")    # busiest IPv4 destination
ADDR_V6=$(awk '$2 ~ /:/ { print $2; exit }' "$WORK/dsts")     # busiest IPv6 destination
ADDR_V4B=$(awk '$2 !~ /:/ { if (++n == 2) { print $2; exit } }' "$WORK/dsts")
ADDR_V4C=$(awk '$2 !~ /:/ { if (++n == 3) { print $2; exit } }' "$WORK/dsts")
SRC_V4=$(nf -c 1 'ipv4' | cut -d, -f4)
SPORT=$(nf | awk -F, '/^[0-9]/ && $6 != 0 { print $6 }' | sort | uniq -c | sort -rn |
        awk '{ print $2; exit }')                           # busiest source port
NET16=$(echo "$ADDR_V4" | awk -F. '{ print $1 "." $2 ".0.0" }')
NET8=$(echo "$ADDR_V4" | awk -F. '{ print $1 ".0.0.0" }')
NET6=$(echo "$ADDR_V6" | awk -F: '{ print $1 ":" $2 "::" }')
for v in ADDR_V4 ADDR_V6 ADDR_V4B ADDR_V4C SRC_V4 SPORT; do
    [ -n "${!v}" ] || fail "no address for $v in the capture"
done
# the busiest destinations need not occur as sources; SRC_V4 is a source
# that does, so that "src ip in" selects something whatever the capture lost
LIST="$ADDR_V4 $ADDR_V4B/24 $ADDR_V6 $NET6/32 $SRC_V4"
printf '# addresses from the capture\n%s\n%s/24\n%s\n%s/32\n%s\n' "$ADDR_V4" "$ADDR_V4B" \
    "$ADDR_V6" "$NET6" "$SRC_V4" > "$WORK/list.txt"

FILTERS=$(cat <<EOF
any
dst port 23
src port $SPORT
port 23
port > 1024
dst port < 1024
dst port >= 8080 and dst port <= 8888
port in [80 443 8080]
dst port in [22, 23 2323]
src port in [0 $SPORT]
src and dst port > 1024
src or dst port 443
dst port != 80 | not dst port 80
dst port ne 80 and proto tcp | not dst port 80 and proto tcp
proto tcp
proto udp
proto icmp
proto icmp6
proto 17
flags S
flags SA
flags APSF
flags R
not flags X
not flags S
flags S and not flags AFRPU
not (flags AR or proto udp)
flags 2
flags > 16
packets > 100
packets < 3
packets 1
packets >= 1k
bytes > 1m
bytes < 1k
bytes >= 100k and bytes <= 200000
duration > 1000
duration < 100
duration 0
duration >= 60k
ip $ADDR_V4
host $ADDR_V4
src ip $SRC_V4
dst ip $ADDR_V4B
host $ADDR_V6
dst ip $ADDR_V6 or src ip $ADDR_V6
net $NET16/16
src net $NET8/8
dst net $NET6/32
net $NET16 255.255.0.0 | net $NET16 255.255.0.0 and ipv4
src and dst net $NET8/8
ip in [$LIST]
src ip in [$LIST]
dst ip in [$ADDR_V4, $ADDR_V4C $ADDR_V6]
ip in @list.txt | ip in [$LIST]
dst ip in @list.txt and not proto tcp | dst ip in [$LIST] and not proto tcp
router ip 127.0.0.1
exporter 127.0.0.1 | router ip 127.0.0.1
router ip 127.0.0.2
in if 3
out if 5
if 7
tos 184
tos > 0
src tos 32
ipv4
ipv6
inet6 and proto udp
icmp-type 8
icmp-code 0 and not icmp-type 8
dst port 23 and proto tcp and not src net $NET8/8
port 80 or port 443 and proto udp
not (proto tcp or proto udp)
!proto tcp && (dst port 53 || src port 53)
(ipv6 and flags S) or (ipv4 and packets > 1000 and not port 443)
not (dst port < 1024 and not (flags A or packets 1)) and duration < 5000
EOF
)

n=0 bad=0
while IFS= read -r line; do
    [ -n "$line" ] || continue
    c2f=${line%% | *}
    nff=${line#* | }
    n=$((n + 1))
    (cd "$WORK" && nfdump_keys "$nff") > "$WORK/nf" 2> "$WORK/nf.err"
    [ -s "$WORK/nf.err" ] && { cat "$WORK/nf.err"; fail "nfdump rejected '$nff'"; }
    (cd "$WORK" && c2flow_keys "$c2f") > "$WORK/c2" 2> "$WORK/c2.err" \
        || { cat "$WORK/c2.err"; fail "c2flow query -f '$c2f' failed"; }
    if ! cmp -s "$WORK/nf" "$WORK/c2"; then
        bad=$((bad + 1))
        echo "DIFFERS: '$c2f' (nfdump: '$nff'): nfdump $(wc -l < "$WORK/nf"), c2flow $(wc -l < "$WORK/c2") records"
        diff "$WORK/nf" "$WORK/c2" | head -6
    elif [ ! -s "$WORK/nf" ]; then
        case $c2f in
        "router ip 127.0.0.2") ;;       # selects nothing on purpose
        *) bad=$((bad + 1)); echo "EMPTY: '$c2f' selects no record: it tests nothing" ;;
        esac
    fi
done <<< "$FILTERS"

# --- AS: nfdump 1.7.1 refuses AS filters without a geo database ("Can not
# filter according geo elements"), so the expected records come from awk
# over nfdump's CSV (sas and das are columns 18 and 19) ---
AS1=$(nf | awk -F, '/^[0-9]/ { print $19 }' | sort | uniq -c | sort -rn | awk '{ print $2; exit }')
AS2=$(nf | awk -F, '/^[0-9]/ { print $18 }' | sort | uniq -c | sort -rn | awk 'NR == 2 { print $2 }')
AS_FILTERS=$(cat <<EOF
as $AS1|\$18 == $AS1 || \$19 == $AS1
src as $AS2|\$18 == $AS2
dst as > 30000|\$19 > 30000
src and dst as < 100000|\$18 < 100000 && \$19 < 100000
as in [$AS1 $AS2]|\$18 == $AS1 || \$18 == $AS2 || \$19 == $AS1 || \$19 == $AS2
not dst as in [$AS1, $AS2]|!(\$19 == $AS1 || \$19 == $AS2)
EOF
)
while IFS='|' read -r c2f cond; do
    n=$((n + 1))
    nf | awk -F, -v OFS=, '
        BEGIN { p["ICMP"] = 1; p["TCP"] = 6; p["UDP"] = 17; p["ICMP6"] = 58 }
        /^[0-9]/ && ('"$cond"') { print $1, $4, $5, $6, $7, ($8 in p) ? p[$8] : $8, $12, $13 }' |
        sort > "$WORK/nf"
    (cd "$WORK" && c2flow_keys "$c2f") > "$WORK/c2" 2> "$WORK/c2.err" \
        || { cat "$WORK/c2.err"; fail "c2flow query -f '$c2f' failed"; }
    if ! cmp -s "$WORK/nf" "$WORK/c2" || [ ! -s "$WORK/nf" ]; then
        bad=$((bad + 1))
        echo "DIFFERS: '$c2f' (awk: $cond): expected $(wc -l < "$WORK/nf"), c2flow $(wc -l < "$WORK/c2") records"
        diff "$WORK/nf" "$WORK/c2" | head -6
    fi
done <<< "$AS_FILTERS"
[ $bad = 0 ] || fail "$bad of $n filters differ from nfdump"
echo "ok: $n filters select the same records in c2flow and in nfdump ($total-record capture)"
