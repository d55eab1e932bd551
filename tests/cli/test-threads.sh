#!/usr/bin/env bash
# --threads 1 and --threads 2 (the capture read ahead in a thread of its
# own) give the same outputs, byte for byte, and the same exit code and
# message on a damaged capture. Prints TAP.
set -u
exe=$1
gen=$2
src=$3
. "$(dirname "$0")/tap.sh"

"$gen" -n 200 -d 2 -c 600 -s 1G "$tmp/gen.pcap" 2>/dev/null
# cut in the middle of a record: a damaged capture
head -c 12345678 "$tmp/gen.pcap" > "$tmp/cut.pcap"
for cap in "$src/fixtures/sip-call-pcma.pcap" "$src/fixtures/mixed-linktypes.pcapng" "$src/fixtures/tcp-reorder.pcap" \
	   "$tmp/gen.pcap" "$tmp/cut.pcap"; do
  name=$(basename "$cap")
  "$exe" "$cap" -o "$tmp/t1" -q --threads 1 2> "$tmp/e1"; r1=$?
  "$exe" "$cap" -o "$tmp/t2" -q --threads 2 2> "$tmp/e2"; r2=$?
  check "$name: same exit code ($r1)" test $r1 -eq $r2
  check "$name: same messages" diff "$tmp/e1" "$tmp/e2"
  check "$name: same output tree" diff -r "$tmp/t1" "$tmp/t2"
  rm -rf "$tmp/t1" "$tmp/t2"
done
"$exe" "$tmp/cut.pcap" -o "$tmp/t3" -q --threads 2 2>/dev/null; rc=$?
check "damaged capture read ahead: exit 1" test $rc -eq 1
tap_end
