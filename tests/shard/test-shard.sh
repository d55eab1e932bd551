#!/usr/bin/env bash
# Shards: for each real-call fixture (and the FTP, DNS and ICMP ones), cut into two or three files at many
# frame positions (the first 40 frames one by one, where the cuts fall
# inside the first SIP transactions, then every STEP frames), each file
# read as a shard, every owned call folder compared byte for byte with
# the single pass, and the merged report.json section by section with a
# single pass over the same files (cutcheck.py). TAP, one line per fixture.
exe=$1
src=$2
# cut every frame of the first FIRST, then every STEP; coarser under ASan
if ldd "$exe" 2>/dev/null | grep -q libasan; then first=6; step=${CX_SHARD_STEP:-250}
else first=24; step=${CX_SHARD_STEP:-60}; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fixtures="sip-call-auth sip-call-hold sip-call-cancel sip-call-busy sip-call-pcma sip-call-srtp-80
	sip-call-srtp-80-midcall sip-call-ice sip-tcp sip-compact codec-opus codec-g722 codec-amr-wb
	codec-gsm rtp-tcp wrap-hep1 ftp-modes around-icmp-dns around-icmpv6"
n=0
for f in $fixtures; do
	n=$((n + 1))
	cap="$src/fixtures/$f.pcap"
	frames=$(python3 -c "import sys; sys.argv=['x','$cap']; exec(open('$src/tests/shard/cutcheck.py').read().split('def main')[0]); print(len(records('$cap')[1]))")
	cuts=$(python3 -c "
n=$frames; s=$step
c=list(range(1, min($first + 1, n)))+list(range($first + 1, n, s))
three=[f'{a}+{a+s*2}' for a in range(10, n, s*4) if a+s*2 < n]
print(','.join([str(x) for x in c]+three))")
	if out=$(python3 "$src/tests/shard/cutcheck.py" "$exe" "$cap" "$tmp/$f" --cuts "$cuts" 2>&1); then
		echo "ok $n - $f: $(echo "$out" | grep -c '^ok') cut points, every call owned once and identical to the single pass, the merged report too ($(echo "$out" | grep -c "run again") with a shard run again from the start)"
	else
		echo "not ok $n - $f"
		echo "$out" | grep -v '^ok' | head -5 | sed 's/^/# /'
	fi
	rm -rf "$tmp/$f"
done
echo "1..$n"
