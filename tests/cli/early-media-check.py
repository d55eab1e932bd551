#!/usr/bin/env python3
"""Media before its SDP in the call's capture (the bounded buffer per
candidate stream, output/callpcap.c: 64 frames, 64 KiB; 16 MiB for all).

From fixtures/sip-call-pcma.pcap a capture is made in which the first K
RTP packets bob sends to alice's SDP endpoint come first, before alice's
INVITE announces that endpoint (their bytes unchanged, their timestamps
20 ms apart ending 1 ms before the INVITE). callextract's call capture is
compared with what tshark attributes (call-pcap-check.py's reference:
every UDP frame on the SDP endpoints, whenever it came): with K <= 64
every early frame is kept and placed; with more, the newest 64 are kept
and the K - 64 oldest are missing from the call's capture and counted in
report.json capture.call_pcap.unplaced. Exit 1 on any difference.

usage: early-media-check.py CALLEXTRACT SRCDIR TMPDIR K [--tshark T]"""
import importlib.util
import json
import os
import struct
import subprocess
import sys

PEND_FRAMES = 64


def main():
    exe, src, tmp, k = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    t = sys.argv[6] if len(sys.argv) > 6 else 'tshark'
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location('cpc', os.path.join(here, 'call-pcap-check.py'))
    cpc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cpc)
    data = open(os.path.join(src, 'fixtures', 'sip-call-pcma.pcap'), 'rb').read()
    e = '<' if data[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
    ns = data[:4] in (b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\x3c\x4d')
    recs, off = [], 24
    while off + 16 <= len(data):
        cap = struct.unpack(e + 'I', data[off + 8:off + 12])[0]
        recs.append((data[off:off + 16], data[off + 16:off + 16 + cap]))
        off += 16 + cap
    # bob's RTP to alice: UDP 10.77.0.3:40064 -> 10.77.0.2:40096
    want_ports = struct.pack('>HH', 40064, 40096)
    early = [i for i, (_, r) in enumerate(recs)
             if len(r) > 42 and r[23] == 17 and r[34:38] == want_ports and r[42] == 0x80 and r[43] & 0x7f == 8][:k]
    if len(early) != k:
        sys.exit('only %d packets to move' % len(early))
    sec, frac = struct.unpack(e + 'II', recs[0][0][:8])
    t0 = sec * 10**9 + (frac if ns else frac * 1000) - 10**6
    moved = []
    for j, i in enumerate(early):
        ts = t0 - (k - 1 - j) * 20 * 10**6
        h = recs[i][0]
        div = 1 if ns else 1000
        moved.append((struct.pack(e + 'II', ts // 10**9, (ts % 10**9) // div) + h[8:], recs[i][1]))
    rest = [r for i, r in enumerate(recs) if i not in set(early)]
    inp = os.path.join(tmp, 'early-%d.pcap' % k)
    with open(inp, 'wb') as f:
        f.write(data[:24])
        for h, r in moved + rest:
            f.write(h + r)
    out = os.path.join(tmp, 'early-%d' % k)
    subprocess.run([exe, '-q', inp, '-o', out], check=True)
    rep = json.load(open(os.path.join(out, 'report.json')))
    unplaced = rep['capture']['call_pcap']['unplaced']
    # the reference (tshark), then the frames the buffer could not keep
    frames = cpc.read_capture(inp)
    udp = []
    for r in cpc.tshark(t, ['-r', inp, '-Y', 'udp and not icmp', '-T', 'fields', '-E', 'occurrence=l',
                            '-e', 'frame.number', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'udp.srcport',
                            '-e', 'ip.dst', '-e', 'ipv6.dst', '-e', 'udp.dstport']):
        r += [''] * (7 - len(r))
        if r[3] and r[6]:
            udp.append((int(r[0]), r[1] or r[2], int(r[3]), r[4] or r[5], int(r[6])))
    calls = sorted(d for d in os.listdir(os.path.join(out, 'calls')))
    bad = 0
    lost = max(0, k - PEND_FRAMES)
    for d in calls:
        cj = json.load(open(os.path.join(out, 'calls', d, 'call.json')))
        want, _ = cpc.reference(t, inp, cj['call_id'], udp, {}, {})
        want = [n for n in want if n > lost]  # frames 1..lost: the oldest early ones
        got = cpc.read_capture(os.path.join(out, 'calls', d, 'call.pcap'))
        exp = [frames[n - 1] for n in want]
        ok = got == exp
        print('%s %s: %d frames, %d of them before the SDP (%d kept), tshark less the %d oldest: %d' %
              ('ok' if ok else 'FAIL', d, len(got), k, k - lost, lost, len(exp)))
        bad += not ok
    ok = unplaced == lost
    print('%s call_pcap.unplaced = %d (want %d)' % ('ok' if ok else 'FAIL', unplaced, lost))
    bad += not ok
    late = rep['capture']['call_pcap']['out_of_order']
    print('%s call_pcap.out_of_order = %d (placed when the SDP came, in frame order)' % ('ok' if late == 0 else 'FAIL', late))
    bad += late != 0
    sys.exit(1 if bad or not calls else 0)


if __name__ == '__main__':
    main()
