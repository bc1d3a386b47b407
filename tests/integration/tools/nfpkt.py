#!/usr/bin/env python3
"""nfpkt.py: hand-made NetFlow v9 and IPFIX datagrams for the collector tests.

    nfpkt.py v9-sampling FILE      nfpkt.py ipfix-cases FILE

Writes datagrams as udpsend.py reads them (4-byte big-endian length, bytes)
and prints, one a line, what each datagram holds.  The cases are the ones
softflowd, nfreplay and pmacct do not send (see test_collect_handmade.sh for
what the collector must make of them):

v9-sampling (NetFlow v9, RFC 3954, source id 7, export time T):
  0  options template 300 (scope: system) announcing sampler 1 = random
     1-in-100 [48, 49, 50], its options data, and data template 256
  1  data set 256, 3 IPv4 records of sampler 1, sequence 1
  2  data set 256, 2 records, sequence 4 (2 and 3 missing: 2 datagrams lost)
  3  data set 256, 1 record, sequence 2 (late: reordered)

ipfix-cases (IPFIX, RFC 7011, observation domain 9):
  0  data set 400 (1 record) before its template (sequence 0): no template
  1  template 400 (sequence 1): flowStart/EndMilliseconds [152, 153],
     sourceIPv6Address/destinationIPv6Address [27, 28], ports [7, 11],
     protocolIdentifier [4], packetDeltaCount [2] 8 bytes, octetDeltaCount [1]
     4 bytes (reduced size), an enterprise element (PEN 29305, id 1, 4 bytes)
     and applicationName [96] variable length
  2  data set 400, 2 records (sequence 1)
  3  data set 400, 1 record with a long (255-escaped) variable-length field,
     sequence 8 (records 3..7 missing: 5 records lost)
  4  template withdrawal of 400 (sequence 9)
  5  data set 400, 1 record (sequence 9): no template again
"""
import struct
import sys

T = 1767225600                     # 2026-01-01T00:00:00Z, export time
UPTIME = 3600000                   # ms since the router booted


def v9_header(count, seq, source_id=7):
    return struct.pack(">HHIIII", 9, count, UPTIME, T, seq, source_id)


def flowset(set_id, body):
    pad = (-len(body)) % 4
    return struct.pack(">HH", set_id, 4 + len(body) + pad) + body + b"\0" * pad


def v9_template(tid, fields):
    return struct.pack(">HH", tid, len(fields)) + b"".join(struct.pack(">HH", t, n) for t, n in fields)


V9_FIELDS = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (2, 4), (1, 4), (22, 4), (21, 4), (48, 1)]


def v9_record(i):
    src = bytes([10, 0, 0, 1 + i])
    dst = bytes([192, 0, 2, 10 + i])
    first = UPTIME - 60000 + i * 1000          # T - 60 s + i s
    return src + dst + struct.pack(">HHBIIIIB", 40000 + i, 443, 6, 5 + i, 500 + 100 * i,
                                   first, first + 500, 1)


def v9_sampling():
    opt_tmpl = struct.pack(">HHH", 300, 4, 12) + struct.pack(">HH", 1, 4) + \
        struct.pack(">HHHHHH", 48, 1, 49, 1, 50, 4)
    opt_data = struct.pack(">I", 0) + struct.pack(">BBI", 1, 2, 100)
    p0 = v9_header(3, 0) + flowset(1, opt_tmpl) + flowset(300, opt_data) + \
        flowset(0, v9_template(256, V9_FIELDS))
    data = lambda ids: flowset(256, b"".join(v9_record(i) for i in ids))
    p1 = v9_header(3, 1) + data([0, 1, 2])
    p2 = v9_header(2, 4) + data([3, 4])
    p3 = v9_header(1, 2) + data([5])
    return [(p0, "options template 300 + sampler 1 = 1/100 + template 256"),
            (p1, "3 records, seq 1"), (p2, "2 records, seq 4"), (p3, "1 record, seq 2 (late)")]


def ipfix_header(length, seq, domain=9):
    return struct.pack(">HHIII", 10, length, T, seq, domain)


def ipfix_msg(seq, *sets):
    body = b"".join(sets)
    return ipfix_header(16 + len(body), seq) + body


def ipfix_set(set_id, body):
    return struct.pack(">HH", set_id, 4 + len(body)) + body


IPFIX_FIELDS = [(152, 8), (153, 8), (27, 16), (28, 16), (7, 2), (11, 2), (4, 1), (2, 8), (1, 4)]
IPFIX_TMPL = struct.pack(">HH", 400, len(IPFIX_FIELDS) + 2) + \
    b"".join(struct.pack(">HH", t, n) for t, n in IPFIX_FIELDS) + \
    struct.pack(">HHI", 0x8000 | 1, 4, 29305) + \
    struct.pack(">HH", 96, 65535)


def ipfix_record(i, app):
    start = T * 1000 - 30000 + i * 10
    src = bytes.fromhex("20010db8000000000000000000000001")
    dst = bytes.fromhex("20010db80000000000000000000000%02x" % (0x10 + i))
    name = app.encode()
    varlen = bytes([len(name)]) if len(name) < 255 else b"\xff" + struct.pack(">H", len(name))
    return struct.pack(">QQ", start, start + 250) + src + dst + \
        struct.pack(">HHBQI", 50000 + i, 8443, 17, 3 + i, 300 + i) + struct.pack(">I", 0xdeadbeef) + \
        varlen + name


def ipfix_cases():
    data = lambda recs: ipfix_set(400, b"".join(recs))
    m0 = ipfix_msg(0, data([ipfix_record(9, "early")]))
    m1 = ipfix_msg(1, ipfix_set(2, IPFIX_TMPL))
    m2 = ipfix_msg(1, data([ipfix_record(0, "quic"), ipfix_record(1, "dns")]))
    m3 = ipfix_msg(8, data([ipfix_record(2, "x" * 300)]))
    m4 = ipfix_msg(9, ipfix_set(2, struct.pack(">HH", 400, 0)))
    m5 = ipfix_msg(9, data([ipfix_record(3, "late")]))
    return [(m0, "1 record of 400 before its template, seq 0"), (m1, "template 400, seq 1"),
            (m2, "2 records, seq 1"), (m3, "1 record (300-byte name), seq 8: 5 lost"),
            (m4, "withdrawal of 400, seq 9"), (m5, "1 record of 400 after withdrawal, seq 9")]


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("v9-sampling", "ipfix-cases"):
        sys.exit(__doc__)
    grams = v9_sampling() if sys.argv[1] == "v9-sampling" else ipfix_cases()
    with open(sys.argv[2], "wb") as f:
        for i, (g, what) in enumerate(grams):
            f.write(struct.pack(">I", len(g)) + g)
            print("%d %d bytes: %s" % (i, len(g), what))
    return 0


if __name__ == "__main__":
    sys.exit(main())
