#!/usr/bin/env bash
# callextract merge on shards that are not what a shard writes: cut
# short, bytes changed, missing, two owning the same frames. Each must
# end in a refusal (exit 3, a message on stderr), never a crash or a
# report.json. TAP.
exe=$(realpath "$1")
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
python3 - "$src/fixtures/sip-call-auth.pcap" <<'PY'
import struct, sys
with open(sys.argv[1], 'rb') as f:
    head = f.read(24); recs = []
    while True:
        h = f.read(16)
        if len(h) < 16: break
        recs.append(h + f.read(struct.unpack('<IIII', h)[2]))
for name, part in (('a.pcap', recs[:300]), ('b.pcap', recs[300:])):
    open(name, 'wb').write(head + b''.join(part))
PY
"$exe" index a.pcap b.pcap > ix || { echo "not ok 1 - index"; exit 1; }
s0=$(sed -n 1p ix | python3 -c 'import json,sys; print(json.load(sys.stdin)["shard"])')
s1=$(sed -n 2p ix | python3 -c 'import json,sys; print(json.load(sys.stdin)["shard"])')
"$exe" -q --shard "$s0" a.pcap b.pcap -o s0 && "$exe" -q --shard "$s1" b.pcap -o s1 || { echo "not ok 1 - shards"; exit 1; }
n=0; bad=0
check() { # name, then the shard dirs
	local what=$1; shift
	n=$((n + 1))
	rm -rf out
	"$exe" merge "$@" -o out 2> err; rc=$?
	if [ "$rc" = 3 ] && [ -s err ] && [ ! -e out/report.json ] && ! grep -q "runtime error\|AddressSanitizer" err; then
		echo "ok $n - $what: refused ($(head -c 100 err | tr '\n' ' '))"
	else
		echo "not ok $n - $what: exit $rc"; sed 's/^/# /' err | head -5; bad=$((bad + 1))
	fi
}
n=$((n + 1))
if "$exe" merge s0 s1 -o good 2> err && [ -s good/report.json ]; then echo "ok $n - the shards as written merge"
else echo "not ok $n - the shards as written do not merge"; sed 's/^/# /' err | head -5; bad=$((bad + 1)); fi
size=$(stat -c %s s1/shard.records)
for cut in 0 1 17 $((size / 3)) $((size - 2)); do
	rm -rf t; cp -r s1 t; head -c "$cut" s1/shard.records > t/shard.records
	check "shard.records cut to $cut bytes" s0 t
done
for seed in 1 2 3; do
	rm -rf t; cp -r s1 t
	python3 -c "
import random, sys
b = bytearray(open('s1/shard.records', 'rb').read()); r = random.Random($seed)
for i in range(50): b[r.randrange(len(b))] = r.randrange(256)
open('t/shard.records', 'wb').write(b)"
	check "shard.records with 50 bytes changed (seed $seed)" s0 t
done
rm -rf t; cp -r s1 t; rm t/shard.names; check "no shard.names" s0 t
rm -rf t; cp -r s1 t; head -c 7 s1/shard.names > t/shard.names; check "shard.names cut short" s0 t
rm -rf t; cp -r s1 t; printf 'X\004abcdefghijklmnop' > t/shard.names; check "shard.names of an unknown kind" s0 t
rm -rf t; cp -r s1 t; rm t/shard.json; check "no shard.json" s0 t
rm -rf t; cp -r s1 t; echo '{"callextract_shard": 2}' > t/shard.json; check "shard.json of another version" s0 t
rm -rf t; cp -r s1 t; echo 'not json' > t/shard.json; check "shard.json not JSON" s0 t
check "two shards owning the same frames" s0 s0
echo "1..$n"
[ $bad = 0 ]
