#!/usr/bin/env bash
# Evidence (issue 13): outputs valid UTF-8 whatever the bytes, with text
# from packets recoverable (check-text.py on a hand-built capture); inputs
# named by size and SHA-256 taken while reading, and left untouched; the
# SHA256SUMS manifest verifies and catches a changed byte in any file;
# two runs, and --threads 1 against the default, give identical trees on
# every fixture. Prints TAP.
set -u
exe=$1
src=$2
. "$(dirname "$0")/tap.sh"

# ---- text from packets ----
python3 "$src/fixtures/make/hostile-text.py" "$tmp/hostile.pcap" > "$tmp/markers"
check "the committed hostile-text.pcap is what its script makes" cmp -s "$tmp/hostile.pcap" "$src/fixtures/hostile-text.pcap"
"$exe" "$src/fixtures/hostile-text.pcap" -o "$tmp/h" -q 2>/dev/null
check "hostile-text.pcap: exit 0" test $? -eq 0
python3 "$src/tests/cli/check-text.py" "$tmp/h" "$tmp/markers" > "$tmp/check.tap"; rc=$?
sed -n 's/^\(not \)\{0,1\}ok [0-9]* - /# /p' "$tmp/check.tap"
check "check-text.py: every JSON strict UTF-8, every field recovered ($(grep -c '^ok' "$tmp/check.tap") checks)" test $rc -eq 0
bad=0
while IFS= read -r -d '' j; do
  jq -e . "$j" > /dev/null 2>&1 || { bad=1; echo "# jq refuses $j"; }
done < <(find "$tmp/h" -name '*.json' -print0)
check "jq parses every JSON file" test $bad -eq 0

# ---- input: size and SHA-256, read-only ----
for cap in "$src/fixtures/sip-call-auth.pcap" "$src/fixtures/mixed-linktypes.pcapng"; do
  name=$(basename "$cap")
  before=$(sha256sum < "$cap" | cut -d' ' -f1)
  mtime=$(stat -c %Y "$cap")
  "$exe" "$cap" -o "$tmp/i" -q 2>/dev/null
  got=$(jq -r '.capture.files[0].sha256' "$tmp/i/report.json")
  size=$(jq -r '.capture.files[0].size' "$tmp/i/report.json")
  check "$name: report sha256 is sha256sum's ($got)" test "$got" = "$before"
  check "$name: report size is the file's ($size)" test "$size" = "$(stat -c %s "$cap")"
  check "$name: input unchanged (content and mtime)" test "$(sha256sum < "$cap" | cut -d' ' -f1)" = "$before" -a "$(stat -c %Y "$cap")" = "$mtime"
  rm -rf "$tmp/i"
done
# a capture cut in the middle of a record: the whole file still hashed
head -c 150000 "$src/fixtures/sip-call-auth.pcap" > "$tmp/cut.pcap"
"$exe" "$tmp/cut.pcap" -o "$tmp/c" -q 2>/dev/null
check "damaged capture: sha256 of the whole file" test "$(jq -r '.capture.files[0].sha256' "$tmp/c/report.json")" = "$(sha256sum < "$tmp/cut.pcap" | cut -d' ' -f1)"
# stdin, read to its end
"$exe" - -o "$tmp/s" -q < "$src/fixtures/sip-call-auth.pcap" 2>/dev/null
check "stdin: sha256 of what was read" test "$(jq -r '.capture.files[0].sha256' "$tmp/s/report.json")" = "$(sha256sum < "$src/fixtures/sip-call-auth.pcap" | cut -d' ' -f1)"
jqq() { jq -e "$@" > /dev/null; }
check "report: version and options" jqq '.version and (.options | has("audio") and has("linger_ms"))' "$tmp/s/report.json"
"$exe" "$src/fixtures/sip-call-auth.pcap" --no-audio -o "$tmp/na" -q 2>/dev/null
check "report: --no-audio recorded" jqq '.options.audio == false' "$tmp/na/report.json"
# a key log is evidence too: named in the options, its size and SHA-256 taken as it is read
k="$src/fixtures/wrap-tls13-srtp.keys"
kmt=$(stat -c %Y "$k")
"$exe" "$src/fixtures/wrap-tls13-srtp.pcap" --tls-keylog "$k" --tls-keylog "$tmp/no-such.keys" \
	--no-html --srtp-key '10.0.0.1:4000 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz' \
	-o "$tmp/kl" -q 2>/dev/null
klrc=$?
check "key log: one that cannot be read gives exit 1 (an input not read), the rest analysed" \
	test $klrc -eq 1 -a "$(jq '.capture.errors.tls.keylog_unreadable' "$tmp/kl/report.json")" = 1 \
	-a "$(jq '[.wrappers.tls.connections[] | select(.decrypted)] | length' "$tmp/kl/report.json")" = 2
check "key log: sha256 is sha256sum's" test "$(jq -r '.wrappers.tls.keys.keylog_files[0].sha256' "$tmp/kl/report.json")" = "$(sha256sum < "$k" | cut -d' ' -f1)"
check "key log: size is the file's" test "$(jq -r '.wrappers.tls.keys.keylog_files[0].size' "$tmp/kl/report.json")" = "$(stat -c %s "$k")"
check "key log: one that cannot be read is listed with no hash" jqq '.wrappers.tls.keys.keylog_files[1] | .sha256 == null and .size == null and (.path | endswith("no-such.keys"))' "$tmp/kl/report.json"
check "key log: unchanged (mtime)" test "$(stat -c %Y "$k")" = "$kmt"
check "report: key logs, SRTP keys, --no-html recorded" jqq '(.options.tls_keylogs | length) == 2 and .options.srtp_keys_given == 1 and .options.html == false and .options.call_pcap == true' "$tmp/kl/report.json"

# ---- manifest ----
check "manifest verifies (sha256sum -c)" bash -c "cd '$tmp/h' && sha256sum -c --quiet SHA256SUMS"
listed=$(cut -c67- "$tmp/h/SHA256SUMS" | sort)
files=$(cd "$tmp/h" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort)
check "manifest lists every file written ($(echo "$files" | wc -l))" test "$listed" = "$files"
check "manifest in byte order of paths" bash -c "cut -c67- '$tmp/h/SHA256SUMS' | LC_ALL=C sort -c"
caught=0 total=0
while IFS= read -r f; do
  total=$((total+1))
  p="$tmp/h/$f"
  sz=$(stat -c %s "$p")
  [ "$sz" -gt 0 ] || continue
  off=$((sz / 2))
  cp "$p" "$tmp/orig"
  b=$(od -An -tu1 -j $off -N1 "$p" | tr -d ' ')
  printf "$(printf '\\%03o' $(( (b ^ 1) & 255 )))" | dd of="$p" bs=1 seek=$off conv=notrunc status=none
  (cd "$tmp/h" && sha256sum -c --quiet SHA256SUMS > /dev/null 2>&1) || caught=$((caught+1))
  cp "$tmp/orig" "$p"
done <<< "$files"
check "one byte changed in any of the $total files: sha256sum -c fails ($caught caught)" test $caught -eq $total
check "manifest verifies again once restored" bash -c "cd '$tmp/h' && sha256sum -c --quiet SHA256SUMS"

# ---- byte-identical runs, every fixture ----
nfix=0 same=0
for cap in "$src"/fixtures/*.pcap "$src"/fixtures/*.pcapng; do
  nfix=$((nfix+1))
  "$exe" "$cap" -o "$tmp/r1" -q 2> /dev/null
  "$exe" "$cap" -o "$tmp/r2" -q 2> /dev/null
  "$exe" "$cap" -o "$tmp/r3" -q --threads 1 2> /dev/null
  if diff -r "$tmp/r1" "$tmp/r2" > "$tmp/d" && diff -r "$tmp/r1" "$tmp/r3" >> "$tmp/d"; then
    same=$((same+1))
  else
    echo "# $(basename "$cap") differs:"; head -5 "$tmp/d" | sed 's/^/#   /'
  fi
  rm -rf "$tmp/r1" "$tmp/r2" "$tmp/r3"
done
check "every fixture: two runs and --threads 1 byte-identical ($same of $nfix)" test $same -eq $nfix
tap_end
