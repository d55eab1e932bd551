#!/usr/bin/env python3
"""Seeds for fuzz-rtp-tcp (fuzz_rtp_tcp.c) from fixtures/rtp-tcp.pcap: the
RFC 4571 connection's segments (handshake, data, FIN) rewritten to the
target's unit format [flags][ctl][seq:4][payload], the client's port
becoming 40000 and the server's 5004. Seeds: the first 40 segments (AVP
and, option byte 1, SAVP), the same with one frame's version bits
cleared, one with two segments swapped (out of order), one cut in the
middle of a frame, and the last 20 segments (close).
usage: make-rtp-tcp-seeds.py CAPTURE OUTDIR"""
import os
import struct
import sys

SEP = b'\xff\xfe\xfd'


def segments(path, port=40000):
    data = open(path, 'rb').read()
    e = '<' if data[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
    off, out = 24, []
    while off + 16 <= len(data):
        cap = struct.unpack(e + 'I', data[off + 8:off + 12])[0]
        rec = data[off + 16:off + 16 + cap]
        off += 16 + cap
        if len(rec) < 54 or rec[12:14] != b'\x08\x00' or rec[23] != 6:
            continue
        ihl = (rec[14] & 15) * 4
        tot = struct.unpack('>H', rec[16:18])[0]
        t = 14 + ihl
        sp, dp, seq = struct.unpack('>HHI', rec[t:t + 8])
        if port not in (sp, dp):
            continue
        flags = rec[t + 13] & 0x3f
        po = t + (rec[t + 12] >> 4) * 4
        out.append((flags, 1 if sp == port else 0, seq, rec[po:14 + tot]))
    return out


def unit(flags, d, seq, pl):
    return bytes([flags, d]) + struct.pack('>I', seq) + pl


def write(dirname, name, opt, segs):
    with open(os.path.join(dirname, name), 'wb') as f:
        f.write(bytes([opt]) + SEP.join(unit(*s) for s in segs))


segs = segments(sys.argv[1])
out = sys.argv[2]
os.makedirs(out, exist_ok=True)
write(out, 'seed-avp', 0, segs[:40])
write(out, 'seed-savp', 1, segs[:40])
write(out, 'seed-client-announced', 2, segs[:24])
bad = [list(s) for s in segs[:40]]
for s in bad:
    if len(s[3]) > 14 and s[3][0] << 8 | s[3][1] == len(s[3]) - 2 and s is bad[20]:
        s[3] = s[3][:2] + bytes([s[3][2] & 0x3f]) + s[3][3:]
write(out, 'seed-bad-frame', 0, [tuple(s) for s in bad])
sw = segs[:30]
sw[10], sw[11] = sw[11], sw[10]
write(out, 'seed-reordered', 0, sw)
cut = [list(s) for s in segs[:30]]
cut[15][3] = cut[15][3][:len(cut[15][3]) // 2]
write(out, 'seed-gap', 0, [tuple(s) for s in cut])
write(out, 'seed-close', 0, segs[:3] + segs[-20:])
print(len(os.listdir(out)), 'seeds')
