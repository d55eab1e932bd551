#!/usr/bin/env python3
"""TAP test of callextract's decoding on the baresip codec fixtures
(fixtures/codec-*.pcap). For each stream of each call:
- the report says the codec's native rate and channels and no decode error;
- the WAV correlates with the speech that side sent (after the best
  alignment; the figure is printed, the floor is a little under it);
- the WAV's samples equal those of the independent reference decoder
  (tests/tools/avdecode: a plain libavcodec loop over the stream's payloads,
  read by tests/tools/rtp_payloads.py, not by callextract) - what is under
  test is callextract's depacketising, ordering and codec parameters.
Also: the stereo mix holds both sides at the rate of the call.

Usage: test-codec-wav.py CALLEXTRACT AVDECODE SRCDIR   (needs python3-numpy)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import wave

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rtp_payloads  # noqa: E402

CX, AV, SRC = sys.argv[1], sys.argv[2], sys.argv[3]
FIX = os.path.join(SRC, "fixtures")
A8, B8 = "voip-alice.wav", "voip-bob.wav"
A16, B16 = "codec-alice-16k.wav", "codec-bob-16k.wav"
# fixture, rate, avdecode codec (+args), alice's wav, bob's wav, floor
CASES = [
    ("pcmu", 8000, ["pcmu"], A8, B8, 0.99),
    ("g722", 16000, ["g722"], A16, B16, 0.99),
    # baresip packs G.726 MSB first under the RFC 3551 names: callextract
    # must find that out (the reference is told)
    ("g726-24", 8000, ["aal2-g726-24"], A8, B8, 0.95),
    ("g726-32", 8000, ["aal2-g726-32"], A8, B8, 0.98),
    ("g726-40", 8000, ["aal2-g726-40"], A8, B8, 0.85),
    ("gsm", 8000, ["gsm"], A8, B8, 0.90),
    ("opus", 48000, ["opus"], A16, B16, 0.93),
    ("opus-stereo", 48000, ["opus"], "codec-stereo-16k.wav", B16, 0.90),
    ("amr", 8000, ["amr"], A8, B8, 0.84),
    ("amr-wb", 16000, ["amr-wb"], A16, B16, 0.94),
    ("l16", 16000, ["l16", "-r", "16000"], A16, B16, 0.999),
]


def read_wav(path):
    with wave.open(path) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
        return x.reshape(-1, w.getnchannels()), w.getframerate()


def resample(x, rate, to):
    """Band-limited resampling by FFT (for the correlation only)."""
    if rate == to:
        return x
    n = int(len(x) * to / rate)
    X = np.fft.rfft(x)
    Y = np.zeros(n // 2 + 1, dtype=complex)
    k = min(len(X), len(Y))
    Y[:k] = X[:k]
    return np.fft.irfft(Y, n) * (n / len(x))


def best_corr(x, ref):
    n = 1
    while n < len(x) + len(ref):
        n *= 2
    c = np.fft.irfft(np.fft.rfft(x, n) * np.conj(np.fft.rfft(ref, n)), n)[:len(x)]
    lag = int(np.argmax(c))
    seg = x[lag:lag + len(ref)]
    r = ref[:len(seg)]
    if len(seg) < 2 or seg.std() == 0:
        return 0.0
    return float(np.corrcoef(seg, r)[0, 1])


def main():
    results = []

    def ok(cond, msg):
        results.append((bool(cond), msg))

    tmp = tempfile.mkdtemp(prefix="cx-codec-")
    try:
        for name, rate, avargs, aw, bw, floor in CASES:
            cap = os.path.join(FIX, f"codec-{name}.pcap")
            out = os.path.join(tmp, name)
            subprocess.run([CX, cap, "-o", out], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            rep = json.load(open(os.path.join(out, "report.json")))
            streams = [s for s in rep["streams"] if s.get("ssrc")]
            ok(len(streams) == 2, f"{name}: {len(streams)} streams")
            for s in streams:
                who = "alice" if s["sender"] == "caller" else "bob"
                a = s.get("audio") or {}
                if not s.get("wav"):
                    ok(False, f"{name} {who}: no WAV ({s.get('reason')})")
                    continue
                x, wrate = read_wav(os.path.join(out, s["wav"]))
                ch = x.shape[1]
                ok(wrate == rate and a.get("rate") == rate and a.get("channels") == ch and
                   a.get("decode_errors") == 0 and s["lost"] == 0,
                   f"{name} {who}: WAV {wrate} Hz {ch} ch, report {a.get('rate')} Hz "
                   f"{a.get('channels')} ch, {a.get('decode_errors')} decode errors")
                ref, rrate = read_wav(os.path.join(FIX, aw if who == "alice" else bw))
                cors = [best_corr(resample(x[:, c], wrate, rrate), ref[:, min(c, ref.shape[1] - 1)])
                        for c in range(ch)]
                ok(min(cors) >= floor, f"{name} {who}: correlation with the speech sent "
                   + "/".join(f"{c:.4f}" for c in cors) + f" (floor {floor})")
                # the same payloads through the reference decoder
                port = int(s["src"].rsplit(":", 1)[1])
                pk = rtp_payloads.rtp_packets(cap, port=port, pt=s["payload_type"])
                lines = "".join(f"{q & 0xFFFF}\t{pl.hex()}\n" for q, _, _, _, pl in pk)
                refwav = os.path.join(tmp, "ref.wav")
                args = avargs + (["-c", str(ch)] if avargs[0] in ("opus", "l16") else [])
                subprocess.run([AV] + args + ["-o", refwav], input=lines.encode(),
                               stderr=subprocess.DEVNULL, check=True)
                y, _ = read_wav(refwav)
                same = x.shape == y.shape and np.array_equal(x, y)
                if not same:
                    n = min(len(x), len(y))
                    diff = int(np.count_nonzero(x[:n] != y[:n]))
                    detail = f"{len(x)} vs {len(y)} frames, {diff} of the first {n} differ"
                else:
                    detail = f"{len(x)} frames"
                ok(same, f"{name} {who}: samples equal the reference decode ({detail})")
            st = os.path.join(out, os.path.dirname(streams[0]["wav"]), "stereo.wav")
            if os.path.exists(st):
                x, srate = read_wav(st)
                ok(srate == rate and x.shape[1] == 2, f"{name}: stereo mix at {srate} Hz")
            else:
                ok(False, f"{name}: no stereo mix")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"1..{len(results)}")
    for i, (good, msg) in enumerate(results, 1):
        print(f"{'ok' if good else 'not ok'} {i} - {msg}")
    return 0 if all(g for g, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
