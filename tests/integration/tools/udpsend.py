#!/usr/bin/env python3
"""udpsend.py: send datagrams from a file to a collector on loopback.

    udpsend.py FILE PORT [--only I,J-K,...] [--gap MS]

FILE holds datagrams as a 4-byte big-endian length and the bytes (what
udptee.py --save and nfpkt.py write).  --only sends the listed datagrams
(0-based, ranges inclusive) in the order given; --gap sleeps between
datagrams.  Loopback only: the destination is always 127.0.0.1.
"""
import argparse
import socket
import struct
import sys
import time


def read_all(path):
    out = []
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos + 4 <= len(data):
        (n,) = struct.unpack_from(">I", data, pos)
        out.append(data[pos + 4:pos + 4 + n])
        pos += 4 + n
    return out


def pick(spec, count):
    if not spec:
        return list(range(count))
    out = []
    for part in spec.split(","):
        if "-" in part:
            a, b = part.split("-")
            out.extend(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("port", type=int)
    ap.add_argument("--only")
    ap.add_argument("--gap", type=float, default=1.0)
    a = ap.parse_args()
    grams = read_all(a.file)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in pick(a.only, len(grams)):
        s.sendto(grams[i], ("127.0.0.1", a.port))
        time.sleep(a.gap / 1000.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
