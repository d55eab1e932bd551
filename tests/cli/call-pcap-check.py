#!/usr/bin/env python3
"""Checks each call's capture (calls/*/call.pcap or .pcapng) against what
tshark attributes to the call in the input: the frames whose SIP carries
its Call-ID (`sip.Call-ID == "..."`, two-pass, with the TCP segments and IP
fragments tshark reassembled into them) plus the UDP frames to or from the
RTP/RTCP endpoints its SDP announced (c= address x m= port, port+1 or
a=rtcp) and, for an m= line with a TCP/RTP/ profile (RFC 4571), the TCP
segments with payload to or from that address and port (tshark 4.0 has
no RFC 4571 dissector: the connection is the call's media, all of it).
SIP that tshark 4.0 cannot see is read here from tshark's segment payloads
(tcp.payload, udp.payload): SIP over WebSocket (RFC 6455 frames, masking,
fragments, permessage-deflate with zlib, which tshark loses after a
fragmented compressed message) and SIP inside HEP v1/v2/v3 (no HEP
dissector), over UDP and TCP; a message's Call-ID takes every segment that
carried a byte of its frames (WebSocket: from its first frame's header to
its last frame's end). Compared frame by frame, in order: timestamp (ns), captured and
wire length, link type, bytes. Prints one line per call; exit 1 on any
difference.

usage: call-pcap-check.py [--tshark T] [--keylog K] OUTDIR INPUT...
"""
import glob
import json
import os
import re
import struct
import subprocess
import sys
import zlib


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


CALLID = re.compile(rb'^(?:call-id|i)[ \t]*:[ \t]*([^\r\n]*?)[ \t]*\r?$', re.I | re.M)


def call_id_of(sip):
    if not re.match(rb'^(?:[A-Z]+ [^ ]+ SIP/2\.0|SIP/2\.0 [0-9]{3})', sip):
        return None
    m = CALLID.search(sip.split(b'\r\n\r\n', 1)[0])
    return m.group(1).decode('utf-8', 'replace') if m else None


def tcp_streams(t, inp):
    """{(stream, dir): (bytes, [(end offset, frame)])} in sequence order
    (each sequence number once: the first copy)."""
    segs = {}
    for r in tshark(t, ['-r', inp, '-Y', 'tcp.len > 0', '-T', 'fields', '-e', 'frame.number', '-e', 'tcp.stream',
                        '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'tcp.seq', '-e', 'tcp.payload']):
        r += [''] * (6 - len(r))
        if not r[5]:
            continue
        key = (int(r[1]), (int(r[2]), int(r[3])))
        segs.setdefault(key, {}).setdefault(int(r[4]), (int(r[0]), bytes.fromhex(r[5].replace(':', ''))))
    out = {}
    for key, by_seq in segs.items():
        b, ends, pos = bytearray(), [], None
        for seq in sorted(by_seq):
            fr, pl = by_seq[seq]
            if pos is not None and seq < pos:
                pl = pl[pos - seq:]  # overlap: the first copy wins
            b += pl
            pos = seq + len(by_seq[seq][1])
            ends.append((len(b), fr))
        out[key] = (bytes(b), ends)
    return out


def frames_of(ends, a, z):
    """Frames holding any byte of [a, z)."""
    out, start = set(), 0
    for end, fr in ends:
        if start < z and end > a:
            out.add(fr)
        start = end
    return out


def ws_messages(b, deflate_dir):
    """[(start, end, payload)] of the WebSocket messages of one direction."""
    o = 0
    if b.startswith(b'GET ') or b.startswith(b'HTTP/'):
        e = b.find(b'\r\n\r\n')
        if e < 0:
            return []
        o = e + 4
    msgs, cur, start, rsv1 = [], None, 0, False
    z = zlib.decompressobj(-15)
    while o + 2 <= len(b):
        b0, b1 = b[o], b[o + 1]
        n, h = b1 & 0x7f, 2
        if n == 126:
            n, h = struct.unpack('>H', b[o + 2:o + 4])[0], 4
        elif n == 127:
            n, h = struct.unpack('>Q', b[o + 2:o + 10])[0], 10
        key = b[o + h:o + h + 4] if b1 & 0x80 else b''
        h += len(key)
        if o + h + n > len(b):
            break
        pl = b[o + h:o + h + n]
        if key:
            pl = bytes(c ^ key[i & 3] for i, c in enumerate(pl))
        op = b0 & 0x0f
        if op in (1, 2):
            cur, start, rsv1 = bytearray(), o, bool(b0 & 0x40)
        if op in (0, 1, 2) and cur is not None:
            cur += pl
            if b0 & 0x80:
                m = bytes(cur)
                if rsv1:
                    m = z.decompress(m + b'\x00\x00\xff\xff')
                msgs.append((start, o + h + n, m))
                cur = None
        o += h + n
    return msgs


def hep_payloads(d):
    """[(length used, SIP payload or None)] of the HEP messages at d."""
    out = []
    while len(d) >= 6:
        if d[:4] == b'HEP3':
            n = struct.unpack('>H', d[4:6])[0]
            if n < 6 or n > len(d):
                break
            o, pl = 6, None
            while o + 6 <= n:
                _, typ, ln = struct.unpack('>HHH', d[o:o + 6])
                if ln < 6 or o + ln > n:
                    break
                if typ == 0x0f:
                    pl = d[o + 6:o + ln]
                elif typ == 0x10:
                    pl = zlib.decompress(d[o + 6:o + ln])
                o += ln
            out.append((n, pl))
            d = d[n:]
        elif d[0] in (1, 2) and d[1] == 16 and d[2] == 2:
            h = 16 + (12 if d[0] == 2 else 0)
            out.append((len(d), d[h:]))
            break
        else:
            break
    return out


def wrapped(t, inp):
    """{frame: {Call-ID}} of the SIP carried in WebSocket and HEP."""
    att = {}

    def add(frames, cid):
        for f in frames:
            att.setdefault(f, set()).add(cid)
    for r in tshark(t, ['-r', inp, '-Y', 'udp.payload', '-T', 'fields', '-e', 'frame.number', '-e', 'udp.payload']):
        if len(r) < 2 or not r[1]:
            continue
        d = bytes.fromhex(r[1].replace(':', ''))
        for _, pl in hep_payloads(d) if d[:4] == b'HEP3' or d[:2] in (b'\x01\x10', b'\x02\x10') else []:
            cid = pl and call_id_of(pl)
            if cid:
                add({int(r[0])}, cid)
    for (stream, ports), (b, ends) in tcp_streams(t, inp).items():
        if b.startswith(b'HEP3'):
            o = 0
            for n, pl in hep_payloads(b):
                cid = pl and call_id_of(pl)
                if cid:
                    add(frames_of(ends, o, o + n), cid)
                o += n
            continue
        if not (b.startswith(b'GET ') or b.startswith(b'HTTP/1.1 101')):
            continue
        for a, z, m in ws_messages(b, None):
            cid = call_id_of(m)
            if cid:
                add(frames_of(ends, a, z), cid)
    return att


TSHARK_OPTS = []  # -o tls.keylog_file:K with --keylog K


def tshark(t, args):
    r = subprocess.run([t] + TSHARK_OPTS + args, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError('tshark %s: %s' % (' '.join(args), r.stderr.strip()))
    return [l.split('\t') for l in r.stdout.splitlines()]


def reference(t, inp, call_id, udp, reasm, first_pdu, tcp=(), wrap=None):
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
    frames.update(n for n, ids in (wrap or {}).items() if call_id in ids)
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
    if argv and argv[0] == '--keylog':
        TSHARK_OPTS.extend(['-o', 'tls.keylog_file:' + argv[1]])
        argv = argv[2:]
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
    wrap = wrapped(t, inp)
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
        want, nsip = reference(t, inp, call_id, udp, reasm, first_pdu, tcp, wrap)
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
