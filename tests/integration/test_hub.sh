#!/bin/bash
# c2flow hub on loopback, end to end: three members of the trust group
# "isac" (isp-a, isp-b, isp-c) submit overlapping lists on simulated days
# (X-C2flow-As-Of, through `c2flow share`), an outsider of group "other"
# submits its own; the hub evaluates them against a Feodo-style intel file
# with dates and an allowlist holding one reported address.  Checked, each
# against figures computed independently in python (tools/hubcheck.py) from
# the same lists, dates and intel file:
# - `hub report -o json`: overlap per exact member set, per-member totals,
#   early detection (counts, rate, mean and median days), per-day listed
#   counts, excluded counts, lifetime: equal (up to the documented rounding);
# - GET /api/v1/lists: every non-excluded key of the group once, aggregated
#   (earliest first_seen, latest last_seen, highest score and counts, never
#   another group's reports), the allowlisted address absent in every format;
# - `c2flow fetch`, then one more submission, then a fetch that brings only
#   the entries whose version changed;
# - TAXII paging (limit 7 and 1, match[type], match[version]=all, manifest):
#   every object exactly once, X-TAXII-Date-Added-First/Last those of the
#   page, added_after of the last page nothing, then only the new versions;
# - refusals: 403 for an outsider, 401 for a revoked token, 406, 415, 413
#   (announced or chunked), 400 naming the row for malformed, private-address
#   and extra-column submissions, each leaving the database as it was;
# - a list at TLP green: its own collection, marked green, ?tlp= filters;
# - idempotency (duplicate, 409); an analyst's rejection (gone from the
#   lists, its indicator revoked in TAXII) and confirmation (counted as
#   confirmed), both audited; an append-only audit log;
# - privacy: "customer" addresses sent in unknown fields are refused and
#   appear in no byte the hub serves nor in its database.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "python3 not installed"
command -v sqlite3 >/dev/null || skip "the sqlite3 command is not installed"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
# the interpreter itself: a version manager's shim costs seconds a call
PY=$(python3 -c 'import sys; print(sys.executable)')
export PYTHONDONTWRITEBYTECODE=1        # hubcheck is imported: no __pycache__ in the tree
HC=$C2FLOW_SRC/tests/integration/tools/hubcheck.py
hc() { "$PY" "$HC" "$@"; }

hc gen "$WORK" || fail "generating the fixtures"
CONF=$WORK/hub.conf
DB=$WORK/hub.db
cat > "$CONF" <<EOF
[hub]
listen = 127.0.0.1:0
plain_http = yes
database = $DB
identity = Test ISAC
max_body = 64k
[evaluate]
geo_mmdb =
asn_ipv4_csv =
asn_ipv6_csv =
intel = $WORK/feodo.csv
allowlist = $WORK/allow.txt
EOF
hub() { "$C2FLOW" hub "$@" --config "$CONF"; }
for m in isp-a isp-b isp-c isp-d; do
    hub member add "$m" --group isac --purposes "network defence" > "$WORK/$m.token" \
        2>/dev/null || fail "member add $m"
done
hub member add outsider --group other > "$WORK/outsider.token" 2>/dev/null \
    || fail "member add outsider"
grep -Eqx 'c2h_[A-Za-z0-9_-]{43}' "$WORK/isp-a.token" || fail "token: $(cat "$WORK/isp-a.token")"
tok() { cat "$WORK/$1.token"; }

hub_start "$CONF"
HUB=http://$(cat "$WORK/port")
case $HUB in http://127.0.0.1:[0-9]*) ;; *) fail "port file: $HUB" ;; esac

# http METHOD PATH MEMBER [-H 'K: V'] [--data FILE] [--basic]: the status;
# the body in $WORK/body (headers in $WORK/body.headers)
http() {
    local method=$1 path=$2 member=$3
    shift 3
    local auth=(-H "Authorization: Bearer $(tok "$member")")
    if [ "${1:-}" = --basic ]; then auth=(--basic "$member:$(tok "$member")"); shift; fi
    hc http "$method" "$HUB$path" "$WORK/body" "${auth[@]}" "$@"
}
hdr() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))' \
    "$WORK/body.headers" "$1"; }
body_error() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("error") or d.get("description"))' "$WORK/body"; }
sql() { sqlite3 "$DB" "$1"; }

# ---- the trial: 10 lists on simulated days ----
SHARE=yes
"$C2FLOW" share --help > /dev/null 2>&1 || SHARE=no
[ $SHARE = yes ] || echo "NOTE: c2flow share is not usable; submitting with python" >&2
# submit MEMBER FILE AS_OF ID: store one list, and note it in the ledger
submit() {
    local out n st
    if [ $SHARE = yes ]; then
        out=$("$C2FLOW" share --hub "$HUB" --token-file "$WORK/$1.token" --list "$2" \
              --as-of "$3" --id "$4") || fail "share $2 exited $?"
        n=$(( $(wc -l < "$2") - 1 ))
        [ "$out" = "c2flow share: submission $4: $n rows stored" ] || fail "share $2: $out"
    else
        st=$(http POST /api/v1/submissions "$1" -H 'Content-Type: text/csv' \
             -H "X-C2flow-As-Of: $3" -H "X-C2flow-Submission-Id: $4" --data "$2")
        [ "$st" = 201 ] || fail "submitting $2: $st $(cat "$WORK/body")"
    fi
    echo "$1 $2 $3" >> "$WORK/ledger"
}
while read -r member file as_of id; do
    submit "$member" "$file" "$as_of" "$id"
done < "$WORK/plan.txt"
[ "$(sql 'select count(*) from submissions')" = 10 ] || fail "submissions stored: $(sql 'select count(*) from submissions')"
[ "$(sql 'select count(*) from reports')" = "$(cat "$WORK"/isp-?-?.csv "$WORK"/outsider-0.csv | grep -vc '^ip,')" ] \
    || fail "reports stored: $(sql 'select count(*) from reports')"

# ---- the report's figures ----
FROM=2026-01-01T00:00:00Z TO=2026-02-01T00:00:00Z
hub report --from 2026-01-01 --to 2026-02-01 -o json > "$WORK/report.json" || fail "hub report"
hc report "$WORK" "$WORK/ledger" "$WORK/report.json" $FROM $TO || exit 1
hub report --from 2026-01-01 --to 2026-02-01 -o html --out "$WORK/report.html" || fail "report html"
grep -qi '<html' "$WORK/report.html" && grep -q 'isp-b' "$WORK/report.html" || fail "report.html"

# ---- the members' lists ----
ALLOWED=$(sed -n 's|/32||p' "$WORK/allow.txt")
[ "$(http GET '/api/v1/lists?format=jsonl' isp-a)" = 200 ] || fail "lists: $(cat "$WORK/body")"
cp "$WORK/body" "$WORK/lists-a.jsonl"
hc list "$WORK" "$WORK/ledger" isp-a,isp-b,isp-c,isp-d "$WORK/lists-a.jsonl" || exit 1
[ -n "$(hdr X-C2flow-Date-Added-Last)" ] && [ -n "$(hdr X-C2flow-Terms-Of-Use)" ] \
    || fail "lists headers: $(cat "$WORK/body.headers")"
[ "$(http GET '/api/v1/lists?format=jsonl' outsider)" = 200 ] || fail "outsider's lists"
hc list "$WORK" "$WORK/ledger" outsider "$WORK/body" || exit 1
LISTS=()
for f in csv jsonl feodo-csv threatfox-csv nftables ipset suricata-iprep zeek-intel stix21; do
    LISTS+=("/api/v1/lists?format=$f")
done
# get_all MEMBER OUT PATH...: every page (200), bodies and headers in OUT
get_all() {
    local m=$1 out=$2
    shift 2
    hc get-all "$out" "Bearer $(tok "$m")" "${@/#/$HUB}" || exit 1
}
get_all isp-a "$WORK/formats" "${LISTS[@]}"
grep -wF "$ALLOWED" "$WORK/formats" && fail "a list serves the allowlisted $ALLOWED"
[ "$(http GET '/api/v1/lists?format=misp-feed' isp-a)" = 400 ] || fail "format=misp-feed"

# ---- TAXII paging ----
[ "$(http GET /taxii2/api1/collections/ isp-a --basic)" = 200 ] || fail "collections"
COLL=$("$PY" -c 'import json,sys; c=json.load(open(sys.argv[1]))["collections"]; assert len(c)==1, c; print(c[0]["id"])' "$WORK/body") \
    || fail "isp-a should see one collection: $(cat "$WORK/body")"
hc taxii "$HUB" isp-a "$(tok isp-a)" "$COLL" "$WORK/taxii.state" "$WORK/lists-a.jsonl" || exit 1

# ---- fetch, one more submission, fetch again ----
if "$C2FLOW" fetch --help > /dev/null 2>&1; then
    out=$("$C2FLOW" fetch --hub "$HUB" --token-file "$WORK/isp-c.token" --out "$WORK/fetched.jsonl") \
        || fail "fetch exited $?"
    n=$(wc -l < "$WORK/lists-a.jsonl")
    [ "$out" = "c2flow fetch: $n new or changed entries, $WORK/fetched.jsonl now has $n" ] \
        || fail "fetch 1: $out"
    hc list "$WORK" "$WORK/ledger" isp-a,isp-b,isp-c "$WORK/fetched.jsonl" || exit 1
    FETCHED=yes
else
    echo "NOTE: c2flow fetch is not usable; its checks are skipped" >&2
    FETCHED=no
fi
http GET '/api/v1/lists?format=jsonl' isp-a > /dev/null
LAST=$(hdr X-C2flow-Date-Added-Last)
[ "$(http GET "/api/v1/lists?format=jsonl&added_after=$LAST" isp-a)" = 200 ] || fail "added_after"
[ ! -s "$WORK/body" ] && [ -z "$(hdr X-C2flow-Date-Added-First)" ] \
    || fail "added_after=X-C2flow-Date-Added-Last gave: $(cat "$WORK/body")"
read -r member file as_of id < <(head -1 "$WORK/later.txt")
CHANGED=$(sed -n 2p "$WORK/later.txt")
submit "$member" "$file" "$as_of" "$id"
[ "$(http GET "/api/v1/lists?format=jsonl&added_after=$LAST" isp-a)" = 200 ] || fail "added_after 2"
got=$("$PY" -c 'import json,sys; print(",".join(sorted("%s:%d" % (r["ip"], r["port"]) for r in map(json.loads, open(sys.argv[1])))))' "$WORK/body")
want=$(echo "$CHANGED" | tr , '\n' | sort | paste -sd,)
[ "$got" = "$want" ] || fail "after one more submission, added_after gave $got, expected $want"
if [ $FETCHED = yes ]; then
    out=$("$C2FLOW" fetch --hub "$HUB" --token-file "$WORK/isp-c.token" --out "$WORK/fetched.jsonl") \
        || fail "fetch 2 exited $?"
    [ "$out" = "c2flow fetch: 4 new or changed entries, $WORK/fetched.jsonl now has $((n + 3))" ] \
        || fail "fetch 2: $out"
    hc list "$WORK" "$WORK/ledger" isp-a,isp-b,isp-c "$WORK/fetched.jsonl" || exit 1
fi
hc taxii-new "$HUB" isp-b "$(tok isp-b)" "$COLL" "$WORK/taxii.state" "$CHANGED" || exit 1

# ---- refusals; none leaves a trace ----
snapshot() {
    http GET '/api/v1/lists?format=jsonl' isp-a > /dev/null
    echo "$(sql "select (select count(*) from submissions)||','||(select count(*) from reports)||','||(select count(*) from indicators)||','||(select count(*) from objects)"),$(md5sum < "$WORK/body")"
}
SNAP=$(snapshot)
unchanged() { [ "$(snapshot)" = "$SNAP" ] || fail "$1 left something in the database"; }

# an outsider: 403 on isac's collection, which its list does not show
[ "$(http GET /taxii2/api1/collections/ outsider --basic)" = 200 ] || fail "outsider collections"
grep -q "$COLL" "$WORK/body" && fail "the outsider's collections show isac's"
grep -q '"title":"other AMBER"' "$WORK/body" || fail "outsider's own collection: $(cat "$WORK/body")"
for p in "" objects/ manifest/; do
    st=$(http GET "/taxii2/api1/collections/$COLL/$p" outsider --basic)
    [ "$st" = 403 ] || fail "outsider GET collection/$p: $st"
    grep -q '"http_status":403' "$WORK/body" || fail "403 body: $(cat "$WORK/body")"
done
[ "$(http GET /taxii2/api1/collections/00000000-0000-4000-8000-000000000000/ outsider --basic)" = 404 ] \
    || fail "an unknown collection is not 404"
# a revoked token: it worked, then 401 everywhere
[ "$(http GET '/api/v1/lists?format=csv' isp-d)" = 200 ] || fail "isp-d before revoking"
hub member revoke isp-d || fail "member revoke"
hub member list | grep -Eq '^isp-d +revoked' || fail "member list: $(hub member list)"
[ "$(http GET '/api/v1/lists?format=csv' isp-d)" = 401 ] || fail "revoked token: lists not 401"
[ "$(http GET /taxii2/api1/collections/ isp-d --basic)" = 401 ] || fail "revoked token: TAXII not 401"
[ "$(http POST /api/v1/submissions isp-d -H 'Content-Type: text/csv' --data "$WORK/isp-a-0.csv")" = 401 ] \
    || fail "revoked token: submission not 401"
[ -n "$(hdr WWW-Authenticate)" ] || fail "401 without WWW-Authenticate"
[ "$(hc http GET "$HUB/api/v1/lists" "$WORK/body")" = 401 ] || fail "no token: not 401"
[ "$(http GET /taxii2/api1/collections/ isp-a -H "Authorization: Basic $(printf 'isp-b:%s' "$(tok isp-a)" | base64 -w0)")" = 401 ] \
    || fail "Basic auth with another member's name was accepted"
unchanged "a revoked token"
# media types
st=$(http GET "/taxii2/api1/collections/$COLL/objects/" isp-a --basic -H 'Accept: text/html')
[ "$st" = 406 ] || fail "Accept: text/html gave $st"
st=$(http GET /taxii2/ isp-a --basic -H 'Accept: application/taxii+json;version=2.0')
[ "$st" = 406 ] || fail "Accept: version=2.0 gave $st"
printf '{"objects":[]}' > "$WORK/env.json"
st=$(http POST "/taxii2/api1/collections/$COLL/objects/" isp-a --basic \
     -H 'Content-Type: application/json' --data "$WORK/env.json")
[ "$st" = 415 ] || fail "POST objects as application/json gave $st"
st=$(http POST /api/v1/submissions isp-a -H 'Content-Type: text/plain' --data "$WORK/isp-a-0.csv")
[ "$st" = 415 ] || fail "a submission as text/plain gave $st"
unchanged "a wrong media type"
# over max_body (64k)
"$PY" - "$WORK/big.csv" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("ip,port,proto\n")
    for i in range(5000):
        f.write("45.9.%d.%d,443,tcp\n" % (i // 250, i % 250 + 1))
PY
[ "$(stat -c %s "$WORK/big.csv")" -gt 65536 ] || fail "big.csv is not big"
st=$(http POST /api/v1/submissions isp-a -H 'Content-Type: text/csv' --data "$WORK/big.csv")
[ "$st" = 413 ] || fail "a body over max_body gave $st"
st=$(http POST /api/v1/submissions isp-a -H 'Content-Type: text/csv' --chunked "$WORK/big.csv")
[ "$st" = 413 ] || fail "a chunked body over max_body gave $st"
"$PY" -c 'import sys; open(sys.argv[1],"w").write("{\"objects\":[" + ",".join(["{}"]*30000) + "]}")' "$WORK/bigenv.json"
st=$(http POST "/taxii2/api1/collections/$COLL/objects/" isp-a --basic \
     -H 'Content-Type: application/taxii+json;version=2.1' --data "$WORK/bigenv.json")
[ "$st" = 413 ] || fail "a TAXII envelope over max_body gave $st"
unchanged "a body over max_body"
# bad submissions: 400 naming the row; the good rows before it not stored
NEWIP=45.201.7.7
refuse() {  # refuse NAME TYPE MESSAGE-PATTERN: the body in $WORK/bad
    local st
    st=$(http POST /api/v1/submissions isp-a -H "Content-Type: $2" --data "$WORK/bad")
    [ "$st" = 400 ] || fail "$1: $st $(cat "$WORK/body")"
    local msg
    msg=$(body_error)
    echo "$msg" | grep -Eq "$3" || fail "$1: the message '$msg' does not match '$3'"
    unchanged "$1"
    grep -q "$NEWIP" "$WORK/body" && fail "$1: a row of it is served"
    echo "refused ($1): $msg"
}
printf 'ip,port,proto\n%s,443,tcp\n45.201.7.8,http,tcp\n' $NEWIP > "$WORK/bad"
refuse "malformed CSV" text/csv '^row 2( \(line 3\))?: .*port'
printf 'ip,port,proto\n%s,443,tcp\n45.201.7.8,443,tcp\n10.1.2.3,443,tcp\n' $NEWIP > "$WORK/bad"
refuse "a private address" text/csv '^row 3( \(line 4\))?: 10\.1\.2\.3 is a private address'
printf 'ip,port,proto,customer\n%s,443,tcp,45.250.17.77\n' $NEWIP > "$WORK/bad"
refuse "an extra column" text/csv "^header.*customer"
printf 'ip,port,proto\n%s,443,tcp\n' $NEWIP > "$WORK/bad"
st=$(http POST /api/v1/submissions isp-a -H 'Content-Type: text/csv' \
     -H 'X-C2flow-As-Of: 2099-01-01T00:00:00Z' --data "$WORK/bad")
[ "$st" = 400 ] || fail "an as-of time in the future gave $st"
unchanged "an as-of time in the future"

# ---- idempotency ----
printf 'ip,port,proto,first_seen,last_seen,score\n45.202.1.1,443,tcp,2026-01-09T00:00:00Z,2026-01-09T06:00:00Z,66\n' \
    > "$WORK/idem.csv"
st=$(http POST /api/v1/submissions isp-c -H 'Content-Type: text/csv' \
     -H 'X-C2flow-As-Of: 2026-01-09T12:00:00Z' --data "$WORK/idem.csv")
[ "$st" = 201 ] && grep -q '"status":"stored"' "$WORK/body" || fail "idem: $st $(cat "$WORK/body")"
echo "isp-c $WORK/idem.csv 2026-01-09T12:00:00Z" >> "$WORK/ledger"
SNAP=$(snapshot)
st=$(http POST /api/v1/submissions isp-c -H 'Content-Type: text/csv' \
     -H 'X-C2flow-As-Of: 2026-01-09T12:00:00Z' --data "$WORK/idem.csv")
[ "$st" = 200 ] && grep -q '"status":"duplicate"' "$WORK/body" || fail "the same body twice: $st $(cat "$WORK/body")"
unchanged "a duplicate"
if [ $SHARE = yes ]; then
    read -r member file as_of id < <(head -1 "$WORK/plan.txt")
    out=$("$C2FLOW" share --hub "$HUB" --token-file "$WORK/$member.token" --list "$file" \
          --as-of "$as_of" --id "$id") || fail "share of a duplicate exited $?"
    [ "$out" = "c2flow share: submission $id: already stored (duplicate)" ] || fail "share dup: $out"
    unchanged "share of a duplicate"
fi
sha=$(sha256sum < "$WORK/idem.csv" | cut -d' ' -f1)
printf 'ip,port,proto\n45.202.1.2,443,tcp\n' > "$WORK/other.csv"
st=$(http POST /api/v1/submissions isp-c -H 'Content-Type: text/csv' \
     -H "X-C2flow-Submission-Id: $sha" --data "$WORK/other.csv")
[ "$st" = 409 ] || fail "the same submission id with another body gave $st"
unchanged "a 409"

# ---- TLP: a list at green is served in isac's GREEN collection only ----
GREEN=45.204.2.2
printf 'ip,port,proto,first_seen,last_seen,score\n%s,8443,tcp,2026-01-09T01:00:00Z,2026-01-09T02:00:00Z,77\n' \
    $GREEN > "$WORK/green.csv"
st=$(http POST /api/v1/submissions isp-b -H 'Content-Type: text/csv' -H 'X-C2flow-TLP: green' \
     -H 'X-C2flow-As-Of: 2026-01-09T03:00:00Z' --data "$WORK/green.csv")
[ "$st" = 201 ] || fail "a green list: $st $(cat "$WORK/body")"
echo "isp-b $WORK/green.csv 2026-01-09T03:00:00Z" >> "$WORK/ledger"
[ "$(http GET '/api/v1/lists?format=jsonl&tlp=green' isp-a)" = 200 ] || fail "lists tlp=green"
[ "$(grep -c . "$WORK/body")" = 1 ] && grep -q "\"$GREEN\"" "$WORK/body" \
    || fail "lists tlp=green: $(cat "$WORK/body")"
[ "$(http GET '/api/v1/lists?format=stix21&tlp=green' isp-a)" = 200 ] || fail "stix21 tlp=green"
grep -q '"TLP:GREEN"' "$WORK/body" && ! grep -q 'TLP:AMBER' "$WORK/body" \
    || fail "the green list is not marked TLP:GREEN"
[ "$(http GET '/api/v1/lists?format=jsonl&tlp=amber' isp-a)" = 200 ] || fail "lists tlp=amber"
grep -q "\"$GREEN\"" "$WORK/body" && fail "lists tlp=amber holds the green entry"
[ "$(http GET /taxii2/api1/collections/ isp-a --basic)" = 200 ] || fail "collections"
titles=$("$PY" -c 'import json,sys; print(",".join(sorted(c["title"] for c in json.load(open(sys.argv[1]))["collections"])))' "$WORK/body")
[ "$titles" = "isac AMBER,isac GREEN" ] || fail "isp-a's collections: $titles"
[ "$(http GET /taxii2/api1/collections/ outsider --basic)" = 200 ] || fail "outsider collections"
grep -q 'isac' "$WORK/body" && fail "the outsider sees isac's collections: $(cat "$WORK/body")"

# ---- privacy: customer addresses in unknown fields are refused ----
SNAP=$(snapshot)
printf '{"ip":"45.203.1.1","port":443,"proto":"tcp","customer":"185.251.9.33"}\n' > "$WORK/bad"
refuse "a customer key" application/x-ndjson "customer"
"$C2FLOW" export -f stix21 -i "$WORK/idem.csv" > "$WORK/bundle.json" || fail "export stix21"
# stix BUNDLE OUT custom|object: the bundle with a customer address in a
# custom property of its indicator, or in an ipv4-addr object of its own
stix() {
    "$PY" - "$@" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
if sys.argv[3] == "custom":
    for o in b["objects"]:
        if o["type"] == "indicator":
            o["x_customer_ip"] = "45.252.200.5"
else:
    b["objects"].append({"type": "ipv4-addr", "spec_version": "2.1", "value": "185.253.3.141",
                         "id": "ipv4-addr--ff1f1f7e-5bd5-5d0b-9f8b-2e4a4b1c1d11"})
json.dump(b, open(sys.argv[2], "w"))
PY
}
stix "$WORK/bundle.json" "$WORK/bad" custom
refuse "a custom STIX property" 'application/stix+json;version=2.1' "x_customer_ip"
stix "$WORK/bundle.json" "$WORK/bad" object
refuse "an ipv4-addr object" 'application/stix+json;version=2.1' "ipv4-addr"

# ---- an analyst rejects one key ----
REJ=$("$PY" -c 'import sys; sys.path.insert(0, sys.argv[1]); import hubcheck as h; print("%s:%d" % (h.key_ip(20), h.key_port(20)))' \
    "$C2FLOW_SRC/tests/integration/tools")
grep -qF "\"ip\":\"${REJ%:*}\",\"port\":${REJ#*:}," "$WORK/lists-a.jsonl" \
    || fail "$REJ was not served before the rejection"
ind_of() {  # the indicator object of an ip:port in isac's collection
    http GET "/taxii2/api1/collections/$COLL/objects/?match%5Btype%5D=indicator&limit=1000" isp-a --basic > /dev/null
    "$PY" -c 'import json,sys; ip,port=sys.argv[2].split(":"); print([o["id"] for o in json.load(open(sys.argv[1]))["objects"] if "value = %r AND network-traffic:dst_port = %s " % (ip, port) in o["pattern"]][0])' \
        "$WORK/body" "$1"
}
IND=$(ind_of "$REJ") || fail "no indicator for $REJ"
[ "$(http GET "/taxii2/api1/collections/$COLL/objects/$IND/versions/" isp-a --basic)" = 200 ] || fail "versions"
nv=$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["versions"]))' "$WORK/body")
hub review reject "$REJ/tcp" --analyst alice --note "sinkhole run by a research group" \
    > "$WORK/out" || fail "review reject"
grep -q rejected "$WORK/out" || fail "review reject said: $(cat "$WORK/out")"
[ "$(http GET '/api/v1/lists?format=jsonl' isp-a)" = 200 ] || fail "lists after the rejection"
cp "$WORK/body" "$WORK/lists-a.jsonl"
hc list "$WORK" "$WORK/ledger" isp-a,isp-b,isp-c,isp-d "$WORK/lists-a.jsonl" --rejected "$REJ" || exit 1
[ "$(http GET "/taxii2/api1/collections/$COLL/objects/$IND/" isp-a --basic)" = 200 ] || fail "get object"
"$PY" -c 'import json,sys; o=json.load(open(sys.argv[1]))["objects"]; assert len(o)==1 and o[0].get("revoked") is True, o' \
    "$WORK/body" || fail "the rejected indicator's latest version is not revoked"
[ "$(http GET "/taxii2/api1/collections/$COLL/objects/$IND/versions/" isp-a --basic)" = 200 ] || fail "versions"
nv2=$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["versions"]))' "$WORK/body")
[ "$nv2" = $((nv + 1)) ] || fail "versions of the rejected indicator: $nv, then $nv2"
hub review --all | grep -F "${REJ%:*}" | grep -q rejected || fail "review --all: $(hub review --all)"
hub review | grep -qF "${REJ%:*} " && fail "a rejected key is still waiting for review"
# and confirms another that no intel lists: it stays, and counts as confirmed
CONFIRMED=$("$PY" -c 'import sys; sys.path.insert(0, sys.argv[1]); import hubcheck as h; print("%s:%d" % (h.key_ip(41), h.key_port(41)))' \
    "$C2FLOW_SRC/tests/integration/tools")
grep -qF "${CONFIRMED%:*}" "$WORK/feodo.csv" && fail "the key to confirm is in the intel file"
hub review confirm "$CONFIRMED" --analyst bob --note "seen in our honeypot" > /dev/null \
    || fail "review confirm"
hub review --all | grep -F "${CONFIRMED%:*}" | grep -q confirmed || fail "review --all after confirm"
[ "$(http GET '/api/v1/lists?format=jsonl' isp-a)" = 200 ] || fail "lists after confirm"
hc list "$WORK" "$WORK/ledger" isp-a,isp-b,isp-c,isp-d "$WORK/body" --rejected "$REJ" || exit 1

# ---- the audit log ----
hub audit > "$WORK/audit.jsonl" || fail "hub audit"
"$PY" - "$WORK/audit.jsonl" "$REJ" <<'PY' || fail "the audit log lacks events"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
have = {(e["actor"], e["action"]) for e in ev}
need = [("isp-a", "submit"), ("isp-b", "submit"), ("isp-c", "submit"), ("outsider", "submit"),
        ("isp-a", "submit.refused"), ("isp-c", "submit.duplicate"), ("isp-a", "lists"),
        ("isp-a", "taxii.objects"), ("isp-a", "taxii.manifest"), ("outsider", "taxii.forbidden"),
        ("admin", "member.revoke"), ("analyst:alice", "rejected"), ("analyst:bob", "confirmed")]
missing = [n for n in need if n not in have]
assert not missing, "missing %s" % missing
rej = [e for e in ev if e["action"] == "rejected"][0]
assert sys.argv[2] in rej["object"] and "sinkhole" in rej["detail"], rej
seqs = [e["seq"] for e in ev]
assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
print("audit: %d events, %d submissions, %d refused" % (len(ev),
      sum(e["action"] == "submit" for e in ev), sum(e["action"] == "submit.refused" for e in ev)))
PY
n=$(sql 'select count(*) from audit')
sqlite3 "$DB" 'delete from audit' 2> "$WORK/err" && fail "delete from audit succeeded"
grep -q 'append-only' "$WORK/err" || fail "delete from audit: $(cat "$WORK/err")"
sqlite3 "$DB" "update audit set detail=''" 2>/dev/null && fail "update audit succeeded"
[ "$(sql 'select count(*) from audit')" -ge "$n" ] || fail "the audit log shrank"

# ---- privacy: no customer address in any byte served or stored ----
: > "$WORK/served"
for m in isp-a isp-b outsider; do
    get_all $m "$WORK/served" "${LISTS[@]}"
done
get_all isp-a "$WORK/served" /taxii2/ /taxii2/api1/ /taxii2/api1/collections/ \
    "/taxii2/api1/collections/$COLL/objects/?match%5Bversion%5D=all&limit=1000" \
    "/taxii2/api1/collections/$COLL/manifest/?match%5Bversion%5D=all&limit=1000"
get_all outsider "$WORK/served" /taxii2/api1/collections/
[ "$(wc -c < "$WORK/served")" -gt 100000 ] || fail "too little served to be checked"
grep -F -f "$WORK/customers.txt" "$WORK/served" && fail "a customer address was served"
sqlite3 "$DB" 'PRAGMA wal_checkpoint' > /dev/null
grep -aF -f "$WORK/customers.txt" "$DB" "$DB-wal" "$WORK/audit.jsonl" 2>/dev/null \
    && fail "a customer address is in the hub's database"
# a refused submission is audited with where it failed, never with what it quoted
grep -q '"submit.refused"' "$WORK/audit.jsonl" || fail "refused submissions are not audited"
grep -aF '10.1.2.3' "$DB" "$DB-wal" "$WORK/audit.jsonl" 2>/dev/null \
    && fail "the refused private address 10.1.2.3 was kept by the hub"

# ---- the report after all of it (more lists, one key rejected, one confirmed) ----
hub report --from 2026-01-01 --to 2026-02-01 -o json > "$WORK/report.json" || fail "hub report 2"
hc report "$WORK" "$WORK/ledger" "$WORK/report.json" $FROM $TO --rejected "$REJ" \
    --confirmed "$CONFIRMED" || exit 1
hub report -o json > "$WORK/report-all.json" || fail "hub report (unbounded)"
"$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["from"] is None and r["to"] is None and r["rows_outside"]==0, r["rows_outside"]' \
    "$WORK/report-all.json" || fail "an unbounded report"

# ---- stopping ----
kill -TERM $HUB_PID
wait $HUB_PID
rc=$?
[ "$rc" = 0 ] || { tail -20 "$WORK/hub.log" >&2; fail "hub serve exited $rc after SIGTERM"; }
grep -q 'POST /api/v1/submissions 201 member=isp-a' "$WORK/hub.log" || fail "no request log lines"
echo "ok"
