#!/usr/bin/env bash
# Command-line contract: help and man page agree, exit codes, stdin, live
# capture ended by SIGTERM with valid outputs. Prints TAP.
set -u
exe=$1
src=$2
. "$(dirname "$0")/tap.sh"

"$exe" --help > "$tmp/help" 2>&1; check "--help exits 0" test $? -eq 0
"$exe" --version | grep -q '^callextract [0-9]'; check "--version" test $? -eq 0
# Every long option in --help is in the man page, and the reverse.
grep -o -- '--[a-z][a-z-]*' "$tmp/help" | sort -u > "$tmp/h"
sed 's/\\-/-/g' "$src/doc/callextract.1" | grep -o -- '--[a-z][a-z-]*' | sort -u > "$tmp/m"
check "help and man page list the same options" diff "$tmp/h" "$tmp/m"
# Exit codes.
"$exe" >/dev/null 2>&1; check "no arguments: exit 2" test $? -eq 2
"$exe" --bogus -o "$tmp/x" a.pcap >/dev/null 2>&1; check "unknown option: exit 2" test $? -eq 2
"$exe" --srtp-key '10.0.0.1:4000 AES_CM_128_HMAC_SHA1_80 inline:AAAA' -o "$tmp/x" a.pcap 2> "$tmp/err"; rc=$?
check "--srtp-key with a short key: exit 2" test $rc -eq 2
check "--srtp-key: message says why" grep -q "length does not fit the suite" "$tmp/err"
"$exe" --srtp-key '0x7e5ba8ce AES_CM_128_HMAC_SHA1_80 inline:wIPJMhDDTZyIEGoTepwjnl/6MRPSyPDIHOHbjAPE' \
    "$src/fixtures/sip-call-srtp-80-midcall.pcap" -o "$tmp/srtpkey" -q; check "--srtp-key by SSRC: exit 0" test $? -eq 0
check "--srtp-key by SSRC: that stream decrypted" grep -q '"key_source": "option"' "$tmp/srtpkey/report.json"
"$exe" "$tmp/missing.pcap" -o "$tmp/o1" 2> "$tmp/err"; rc=$?
check "missing input: exit 3" test $rc -eq 3
check "missing input: message names the file" grep -q "missing.pcap" "$tmp/err"
mkdir -p "$tmp/full" && touch "$tmp/full/keep"
"$exe" "$src/fixtures/aaa.pcap" -o "$tmp/full" 2>/dev/null; check "non-empty DIR: exit 4" test $? -eq 4
"$exe" "$src/fixtures/aaa.pcap" -o "$tmp/full" --force 2>/dev/null; check "--force: exit 0" test $? -eq 0
# stdin
"$exe" - -o "$tmp/stdin" < "$src/fixtures/aaa.pcap" 2>/dev/null
check "stdin: 691 frames" grep -q '"frames": 691' "$tmp/stdin/report.json"
# progress forced on a non-terminal
"$exe" "$src/fixtures/aaa.pcap" -o "$tmp/prog" --progress 2> "$tmp/progress" >/dev/null
check "--progress prints frames and rate" grep -q "691 frames.*calls.*MB/s" "$tmp/progress"
# stdout carries nothing on a normal run: results go to files.
out=$("$exe" "$src/fixtures/aaa.pcap" -o "$tmp/quiet" -q 2>&1)
check "-q: nothing printed" test -z "$out"
# Live capture on loopback, ended by SIGTERM: outputs flushed and valid.
if [ "$(id -u)" -eq 0 ]; then
  "$exe" -i lo -f 'udp port 5099' -o "$tmp/live" -q &
  pid=$!
  sleep 1.5
  for i in 1 2 3 4 5; do
    printf 'OPTIONS sip:probe@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5098;branch=z9hG4bK%s\r\nFrom: <sip:t@127.0.0.1>;tag=%s\r\nTo: <sip:probe@127.0.0.1>\r\nCall-ID: live-%s@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n' $i $i $i 2>/dev/null > /dev/udp/127.0.0.1/5099 || true
    sleep 0.1
  done
  sleep 0.5
  kill -TERM $pid
  wait $pid; rc=$?
  check "live: SIGTERM ends with exit 0" test $rc -eq 0
  frames=$(grep -m1 -o '"frames": [0-9]*' "$tmp/live/report.json" | tail -1 | grep -o '[0-9]*$')
  check "live: report.json written and closed" test "$(tail -n1 "$tmp/live/report.json")" = "}"
  check "live: the 5 datagrams were captured" test "${frames:-0}" -ge 5
else
  ok "live capture # SKIP not root"
  ok "live capture report # SKIP not root"
fi
tap_end
