#!/bin/bash
# The hub's TAXII 2.1 server against a client that behaves as the OASIS
# taxii2-client 2.3 does (test_hub_taxii_client.py: its URL joining, Accept
# and Content-Type checks, as_pages() paging and validations, on urllib):
# discovery -> API root -> collections -> objects page by page -> manifest
# -> add_objects (an envelope of what `c2flow export --format stix21` writes)
# -> status -> get_object -> versions, and a read-only member refused; and
# OpenCTI's TAXII feed importer's paging (Bearer token, next with
# added_after, the last X-TAXII-Date-Added-Last cut to milliseconds).  Over
# https (the hub's TLS, verified against a test CA, `c2flow share --cacert`
# submitting) when openssl can make the certificates.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "python3 not installed"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
PY=$(python3 -c 'import sys; print(sys.executable)')
# https as real clients use it: a CA and a certificate for 127.0.0.1, when
# openssl is there (else plain http, saying so)
if make_test_ca; then
    SCHEME=https
    TLS="tls_cert = $WORK/srv.pem
tls_key = $WORK/srv.key"
    CA=("$WORK/ca.pem")
else
    echo "note: openssl not usable: plain http only"
    SCHEME=http
    TLS="plain_http = yes"
    CA=()
fi
cat > "$WORK/hub.conf" <<CONF
[hub]
listen = 127.0.0.1:0
$TLS
database = $WORK/hub.db
identity = Test ISAC
max_body = 1m
[evaluate]
geo_mmdb =
asn_ipv4_csv =
asn_ipv6_csv =
CONF
hub() { "$C2FLOW" hub "$@" --config "$WORK/hub.conf"; }
hub member add isp-a --group isac > "$WORK/isp-a.token" 2>/dev/null || fail "member add"
hub member add viewer --group isac --read-only > "$WORK/viewer.token" 2>/dev/null \
    || fail "member add --read-only"
hub_start "$WORK/hub.conf"
HUB=$SCHEME://$(cat "$WORK/port")

# a list of 23 servers (so that pages of 7 leave a remainder), and one more
# to add over TAXII
"$PY" - "$WORK" <<'PY'
import sys
d = sys.argv[1]
with open(d + "/list.csv", "w") as f:
    f.write("ip,port,proto,first_seen,last_seen,score,method\n")
    for i in range(23):
        f.write("185.%d.%d.%d,%d,tcp,2026-01-0%dT00:00:00Z,2026-01-09T00:00:00Z,%d,graph\n"
                % (100 + i % 7, i + 1, 3 * i + 5, [443, 8080, 4444][i % 3], 1 + i % 8, 50 + i))
with open(d + "/one.csv", "w") as f:
    f.write("ip,port,proto,first_seen,last_seen,score,method\n")
    f.write("45.133.9.77,8443,tcp,2026-01-08T00:00:00Z,2026-01-09T12:00:00Z,91,ml\n")
PY
cacert=()
[ $SCHEME = https ] && cacert=(--cacert "$WORK/ca.pem")
out=$("$C2FLOW" share --hub "$HUB" --token-file "$WORK/isp-a.token" --list "$WORK/list.csv" \
      "${cacert[@]}") || fail "share over $SCHEME exited $?"
echo "$out" | grep -q ': 23 rows stored$' || fail "share: $out"
if [ $SCHEME = https ]; then
    # the hub's certificate is checked: without the CA, share fails
    "$C2FLOW" share --hub "$HUB" --token-file "$WORK/isp-a.token" --list "$WORK/one.csv" \
        > /dev/null 2>&1 && fail "share trusted an unknown CA"
fi
"$C2FLOW" export --format stix21 -i "$WORK/one.csv" > "$WORK/one.json" || fail "export stix21"
"$PY" "$C2FLOW_SRC/tests/integration/test_hub_taxii_client.py" "$HUB/taxii2/" \
    isp-a "$(cat "$WORK/isp-a.token")" viewer "$(cat "$WORK/viewer.token")" \
    "$WORK/one.json" 1048576 "${CA[@]}" || { tail -5 "$WORK/hub.log" >&2; exit 1; }
kill -TERM $HUB_PID
wait $HUB_PID
rc=$?
[ "$rc" = 0 ] || { tail -20 "$WORK/hub.log" >&2; fail "hub serve exited $rc after SIGTERM"; }
echo "ok"
