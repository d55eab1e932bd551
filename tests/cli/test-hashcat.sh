#!/usr/bin/env bash
# The exported $sip$ lines crack with real hashcat (mode 11400, CPU via
# pocl). Skipped (TAP SKIP) where hashcat is not installed: the project does
# not install it, its OpenCL runtime is large.
set -u
exe=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! command -v hashcat >/dev/null || ! hashcat -I >/dev/null 2>&1; then
  echo "1..1"; echo "ok 1 - hashcat cracks the export # SKIP hashcat/OpenCL not installed"; exit 0
fi
"$exe" "$src/fixtures/sip-call-auth.pcap" -o "$tmp/out" -q
head -1 "$tmp/out/credentials/sip-digest.hashcat" > "$tmp/h.txt"     # 1002's REGISTER
printf 'password\n123456\nsunshine\nqwerty\n' > "$tmp/w.txt"
(cd "$tmp" && timeout 600 hashcat -m 11400 -a 0 --potfile-disable --quiet --outfile "$tmp/cracked" "$tmp/h.txt" "$tmp/w.txt" >/dev/null 2>&1)
echo "1..1"
if grep -q ':sunshine$' "$tmp/cracked" 2>/dev/null; then
  echo "ok 1 - hashcat -m 11400 recovers sunshine from the exported line"
else
  echo "not ok 1 - hashcat did not recover the password"; exit 1
fi
