#!/usr/bin/env python3
"""truthcheck.py C2FLOW STORE TRUTH: check a simulation's truth against its
unsampled records (c2flow simulate --sampling 1).

For every C2 server in the truth, the records to and from its IP:port in the
store must come from exactly `bots` distinct sources, all of them infected
hosts of the truth, and carry exactly `packets` packets.  Every infected
host must exist in the customer space.  Prints one line per C2 and exits 1
on any difference."""
import ipaddress
import json
import subprocess
import sys


def query(c2flow, store, flt, fields):
    out = subprocess.run([c2flow, 'query', '--store', store, '-o', 'csv', '--fields', fields, flt],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    return [line.split(',') for line in out[1:]]


def main():
    c2flow, store, truth_path = sys.argv[1:4]
    truth = json.load(open(truth_path))
    infected = {i['ip'] for i in truth['infected']}
    nets = [ipaddress.ip_network(p) for p in truth['internal']]
    bad = 0
    for ip in infected:
        if not any(ipaddress.ip_address(ip) in n for n in nets):
            print('infected host outside the customer space:', ip)
            bad += 1
    for c in truth['c2']:
        flt = (f"(dst ip {c['ip']} and dst port {c['port']} and proto {c['proto']}) or "
               f"(src ip {c['ip']} and src port {c['port']} and proto {c['proto']})")
        rows = query(c2flow, store, flt, 'src_ip,dst_ip,packets')
        sources = {r[0] for r in rows if r[1] == c['ip']}
        packets = sum(int(r[2]) for r in rows)
        ok = sources <= infected and len(sources) == c['bots'] and packets == c['packets']
        bad += not ok
        print(f"{c['family']} {c['ip']}:{c['port']} bots {c['bots']} seen {len(sources)} "
              f"packets {c['packets']} stored {packets} {'ok' if ok else 'DIFFERENT'}")
    if not truth['c2']:
        print('the truth has no C2 server')
        bad += 1
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
