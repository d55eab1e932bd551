#!/usr/bin/env python3
"""Writes libFuzzer seeds for fuzz-frame from pcap files: each input is
[link-type selector][2-byte length][frame], the format fuzz_frame.c reads:
one input per frame, and one per capture with its first 400 frames.
Usage: make-seeds.py OUTDIR CAPTURE..."""
import os, struct, sys
SEL = {1: 0, 0: 1, 101: 2, 12: 2, 108: 3, 113: 4, 276: 5, 228: 6, 229: 7}
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
n = 0
for path in sys.argv[2:]:
    data = open(path, 'rb').read()
    if data[:4] not in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        continue
    lt = struct.unpack('<I', data[20:24])[0]
    off = 24
    k = 0
    while off + 16 <= len(data) and k < 40:
        incl = struct.unpack('<I', data[off + 8:off + 12])[0]
        frame = data[off + 16:off + 16 + incl][:4000]
        with open(os.path.join(out, 'seed-%05d' % n), 'wb') as f:
            f.write(bytes([SEL.get(lt, 0)]) + struct.pack('>H', len(frame)) + frame)
        n += 1
        k += 1
        off += 16 + incl
    # and the capture's first frames as one input, a pause (the selector's
    # high bit) after each frame followed by a gap of over a second, so that
    # calls end and are finished inside it
    off, recs = 24, []
    while off + 16 <= len(data) and len(recs) < 400:
        sec, usec, incl = struct.unpack('<III', data[off:off + 12])
        recs.append((sec + usec / 1e6, data[off + 16:off + 16 + incl][:4000]))
        off += 16 + incl
    whole = b''
    for i, (t, frame) in enumerate(recs):
        sel = SEL.get(lt, 0)
        if i + 1 < len(recs) and recs[i + 1][0] - t > 1.0:
            sel |= 0x80
        whole += bytes([sel]) + struct.pack('>H', len(frame)) + frame
    if len(whole) < 1000000:
        with open(os.path.join(out, 'seed-%05d' % n), 'wb') as f:
            f.write(whole)
        n += 1
print(n, 'seeds')
