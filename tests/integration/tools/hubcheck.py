#!/usr/bin/env python3
"""hubcheck.py: the python half of tests/integration/test_hub.sh (standard
library only).

  gen DIR                 the trial's fixtures: three overlapping member lists
                          on simulated days, an outsider's list, a Feodo-style
                          intel file, an allowlist, "customer" addresses and
                          the submission plan (DIR/plan.txt)
  http METHOD URL OUT [-H 'K: V']... [--data|--chunked FILE] [--basic USER:PASS]
                          one request; prints the status, OUT gets the body
                          and OUT.headers the headers (JSON)
  get-all OUT AUTH URL...  GET each URL (200 expected); OUT gets every body
                          and header
  report DIR LEDGER REPORT.json FROM TO [--rejected IP:PORT] [--confirmed IP:PORT]
                          the report's figures computed here from the lists,
                          their as-of times and the intel file, compared with
                          `c2flow hub report -o json` (exact, up to the
                          documented rounding); the keys an analyst
                          rejected or confirmed (comma lists)
  list DIR LEDGER MEMBERS LIST.jsonl [--rejected IP:PORT]
                          the evaluated list the members (comma list, one
                          trust group) must get from GET /api/v1/lists
  taxii URL USER TOKEN COLLECTION STATE [LIST.jsonl]
                          paging checks: every object exactly once whatever
                          the limit, X-TAXII-Date-Added-* consistent, and
                          added_after of the last page giving nothing; the
                          state (objects seen, last date) goes to STATE; the
                          live indicators and sightings agree with LIST
  taxii-new URL USER TOKEN COLLECTION STATE KEYS
                          after one more submission: added_after of the
                          state's last date gives only new versions, and
                          the indicators among them are exactly KEYS
                          (ip:port comma list)

The hub's figures are defined in docs/hub-report.md; every computation here
follows that page, not the hub's code.
"""
import base64
import hashlib
import itertools
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone

MEMBERS_ISAC = ["isp-a", "isp-b", "isp-c"]
TAXII = "application/taxii+json;version=2.1"
NKEYS = 60


def die(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def ms(text):
    """ISO 8601 UTC ("2026-01-05T06:00:00Z", fraction optional) or Feodo's
    "2026-01-05 06:00:00" to ms since the epoch."""
    text = text.strip().replace(" ", "T")
    if text.endswith("Z"):
        text = text[:-1]
    frac = 0
    if "." in text:
        text, f = text.split(".", 1)
        frac = int((f + "000")[:3])
    dt = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return int(dt.timestamp()) * 1000 + frac


def iso(t):
    return datetime.fromtimestamp(t / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def mix(*xs):
    """A deterministic small hash (python's hash() of strings is salted)."""
    h = hashlib.sha256(repr(xs).encode()).digest()
    return int.from_bytes(h[:4], "big")


# ---- fixtures ----

def key_ip(k):
    if k == 6:                  # the address of key 5 on another port
        return key_ip(5)
    if k % 2 == 0:
        return "45.%d.%d.%d" % (77 + k % 3, k + 1, (k * 7) % 200 + 10)
    return "185.%d.%d.%d" % (100 + k % 5, k + 1, (k * 13) % 200 + 20)


PORTS = [443, 8080, 4444, 2222, 8443, 1604, 6667]


def key_port(k):
    return PORTS[k % len(PORTS)] if k != 6 else 8081


# member -> its keys (exact member sets: a only 0-9, a+c 10-19, a+b+c 20-29,
# a+b 30-39, b only 40-44, b+c 45-54, c only 55-59); the outsider's group
# also sees keys 0-4 and two of its own (60, 61)
MEMBER_KEYS = {
    "isp-a": list(range(0, 40)),
    "isp-b": list(range(20, 55)),
    "isp-c": list(range(10, 30)) + list(range(45, 60)),
    "outsider": [0, 1, 2, 3, 4, 60, 61],
}
# the simulated days each member reported on (as-of times)
MEMBER_DAYS = {
    "isp-a": ["2026-01-05T06:00:00Z", "2026-01-06T06:00:00Z", "2026-01-07T06:00:00Z"],
    "isp-b": ["2026-01-05T18:00:00Z", "2026-01-07T12:00:00Z", "2026-01-08T03:00:00Z"],
    "isp-c": ["2026-01-06T09:00:00Z", "2026-01-07T21:00:00Z", "2026-01-09T00:30:00Z"],
    "outsider": ["2026-01-06T12:00:00Z"],
}
# an address of the allowlist: key 12 (members a and c)
ALLOWED_KEY = 12
# intel: every third key, listed before, between or after the reports
INTEL_DATES = ["2026-01-03 04:00:00", "2026-01-10 00:00:00", "2026-01-07 12:00:00"]
# addresses of "customers" that must never leave the hub
CUSTOMERS = ["45.250.17.77", "185.251.9.33", "45.252.200.5", "185.253.3.141"]
HEADER = "ip,port,proto,first_seen,last_seen,score,method,group,infected_clients,clients,days_seen"


def row(member, k, as_of):
    m = ["isp-a", "isp-b", "isp-c", "outsider"].index(member) + 1
    at = ms(as_of)
    if member == "outsider":    # much earlier than anyone in isac: must not leak
        first = ms("2025-11-01T00:00:00Z") + k * 3600000
    else:
        first = at - (1 + (k * m) % 20) * 3600000
    last = at - ((k + m) % 5) * 600000
    return {"ip": key_ip(k), "port": key_port(k), "proto": "tcp",
            "first_seen": iso(first), "last_seen": iso(last),
            "score": 50 + (k * 7 + m * 3) % 50, "method": "graph", "group": 0,
            "infected_clients": (k + m) % 9, "clients": (k + m) % 9 + m, "days_seen": 1 + k % 4}


def write_list(path, rows):
    with open(path, "w") as f:
        f.write(HEADER + "\n")
        for r in rows:
            f.write("%s,%d,%s,%s,%s,%s,%s,%d,%d,%d,%d\n" % (
                r["ip"], r["port"], r["proto"], r["first_seen"], r["last_seen"], r["score"],
                r["method"], r["group"], r["infected_clients"], r["clients"], r["days_seen"]))


def gen(d):
    plan = []
    for member, days in MEMBER_DAYS.items():
        keys = MEMBER_KEYS[member]
        for n, as_of in enumerate(days):
            # a key is on the day mix() chooses, and on others at random
            ks = [k for k in keys if mix(member, k) % len(days) == n or mix(member, k, n) % 3 == 0]
            path = os.path.join(d, "%s-%d.csv" % (member, n))
            write_list(path, [row(member, k, as_of) for k in ks])
            plan.append("%s %s %s %s.day%d" % (member, path, as_of, member, n))
    with open(os.path.join(d, "plan.txt"), "w") as f:
        f.write("\n".join(plan) + "\n")
    with open(os.path.join(d, "feodo.csv"), "w") as f:
        f.write("#" * 64 + "\n# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)\n#\n")
        f.write('"first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"\n')
        for k in range(0, NKEYS, 3):
            f.write('"%s","%s","%d","offline","2026-01-20","%s"\n' % (
                INTEL_DATES[(k // 3) % 3], key_ip(k), key_port(k), ["QakBot", "Emotet"][k % 2]))
        # key 1's address on another port: must not confirm key 1
        f.write('"2026-01-02 00:00:00","%s","9999","offline","2026-01-20","Pikabot"\n' % key_ip(1))
        f.write('"2026-01-02 00:00:00","45.240.1.1","443","online","","Dridex"\n')
    with open(os.path.join(d, "allow.txt"), "w") as f:
        f.write("# test allowlist: a research scanner\n%s/32\n" % key_ip(ALLOWED_KEY))
    with open(os.path.join(d, "customers.txt"), "w") as f:
        f.write("\n".join(CUSTOMERS) + "\n")
    # a later submission of isp-b: three new keys, key 40 with a later
    # last_seen (a new version), key 41 inside what is known (no new version)
    later = "2026-01-10T09:00:00Z"
    rows = [row("isp-b", k, later) for k in (62, 63, 64, 40)]
    old41 = row("isp-b", 41, MEMBER_DAYS["isp-b"][0])
    r41 = dict(old41, first_seen=iso(ms(old41["first_seen"]) + 60000),
               last_seen=iso(ms(old41["first_seen"]) + 120000), score=1,
               infected_clients=0, clients=0, days_seen=1)
    write_list(os.path.join(d, "isp-b-later.csv"), rows + [r41])
    with open(os.path.join(d, "later.txt"), "w") as f:
        f.write("isp-b %s %s isp-b.later\n" % (os.path.join(d, "isp-b-later.csv"), later))
        f.write("%s\n" % ",".join("%s:%d" % (key_ip(k), key_port(k)) for k in (62, 63, 64, 40)))


# ---- what was stored ----

def read_ledger(path):
    """Accepted submissions: (member, rows, as_of ms)."""
    subs = []
    for line in open(path):
        if not line.strip():
            continue
        member, f, as_of = line.split()[:3]
        rows = []
        lines = open(f).read().splitlines()
        cols = lines[0].split(",")
        for l in lines[1:]:
            rows.append(dict(zip(cols, l.split(","))))
        subs.append((member, rows, ms(as_of)))
    return subs


def read_intel(d):
    intel = {}
    for line in open(os.path.join(d, "feodo.csv")):
        if line.startswith("#") or line.startswith('"first_seen_utc"'):
            continue
        f = [x.strip('"') for x in line.strip().split(",")]
        intel[(f[1], int(f[2]))] = ms(f[0])
    return intel


def allowlisted(d):
    return {l.split("/")[0] for l in open(os.path.join(d, "allow.txt"))
            if l.strip() and not l.startswith("#")}


def rkey(r):
    return (r["ip"], int(r["port"]), r["proto"])


# ---- the report (docs/hub-report.md) ----

def quantile(xs, q):
    xs = sorted(xs)
    h = (len(xs) - 1) * q
    lo = int(h)
    return xs[lo] if lo + 1 >= len(xs) else xs[lo] + (h - lo) * (xs[lo + 1] - xs[lo])


def early(firsts, intel_of):
    """firsts: key -> first report ms."""
    listed = [k for k in firsts if intel_of.get(k, 0)]
    earlier = [(intel_of[k] - firsts[k]) / 86400000 for k in listed if firsts[k] < intel_of[k]]
    return {"n_intel": len(listed), "n_earlier": len(earlier),
            "rate": len(earlier) / len(listed) if listed else None,
            "mean_days_earlier": sum(earlier) / len(earlier) if earlier else None,
            "median_days_earlier": quantile(earlier, 0.5) if earlier else None}


def day_of(t):
    return datetime.fromtimestamp(t / 1000, timezone.utc).strftime("%Y-%m-%d")


def expected_report(d, ledger, frm, to, rejected, confirmed_keys=()):
    subs = read_ledger(ledger)
    intel = read_intel(d)
    allowed = allowlisted(d)
    members = sorted({"isp-a", "isp-b", "isp-c", "outsider", "isp-d"})
    rows = []                   # (member, key, reported, excluded, confirmed, intel_first)
    for member, rs, as_of in subs:
        for r in rs:
            k = rkey(r)
            ik = intel.get((k[0], k[1]), 0)
            name = "%s:%d" % (k[0], k[1])
            rows.append((member, k, as_of, k[0] in allowed or name in rejected,
                         ik != 0 or name in confirmed_keys, ik))
    f0, t0 = ms(frm), ms(to)
    inr = [r for r in rows if f0 <= r[2] < t0]
    counted = [r for r in inr if not r[3]]
    excl = [r for r in inr if r[3]]
    keys = {r[1] for r in counted}
    confirmed = {r[1] for r in counted if r[4]}
    intel_of = {}
    for r in counted:
        if r[5]:
            intel_of[r[1]] = min(intel_of.get(r[1], r[5]), r[5])
    rep = {"from": datetime.fromtimestamp(f0 / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
           "to": datetime.fromtimestamp(t0 / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
           "rows": len(counted), "rows_outside": len(rows) - len(inr),
           "excluded": {"rows": len(excl), "keys": len({r[1] for r in excl})},
           "keys": len(keys), "confirmed": len(confirmed)}
    mkeys = {m: {r[1] for r in counted if r[0] == m} for m in members}
    rep["members"] = [{"member": m, "rows": sum(1 for r in counted if r[0] == m),
                       "keys": len(mkeys[m]), "confirmed": len(mkeys[m] & confirmed)}
                      for m in members]
    days = []
    t = f0 - f0 % 86400000
    while t <= t0 - 1:
        day = day_of(t)
        on = [r for r in counted if day_of(r[2]) == day]
        dk = {r[1] for r in on}
        days.append({"day": day, "listed": len(dk), "confirmed": len(dk & confirmed),
                     "members": [{"member": m, "listed": len({r[1] for r in on if r[0] == m}),
                                  "confirmed": len({r[1] for r in on if r[0] == m} & confirmed)}
                                 for m in members]})
        t += 86400000
    rep["per_day"] = days
    kset = {k: frozenset(m for m in members if k in mkeys[m]) for k in keys}
    combos = []
    for size in range(1, len(members) + 1):
        for c in itertools.combinations(members, size):
            combos.append({"members": list(c),
                           "keys": sum(1 for k in keys if kset[k] == frozenset(c))})
    rep["overlap"] = {
        "members": [{"member": m, "total": len(mkeys[m]),
                     "only": sum(1 for k in mkeys[m] if kset[k] == {m}),
                     "shared": sum(1 for k in mkeys[m] if kset[k] != {m})} for m in members],
        "combinations": combos,
        "pairwise": {"members": members,
                     "keys": [[len(mkeys[a] & mkeys[b]) for b in members] for a in members]}}
    first_any, last_any = {}, {}
    for r in counted:
        first_any[r[1]] = min(first_any.get(r[1], r[2]), r[2])
        last_any[r[1]] = max(last_any.get(r[1], r[2]), r[2])
    per_member = []
    for m in members:
        fm = {}
        for r in counted:
            if r[0] == m:
                fm[r[1]] = min(fm.get(r[1], r[2]), r[2])
        per_member.append(dict({"member": m}, **early(fm, intel_of)))
    rep["early_detection"] = {"overall": early(first_any, intel_of), "members": per_member}
    life = [(last_any[k] - first_any[k]) / 86400000 for k in keys]
    bins = [("0", 0, 1), ("1", 1, 2), ("2-3", 2, 4), ("4-7", 4, 8), ("8-14", 8, 15),
            ("15-30", 15, 31), ("31+", 31, 10 ** 9)]
    rep["lifetime"] = {"count": len(life),
                       "mean_days": sum(life) / len(life) if life else None,
                       "median_days": quantile(life, 0.5) if life else None,
                       "p90_days": quantile(life, 0.9) if life else None,
                       "histogram": [{"days": b, "keys": sum(1 for x in life if lo <= int(x) < hi)}
                                     for b, lo, hi in bins]}
    # no country data is configured: every key is unknown
    rep["country"] = {"totals": [{"country": "??", "keys": len(keys)}] if keys else [],
                      "per_day": [{"day": x["day"], "countries":
                                   [{"country": "??", "keys": x["listed"]}] if x["listed"] else []}
                                  for x in days]}
    return rep


def compare(want, got, path="report"):
    """Exact, but for reals: rates are rounded to 4 decimals, days to 3."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return ["%s: expected an object, got %r" % (path, got)]
        errs = []
        if list(want) != list(got):
            errs.append("%s: keys %s, expected %s" % (path, list(got), list(want)))
        for k in want:
            if k in got:
                errs += compare(want[k], got[k], path + "." + k)
        return errs
    if isinstance(want, list):
        if not isinstance(got, list) or len(want) != len(got):
            return ["%s: expected %d items, got %s" % (path, len(want),
                                                        len(got) if isinstance(got, list) else got)]
        errs = []
        for i, (w, g) in enumerate(zip(want, got)):
            errs += compare(w, g, "%s[%d]" % (path, i))
        return errs
    if isinstance(want, float) and not isinstance(got, bool) and isinstance(got, (int, float)):
        tol = 0.5e-4 if path.endswith("rate") else 0.5e-3
        return [] if abs(want - got) <= tol + 1e-9 else \
            ["%s: %r, computed %r" % (path, got, want)]
    if want != got or type(want) != type(got):
        return ["%s: %r, computed %r" % (path, got, want)]
    return []


def cmd_report(d, ledger, report, frm, to, rejected, confirmed_keys):
    got = json.load(open(report))
    want = expected_report(d, ledger, frm, to, rejected, confirmed_keys)
    errs = compare(want, got)
    if errs:
        die("the report differs from the figures computed from the lists (%d differences):\n  %s"
            % (len(errs), "\n  ".join(errs[:40])))
    ed = want["early_detection"]["overall"]
    combos = ", ".join("%s=%d" % ("+".join(m.replace("isp-", "") for m in c["members"]), c["keys"])
                       for c in want["overlap"]["combinations"] if c["keys"])
    print("report: %d rows (%d outside), %d keys, %d confirmed, excluded %d rows / %d keys; "
          "sets %s; early detection %d of %d (rate %.4f, mean %.3f d, median %.3f d); "
          "lifetime mean %.3f d" % (
              want["rows"], want["rows_outside"], want["keys"], want["confirmed"],
              want["excluded"]["rows"], want["excluded"]["keys"], combos, ed["n_earlier"],
              ed["n_intel"], ed["rate"] or 0, ed["mean_days_earlier"] or 0,
              ed["median_days_earlier"] or 0, want["lifetime"]["mean_days"] or 0))
    for m in want["early_detection"]["members"]:
        if m["n_intel"]:
            print("  %s: %d of %d earlier (rate %.4f, mean %.3f d, median %.3f d)" % (
                m["member"], m["n_earlier"], m["n_intel"], m["rate"],
                m["mean_days_earlier"] or 0, m["median_days_earlier"] or 0))


# ---- the member's list ----

def cmd_list(d, ledger, members, path, rejected):
    members = members.split(",")
    allowed = allowlisted(d)
    want = {}
    for member, rs, _ in read_ledger(ledger):
        if member not in members:
            continue
        for r in rs:
            k = rkey(r)
            if k[0] in allowed or "%s:%d" % (k[0], k[1]) in rejected:
                continue
            w = want.setdefault(k, {"first_seen": 0, "last_seen": 0, "score": 0,
                                    "infected_clients": 0, "clients": 0, "days_seen": 0})
            if r.get("first_seen"):     # the earliest known (none: 0)
                first = ms(r["first_seen"])
                w["first_seen"] = min(w["first_seen"], first) if w["first_seen"] else first
            if r.get("last_seen"):
                w["last_seen"] = max(w["last_seen"], ms(r["last_seen"]))
            for f in ("score", "infected_clients", "clients", "days_seen"):
                w[f] = max(w[f], float(r.get(f) or 0))
    got = {}
    for line in open(path):
        if not line.strip():
            continue
        r = json.loads(line)
        k = (r["ip"], r["port"], r["proto"])
        if k in got:
            die("GET /api/v1/lists holds %s twice" % (k,))
        got[k] = r
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    if missing or extra:
        die("GET /api/v1/lists for %s: %d keys missing %s, %d not expected %s"
            % (",".join(members), len(missing), missing[:5], len(extra), extra[:5]))
    for k, w in want.items():
        g = got[k]
        if g["method"] != "hub":
            die("%s: method %r, expected hub" % (k, g["method"]))
        have = {f: ms(g[f]) if g[f] else 0 for f in ("first_seen", "last_seen")}
        for f in ("score", "infected_clients", "clients", "days_seen"):
            have[f] = float(g[f])
        for f, v in w.items():
            if have[f] != v:
                die("%s: %s is %s, the aggregate of the members' reports is %s"
                    % (k, f, g[f], iso(v) if f.endswith("seen") else v))
    print("lists: %d keys for %s, aggregates as computed" % (len(got), ",".join(members)))


# ---- HTTP ----

def request(method, url, headers=None, data=None, basic=None):
    h = dict(headers or {})
    if basic:
        h["Authorization"] = "Basic " + base64.b64encode(basic.encode()).decode()
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=20) as r:
            return r.status, dict(r.headers.items()), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers.items()), e.read()


def cmd_http(argv):
    method, url, out = argv[:3]
    headers, data, basic = {}, None, None
    i = 3
    while i < len(argv):
        if argv[i] == "-H":
            k, v = argv[i + 1].split(":", 1)
            headers[k.strip()] = v.strip()
        elif argv[i] == "--data":
            data = open(argv[i + 1], "rb").read()
        elif argv[i] == "--chunked":    # no Content-Length: Transfer-Encoding chunked
            raw = open(argv[i + 1], "rb").read()
            data = iter([raw[j:j + 8192] for j in range(0, len(raw), 8192)])
        elif argv[i] == "--basic":
            basic = argv[i + 1]
        i += 2
    status, h, body = request(method, url, headers, data, basic)
    open(out, "wb").write(body)
    json.dump(h, open(out + ".headers", "w"))
    print(status)


def cmd_get_all(out, auth, urls):
    """GET every URL (200 expected), bodies and headers appended to out."""
    with open(out, "ab") as f:
        for url in urls:
            h = {"Authorization": auth, "Accept": TAXII if "/taxii2/" in url else "*/*"}
            status, hd, body = request("GET", url, h)
            if status != 200:
                die("GET %s: %d %s" % (url, status, body[:200]))
            if not body:
                die("GET %s: an empty body" % url)
            f.write(json.dumps(hd).encode() + b"\n" + body + b"\n")


# ---- TAXII paging ----

class Taxii:
    def __init__(self, base, user, token, coll):
        self.base, self.auth, self.coll = base, "%s:%s" % (user, token), coll

    def get(self, what, **params):
        url = "%s/taxii2/api1/collections/%s/%s/" % (self.base, self.coll, what)
        if params:
            url += "?" + urllib.parse.urlencode(params)
        status, h, body = request("GET", url, {"Accept": TAXII}, basic=self.auth)
        if status != 200:
            die("GET %s: %d %s" % (url, status, body[:200]))
        if h.get("Content-Type", "").replace(" ", "") != TAXII:
            die("GET %s: Content-Type %r" % (url, h.get("Content-Type")))
        return json.loads(body), h

    def pages(self, what, limit, **params):
        """Follow next until more is false: [(envelope, headers)]."""
        out, nxt = [], None
        for _ in range(100000):
            p = dict(params, limit=limit)
            if nxt is not None:
                p["next"] = nxt
            env, h = self.get(what, **p)
            items = env.get("objects", [])
            if len(items) > limit:
                die("%s limit=%d: a page of %d" % (what, limit, len(items)))
            out.append((env, h))
            if not env.get("more"):
                if "next" in env:
                    die("%s: next %r on the last page" % (what, env["next"]))
                return out
            if not items or not env.get("next"):
                die("%s limit=%d: more without objects or next" % (what, limit))
            nxt = env["next"]
        die("paging never ended")


def vid(o):
    return (o["id"], o.get("modified", o.get("created")))


def check_paging(t, added, limit, **params):
    """Every object of the big page once, in the same order; the headers
    are the page's first and last date_added."""
    big, _ = t.get("objects", limit=100000, **params)
    if big.get("more"):
        die("one big page still says more")
    want = [vid(o) for o in big["objects"]]
    pages = t.pages("objects", limit, **params)
    got = [vid(o) for env, _ in pages for o in env["objects"]]
    if len(got) != len(set(got)):
        dup = [x for x in set(got) if got.count(x) > 1]
        die("limit=%d %s: %d objects served twice, e.g. %s" % (limit, params, len(dup), dup[0]))
    if got != want:
        die("limit=%d %s: %d objects over %d pages, the big page has %d (missing %s)"
            % (limit, params, len(got), len(pages), len(want), sorted(set(want) - set(got))[:3]))
    prev = ""
    for env, h in pages:
        objs = env["objects"]
        if not objs:
            continue
        first, last = h.get("X-TAXII-Date-Added-First"), h.get("X-TAXII-Date-Added-Last")
        if first != added[vid(objs[0])] or last != added[vid(objs[-1])]:
            die("limit=%d: headers %s..%s, the page's objects were added %s..%s"
                % (limit, first, last, added[vid(objs[0])], added[vid(objs[-1])]))
        if not (prev <= first <= last):
            die("limit=%d: pages out of order: %s after %s" % (limit, first, prev))
        prev = last
    return want, len(pages)


def cmd_taxii(base, user, token, coll, state, lists=None):
    t = Taxii(base, user, token, coll)
    man, mh = t.get("manifest", limit=100000, **{"match[version]": "all"})
    added = {(m["id"], m["version"]): m["date_added"] for m in man["objects"]}
    if len(added) != len(man["objects"]):
        die("the manifest lists a version twice")
    figures = []
    for limit in (7, 1):
        want, n = check_paging(t, added, limit)
        figures.append("limit=%d: %d objects in %d pages" % (limit, len(want), n))
    ind, n = check_paging(t, added, 7, **{"match[type]": "indicator"})
    if not ind or any(not i.startswith("indicator--") for i, _ in ind):
        die("match[type]=indicator served other objects")
    figures.append("indicators: %d in %d pages" % (len(ind), n))
    allv, n = check_paging(t, added, 7, **{"match[version]": "all"})
    if set(allv) != set(added):
        die("match[version]=all: %d versions, the manifest has %d" % (len(allv), len(added)))
    figures.append("all versions: %d in %d pages" % (len(allv), n))
    mpages = t.pages("manifest", 5, **{"match[version]": "all"})
    mids = [(m["id"], m["version"]) for env, _ in mpages for m in env["objects"]]
    if sorted(mids) != sorted(added):
        die("the manifest paged by 5 differs from the manifest in one page")
    big, bh = t.get("objects", limit=100000)
    last = bh.get("X-TAXII-Date-Added-Last")
    if last != max(added[vid(o)] for o in big["objects"]):
        die("X-TAXII-Date-Added-Last %s is not the newest date_added" % last)
    none, nh = t.get("objects", added_after=last)
    if none["objects"] or none.get("more"):
        die("added_after=%s (the last page's X-TAXII-Date-Added-Last) gave %d objects"
            % (last, len(none["objects"])))
    json.dump({"last": last, "versions": sorted(added)}, open(state, "w"))
    if lists:
        figures.append(same_as_list(big["objects"], lists))
    print("taxii: " + "; ".join(figures))


def pattern_key(p):
    ip = p.split("dst_ref.value = '")[1].split("'")[0]
    port = int(p.split("dst_port = ")[1].split(" ")[0].rstrip("]"))
    return ip, port


def same_as_list(objs, lists):
    """The collection's latest objects tell what GET /api/v1/lists tells:
    the indicators not revoked are the list's keys, valid_from its
    first_seen, the sighting its first and last seen, confidence its score."""
    rows = {(r["ip"], r["port"]): r for r in map(json.loads, open(lists))}
    inds = {o["id"]: o for o in objs if o["type"] == "indicator" and not o.get("revoked")}
    revoked = sum(1 for o in objs if o["type"] == "indicator" and o.get("revoked"))
    keys = {pattern_key(o["pattern"]): o for o in inds.values()}
    if set(keys) != set(rows):
        die("the TAXII collection's live indicators %d, the list %d: missing %s, extra %s"
            % (len(keys), len(rows), sorted(set(rows) - set(keys))[:3],
               sorted(set(keys) - set(rows))[:3]))
    sightings = {o["sighting_of_ref"]: o for o in objs if o["type"] == "sighting"}
    for k, o in keys.items():
        r = rows[k]
        s = sightings.get(o["id"])
        if ms(o["valid_from"]) != ms(r["first_seen"]) or o["confidence"] != round(r["score"]):
            die("%s: indicator valid_from %s confidence %s, the list says %s, %s"
                % (k, o["valid_from"], o["confidence"], r["first_seen"], r["score"]))
        if not s or ms(s["first_seen"]) != ms(r["first_seen"]) or \
                ms(s["last_seen"]) != ms(r["last_seen"]):
            die("%s: sighting %s..%s, the list says %s..%s" % (
                k, s and s.get("first_seen"), s and s.get("last_seen"), r["first_seen"],
                r["last_seen"]))
    return "%d live indicators as the list says, %d revoked" % (len(keys), revoked)


def cmd_taxii_new(base, user, token, coll, state, keys):
    t = Taxii(base, user, token, coll)
    st = json.load(open(state))
    old = {tuple(v) for v in st["versions"]}
    pages = t.pages("objects", 3, added_after=st["last"], **{"match[version]": "all"})
    new = [o for env, _ in pages for o in env["objects"]]
    for env, h in pages:
        if env["objects"] and h.get("X-TAXII-Date-Added-First", "") <= st["last"]:
            die("added_after=%s served a page added from %s" % (st["last"],
                                                               h.get("X-TAXII-Date-Added-First")))
    again = [vid(o) for o in new if vid(o) in old]
    if again:
        die("added_after served %d versions seen before, e.g. %s" % (len(again), again[0]))
    want = set(keys.split(","))
    got = set()
    for o in new:
        if o["type"] == "indicator":
            got.add("%s:%d" % pattern_key(o["pattern"]))
    if got != want:
        die("after one more submission, added_after gave new indicator versions of %s, "
            "expected exactly %s" % (sorted(got), sorted(want)))
    print("taxii: added_after gave %d new versions (%d indicators)" % (len(new), len(got)))


def main():
    a = sys.argv[1:]
    opt = {"--rejected": [], "--confirmed": []}
    for name in opt:
        if name in a:
            i = a.index(name)
            opt[name] = a[i + 1].split(",")
            del a[i:i + 2]
    rej = opt["--rejected"]
    if a[0] == "gen":
        gen(a[1])
    elif a[0] == "http":
        cmd_http(a[1:])
    elif a[0] == "get-all":
        cmd_get_all(a[1], a[2], a[3:])
    elif a[0] == "report":
        cmd_report(a[1], a[2], a[3], a[4], a[5], rej, opt["--confirmed"])
    elif a[0] == "list":
        cmd_list(a[1], a[2], a[3], a[4], rej)
    elif a[0] == "taxii":
        cmd_taxii(*a[1:7])
    elif a[0] == "taxii-new":
        cmd_taxii_new(*a[1:7])
    else:
        die("unknown command " + a[0])


if __name__ == "__main__":
    main()
