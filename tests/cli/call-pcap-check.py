#!/usr/bin/env python3
"""Checks each call's capture (calls/*/call.pcap or .pcapng) against what
tshark attributes to the call in the input: the frames whose SIP carries
its Call-ID (`sip.Call-ID == "..."`, two-pass, with the TCP segments and IP
fragments tshark reassembled into them) plus the UDP frames to or from the
RTP/RTCP endpoints its SDP announced (c= address x m= port, port+1 or
a=rtcp) and, for an m= line with a TCP/RTP/ profile (RFC 4571), the TCP
segments with payload to or from that address and port (tshark 4.0 has
no RFC 4571 dissector: the connection is the call's media, all of it). Compared frame by frame, in order: timestamp (ns), captured and
wire length, link type, bytes. Prints one line per call; exit 1 on any
difference.

usage: call-pcap-check.py [--tshark T] OUTDIR INPUT...
"""
import glob
import json
import os
import struct
import subprocess
import sys


def read_capture(path):
    """[(ts_ns, caplen, wirelen, linktype, bytes)] of a pcap or pcapng file."""
    with open(path, 'rb') as f:
        b = f.read()
    out = []
    magic = b[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\xa1\xb2\xc3\xd4', b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\x3c\x4d'):
        e = '<' if magic[0] in (0xd4, 0x4d) else '>'
        ns = magic in (b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\x3c\x4d')
        lt = struct.unpack(e + 'I', b[20:24])[0] & 0x0fffffff
        o = 24
        while o + 16 <= len(b):
            s, frac, cap, wire = struct.unpack(e + 'IIII', b[o:o + 16])
            if o + 16 + cap > len(b):
                raise ValueError('%s: record cut short at %d' % (path, o))
            out.append((s * 1000000000 + (frac if ns else frac * 1000), cap, wire, lt, b[o + 16:o + 16 + cap]))
            o += 16 + cap
        if o != len(b):
            raise ValueError('%s: %d bytes after the last record' % (path, len(b) - o))
        return out
    if magic != b'\x0a\x0d\x0d\x0a':
        raise ValueError('%s: not a capture' % path)
    o, e, ifs = 0, '<', []
    while o + 12 <= len(b):
        if b[o:o + 4] == b'\x0a\x0d\x0d\x0a':
            e = '<' if b[o + 8:o + 12] == b'\x4d\x3c\x2b\x1a' else '>'
            ifs = []
        btype, blen = struct.unpack(e + 'II', b[o:o + 8])
        if blen < 12 or o + blen > len(b) or struct.unpack(e + 'I', b[o + blen - 4:o + blen])[0] != blen:
            raise ValueError('%s: bad block at %d' % (path, o))
        body = b[o + 8:o + blen - 4]
        if btype == 1:
            lt = struct.unpack(e + 'H', body[:2])[0]
            units = 1000000
            p = 8
            while p + 4 <= len(body):
                code, ln = struct.unpack(e + 'HH', body[p:p + 4])
                if code == 0:
                    break
                if code == 9:
                    r = body[p + 4]
                    units = 2 ** (r & 0x7f) if r & 0x80 else 10 ** r
                p += 4 + ln + (4 - ln % 4) % 4
            ifs.append((lt, units))
        elif btype == 6:
            ifc, hi, lo, cap, wire = struct.unpack(e + 'IIIII', body[:20])
            lt, units = ifs[ifc]
            t = (hi << 32) | lo
            out.append((t * 1000000000 // units, cap, wire, lt, body[20:20 + cap]))
        elif btype == 3:
            wire = struct.unpack(e + 'I', body[:4])[0]
            lt, units = ifs[0]
            out.append((None, len(body) - 4, wire, lt, body[4:4 + min(wire, len(body) - 4)]))
        o += blen
    return out


def tshark(t, args):
    r = subprocess.run([t] + args, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError('tshark %s: %s' % (' '.join(args), r.stderr.strip()))
    return [l.split('\t') for l in r.stdout.splitlines()]


def reference(t, inp, call_id, udp, reasm, first_pdu, tcp=()):
    q = call_id.replace('\\', '\\\\').replace('"', '\\"')
    rows = tshark(t, ['-2', '-r', inp, '-Y', 'sip.Call-ID == "%s"' % q, '-T', 'fields',
                      '-E', 'occurrence=a', '-E', 'aggregator=,',
                      '-e', 'frame.number', '-e', 'sdp.connection_info.address',
                      '-e', 'sdp.media.port', '-e', 'sdp.media_attr', '-e', 'sdp.media.proto'])
    sip = set()
    eps = set()
    tcp_eps = set()
    for r in rows:
        r += [''] * (5 - len(r))
        protos = r[4].split(',')
        for i, p in enumerate(r[2].split(',')):
            if i < len(protos) and protos[i].upper().startswith('TCP/RTP/') and p.isdigit():
                for a in r[1].split(','):
                    if a:
                        tcp_eps.update({(a, int(p)), (a, int(p) + 1)})
        sip.add(int(r[0]))
        addrs = [a for a in r[1].split(',') if a]
        ports = [int(p) for p in r[2].split(',') if p.isdigit() and int(p)]
        rtcp = [int(a.split(':')[1].split()[0]) for a in r[3].split(',') if a.startswith('rtcp:')]
        for a in addrs:
            for p in ports:
                eps.update({(a, p), (a, p + 1)})
            for p in rtcp:
                eps.add((a, p))
    frames = set(sip)
    # fragments go with every message of their datagram; an earlier TCP
    # segment only with the first message of the frame that completes it
    # (only the first PDU of a segment can begin before it)
    for n, (tcp_r, ip_r) in reasm.items():
        if ip_r & sip or any(first_pdu.get(r) == call_id for r in tcp_r):
            frames.add(n)
    for n, src, sp, dst, dp in udp:
        if (dst, dp) in eps or (src, sp) in eps:
            frames.add(n)
    for n, src, sp, dst, dp in tcp:
        if (dst, dp) in tcp_eps or (src, sp) in tcp_eps:
            frames.add(n)
    return sorted(frames), len(sip)


def main():
    argv = sys.argv[1:]
    t = 'tshark'
    if argv and argv[0] == '--tshark':
        t, argv = argv[1], argv[2:]
    outdir, inputs = argv[0], argv[1:]
    if len(inputs) != 1:
        sys.exit('one input at a time')
    inp = inputs[0]
    frames = read_capture(inp)
    udp = []
    for r in tshark(t, ['-r', inp, '-Y', 'udp and not icmp and not icmpv6', '-T', 'fields', '-E', 'occurrence=l',
                        '-e', 'frame.number', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'udp.srcport',
                        '-e', 'ip.dst', '-e', 'ipv6.dst', '-e', 'udp.dstport']):
        r += [''] * (7 - len(r))
        if r[3] and r[6]:
            udp.append((int(r[0]), r[1] or r[2], int(r[3]), r[4] or r[5], int(r[6])))
    tcp = []
    for r in tshark(t, ['-r', inp, '-Y', 'tcp.len > 0 and not icmp and not icmpv6', '-T', 'fields', '-E', 'occurrence=l',
                        '-e', 'frame.number', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'tcp.srcport',
                        '-e', 'ip.dst', '-e', 'ipv6.dst', '-e', 'tcp.dstport']):
        r += [''] * (7 - len(r))
        if r[3] and r[6]:
            tcp.append((int(r[0]), r[1] or r[2], int(r[3]), r[4] or r[5], int(r[6])))
    reasm = {}
    for r in tshark(t, ['-2', '-r', inp, '-Y', 'tcp.reassembled_in or ip.reassembled_in or ipv6.reassembled.in',
                        '-T', 'fields', '-E', 'aggregator=,', '-e', 'frame.number', '-e', 'tcp.reassembled_in',
                        '-e', 'ip.reassembled_in', '-e', 'ipv6.reassembled.in']):
        reasm[int(r[0])] = ({int(x) for x in r[1].split(',') if x},
                            {int(x) for f in r[2:] for x in f.split(',') if x})
    first_pdu = {}
    for r in tshark(t, ['-2', '-r', inp, '-Y', 'tcp.segments and sip', '-T', 'fields', '-E', 'occurrence=f',
                        '-e', 'frame.number', '-e', 'sip.Call-ID']):
        first_pdu[int(r[0])] = r[1] if len(r) > 1 else ''
    bad = 0
    calls = sorted(glob.glob(os.path.join(outdir, 'calls', '*', 'call.json')))
    for cj in calls:
        d = os.path.dirname(cj)
        call_id = json.load(open(cj))['call_id']
        caps = glob.glob(os.path.join(d, 'call.pcap*'))
        if len(caps) != 1:
            print('FAIL %s: %d capture files' % (d, len(caps)))
            bad += 1
            continue
        got = read_capture(caps[0])
        want, nsip = reference(t, inp, call_id, udp, reasm, first_pdu, tcp)
        exp = [frames[n - 1] for n in want]
        # tshark reads the call's capture without complaint
        r = subprocess.run([t, '-r', caps[0], '-q'], capture_output=True, text=True)
        err = r.returncode != 0 or any(l and not l.startswith('Running as user') for l in r.stderr.splitlines())
        if got == exp and not err:
            print('ok %s: %d frames (%d SIP, %d other), identical in order' %
                  (os.path.basename(d), len(got), nsip, len(got) - nsip))
            continue
        bad += 1
        gs, es = set(g[4] + str(g[0]).encode() for g in got), set(x[4] + str(x[0]).encode() for x in exp)
        missing = [n for n, x in zip(want, exp) if x[4] + str(x[0]).encode() not in gs]
        extra = sum(1 for g in got if g[4] + str(g[0]).encode() not in es)
        print('FAIL %s: %d frames, tshark attributes %d; missing frames %s; %d extra; tshark error: %s; same set, other order: %s' %
              (os.path.basename(d), len(got), len(exp), missing[:20], extra, r.stderr.strip()[:200] if err else 'no',
               sorted(got) == sorted(exp)))
    if not calls:
        print('FAIL: no calls in %s' % outdir)
        bad += 1
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
