#!/bin/bash
# c2flow share and c2flow fetch against a fake hub: a small python3 server
# (standard library only) on 127.0.0.1 that answers as the hub's API v1
# says (docs/share.md, docs/fetch.md) and records every request.  Checked:
# the headers and body `share` sends (Content-Type per format, the default
# submission id = SHA-256 of the file, As-Of, TLP, Bearer token, the bytes
# unchanged), the duplicate, 409, 400, 401 paths (the hub's message shown,
# exit 1), a lookback answer and a list with an unknown column refused
# before anything is sent, usage errors (exit 2), the [share] config section
# and the command line winning over it, no redirect followed (the token
# never reaches the second host), the timeout; `fetch` merging two pulls
# (a changed row replaces the old one, added_after taken from the state
# file, state only after LIST), a bad answer leaving LIST and state as they
# were, and the result read by `c2flow lookback --list`.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "python3 not installed"
# libcurl honours proxy variables; the fake hub is on loopback
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

TOKEN=c2h_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
cat > "$WORK/fakehub.py" <<'PY'
# A fake hub: API v1 as docs/share.md says, every request logged to LOG
# (JSON Lines: method, path, query, headers, body file), served rows read
# from ROWS (JSON Lines: {"added": TIME, "row": {...}}) at each request.
import hashlib, json, os, sys, threading, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

work, token = sys.argv[1], sys.argv[2]
LOG, ROWS = os.path.join(work, "requests.jsonl"), os.path.join(work, "rows.jsonl")
LAST = os.path.join(work, "last")
stored, lock, seq = {}, threading.Lock(), [0]
TYPES = {"text/csv", "application/x-ndjson", "application/jsonl", "application/json",
         "application/stix+json", "application/stix+json;version=2.1"}

class Hub(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    other = None                    # the second server, for /moved

    def log_message(self, *a): pass

    def answer(self, status, obj=None, body=None, headers=()):
        data = body if body is not None else json.dumps(obj).encode()
        self.send_response(status)
        for k, v in headers: self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def record(self, body):
        with lock:
            seq[0] += 1
            bf = os.path.join(work, "body-%d-%d" % (self.server.server_port, seq[0]))
            open(bf, "wb").write(body)
            u = urllib.parse.urlsplit(self.path)
            with open(LOG, "a") as f:
                f.write(json.dumps({"port": self.server.server_port, "method": self.command,
                                    "path": u.path, "query": u.query,
                                    "headers": {k.lower(): v for k, v in self.headers.items()},
                                    "body": bf}) + "\n")
            # the newest request as NAME<TAB>VALUE lines, for the shell
            with open(LAST + ".tmp", "w") as f:
                for k, v in [("method", self.command), ("path", u.path), ("query", u.query),
                             ("body", bf)] + [("headers." + k.lower(), v)
                                              for k, v in self.headers.items()]:
                    f.write("%s\t%s\n" % (k, v))
            os.rename(LAST + ".tmp", LAST)

    def common(self, body):
        self.record(body)
        if self.path.startswith("/moved/"):
            self.answer(302, {"error": "moved"},
                        headers=[("Location", "http://127.0.0.1:%d%s" % (Hub.other, self.path[6:]))])
            return False
        if self.path.startswith("/slow/"):
            time.sleep(10)
        if self.headers.get("Authorization") != "Bearer " + token:
            self.answer(401, {"error": "unknown or revoked token"})
            return False
        return True

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if not self.common(body): return
        if self.headers.get("Content-Type", "").replace(" ", "") not in TYPES:
            return self.answer(415, {"error": "unsupported media type"})
        if b"10.0.0.1" in body:
            return self.answer(400, {"error": "row 2: 10.0.0.1 is a private address"})
        sid = self.headers.get("X-C2flow-Submission-Id") or hashlib.sha256(body).hexdigest()
        digest = hashlib.sha256(body).hexdigest()
        with lock:
            old = stored.get(sid)
            if old is None: stored[sid] = digest
        if old == digest:
            return self.answer(200, {"submission": sid, "status": "duplicate"})
        if old is not None:
            return self.answer(409, {"error": "submission %s was stored with another body" % sid})
        text = body.decode()
        rows = text.count('"type": "indicator"') if "bundle" in text else \
            len([l for l in text.splitlines() if l.strip()]) - (0 if text.lstrip().startswith("{") else 1)
        self.answer(201, {"submission": sid, "rows": rows, "status": "stored"})

    def do_GET(self):
        if not self.common(b""): return
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        if q.get("format") != ["jsonl"]:
            return self.answer(400, {"error": "format"})
        after = q.get("added_after", [""])[0]
        rows = [json.loads(l) for l in open(ROWS)] if os.path.exists(ROWS) else []
        latest = {}                 # one row per key: its newest version
        for r in sorted(rows, key=lambda r: r["added"]):
            latest[(r["row"]["ip"], r["row"]["port"], r["row"]["proto"])] = r
        rows = sorted((r for r in latest.values() if r["added"] > after), key=lambda r: r["added"])
        body = "".join(json.dumps(r["row"]) + "\n" for r in rows).encode()
        h = [("Content-Type", "application/x-ndjson")]
        if rows:
            h += [("X-C2flow-Date-Added-First", rows[0]["added"]),
                  ("X-C2flow-Date-Added-Last", rows[-1]["added"])]
        self.answer(200, body=body, headers=h)

second = ThreadingHTTPServer(("127.0.0.1", 0), Hub)
Hub.other = second.server_port
threading.Thread(target=second.serve_forever, daemon=True).start()
tls_port = 0
if len(sys.argv) > 4:               # CERT KEY: the same hub over TLS too
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    tls = ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
    tls_port = tls.server_port
    threading.Thread(target=tls.serve_forever, daemon=True).start()
hub = ThreadingHTTPServer(("127.0.0.1", 0), Hub)
with open(os.path.join(work, "port.tmp"), "w") as f:
    f.write("%d %d %d\n" % (hub.server_port, second.server_port, tls_port))
os.rename(os.path.join(work, "port.tmp"), os.path.join(work, "port"))
hub.serve_forever()
PY
# a CA and a certificate for 127.0.0.1 (not for localhost), when openssl is there
TLS=()
if make_test_ca; then
    TLS=("$WORK/srv.pem" "$WORK/srv.key")
else
    echo "note: openssl not usable, the https checks are left out"
fi
python3 "$WORK/fakehub.py" "$WORK" "$TOKEN" "${TLS[@]}" 2> "$WORK/fakehub.log" &
HUB_PID=$!
trap 'kill $HUB_PID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do
    [ -s "$WORK/port" ] && break
    kill -0 $HUB_PID 2>/dev/null || { cat "$WORK/fakehub.log" >&2; fail "fake hub did not start"; }
    sleep 0.1
done
read -r PORT PORT2 PORT3 < "$WORK/port" || fail "fake hub gave no port"
HUB=http://127.0.0.1:$PORT
touch "$WORK/requests.jsonl"

requests() { wc -l < "$WORK/requests.jsonl"; }
# last_request FIELD...: fields of the newest request, one a line (headers.NAME
# for a header, empty when absent)
last_request() {
    local k
    for k in "$@"; do
        awk -F'\t' -v k="$k" '$1 == k {v = $2} END {print v}' "$WORK/last"
    done
}

cat > "$WORK/list.csv" <<'CSV'
ip,port,proto,first_seen,last_seen,score,method,group,infected_clients,clients,days_seen
198.51.100.7,443,tcp,2026-01-05T01:02:03Z,2026-01-06T10:00:00Z,87.5,graph,1,3,4,2
2001:db8::1,23,tcp,,,90,ml,0,0,0,0
CSV

# ---- share: a CSV list, the default id, the headers, the body as is ----
out=$("$C2FLOW" share --hub "$HUB" --token "$TOKEN" --list "$WORK/list.csv") \
    || fail "share exited $?"
sha=$(sha256sum "$WORK/list.csv" | cut -d' ' -f1)
[ "$out" = "c2flow share: submission $sha: 2 rows stored" ] || fail "share said: $out"
mapfile -t r < <(last_request method path headers.content-type headers.x-c2flow-submission-id \
    headers.authorization headers.x-c2flow-as-of headers.x-c2flow-tlp body)
[ "${r[0]} ${r[1]}" = "POST /api/v1/submissions" ] || fail "request ${r[0]} ${r[1]}"
[ "${r[2]}" = text/csv ] || fail "Content-Type ${r[2]}"
[ "${r[3]}" = "$sha" ] || fail "submission id ${r[3]}, expected the SHA-256 $sha"
[ "${r[4]}" = "Bearer $TOKEN" ] || fail "Authorization ${r[4]}"
[ -z "${r[5]}${r[6]}" ] || fail "As-Of or TLP sent without being asked for"
cmp -s "${r[7]}" "$WORK/list.csv" || fail "the body sent is not the file"

# the same again: a duplicate, exit 0
out=$("$C2FLOW" share --hub "$HUB/" --token "$TOKEN" --list "$WORK/list.csv") \
    || fail "share of a duplicate exited $?"
[ "$out" = "c2flow share: submission $sha: already stored (duplicate)" ] || fail "dup: $out"

# ---- JSON Lines, token file, --id, --as-of, --tlp ----
"$C2FLOW" export -f jsonl -i "$WORK/list.csv" > "$WORK/list.jsonl" || fail "export jsonl"
printf '  %s  \nsecond line ignored\n' "$TOKEN" > "$WORK/token"
out=$("$C2FLOW" share --hub "$HUB" --token-file "$WORK/token" --list "$WORK/list.jsonl" \
      --id isp-a.2026-11-30 --as-of 2026-11-30T09:00:00+09:00 --tlp green) \
    || fail "share jsonl exited $?"
[ "$out" = "c2flow share: submission isp-a.2026-11-30: 2 rows stored" ] || fail "jsonl: $out"
mapfile -t r < <(last_request headers.content-type headers.x-c2flow-submission-id \
    headers.x-c2flow-as-of headers.x-c2flow-tlp headers.authorization body)
[ "${r[0]}" = application/x-ndjson ] || fail "jsonl Content-Type ${r[0]}"
[ "${r[1]}" = isp-a.2026-11-30 ] || fail "--id sent as ${r[1]}"
[ "${r[2]}" = 2026-11-30T00:00:00.000Z ] || fail "--as-of sent as ${r[2]}"
[ "${r[3]}" = green ] || fail "--tlp sent as ${r[3]}"
[ "${r[4]}" = "Bearer $TOKEN" ] || fail "token file: Authorization ${r[4]}"
cmp -s "${r[5]}" "$WORK/list.jsonl" || fail "the jsonl body sent is not the file"

# the same id with another body: 409, the hub's message, exit 1
"$C2FLOW" share --hub "$HUB" --token "$TOKEN" --list "$WORK/list.csv" --id isp-a.2026-11-30 \
    > "$WORK/out" 2> "$WORK/err" && fail "409 exited 0"
grep -q 'hub answered 409: submission isp-a.2026-11-30 was stored with another body' \
    "$WORK/err" || fail "409 message: $(cat "$WORK/err")"
[ ! -s "$WORK/out" ] || fail "409 printed on stdout"

# ---- a STIX bundle, told from its text ----
"$C2FLOW" export -f stix21 -i "$WORK/list.csv" > "$WORK/bundle.json" || fail "export stix21"
out=$("$C2FLOW" share --hub "$HUB" --token "$TOKEN" --list "$WORK/bundle.json") \
    || fail "share stix exited $?"
[ "$(last_request headers.content-type)" = "application/stix+json;version=2.1" ] \
    || fail "stix Content-Type $(last_request headers.content-type)"
echo "$out" | grep -q ': 2 rows stored$' || fail "stix: $out"
# --format overrides the guess (and stdin works)
"$C2FLOW" share --hub "$HUB" --token "$TOKEN" --list - --format csv --id from-stdin \
    < "$WORK/list.csv" > /dev/null || fail "share from stdin"
[ "$(last_request headers.content-type)" = text/csv ] || fail "--format csv"
expect_status 1 "$C2FLOW" share --hub "$HUB" --token "$TOKEN" --list "$WORK/list.jsonl" \
    --format csv 2> "$WORK/err"
grep -q 'is JSON Lines, not CSV' "$WORK/err" || fail "format mismatch: $(cat "$WORK/err")"

# ---- the hub refuses: 400 with its message, 401 ----
printf 'ip,port,proto\n10.0.0.1,443,tcp\n' > "$WORK/private.csv"
expect_status 1 "$C2FLOW" share --hub "$HUB" --token "$TOKEN" --list "$WORK/private.csv" \
    2> "$WORK/err"
grep -qx 'c2flow share: hub answered 400: row 2: 10.0.0.1 is a private address' "$WORK/err" \
    || fail "400 message: $(cat "$WORK/err")"
expect_status 1 "$C2FLOW" share --hub "$HUB" --token c2h_wrong --list "$WORK/list.csv" \
    2> "$WORK/err"
grep -q 'hub answered 401: unknown or revoked token' "$WORK/err" || fail "401: $(cat "$WORK/err")"

# ---- refused before sending: lookback answers, unknown columns, other files ----
n=$(requests)
printf '# c2flow lookback: INTERNAL: customer addresses, for the ISP'"'"'s own notifications; never share\nhost,server,port,proto,first,last,flows,packets,bytes\n100.64.0.9,198.51.100.7,443,tcp,2026-01-05T00:00:00Z,2026-01-05T00:00:00Z,1,1,60\n' \
    > "$WORK/lb.csv"
printf '{"c2flow_lookback":"INTERNAL: customer addresses; never share"}\n{"host":"100.64.0.9","server":"198.51.100.7","port":443,"proto":"tcp"}\n' \
    > "$WORK/lb.jsonl"
for f in lb.csv lb.jsonl; do
    for fmt in auto stix21; do
        expect_status 1 "$C2FLOW" share --hub "$HUB" --token "$TOKEN" --list "$WORK/$f" \
            --format $fmt 2> "$WORK/err"
        grep -q 'answer of `c2flow lookback`' "$WORK/err" || fail "$f: $(cat "$WORK/err")"
    done
done
printf 'ip,port,proto,customer\n198.51.100.7,443,tcp,100.64.0.9\n' > "$WORK/extra.csv"
expect_status 1 "$C2FLOW" share --hub "$HUB" --token "$TOKEN" --list "$WORK/extra.csv" 2> "$WORK/err"
grep -q 'customer' "$WORK/err" || fail "extra column: $(cat "$WORK/err")"
printf '198.51.100.7\n' > "$WORK/plain.txt"
expect_status 1 "$C2FLOW" share --hub "$HUB" --token "$TOKEN" --list "$WORK/plain.txt" 2>/dev/null
expect_status 1 "$C2FLOW" share --hub "$HUB" --token "$TOKEN" --list "$WORK/none.csv" 2>/dev/null
[ "$(requests)" = "$n" ] || fail "a refused file reached the hub"

# ---- usage errors ----
for args in "--id bad/id" "--tlp purple" "--format xml" "--as-of yesterday-ish" "--hub ftp://x" \
            "--timeout 0" "--bogus"; do
    # shellcheck disable=SC2086
    expect_status 2 "$C2FLOW" share --hub "$HUB" --token "$TOKEN" --list "$WORK/list.csv" \
        $args 2>/dev/null
done
expect_status 2 "$C2FLOW" share --hub "$HUB" --token "$TOKEN" 2>/dev/null
expect_status 2 "$C2FLOW" share --token "$TOKEN" --list "$WORK/list.csv" 2>/dev/null
expect_status 2 "$C2FLOW" share --hub "$HUB" --list "$WORK/list.csv" 2>/dev/null
expect_status 2 "$C2FLOW" share --hub "$HUB" --token 'two words' --list "$WORK/list.csv" 2>/dev/null
expect_status 1 "$C2FLOW" share --hub "http://user:pw@127.0.0.1:$PORT" --token "$TOKEN" \
    --list "$WORK/list.csv" 2> "$WORK/err"
grep -q 'may not hold a user name' "$WORK/err" || fail "user info: $(cat "$WORK/err")"
expect_status 1 "$C2FLOW" share --hub "$HUB" --token-file "$WORK/none" --list "$WORK/list.csv" \
    2>/dev/null
[ "$(requests)" = "$n" ] || fail "a usage error reached the hub"
"$C2FLOW" share --help | grep -q -- '--token-file' || fail "share --help"
[ "$("$C2FLOW" share --help >/dev/null; echo $?)" = 0 ] || fail "share --help exit status"

# ---- the [share] section; the command line wins ----
cat > "$WORK/c2flow.conf" <<CONF
[share]
hub = http://127.0.0.1:1
token_file = $WORK/token
timeout = 30s
CONF
expect_status 1 "$C2FLOW" share --config "$WORK/c2flow.conf" --list "$WORK/list.csv" 2>/dev/null
out=$("$C2FLOW" share --config "$WORK/c2flow.conf" --hub "$HUB" --list "$WORK/list.csv") \
    || fail "share --config --hub exited $?"
[ "$out" = "c2flow share: submission $sha: already stored (duplicate)" ] || fail "config: $out"
printf '[share]\nhub = gopher://x\n' > "$WORK/bad.conf"
expect_status 1 "$C2FLOW" share --config "$WORK/bad.conf" --list "$WORK/list.csv" 2>/dev/null

# ---- no redirect followed: the token never reaches the second host ----
expect_status 1 "$C2FLOW" share --hub "$HUB/moved" --token "$TOKEN" --list "$WORK/list.csv" \
    2> "$WORK/err"
grep -q 'hub answered 302' "$WORK/err" || fail "redirect: $(cat "$WORK/err")"
expect_status 1 "$C2FLOW" fetch --hub "$HUB/moved" --token "$TOKEN" --out "$WORK/moved.csv" \
    2>/dev/null
sleep 0.2
grep -q "\"port\": $PORT2" "$WORK/requests.jsonl" && fail "a redirect was followed"
[ -e "$WORK/moved.csv" ] && fail "a failed fetch wrote its list"

# ---- https: verified against --cacert, the host name too ----
if [ "$PORT3" != 0 ]; then
    expect_status 1 "$C2FLOW" share --hub "https://127.0.0.1:$PORT3" --token "$TOKEN" \
        --list "$WORK/list.csv" 2> "$WORK/err"
    grep -qi 'certificate\|issuer' "$WORK/err" || fail "unknown CA: $(cat "$WORK/err")"
    out=$("$C2FLOW" share --hub "https://127.0.0.1:$PORT3" --token "$TOKEN" \
          --cacert "$WORK/ca.pem" --list "$WORK/list.csv") || fail "https with --cacert"
    [ "$out" = "c2flow share: submission $sha: already stored (duplicate)" ] || fail "https: $out"
    expect_status 1 "$C2FLOW" fetch --hub "https://localhost:$PORT3" --token "$TOKEN" \
        --cacert "$WORK/ca.pem" --out "$WORK/tls.csv" 2> "$WORK/err"
    grep -qi 'certificate\|name' "$WORK/err" || fail "wrong name: $(cat "$WORK/err")"
    [ -e "$WORK/tls.csv" ] && fail "a certificate for another name was accepted"
fi

# ---- the timeout ----
t0=$(date +%s)
expect_status 1 "$C2FLOW" share --hub "$HUB/slow" --token "$TOKEN" --list "$WORK/list.csv" \
    --timeout 1s 2> "$WORK/err"
[ $(( $(date +%s) - t0 )) -le 7 ] || fail "--timeout 1s took $(( $(date +%s) - t0 ))s"
grep -qi 'timeout\|timed out' "$WORK/err" || fail "timeout message: $(cat "$WORK/err")"

# ---- fetch: a first pull, everything ----
row() {  # row ADDED IP PORT SCORE: one served row
    printf '{"added":"%s","row":{"ip":"%s","port":%s,"proto":"tcp","first_seen":"2026-11-01T00:00:00Z","last_seen":"2026-11-02T00:00:00Z","score":%s,"method":"hub","group":0,"infected_clients":3,"clients":4,"days_seen":2}}\n' "$@"
}
{
    row 2026-12-01T00:00:00.000001Z 198.51.100.7 443 80
    row 2026-12-01T00:00:00.000002Z 198.51.100.8 8080 70
    row 2026-12-01T00:00:00.000003Z 2001:db8::5 23 60
} > "$WORK/rows.jsonl"
LIST=$WORK/hub-list.csv
out=$("$C2FLOW" fetch --hub "$HUB" --token "$TOKEN" --out "$LIST") || fail "fetch exited $?"
[ "$out" = "c2flow fetch: 3 new or changed entries, $LIST now has 3" ] || fail "fetch 1: $out"
mapfile -t r < <(last_request method path query headers.authorization)
[ "${r[0]} ${r[1]} ${r[2]}" = "GET /api/v1/lists format=jsonl" ] \
    || fail "first pull asked ${r[0]} ${r[1]}?${r[2]}"
[ "${r[3]}" = "Bearer $TOKEN" ] || fail "fetch Authorization ${r[3]}"
head -1 "$LIST" | grep -q '^ip,port,proto' || fail "LIST is not CSV"
grep -qx 'last = 2026-12-01T00:00:00.000003Z' "$LIST.state" || fail "state: $(cat "$LIST.state")"
grep -qx "hub = $HUB" "$LIST.state" || fail "state names no hub"

# a second pull: one changed row, one new one, asked for after the state's time
row 2026-12-02T00:00:00.000001Z 198.51.100.8 8080 95 >> "$WORK/rows.jsonl"
row 2026-12-02T00:00:00.000002Z 203.0.113.9 53 50 >> "$WORK/rows.jsonl"
out=$("$C2FLOW" fetch --hub "$HUB" --token-file "$WORK/token" --out "$LIST") \
    || fail "fetch 2 exited $?"
[ "$out" = "c2flow fetch: 2 new or changed entries, $LIST now has 4" ] || fail "fetch 2: $out"
[ "$(last_request query)" = "format=jsonl&added_after=2026-12-01T00:00:00.000003Z" ] \
    || fail "second pull asked $(last_request query)"
python3 - "$LIST" <<'PY' || fail "the merged list is wrong"
import csv, sys
rows = {(r["ip"], r["port"], r["proto"]): r for r in csv.DictReader(open(sys.argv[1]))}
assert set(rows) == {("198.51.100.7", "443", "tcp"), ("198.51.100.8", "8080", "tcp"),
                     ("2001:db8::5", "23", "tcp"), ("203.0.113.9", "53", "tcp")}, rows
assert float(rows[("198.51.100.8", "8080", "tcp")]["score"]) == 95, "changed row not replaced"
assert all(r["method"] == "hub" for r in rows.values())
PY
grep -qx 'last = 2026-12-02T00:00:00.000002Z' "$LIST.state" || fail "state 2: $(cat "$LIST.state")"

# nothing new: the same list, the same state
cp "$LIST" "$WORK/before.csv"
cp "$LIST.state" "$WORK/before.state"
out=$("$C2FLOW" fetch --hub "$HUB" --token "$TOKEN" --out "$LIST") || fail "fetch 3 exited $?"
[ "$out" = "c2flow fetch: 0 new or changed entries, $LIST now has 4" ] || fail "fetch 3: $out"
cmp -s "$LIST" "$WORK/before.csv" || fail "an empty pull changed LIST"
cmp -s "$LIST.state" "$WORK/before.state" || fail "an empty pull changed the state"

# a bad answer (a column no list has): exit 1, LIST and state untouched
printf '{"added":"2026-12-03T00:00:00Z","row":{"ip":"198.51.100.99","port":1,"proto":"tcp","customer":"100.64.0.1"}}\n' \
    >> "$WORK/rows.jsonl"
expect_status 1 "$C2FLOW" fetch --hub "$HUB" --token "$TOKEN" --out "$LIST" 2> "$WORK/err"
grep -q "the hub's list" "$WORK/err" || fail "bad answer: $(cat "$WORK/err")"
cmp -s "$LIST" "$WORK/before.csv" || fail "a bad answer changed LIST"
cmp -s "$LIST.state" "$WORK/before.state" || fail "a bad answer changed the state"
sed -i '$d' "$WORK/rows.jsonl"
expect_status 1 "$C2FLOW" fetch --hub "$HUB" --token wrong --out "$LIST" 2> "$WORK/err"
grep -q 'hub answered 401' "$WORK/err" || fail "fetch 401: $(cat "$WORK/err")"

# a state written for another hub, or a missing LIST: everything again
"$C2FLOW" fetch --hub "http://localhost:$PORT" --token "$TOKEN" --out "$LIST" > /dev/null \
    || fail "fetch from another URL"
[ "$(last_request query)" = "format=jsonl" ] || fail "another hub's state was used"
rm "$LIST"
out=$("$C2FLOW" fetch --hub "$HUB" --token "$TOKEN" --out "$LIST") || fail "fetch 4 exited $?"
[ "$(last_request query)" = "format=jsonl" ] || fail "state used for a missing LIST"
[ "$out" = "c2flow fetch: 4 new or changed entries, $LIST now has 4" ] || fail "fetch 4: $out"

# JSON Lines by name, --state elsewhere; an unreadable LIST is never replaced
"$C2FLOW" fetch --hub "$HUB" --token "$TOKEN" --out "$WORK/hub.jsonl" --state "$WORK/st" \
    > /dev/null || fail "fetch jsonl"
head -c1 "$WORK/hub.jsonl" | grep -q '{' || fail "hub.jsonl is not JSON Lines"
[ -s "$WORK/st" ] || fail "--state not written"
cp "$WORK/lb.csv" "$WORK/notalist.csv"
expect_status 1 "$C2FLOW" fetch --hub "$HUB" --token "$TOKEN" --out "$WORK/notalist.csv" 2>/dev/null
cmp -s "$WORK/notalist.csv" "$WORK/lb.csv" || fail "an unreadable LIST was replaced"
expect_status 2 "$C2FLOW" fetch --hub "$HUB" --token "$TOKEN" 2>/dev/null
expect_status 2 "$C2FLOW" fetch --hub "$HUB" --token "$TOKEN" --out "$LIST" --format xml 2>/dev/null

# ---- the pulled list is what lookback searches ----
"$C2FLOW" synth --store "$WORK/store" --records 2000 --start 2026-12-01 --retention 0 \
    > /dev/null 2>&1 || fail "synth"
for l in "$LIST" "$WORK/hub.jsonl"; do
    "$C2FLOW" lookback --store "$WORK/store" --list "$l" --from 2026-11-30 --to 2026-12-05 \
        --internal 10.0.0.0/8 --quiet > "$WORK/lb-out.csv" || fail "lookback --list $l"
    head -1 "$WORK/lb-out.csv" | grep -q '^# c2flow lookback' || fail "lookback output"
done
echo "ok"
