#!/usr/bin/env python3
"""flowdiff.py: compare the flow records of nfdump and of c2flow, field by field.

    flowdiff.py NFDUMP_OUT C2FLOW_CSV [--ignore FIELD,...] [--show N]

NFDUMP_OUT is what `TZ=UTC nfdump -q -N -6 -o "fmt:$(flowdiff.py --nfdump-format)"`
printed; C2FLOW_CSV what `c2flow query -o csv --fields $(flowdiff.py --c2flow-fields)`
printed.  Both are reduced to the same tuple per record and compared as
multisets (the two tools store in different orders).  Records present on one
side only are printed, nearest first, with the fields that differ from the
closest record of the other side, so a failure says which record and which
field.  Exit status 0 when equal, 1 when not, 2 on bad input.

Two differences are intended and can be allowed explicitly (each is counted
and reported, never silently folded):

--icmp-port     nfcapd 1.7 sets both ports of an ICMP/ICMPv6 flow to 0 when
                the exporter sends the type and code only in L4_DST_PORT (no
                ICMP_TYPE element), as softflowd does; c2flow keeps them as
                type << 8 | code.  Such records are compared without ports.
--uptime-wrap EXPORT_MS
                NetFlow v9 times are sysUpTime offsets (uint32 ms).  When a
                FIRST/LAST_SWITCHED is larger than the header's sysUpTime,
                the flow began before the 32-bit counter wrapped, 2^32 ms
                earlier; nfdump 1.7.1 adds instead and prints a time after
                the datagram was even sent.  Records whose nfdump start or
                end is after EXPORT_MS (the newest export time in the
                stream) are compared with nfdump's times less 2^32 ms.
"""
import argparse
import collections
import datetime
import sys

FIELDS = ["start", "end", "src_ip", "dst_ip", "src_port", "dst_port", "proto",
          "tcp_flags", "tos", "packets", "bytes", "in_if", "out_if", "src_as",
          "dst_as"]
NFDUMP_FMT = "%ts|%te|%sa|%da|%sp|%dp|%pr|%flg|%tos|%pkt|%byt|%in|%out|%sas|%das"
PROTOS = {"ICMP": 1, "TCP": 6, "UDP": 17, "ICMP6": 58, "GRE": 47, "ESP": 50}
FLAG_BITS = "CEUAPRSF"          # nfdump prints flags high bit first


def ms_of(text, iso):
    text = text.strip()
    if iso:
        d = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    else:
        d = datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f")
    d = d.replace(tzinfo=datetime.timezone.utc)
    return int(round(d.timestamp() * 1000))


def flags_of(text):
    text = text.strip()
    if text.startswith("0x"):
        return int(text, 16)
    value = 0
    for i, ch in enumerate(text[-8:].rjust(8, ".")):
        if ch != ".":
            value |= 1 << (7 - i)
    return value


def proto_of(text):
    text = text.strip()
    return PROTOS[text] if text in PROTOS else int(text)


def port_of(text, proto):
    text = text.strip()
    if "." in text:               # nfdump prints ICMP as type.code
        t, c = text.split(".", 1)
        return int(t) << 8 | int(c)
    return int(text)


def nfdump_records(path):
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            v = line.rstrip("\n").split("|")
            if len(v) != len(FIELDS):
                sys.exit("%s:%d: expected %d fields, got %d" % (path, n, len(FIELDS), len(v)))
            proto = proto_of(v[6])
            out.append((ms_of(v[0], False), ms_of(v[1], False), v[2].strip(), v[3].strip(),
                        port_of(v[4], proto), port_of(v[5], proto), proto,
                        flags_of(v[7]), int(v[8]), int(v[9]), int(v[10]), int(v[11]),
                        int(v[12]), int(v[13]), int(v[14])))
    return out


def c2flow_records(path):
    out = []
    with open(path) as f:
        header = f.readline().rstrip("\n").split(",")
        if sorted(header) != sorted(FIELDS):
            sys.exit("%s: header %s, expected the fields %s" % (path, header, FIELDS))
        where = [header.index(name) for name in FIELDS]
        for line in f:
            cols = line.rstrip("\n").split(",")
            v = [cols[i] for i in where]
            out.append((ms_of(v[0], True), ms_of(v[1], True), v[2], v[3], int(v[4]),
                        int(v[5]), proto_of(v[6]), int(v[7]), int(v[8]), int(v[9]),
                        int(v[10]), int(v[11]), int(v[12]), int(v[13]), int(v[14])))
    return out


WRAP = 1 << 32
ALLOWED = collections.Counter()


def allow(nf, c2, icmp_port, export_ms):
    """Apply the allowed differences to nfdump's and c2flow's records."""
    out_nf = []
    for r in nf:
        r = list(r)
        if export_ms is not None and (r[0] > export_ms or r[1] > export_ms):
            r[0] -= WRAP if r[0] > export_ms else 0
            r[1] -= WRAP if r[1] > export_ms else 0
            ALLOWED["nfdump time after the export time, less 2^32 ms"] += 1
        out_nf.append(tuple(r))
    out_c2 = []
    for r in c2:
        r = list(r)
        if icmp_port and r[6] in (1, 58):
            ALLOWED["ICMP record compared without ports"] += 1 if (r[4] or r[5]) else 0
            r[4] = r[5] = 0
        out_c2.append(tuple(r))
    if icmp_port:
        out_nf = [r[:4] + (0, 0) + r[6:] if r[6] in (1, 58) else r for r in out_nf]
    return out_nf, out_c2


def project(records, keep):
    return collections.Counter(tuple(r[i] for i in keep) for r in records)


def closest(rec, pool):
    best, best_d = None, None
    for other in pool:
        d = sum(1 for a, b in zip(rec, other) if a != b)
        if best_d is None or d < best_d:
            best, best_d = other, d
    return best


def report(name, only, other_side, names, show):
    for rec in list(only.elements())[:show]:
        near = closest(rec, other_side)
        diffs = ", ".join("%s %s vs %s" % (names[i], rec[i], near[i])
                          for i in range(len(rec)) if near and rec[i] != near[i])
        print("only in %s: %s\n    nearest differs in: %s" %
              (name, dict(zip(names, rec)), diffs or "(no near record)"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("nfdump", nargs="?")
    ap.add_argument("c2flow", nargs="?")
    ap.add_argument("--ignore", default="")
    ap.add_argument("--show", type=int, default=5)
    ap.add_argument("--icmp-port", action="store_true")
    ap.add_argument("--uptime-wrap", type=int, metavar="EXPORT_MS")
    ap.add_argument("--nfdump-format", action="store_true")
    ap.add_argument("--c2flow-fields", action="store_true")
    a = ap.parse_args()
    if a.nfdump_format:
        print(NFDUMP_FMT)
        return 0
    if a.c2flow_fields:
        print(",".join(FIELDS))
        return 0
    if not a.nfdump or not a.c2flow:
        ap.error("two files needed")
    ignore = [x for x in a.ignore.split(",") if x]
    for x in ignore:
        if x not in FIELDS:
            ap.error("unknown field %s" % x)
    keep = [i for i, f in enumerate(FIELDS) if f not in ignore]
    names = [FIELDS[i] for i in keep]
    nf, c2 = allow(nfdump_records(a.nfdump), c2flow_records(a.c2flow),
                   a.icmp_port, a.uptime_wrap)
    left, right = project(nf, keep), project(c2, keep)
    only_l, only_r = left - right, right - left
    print("nfdump %d records, c2flow %d records, identical %d%s" %
          (sum(left.values()), sum(right.values()), sum((left & right).values()),
           " (ignoring %s)" % ",".join(ignore) if ignore else ""))
    for what, n in sorted(ALLOWED.items()):
        print("    allowed difference: %s: %d records" % (what, n))
    if not only_l and not only_r:
        return 0
    report("nfdump", only_l, list(right), names, a.show)
    report("c2flow", only_r, list(left), names, a.show)
    return 1


if __name__ == "__main__":
    sys.exit(main())
