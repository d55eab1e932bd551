#!/usr/bin/env python3
"""RTP payloads of a capture, without tshark, for the codec tests.

rtp_payloads.py CAPTURE [--port SRCPORT | --ssrc 0xSSRC] [--pt N]
prints "SEQ<TAB>HEX" lines sorted by extended sequence number (the input
avdecode reads), like `tshark -T fields -e rtp.seq -e rtp.payload` sorted by
seq. `--sdp` prints, for each SIP message with SDP, its first line, the
m=audio port and the rtpmap/fmtp lines instead.

Reads classic pcap (any byte order, us or ns) with Ethernet, Linux SLL,
BSD loopback/null or raw IP link types; IPv4 (no fragments) and IPv6
(no extension headers); UDP only. Written for the fixtures, not for hostile
input: a record it cannot read is skipped.
"""
import re
import struct
import sys


def udp_datagrams(path):
    """Yields (src_ip, sport, dst_ip, dport, payload) in capture order."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise SystemExit(f"{path}: not a classic pcap file")
    linktype = struct.unpack(e + "I", data[20:24])[0] & 0xFFFF
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(e + "IIII", data[off:off + 16])
        rec = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if linktype == 1:                     # Ethernet (+ VLAN tags)
            p, et = 14, struct.unpack(">H", rec[12:14])[0]
            while et in (0x8100, 0x88A8) and len(rec) >= p + 4:
                et = struct.unpack(">H", rec[p + 2:p + 4])[0]
                p += 4
        elif linktype == 113:                 # Linux cooked v1
            p, et = 16, struct.unpack(">H", rec[14:16])[0]
        elif linktype == 276:                 # Linux cooked v2
            p, et = 20, struct.unpack(">H", rec[0:2])[0]
        elif linktype in (0, 108):            # BSD null / loop
            p, et = 4, None
        elif linktype in (12, 101):           # raw IP
            p, et = 0, None
        else:
            raise SystemExit(f"{path}: link type {linktype} not handled")
        ip = rec[p:]
        if len(ip) < 20:
            continue
        v = ip[0] >> 4
        if v == 4 and et in (None, 0x0800):
            ihl = (ip[0] & 15) * 4
            if ip[9] != 17 or struct.unpack(">H", ip[6:8])[0] & 0x3FFF:
                continue
            src, dst = ".".join(map(str, ip[12:16])), ".".join(map(str, ip[16:20]))
            udp = ip[ihl:struct.unpack(">H", ip[2:4])[0]]
        elif v == 6 and et in (None, 0x86DD) and len(ip) >= 48:
            if ip[6] != 17:
                continue
            src, dst = ip[8:24].hex(), ip[24:40].hex()
            udp = ip[40:40 + struct.unpack(">H", ip[4:6])[0]]
        else:
            continue
        if len(udp) < 8:
            continue
        sport, dport, ulen = struct.unpack(">HHH", udp[:6])
        yield src, sport, dst, dport, udp[8:ulen]


def sdp_bodies(path):
    """Yields (first line, m=audio port, [rtpmap/fmtp lines]) of SIP messages with SDP."""
    for _, _, _, _, pl in udp_datagrams(path):
        if not (pl.startswith(b"SIP/2.0 ") or re.match(rb"^[A-Z]+ sip:", pl)):
            continue
        text = pl.decode("latin-1")
        m = re.search(r"^m=audio (\d+) ", text, re.M)
        if not m:
            continue
        attrs = re.findall(r"^a=((?:rtpmap|fmtp):.*?)\r?$", text, re.M)
        yield text.split("\r\n", 1)[0], int(m.group(1)), attrs


def rtp_packets(path, port=None, ssrc=None, pt=None):
    """RTP packets [(ext_seq, ts, pt, marker, payload)] of one stream, sorted by seq."""
    out, last, cycles = [], None, 0
    for _, sport, _, _, pl in udp_datagrams(path):
        if len(pl) < 12 or pl[0] >> 6 != 2:
            continue
        if port is not None and sport != port:
            continue
        b1 = pl[1]
        if 72 <= (b1 & 0x7F) <= 76:       # RTCP SR/RR/SDES/BYE/APP on the same port
            continue
        seq, ts, s = struct.unpack(">HII", pl[2:12])
        if ssrc is not None and s != ssrc:
            continue
        if pt is not None and (b1 & 0x7F) != pt:
            continue
        h = 12 + 4 * (pl[0] & 15)
        if pl[0] & 0x10:                    # header extension
            h += 4 + 4 * struct.unpack(">H", pl[h + 2:h + 4])[0]
        end = len(pl)
        if pl[0] & 0x20:                    # padding
            end -= pl[-1]
        if last is not None and seq < last and last - seq > 0x8000:
            cycles += 1
        last = seq
        out.append(((cycles << 16) | seq, ts, b1 & 0x7F, b1 >> 7, pl[h:end]))
    out.sort(key=lambda r: r[0])
    return out


def main(argv):
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("capture")
    ap.add_argument("--port", type=int)
    ap.add_argument("--ssrc", type=lambda x: int(x, 0))
    ap.add_argument("--pt", type=int)
    ap.add_argument("--sdp", action="store_true")
    a = ap.parse_args(argv)
    if a.sdp:
        for first, port, attrs in sdp_bodies(a.capture):
            print(f"{first}\tport {port}\t" + " | ".join(attrs))
        return 0
    for seq, _, _, _, pl in rtp_packets(a.capture, a.port, a.ssrc, a.pt):
        print(f"{seq & 0xFFFF}\t{pl.hex()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
