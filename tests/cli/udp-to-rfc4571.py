#!/usr/bin/env python3
"""Rewrites a UDP call capture so that its media goes over TCP with RFC
4571 framing, for the SRTP-over-TCP test (test-rtp-tcp.sh): GStreamer has
no SRTP element on this system, so the real SRTP of a baresip call
(fixtures/sip-call-srtp-80.pcap) is carried instead.

- Every SIP datagram's SDP: " RTP/SAVP " and " RTP/AVP " m= profiles become
  " TCP/RTP/SAVP " / " TCP/RTP/AVP " (Content-Length, IP and UDP lengths
  and checksums fixed); nothing else changes.
- Every UDP datagram between the two media ports A:pa and B:pb given (RTP
  both ways, and with --rtcp the datagrams between pa+1 and pb+1 too,
  which then share the connection as RTCP does with rtcp-mux) becomes one
  TCP segment A:pa <-> B:pb of one connection (SYN, SYN/ACK, ACK before the
  first one, FIN/ACK both ways after the last), its payload the two-byte
  length and the datagram; same Ethernet header and timestamp.

Classic pcap, Ethernet, IPv4 only.
usage: udp-to-rfc4571.py IN OUT A PA B PB [--rtcp]"""
import socket
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('>%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4(src, dst, proto, l4, ident):
    h = struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), ident, 0x4000, 64, proto, 0, src, dst)
    return h[:10] + struct.pack('>H', csum(h)) + h[12:] + l4


def tcp(src, dst, sp, dp, seq, ack, flags, pl):
    h = struct.pack('>HHIIBBHHH', sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0)
    c = csum(src + dst + struct.pack('>BBH', 0, 6, len(h) + len(pl)) + h + pl)
    return h[:16] + struct.pack('>H', c) + h[18:] + pl


def udp(src, dst, sp, dp, pl):
    h = struct.pack('>HHHH', sp, dp, 8 + len(pl), 0)
    c = csum(src + dst + struct.pack('>BBH', 0, 17, len(h) + len(pl)) + h + pl) or 0xffff
    return h[:6] + struct.pack('>H', c) + pl


def main():
    a = sys.argv[1:]
    rtcp = '--rtcp' in a
    a = [x for x in a if x != '--rtcp']
    inp, out = a[0], a[1]
    A, pa, B, pb = socket.inet_aton(a[2]), int(a[3]), socket.inet_aton(a[4]), int(a[5])
    data = open(inp, 'rb').read()
    e = '<' if data[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
    recs, off = [], 24
    while off + 16 <= len(data):
        cap = struct.unpack(e + 'I', data[off + 8:off + 12])[0]
        recs.append([bytearray(data[off:off + 16]), data[off + 16:off + 16 + cap]])
        off += 16 + cap
    pairs = {(pa, pb), (pb, pa)}
    if rtcp:
        pairs |= {(pa + 1, pb + 1), (pb + 1, pa + 1)}
    seq = {0: 1000, 1: 5000}   # 0: A -> B (client), 1: B -> A
    ident = 1
    outrecs = []
    opened = False
    last_hdr = {}

    def emit(hdr, eth, src, dst, sp, dp, flags, pl, d):
        nonlocal ident
        seg = tcp(src, dst, sp, dp, seq[d], seq[1 - d], flags, pl)
        frame = eth + ipv4(src, dst, 6, seg, ident)
        ident += 1
        seq[d] += len(pl) + (1 if flags & 0x03 else 0)
        h = bytearray(hdr)
        h[8:16] = struct.pack(e + 'II', len(frame), len(frame))
        outrecs.append((bytes(h), frame))

    for hdr, rec in recs:
        if len(rec) < 42 or rec[12:14] != b'\x08\x00' or rec[23] != 17:
            outrecs.append((bytes(hdr), rec))
            continue
        ihl = (rec[14] & 15) * 4
        src, dst = rec[26:30], rec[30:34]
        u = 14 + ihl
        sp, dp = struct.unpack('>HH', rec[u:u + 4])
        ulen = struct.unpack('>H', rec[u + 4:u + 6])[0]
        pl = rec[u + 8:u + ulen]
        if (sp, dp) in pairs and {src, dst} <= {A, B}:
            d = 0 if (src, sp) in ((A, pa), (A, pa + 1)) else 1
            if not opened:
                opened = True
                emit(hdr, rec[:14], A, B, pa, pb, 0x02, b'', 0)
                seq[1] = 5000
                emit(hdr, rec[:14], B, A, pb, pa, 0x12, b'', 1)
                emit(hdr, rec[:14], A, B, pa, pb, 0x10, b'', 0)
            s, t = (A, B) if d == 0 else (B, A)
            ps, pt = (pa, pb) if d == 0 else (pb, pa)
            emit(hdr, rec[:14], s, t, ps, pt, 0x18, struct.pack('>H', len(pl)) + pl, d)
            last_hdr = (hdr, rec[:14])
            continue
        if b' RTP/SAVP ' in pl or b' RTP/AVP ' in pl:
            head, _, body = pl.partition(b'\r\n\r\n')
            body = body.replace(b' RTP/SAVP ', b' TCP/RTP/SAVP ').replace(b' RTP/AVP ', b' TCP/RTP/AVP ')
            lines = [(b'Content-Length: %d' % len(body)) if l.lower().startswith(b'content-length:') else l
                     for l in head.split(b'\r\n')]
            pl = b'\r\n'.join(lines) + b'\r\n\r\n' + body
            frame = rec[:14] + ipv4(src, dst, 17, udp(src, dst, sp, dp, pl), struct.unpack('>H', rec[18:20])[0])
            h = bytearray(hdr)
            h[8:16] = struct.pack(e + 'II', len(frame), len(frame))
            outrecs.append((bytes(h), frame))
            continue
        outrecs.append((bytes(hdr), rec))
    if opened:
        hdr, eth = last_hdr
        emit(hdr, eth, A, B, pa, pb, 0x11, b'', 0)
        emit(hdr, eth, B, A, pb, pa, 0x11, b'', 1)
        emit(hdr, eth, A, B, pa, pb, 0x10, b'', 0)
    with open(out, 'wb') as f:
        f.write(data[:24])
        for h, r in outrecs:
            f.write(h + r)


if __name__ == '__main__':
    main()
