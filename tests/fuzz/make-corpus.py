#!/usr/bin/env python3
"""Writes seed corpora for the per-parser fuzz targets from the fixtures'
captures (pcap, Ethernet/SLL/SLL2/raw/null/loop; tunnels are not peeled):
SIP datagrams and TCP streams, SDP bodies, digest headers, RTP/RTCP/STUN
payloads, DNS messages, FTP control and data connections, TCP segment
sequences, pcapng files. The input formats are the ones described at the
top of each tests/fuzz/fuzz_<target>.c (units separated by SEP).
The raw seeds are then minimised with libFuzzer -merge=1 (README.md).
Usage: make-corpus.py OUTDIR FIXTURES_DIR"""
import glob, hashlib, os, re, struct, sys

SEP = b'\xff\xfe\xfd'
out, fixtures = sys.argv[1], sys.argv[2]


def frames(path):
    data = open(path, 'rb').read()
    if data[:4] not in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        return
    lt = struct.unpack('<I', data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack('<I', data[off + 8:off + 12])[0]
        yield lt, data[off + 16:off + 16 + incl]
        off += 16 + incl


def l3(lt, f):
    """(ip bytes) or None"""
    if lt == 1:
        et, o = struct.unpack('>H', f[12:14])[0], 14
        while et in (0x8100, 0x88a8):
            et, o = struct.unpack('>H', f[o + 2:o + 4])[0], o + 4
        return f[o:] if et in (0x800, 0x86dd) else None
    if lt == 113:
        return f[16:] if struct.unpack('>H', f[14:16])[0] in (0x800, 0x86dd) else None
    if lt == 276:
        return f[20:] if struct.unpack('>H', f[0:2])[0] in (0x800, 0x86dd) else None
    if lt in (101, 12, 228, 229):
        return f
    if lt in (0, 108):
        return f[4:]
    return None


def l4(ip):
    """(proto, src, dst, sport, dport, tcp_flags, seq, payload) or None"""
    if not ip:
        return None
    v = ip[0] >> 4
    if v == 4:
        ihl = (ip[0] & 15) * 4
        tot = struct.unpack('>H', ip[2:4])[0]
        if struct.unpack('>H', ip[6:8])[0] & 0x3fff:
            return None  # fragment
        proto, src, dst, body = ip[9], ip[12:16], ip[16:20], ip[ihl:tot]
    elif v == 6:
        plen = struct.unpack('>H', ip[4:6])[0]
        proto, src, dst, body = ip[6], ip[8:24], ip[24:40], ip[40:40 + plen]
    else:
        return None
    if proto == 17 and len(body) >= 8:
        sp, dp = struct.unpack('>HH', body[:4])
        return 17, src, dst, sp, dp, 0, 0, body[8:]
    if proto == 6 and len(body) >= 20:
        sp, dp, seq = struct.unpack('>HHI', body[:8])
        doff = (body[12] >> 4) * 4
        return 6, src, dst, sp, dp, body[13], seq, body[doff:]
    return None


def packets():
    for path in sorted(glob.glob(os.path.join(fixtures, '*.pcap'))):
        for lt, f in frames(path):
            p = l4(l3(lt, f))
            if p:
                yield os.path.basename(path), p


seeds = {}


def add(target, data, cap=40):
    s = seeds.setdefault(target, [])
    if len(s) < cap and data not in s:
        s.append(data)


SIP_START = re.compile(rb'^(?:[A-Z]+ [^ ]+ SIP/2\.0|SIP/2\.0 \d{3})')
per_file_sip = {}
tcp_conns = {}
dns_pairs = {}
for name, (proto, src, dst, sp, dp, fl, seq, pl) in packets():
    if proto == 17 and SIP_START.match(pl):
        per_file_sip.setdefault(name, []).append(pl)
        add('sip_udp', pl, 25)
    if proto == 17 and (sp in (53, 5353, 5355) or dp in (53, 5353, 5355)) and len(pl) >= 12:
        port = sp if sp in (53, 5353, 5355) else dp
        sel = bytes([(53, 5353, 5355).index(port)])
        key = (name, pl[:2])
        dns_pairs.setdefault(key, [sel]).append(pl)
    if proto == 17 and len(pl) >= 4:
        b0 = pl[0]
        if (b0 & 0xc0) == 0x80:
            # RTP and RTCP: vary by payload type / packet type
            k = 'rtcp%d' % pl[1] if 192 <= pl[1] <= 223 else 'rtp%d' % (pl[1] & 0x7f)
            if k not in seeds.setdefault('_rtpkeys', []):
                seeds['_rtpkeys'].append(k)
                add('rtp', pl[:400])
        elif b0 < 2 and len(pl) >= 20:
            k = 'stun%d-%d' % (struct.unpack('>H', pl[:2])[0], len(pl))
            if k not in seeds.setdefault('_stunkeys', []):
                seeds['_stunkeys'].append(k)
                add('rtp', pl)
    if proto == 6:
        a, b = (src, sp), (dst, dp)
        key = (name,) + tuple(sorted([a, b]))
        c = tcp_conns.setdefault(key, {'client': a, 'segs': []})
        if fl & 0x12 == 0x02:
            c['client'] = a
        c['segs'].append((a, fl, seq, pl))

# SIP over UDP: also whole exchanges (first 12 messages of each capture)
for name, msgs in sorted(per_file_sip.items()):
    add('sip_udp', SEP.join(msgs[:12]), 40)
    # SDP bodies and digest headers
    units = []
    for m in msgs:
        head, _, body = m.partition(b'\r\n\r\n')
        if body.startswith(b'v=0'):
            add('sdp', body, 30)
        start = head.split(b'\r\n', 1)[0]
        for line in head.split(b'\r\n')[1:]:
            hn, _, hv = line.partition(b':')
            kinds = {b'www-authenticate': 0, b'proxy-authenticate': 1,
                     b'authorization': 2 if not start.startswith(b'INVITE') else 3,
                     b'proxy-authorization': 3}
            k = kinds.get(hn.strip().lower())
            if k is not None:
                units.append(bytes([k]) + hv.strip())
        if start.startswith(b'SIP/2.0 2') and units:
            units.append(b'\x04' + b'kamailio')
    if units:
        add('digest', SEP.join(units[:16]))
        for u in units[:6]:
            add('digest', u)

# $sip$ lines from the sipdump fixture: the same fields hashcat mode 11400 takes
for line in open(os.path.join(fixtures, 'sip-call-auth.sipdump'), 'rb').read().splitlines()[:3]:
    f = line.split(b'"')
    if len(f) >= 12:
        uri = f[5]
        pre, _, res = uri.partition(b':')
        hl = b'*'.join([f[0], f[1], f[2], f[3], f[4], pre, res, b'', f[6], f[7], f[8], f[9],
                        f[10], f[11]])
        add('digest', b'\x05$sip$*' + hl)

for key, v in sorted(dns_pairs.items()):
    add('dns', v[0] + SEP.join(v[1:3]), 30)

# TCP: per connection; sip_tcp and ftp use the payloads, tcp the segments
for key, c in sorted(tcp_conns.items(), key=lambda kv: kv[0]):
    segs = c['segs']
    name = key[0]
    server_port = [p for (h, p) in key[1:] if (h, p) != c['client']]
    sport = server_port[0] if server_port else 0
    ports = (5060, 21, 53, 3478, 80)
    sel = bytes([ports.index(sport) if sport in ports else 4])
    units = []
    for (a, fl, seq, pl) in segs[:60]:
        ctl = 0 if a == c['client'] else 1
        units.append(bytes([fl & 0x3f, ctl]) + struct.pack('>I', seq) + pl[:1500])
    add('tcp', sel + SEP.join(units), 30)
    data = [(0 if a == c['client'] else 1, pl) for (a, fl, seq, pl) in segs if pl]
    if sport == 5060 or any(SIP_START.match(pl) for _, pl in data):
        add('sip_tcp', SEP.join(bytes([d]) + pl for d, pl in data[:40]), 20)
    if sport == 21:
        add('ftp', SEP.join(bytes([d]) + pl for d, pl in data[:80]), 20)

# FTP with its data connections: the control lines, then each data
# connection after the reply/command that announced it
ftp = [(k, c) for k, c in sorted(tcp_conns.items()) if k[0] == 'ftp-modes.pcap']
ctrl = [c for k, c in ftp if any(p == 21 for (h, p) in k[1:])]
datac = [c for k, c in ftp if not any(p == 21 for (h, p) in k[1:])]
if ctrl:
    c = ctrl[0]
    units = [bytes([0 if a == c['client'] else 1]) + pl for (a, fl, seq, pl) in c['segs'] if pl]
    for d in datac[:6]:
        srv = [hp for hp in ( (d['segs'][0][0],) ) ]
        # the accepting side: not the SYN sender
        h, p = [x for x in {s[0] for s in d['segs']} if x != d['client']][0]
        content = b''.join(pl for (a, fl, seq, pl) in d['segs'])[:2000]
        dirbit = 0 if any(pl for (a, fl, seq, pl) in d['segs'] if a == d['client']) else 1
        if len(h) == 4:
            units.append(bytes([4 | dirbit]) + h + struct.pack('>H', p) + content)
    add('ftp', SEP.join(units), 20)

# pcapng: the fixture, and some small captures converted with editcap
for p in sorted(glob.glob(os.path.join(fixtures, '*.pcapng'))):
    add('pcapng', open(p, 'rb').read())

import shutil, subprocess, tempfile
if shutil.which('editcap'):
    for p in ('lt-null.pcap', 'lt-sll2.pcap', 'lt-nsec.pcap', 'stun-rfc3489.pcap'):
        with tempfile.NamedTemporaryFile(suffix='.pcapng') as tf:
            subprocess.run(['editcap', '-F', 'pcapng', '-r', os.path.join(fixtures, p), tf.name,
                            '1-20'], check=True)
            add('pcapng', open(tf.name, 'rb').read())

for t, s in sorted(seeds.items()):
    if t.startswith('_'):
        continue
    d = os.path.join(out, t)
    os.makedirs(d, exist_ok=True)
    for data in s:
        open(os.path.join(d, hashlib.sha1(data).hexdigest()), 'wb').write(data)
    print(t, len(s))
