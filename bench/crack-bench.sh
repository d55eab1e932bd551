#!/usr/bin/env bash
# Password-audit speed: candidates per second per core, callextract's
# --wordlist against sipcrack on the same input (fixtures/sip-call-auth.pcap,
# through sipdump for sipcrack), with a wordlist that holds none of the
# passwords so every candidate is tried against every exchange.
# John the Ripper's SIP format is only in the jumbo build, which Debian does
# not package; it is skipped when `john --list=formats` lacks SIP.
# Usage: bench/crack-bench.sh [CANDIDATES (default 2000000)]
set -euo pipefail
n=${1:-2000000}
top=$(cd "$(dirname "$0")/.." && pwd)
bld=$top/build-bench
work=${BENCH_DIR:-/tmp/callextract-bench}
mkdir -p "$work"
[ -d "$bld" ] || meson setup "$bld" "$top" --buildtype=release -Dtests=false >/dev/null
ninja -C "$bld" >/dev/null
wl=$work/words-$n.txt
[ -f "$wl" ] || awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "cand%08dx\n", i }' > "$wl"
cap=$top/fixtures/sip-call-auth.pcap
ex=$(grep -c '^\$sip\$' <("$bld/tools/callextract" "$cap" -o "$work/o0" --force -q && cat "$work/o0/credentials/sip-digest.hashcat"))
for t in 1 2; do
  s=$( { /usr/bin/time -f %e "$bld/tools/callextract" "$cap" -o "$work/o$t" --force -q --wordlist "$wl" --threads $t; } 2>&1 | tail -1)
  awk -v n="$n" -v e="$ex" -v s="$s" -v t="$t" 'BEGIN { printf "callextract, %d thread(s): %.2f s, %.0f digests/s, %.0f per core (%d exchanges x %d candidates)\n", t, s, n*e/s, n*e/s/t, e, n }'
done
if command -v sipcrack >/dev/null && command -v sipdump >/dev/null; then
  rm -f "$work/dump.txt"
  sipdump -p "$cap" "$work/dump.txt" >/dev/null 2>&1
  s=$( { /usr/bin/time -f %e sh -c "echo 1 | sipcrack -w '$wl' '$work/dump.txt' >/dev/null 2>&1"; } 2>&1 | tail -1)
  awk -v n="$n" -v s="$s" 'BEGIN { printf "sipcrack 0.2, 1 core, 1 exchange: %.2f s, %.0f digests/s\n", s, n/s }'
fi
if command -v john >/dev/null && john --list=formats 2>/dev/null | grep -qi sip; then
  echo "john has the SIP format: run it by hand on $work/o1/credentials/sip-digest.hashcat"
else
  echo "john: no SIP format in this build (Debian's john is not jumbo): skipped"
fi
