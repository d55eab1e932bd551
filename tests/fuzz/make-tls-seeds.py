#!/usr/bin/env python3
"""Keyed seeds for fuzz_tls.c: for each TLS connection of the fixtures that
have a key log (fixtures/wrap-tls*.keys, wrap-wss.keys), one input whose first
unit (flag 4) is the key log lines of that connection's client random, then
its TCP payloads ([direction][bytes] units, the first 40). The payloads are
read with tshark (tcp.payload per tcp.stream). Usage: make-tls-seeds.py OUTDIR FIXTURES"""
import hashlib, os, subprocess, sys

SEP = b'\xff\xfe\xfd'
out, fix = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
for cap, keys in [('wrap-tls13-srtp.pcap', 'wrap-tls13-srtp.keys'), ('wrap-tls12-srtp.pcap', 'wrap-tls12-srtp.keys'),
                  ('wrap-tls-suites.pcap', 'wrap-tls-suites.keys'), ('wrap-wss.pcap', 'wrap-wss.keys'),
                  ('wrap-tls12-rsa-cbc.pcap', 'wrap-tls12-rsa-cbc.keys')]:
    lines = open(os.path.join(fix, keys), 'rb').read().splitlines()
    rows = subprocess.run(['tshark', '-r', os.path.join(fix, cap), '-T', 'fields', '-e', 'tcp.stream',
                           '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'tcp.payload', '-Y', 'tcp.len>0'],
                          capture_output=True, check=True).stdout.decode().splitlines()
    conns = {}
    for r in rows:
        st, sp, dp, pl = r.split('\t')
        conns.setdefault(st, []).append((int(sp), bytes.fromhex(pl.replace(':', ''))))
    for st, segs in conns.items():
        first = segs[0][1]
        if first[:1] != b'\x16' or len(first) < 43:
            continue
        client = segs[0][0]
        cr = first[11:43].hex().encode()
        mine = [l for l in lines if cr in l]
        if not mine:
            continue
        units = [b'\x04' + b'\n'.join(mine) + b'\n'] + [bytes([0 if sp == client else 1]) + pl for sp, pl in segs[:40]]
        data = SEP.join(units)
        open(os.path.join(out, hashlib.sha1(data).hexdigest()), 'wb').write(data)
        print(cap, st, len(segs), len(data))
