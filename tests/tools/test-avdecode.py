#!/usr/bin/env python3
"""TAP test of the reference decoder (tests/tools/avdecode) on the baresip codec
fixtures (fixtures/codec-*.pcap): each side's RTP payloads (tests/tools/
rtp_payloads.py, ports from the SDP) are decoded and must correlate with the
speech WAV that side sent, after the best alignment. The floors are a little
under the figures measured (fixtures/README.md lists them); a wrong decoder,
packing or channel order falls far below (garbage correlates ~0.0).
Also: AMR payloads re-packed here to bandwidth-efficient (RFC 4867 4.3) must
decode, with -b, to the same samples as the octet-aligned originals; the
stereo Opus call's channels must hold different speech.

Usage: test-avdecode.py AVDECODE SRCDIR   (needs python3-numpy)
"""
import os
import subprocess
import sys
import wave

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rtp_payloads  # noqa: E402

AV, SRC = sys.argv[1], sys.argv[2]
FIX = os.path.join(SRC, "fixtures")

# fixture, avdecode args, compare rate, alice's wav, bob's wav, floor
A8, B8 = "voip-alice.wav", "voip-bob.wav"
A16, B16 = "codec-alice-16k.wav", "codec-bob-16k.wav"
CASES = [
    ("pcmu", ["pcmu"], A8, B8, 0.99),
    ("g722", ["g722"], A16, B16, 0.99),
    # baresip 1.0.0 packs G.726 MSB first (spandsp G726_PACKING_LEFT, the
    # AAL2/ITU order) under the RFC 3551 names, which mean LSB first
    ("g726-24", ["aal2-g726-24"], A8, B8, 0.95),
    ("g726-32", ["aal2-g726-32"], A8, B8, 0.98),
    ("g726-40", ["aal2-g726-40"], A8, B8, 0.85),
    ("gsm", ["gsm"], A8, B8, 0.90),
    ("opus", ["opus", "-c", "1", "-R", "16000"], A16, B16, 0.93),
    ("amr", ["amr"], A8, B8, 0.84),
    ("amr-wb", ["amr-wb"], A16, B16, 0.94),
    ("l16", ["l16", "-r", "16000"], A16, B16, 0.999),
]


def read_wav(path):
    with wave.open(path) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
        return x.reshape(-1, w.getnchannels()), w.getframerate()


def best_corr(x, ref):
    """Max over lags of the correlation coefficient of x[lag:lag+len(ref)] and ref."""
    n = 1
    while n < len(x) + len(ref):
        n *= 2
    c = np.fft.irfft(np.fft.rfft(x, n) * np.conj(np.fft.rfft(ref, n)), n)[:len(x)]
    lag = int(np.argmax(c))
    seg = x[lag:lag + len(ref)]
    r = ref[:len(seg)]
    if len(seg) < 2 or seg.std() == 0:
        return 0.0, lag
    return float(np.corrcoef(seg, r)[0, 1]), lag


def sides(cap):
    """(alice's RTP port, bob's RTP port, payload type) from the INVITE and the 200."""
    bodies = list(rtp_payloads.sdp_bodies(cap))
    inv = next(b for b in bodies if b[0].startswith("INVITE"))
    ok = next(b for b in bodies if b[0].startswith("SIP/2.0 200"))
    pt = int(inv[2][0].split(":")[1].split()[0])
    return inv[1], ok[1], pt


def decode(args, lines, tmp):
    p = subprocess.run([AV] + args + ["-o", tmp], input="".join(lines).encode(),
                       stderr=subprocess.PIPE, check=True)
    x, rate = read_wav(tmp)
    return x, rate, p.stderr.decode().strip()


def payload_lines(cap, port, pt):
    return [f"{s & 0xFFFF}\t{pl.hex()}\n" for s, _, _, _, pl in
            rtp_payloads.rtp_packets(cap, port=port, pt=pt)]


def amr_bits():
    """Speech bits per frame type (TS 26.101 / 26.201) for AMR and AMR-WB."""
    nb = {0: 95, 1: 103, 2: 118, 3: 134, 4: 148, 5: 159, 6: 204, 7: 244, 8: 39, 15: 0}
    wb = {0: 132, 1: 177, 2: 253, 3: 285, 4: 317, 5: 365, 6: 397, 7: 461, 8: 477,
          9: 40, 14: 0, 15: 0}
    return nb, wb


def repack_bwe(oa, table):
    """Octet-aligned AMR payload -> bandwidth-efficient (RFC 4867 4.3/4.4)."""
    bits = format(oa[0] >> 4, "04b")              # CMR
    i, tocs = 1, []
    while True:
        t = oa[i]
        i += 1
        tocs.append(((t >> 3) & 15, (t >> 2) & 1))
        bits += format(t >> 7, "01b") + format((t >> 3) & 15, "04b") + format((t >> 2) & 1, "01b")
        if not t >> 7:
            break
    for ft, _ in tocs:
        n = table[ft]
        fb = "".join(format(b, "08b") for b in oa[i:i + (n + 7) // 8])[:n]
        i += (n + 7) // 8
        bits += fb
    bits += "0" * (-len(bits) % 8)
    return bytes(int(bits[k:k + 8], 2) for k in range(0, len(bits), 8))


def main():
    tmp = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"avdecode-test-{os.getpid()}.wav")
    results = []

    def ok(cond, msg):
        results.append((bool(cond), msg))

    try:
        for name, args, aw, bw, floor in CASES:
            cap = os.path.join(FIX, f"codec-{name}.pcap")
            pa, pb, pt = sides(cap)
            for who, port, wav in (("alice", pa, aw), ("bob", pb, bw)):
                ref, rrate = read_wav(os.path.join(FIX, wav))
                x, rate, info = decode(args, payload_lines(cap, port, pt), tmp)
                if rate != rrate:
                    ok(False, f"{name} {who}: rate {rate} != {rrate}")
                    continue
                r, lag = best_corr(x[:, 0], ref[:, 0])
                ok(r >= floor, f"{name} {who}: corr {r:.3f} (floor {floor}) at lag {lag}, {info}")

        # the same G.726 payloads read in RFC 3551 order are noise
        for r in (24, 32, 40):
            cap = os.path.join(FIX, f"codec-g726-{r}.pcap")
            pa, _, pt = sides(cap)
            ref, _ = read_wav(os.path.join(FIX, A8))
            x, _, info = decode([f"g726-{r}"], payload_lines(cap, pa, pt), tmp)
            rr, _ = best_corr(x[:, 0], ref[:, 0])
            ok(rr < 0.7, f"g726-{r} alice read as RFC 3551 (g726le): corr {rr:.3f} (< 0.7)")

        # stereo Opus: alice sent L = her sentence, R = another one
        cap = os.path.join(FIX, "codec-opus-stereo.pcap")
        pa, pb, pt = sides(cap)
        ref, _ = read_wav(os.path.join(FIX, "codec-stereo-16k.wav"))
        x, rate, info = decode(["opus", "-c", "2", "-R", "16000"], payload_lines(cap, pa, pt), tmp)
        rl, _ = best_corr(x[:, 0], ref[:, 0])
        rr, _ = best_corr(x[:, 1], ref[:, 1])
        cross, _ = best_corr(x[:, 0], ref[:, 1])
        ok(rl >= 0.9 and rr >= 0.9 and cross < 0.3 and x.shape[1] == 2,
           f"opus-stereo alice: L corr {rl:.3f}, R corr {rr:.3f}, L vs R sentence {cross:.3f}, {info}")
        bref, _ = read_wav(os.path.join(FIX, B16))
        x, rate, info = decode(["opus", "-c", "2", "-R", "16000"], payload_lines(cap, pb, pt), tmp)
        r0, _ = best_corr(x[:, 0], bref[:, 0])
        r1, _ = best_corr(x[:, 1], bref[:, 0])
        ok(r0 >= 0.92 and r1 >= 0.92, f"opus-stereo bob (mono upmixed): corr {r0:.3f} / {r1:.3f}, {info}")

        # AMR bandwidth-efficient: same samples as octet-aligned
        nb, wb = amr_bits()
        for name, table in (("amr", nb), ("amr-wb", wb)):
            cap = os.path.join(FIX, f"codec-{name}.pcap")
            pa, _, pt = sides(cap)
            pk = rtp_payloads.rtp_packets(cap, port=pa, pt=pt)
            oa = [f"{s & 0xFFFF}\t{pl.hex()}\n" for s, _, _, _, pl in pk]
            be = [f"{s & 0xFFFF}\t{repack_bwe(pl, table).hex()}\n" for s, _, _, _, pl in pk]
            x1, _, _ = decode([name], oa, tmp)
            x2, _, info = decode([name, "-b"], be, tmp)
            shorter = sum(len(b) < len(a) for a, b in zip(oa, be))
            ok(x1.shape == x2.shape and np.array_equal(x1, x2) and shorter == len(oa),
               f"{name} bandwidth-efficient repack ({shorter}/{len(oa)} payloads shorter) "
               f"decodes to the same {len(x1)} samples, {info}")
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)

    print(f"1..{len(results)}")
    for i, (good, msg) in enumerate(results, 1):
        print(f"{'ok' if good else 'not ok'} {i} - {msg}")
    return 0 if all(g for g, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
