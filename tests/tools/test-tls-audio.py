#!/usr/bin/env python3
"""TAP test: the SRTP call behind TLS is heard. callextract opens the TLS
(key log file, or the pcapng's Decryption Secrets Block), reads the SDES
keys in the decrypted SDP, decrypts the SRTP and writes the WAVs; each
stream's WAV must correlate with the speech that side sent (alice, the
caller, fixtures/voip-alice.wav; bob fixtures/voip-bob.wav) after the best
alignment. Without the key log the TLS 1.3 call's keys stay inside TLS: its
streams are only guessed by the heuristics, and what they hold is not the
speech (correlation under 0.2: the SRTP payloads decoded as if they were
PCMU, the media room's heuristic does not flag them as encrypted). The TLS 1.2
capture also carries kamailio's clear HEP copies: there the keys, and so the
speech, leak without any key log (hep.clear_copy_of_tls).
Usage: test-tls-audio.py CALLEXTRACT SRCDIR   (needs python3-numpy)"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import wave

import numpy as np

CX, SRC = sys.argv[1], sys.argv[2]
FIX = os.path.join(SRC, "fixtures")
CASES = [
    # capture, key log, heard without the key log
    ("wrap-tls13-srtp.pcap", "wrap-tls13-srtp.keys", False),
    ("wrap-tls12-srtp.pcap", "wrap-tls12-srtp.keys", True),
    ("wrap-tls13-srtp-dsb.pcapng", None, None),
]
FLOOR = 0.98


def read_wav(path):
    with wave.open(path) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
        return x, w.getframerate()


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

    alice, _ = read_wav(os.path.join(FIX, "voip-alice.wav"))
    bob, _ = read_wav(os.path.join(FIX, "voip-bob.wav"))
    tmp = tempfile.mkdtemp(prefix="cx-tls-audio-")
    try:
        for cap, keys, leaks in CASES:
            for with_keys in ([True, False] if keys else [True]):
                out = os.path.join(tmp, f"{cap}-{with_keys}")
                args = [CX, os.path.join(FIX, cap), "-o", out, "-q"]
                if keys and with_keys:
                    args += ["--tls-keylog", os.path.join(FIX, keys)]
                subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                rep = json.load(open(os.path.join(out, "report.json")))
                streams = rep.get("streams", [])
                wavs = [s for s in streams if s.get("wav")]
                if not with_keys and not leaks:
                    cors = [best_corr(read_wav(os.path.join(out, s["wav"]))[0], ref)
                            for s in wavs for ref in (alice, bob)]
                    ok(all(c < 0.2 for c in cors) and not any(s.get("srtp") for s in streams),
                       f"{cap} without the key log: no speech recovered (best correlation "
                       f"{max(cors, default=0):.3f} in {len(wavs)} guessed streams)")
                    continue
                ok(len(wavs) == 2, f"{cap}{'' if with_keys else ' without the key log (HEP copies)'}: "
                   f"two streams with audio ({len(wavs)})")
                for s in wavs:
                    x, rate = read_wav(os.path.join(out, s["wav"]))
                    caller = "-caller-" in s["wav"]
                    ref = alice if caller else bob
                    c = best_corr(x, ref)
                    ok(rate == 8000 and c >= FLOOR and s["srtp"]["decrypted"] >= 400,
                       f"{cap}{'' if with_keys else ' (no key log)'} {'alice' if caller else 'bob'}: SRTP {s['srtp']['decrypted']} packets "
                       f"decrypted, correlation with the speech sent {c:.4f} (floor {FLOOR})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"1..{len(results)}")
    for i, (good, msg) in enumerate(results, 1):
        print(f"{'ok' if good else 'not ok'} {i} - {msg}")
    return 0 if all(g for g, _ in results) else 1


sys.exit(main())
