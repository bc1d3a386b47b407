#!/usr/bin/env python3
"""udptee.py: copy every UDP datagram received on loopback to other ports.

    udptee.py --to PORT[,PORT...] [--save FILE] [--idle SECONDS] [--timeout SECONDS]

Binds 127.0.0.1 on a free port and prints "PORT\\n" on stdout (flushed), then
forwards each datagram, unchanged and in order, to 127.0.0.1:PORT for every
--to port, so two collectors see the same export stream (both see the tee as
the exporter, 127.0.0.1).  --save also appends each datagram to FILE as a
4-byte big-endian length and the bytes (udpsend.py replays it).  Exits when
no datagram came for --idle seconds after the first one, or after --timeout
seconds in all, or on SIGTERM; prints "datagrams=N bytes=M" on stderr.
Loopback only.
"""
import argparse
import signal
import socket
import struct
import sys
import time


class Stop(Exception):
    pass


def on_term(signum, frame):
    raise Stop()


def main():
    signal.signal(signal.SIGTERM, on_term)
    ap = argparse.ArgumentParser()
    ap.add_argument("--to", required=True)
    ap.add_argument("--save")
    ap.add_argument("--idle", type=float, default=2.0)
    ap.add_argument("--timeout", type=float, default=120.0)
    a = ap.parse_args()
    targets = [("127.0.0.1", int(p)) for p in a.to.split(",")]
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    rx.bind(("127.0.0.1", 0))
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    print(rx.getsockname()[1], flush=True)
    save = open(a.save, "wb") if a.save else None
    n = total = 0
    began = time.monotonic()
    try:
        n, total = forward(a, rx, tx, targets, save, began)
    except Stop:
        n, total = COUNT
    if save:
        save.close()
    print("datagrams=%d bytes=%d" % (n, total), file=sys.stderr)
    return 0


COUNT = [0, 0]


def forward(a, rx, tx, targets, save, began):
    n = total = 0
    while True:
        left = a.timeout - (time.monotonic() - began)
        if left <= 0:
            break
        rx.settimeout(min(left, a.idle) if n else left)
        try:
            data = rx.recv(65536)
        except socket.timeout:
            if n:
                break
            continue
        n += 1
        total += len(data)
        COUNT[:] = [n, total]
        for t in targets:
            tx.sendto(data, t)
        if save:
            save.write(struct.pack(">I", len(data)) + data)
        time.sleep(0.0005)      # a stream, not a burst: spare the receivers' buffers
    return n, total


if __name__ == "__main__":
    sys.exit(main())
