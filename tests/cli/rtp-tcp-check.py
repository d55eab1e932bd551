#!/usr/bin/env python3
"""RTP over TCP (RFC 4571) as callextract reports it, against this script's
own reading of the capture: the TCP connection on PORT reassembled here
(by sequence number), its two-byte length prefixes cut, each frame RTP
(version 2, not RTCP types 200-213) or RTCP.

  rtp-tcp-check.py report OUTDIR CAPTURE PORT SPEECH...
      every RTP stream of the connection is in report.json with transport
      "TCP (RFC 4571)", its packet count, expected, lost 0, first/last
      sequence as counted here; its WAV is exactly the G.711 mu-law decode
      of its payloads in sequence order; and it correlates (> 0.9) with one
      of the SPEECH files (what was sent), and not (< 0.3) with the others. Prints one line per check, exit 1
      on any failure.
  rtp-tcp-check.py corrupt CAPTURE PORT OUT MODE
      writes a damaged copy: MODE "version" clears the version bits of the
      RTP frame in the middle of the server's direction (one bad frame);
      "length" sets the length of the client's last frame to 0xffff (a
      frame longer than the connection); "snap" cuts 40 bytes off a segment
      in the middle of the client's direction (caplen < wire length: bytes
      the capture does not hold). Prints the SSRC and sequence number hit
      (nothing for an RTCP packet).

Classic pcap, Ethernet, IPv4, TCP only: written for the fixture.
"""
import json
import struct
import sys
import wave


def records(path):
    data = open(path, 'rb').read()
    e = '<' if data[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
    out, off = [], 24
    while off + 16 <= len(data):
        hdr = data[off:off + 16]
        cap = struct.unpack(e + 'IIII', hdr)[2]
        out.append([hdr, bytearray(data[off + 16:off + 16 + cap])])
        off += 16 + cap
    return data[:24], e, out


def tcp_of(rec):
    """(src, sport, dst, dport, seq, payload offset, payload length) or None."""
    if len(rec) < 34 or rec[12:14] != b'\x08\x00' or rec[23] != 6:
        return None
    ihl = (rec[14] & 15) * 4
    tot = struct.unpack('>H', rec[16:18])[0]
    t = 14 + ihl
    sp, dp, seq = struct.unpack('>HHI', rec[t:t + 8])
    doff = (rec[t + 12] >> 4) * 4
    po = t + doff
    return (bytes(rec[26:30]), sp, bytes(rec[30:34]), dp, seq, po, 14 + tot - po)


def streams(path, port):
    """{dir: [(frame no, bytes)]} of the connection, dir 0 to PORT, 1 from it."""
    _, _, recs = records(path)
    seen = {0: {}, 1: {}}
    for i, (_, rec) in enumerate(recs):
        t = tcp_of(rec)
        if not t or port not in (t[1], t[3]):
            continue
        d = 0 if t[3] == port else 1
        pl = bytes(rec[t[5]:t[5] + t[6]])
        if pl and t[4] not in seen[d]:
            seen[d][t[4]] = (i + 1, pl)
    return {d: [seen[d][s] for s in sorted(seen[d])] for d in seen}


def deframe(chunks):
    b = b''.join(pl for _, pl in chunks)
    o, frames = 0, []
    while o + 2 <= len(b):
        n = b[o] << 8 | b[o + 1]
        if o + 2 + n > len(b):
            break
        frames.append(b[o + 2:o + 2 + n])
        o += 2 + n
    return frames


def is_rtcp(f):
    return len(f) >= 2 and 200 <= f[1] <= 213


def rtp_fields(f):
    cc = f[0] & 15
    seq, ts, ssrc = struct.unpack('>HII', f[2:12])
    o = 12 + 4 * cc
    if f[0] & 0x10:
        o += 4 + 4 * struct.unpack('>H', f[o + 2:o + 4])[0]
    end = len(f) - (f[-1] if f[0] & 0x20 else 0)
    return seq, ssrc, f[1] & 127, f[o:end]


def ulaw(b):
    out = []
    for u in b:
        u = ~u & 0xff
        t = ((u & 0x0f) << 3) + 0x84
        t <<= (u & 0x70) >> 4
        out.append((0x84 - t) if u & 0x80 else (t - 0x84))
    return out


def wav_samples(path):
    w = wave.open(path)
    raw = w.readframes(w.getnframes())
    return list(struct.unpack('<%dh' % (len(raw) // 2), raw))


def correlation(a, b):
    """Best normalised correlation of a and b within 10 ms of alignment
    (the WAV begins with the stream's first packet, the speech file with
    its first sample)."""
    n = min(len(a), len(b))
    best = 0.0
    for lag in range(-80, 81, 4):
        x = a[max(0, lag):n + min(0, lag)]
        y = b[max(0, -lag):n - max(0, lag)]
        m = min(len(x), len(y))
        sx = sum(v * v for v in x[:m]) ** .5
        sy = sum(v * v for v in y[:m]) ** .5
        if sx and sy:
            best = max(best, sum(p * q for p, q in zip(x[:m], y[:m])) / (sx * sy))
    return best


def report(outdir, cap, port, speech):
    r = json.load(open(outdir + '/report.json'))
    bad = 0
    by_ssrc = {}
    for d, chunks in streams(cap, port).items():
        for f in deframe(chunks):
            if is_rtcp(f):
                continue
            seq, ssrc, pt, pl = rtp_fields(f)
            by_ssrc.setdefault(ssrc, []).append((seq, pt, pl))
    refs = [wav_samples(s) for s in speech]

    def check(ok, what):
        nonlocal bad
        print(('ok ' if ok else 'FAIL ') + what)
        bad += not ok

    check(len(by_ssrc) >= 1, '%d RTP streams on the connection' % len(by_ssrc))
    for ssrc, pk in sorted(by_ssrc.items()):
        name = '0x%08X' % ssrc
        s = [x for x in r['streams'] if x['ssrc'] == name]
        check(len(s) == 1, '%s: one report entry' % name)
        if len(s) != 1:
            continue
        s = s[0]
        seqs = [q for q, _, _ in pk]
        exp = (seqs[-1] - seqs[0]) % 65536 + 1
        check(s['transport'] == 'TCP (RFC 4571)', '%s: transport %s' % (name, s['transport']))
        check(s['packets'] == len(pk) and s['expected'] == exp and s['lost'] == exp - len(pk),
              '%s: packets %d expected %d lost %d (here: %d, %d, %d)' %
              (name, s['packets'], s['expected'], s['lost'], len(pk), exp, exp - len(pk)))
        check(s['duplicates'] == 0 and s['out_of_order'] == 0, '%s: no duplicates, none out of order' % name)
        if not s.get('wav'):
            check(False, '%s: no WAV (%s)' % (name, s.get('reason')))
            continue
        got = wav_samples(outdir + '/' + s['wav'])
        want = [v for _, _, pl in sorted(pk, key=lambda x: x[0]) for v in ulaw(pl)]
        check(got == want, '%s: the WAV (%d samples) is the mu-law decode of the payloads (%d)' %
              (name, len(got), len(want)))
        cs = [correlation(got, ref) for ref in refs]
        check(sum(c > 0.9 for c in cs) == 1 and sum(c < 0.3 for c in cs) == len(cs) - 1,
              '%s: correlates with one of the speeches sent, not the others (%s)' %
              (name, ', '.join('%.3f' % c for c in cs)))
    return bad


def corrupt(cap, port, out, mode):
    head, e, recs = records(cap)
    d = 1 if mode == 'version' else 0
    idx = []
    for i, (_, rec) in enumerate(recs):
        t = tcp_of(rec)
        if t and t[6] > 0 and ((d == 0 and t[3] == port) or (d == 1 and t[1] == port)):
            idx.append((i, t))
    # segments that begin with a whole RTP frame
    whole = [(i, t) for i, t in idx
             if recs[i][1][t[5]] << 8 | recs[i][1][t[5] + 1] == t[6] - 2 and not is_rtcp(recs[i][1][t[5] + 2:t[5] + 4])]
    if mode == 'version':
        i, t = whole[len(whole) // 2]
        recs[i][1][t[5] + 2] &= 0x3f
    elif mode == 'length':
        i, t = idx[-1]
        recs[i][1][t[5]:t[5] + 2] = b'\xff\xff'
    else:
        i, t = whole[len(whole) // 2]
        hdr = bytearray(recs[i][0])
        cap_len = struct.unpack(e + 'I', hdr[8:12])[0] - 40
        hdr[8:12] = struct.pack(e + 'I', cap_len)
        recs[i][0] = bytes(hdr)
        recs[i][1] = recs[i][1][:cap_len]
    f = recs[i][1][t[5] + 2:]
    if len(f) >= 12 and not is_rtcp(f[:4]):
        print('0x%08X %d' % (struct.unpack('>I', bytes(f[8:12]))[0], struct.unpack('>H', bytes(f[2:4]))[0]))
    with open(out, 'wb') as o:
        o.write(head)
        for h, rec in recs:
            o.write(h)
            o.write(rec)
    return 0


if __name__ == '__main__':
    a = sys.argv[1:]
    if a[0] == 'report':
        sys.exit(1 if report(a[1], a[2], int(a[3]), a[4:]) else 0)
    sys.exit(corrupt(a[1], int(a[2]), a[3], a[4]))
