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

# Wrappers, SRTP and codecs (fuzz_hep.c, fuzz_ws.c, fuzz_tls.c, fuzz_srtp.c,
# fuzz_codec.c): HEP datagrams and streams, WebSocket and TLS connections,
# SRTP/SRTCP packets with the a=crypto values that key them, RTP payloads
# per codec entry.
def is_hep(pl):
    return pl[:4] == b'HEP3' or (len(pl) >= 16 and pl[0] in (1, 2) and pl[1] >= 16)

for name in ('wrap-hep1.pcap', 'wrap-hep2.pcap', 'wrap-hep3.pcap', 'wrap-hep-seeds.pcap'):
    dgs = [pl for n, (proto, src, dst, sp, dp, fl, seq, pl) in packets()
           if n == name and proto == 17 and is_hep(pl)]
    if dgs:
        add('hep', SEP.join(b'\x04' + d for d in dgs[:12]))
        for d in dgs[:6]:
            add('hep', b'\x04' + d)
for key, c in sorted(tcp_conns.items(), key=lambda kv: kv[0]):
    name = key[0]
    data = [(0 if a == c['client'] else 1, pl) for (a, fl, seq, pl) in c['segs'] if pl]
    if not data:
        continue
    target = ('hep' if name.startswith('wrap-hep') and is_hep(data[0][1]) else
              'ws' if name == 'wrap-ws.pcap' else
              'tls' if name.startswith('wrap-tls') and data[0][1][:1] == b'\x16' else None)
    if target:
        add(target, SEP.join(bytes([d]) + pl for d, pl in data[:40]), 20)
        if target != 'hep':
            # the opening alone (upgrade / hellos), smaller for the mutator
            add(target, SEP.join(bytes([d]) + pl for d, pl in data[:4]), 20)

crypto = {'sip-call-srtp-80.pcap': [], 'sip-call-srtp-32.pcap': [], 'sip-call-srtp-80-midcall.pcap': []}
srtp = {}
for name, (proto, src, dst, sp, dp, fl, seq, pl) in packets():
    if name not in crypto or proto != 17:
        continue
    for m in re.finditer(rb'a=crypto:([^\r\n]+)', pl):
        if m.group(1) not in crypto[name]:
            crypto[name].append(m.group(1))
    if len(pl) >= 12 and (pl[0] & 0xc0) == 0x80 and not SIP_START.match(pl):
        kind = 1 if 192 <= pl[1] <= 223 else 0
        ssrc = pl[4:8] if kind else pl[8:12]
        srtp.setdefault((name, ssrc), []).append(bytes([kind]) + pl)
for (name, ssrc), pk in sorted(srtp.items()):
    rtp = [p for p in pk if p[0] == 0]
    rtcp = [p for p in pk if p[0] == 1]
    add('srtp', SEP.join(rtp[:6] + rtcp[:2]), 30)
    if rtp:
        add('srtp', rtp[-1], 30)
        # re-keyed: a=crypto lines of the capture first, then its packets
        add('srtp', SEP.join([b'\x02' + l for l in crypto[name]] + rtp[:3]), 30)
    if rtcp:
        add('srtp', rtcp[0], 30)
for name, lines in sorted(crypto.items()):
    for l in lines:
        add('srtp', b'\x02' + l, 30)
        # the same key as a --srtp-key option
        add('srtp', b'\x03' + b'0x1234abcd ' + l.split(b' ', 1)[1], 30)
add('srtp', b'\x03' + b'[::1]:4000 AES_CM_128_HMAC_SHA1_80 inline:3g8EXXc5j3oPSPx0/Itk3pCJLJoC+KxcIvUkHrYo|2^20|1:4', 30)

# codec entries by index (src/codec/codec.c table order) and params byte
# (fuzz_codec.c): bit 2 two channels, bit 3 an fmtp, bits 0-1 the clock
codec_files = {'codec-pcmu.pcap': (0, 0), 'codec-g722.pcap': (2, 0), 'codec-g726-24.pcap': (4, 0),
               'codec-g726-32.pcap': (5, 0), 'codec-g726-40.pcap': (6, 0), 'codec-gsm.pcap': (13, 0),
               'codec-amr.pcap': (15, 8), 'codec-amr-wb.pcap': (16, 8 | 1), 'codec-opus.pcap': (17, 3),
               'codec-opus-stereo.pcap': (17, 4 | 3), 'codec-l16.pcap': (19, 1)}
pay = {}
for name, (proto, src, dst, sp, dp, fl, seq, pl) in packets():
    if name in codec_files and proto == 17 and len(pl) > 12 and (pl[0] & 0xc0) == 0x80 \
            and (pl[1] & 0x7f) < 100 and not 192 <= pl[1] <= 223 and not SIP_START.match(pl):
        o = 12 + 4 * (pl[0] & 15)
        if pl[0] & 0x10 and len(pl) >= o + 4:
            o += 4 + 4 * struct.unpack('>H', pl[o + 2:o + 4])[0]
        if pl[0] & 0x20:
            pl = pl[:len(pl) - pl[-1]]
        pay.setdefault(name, []).append(pl[o:])
for name, ps in sorted(pay.items()):
    e, prm = codec_files[name]
    add('codec', bytes([e, prm]) + SEP.join(ps[:4]), 40)
    add('codec', bytes([e, prm ^ 8]) + ps[len(ps) // 2], 40)
# entries without a fixture: one G.711 payload given to each (decoders see
# foreign bytes; G.729/G.723.1/iLBC frame sizes from the payload length)
if 'codec-pcmu.pcap' in pay:
    p = pay['codec-pcmu.pcap'][0]
    for e, n in ((1, 160), (3, 40), (7, 60), (11, 20), (11, 22), (12, 24), (12, 20), (14, 38), (14, 50),
                 (18, 60), (19, 160), (20, 8), (21, 40), (22, 40), (23, 40), (24, 40)):
        add('codec', bytes([e, 0]) + p[:n], 40)

for t, s in sorted(seeds.items()):
    if t.startswith('_'):
        continue
    d = os.path.join(out, t)
    os.makedirs(d, exist_ok=True)
    for data in s:
        open(os.path.join(d, hashlib.sha1(data).hexdigest()), 'wb').write(data)
    print(t, len(s))
