#!/bin/bash
# RTP and RTCP over TCP with RFC 4571 framing (fixtures/rtp-tcp.pcap: SDP
# TCP/RTP/AVP, RFC 4145 a=setup, PCMU both ways and RTCP on one TCP
# connection, from GStreamer's rtpstreampay): streams, statistics and WAVs
# against rtp-tcp-check.py's own deframing of the capture; the call's
# capture against tshark (call-pcap-check.py); damaged framing counted.
# usage: test-rtp-tcp.sh CALLEXTRACT SRCDIR
exe=$1
src=$2
here=$(dirname "$0")
. "$here/tap.sh"
cap="$src/fixtures/rtp-tcp.pcap"
speech=("$src/fixtures/voip-alice.wav" "$src/fixtures/voip-bob.wav")
"$exe" -q "$cap" -o "$tmp/ok" 2> "$tmp/err"
check "rtp-tcp.pcap: read without error" test $? -eq 0
res=$(python3 "$here/rtp-tcp-check.py" report "$tmp/ok" "$cap" 40000 "${speech[@]}" 2>&1)
check "rtp-tcp.pcap: streams, statistics and WAVs are those of the payloads ($(echo "$res" | grep -c '^ok') checks)" \
	test $? -eq 0
echo "$res" | sed 's/^/# /'
jq() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
check "the connection is listed as rtp" test "$(jq "$tmp/ok/report.json" "r['capture']['tcp']['list'][0]['protocol']")" = rtp
check "its four RTCP packets (rtcp-mux on the connection) are read" \
	test "$(jq "$tmp/ok/report.json" "r['capture']['protocols']['rtcp']")" = 4
check "445 RFC 4571 frames (441 RTP, 4 RTCP), no framing error" \
	test "$(jq "$tmp/ok/report.json" "(r['capture']['protocols']['rtp_tcp_frames'], r['capture']['errors'].get('rtp_tcp'))")" = "(445, None)"
check "summary.txt says what the media came in" grep -q "PCMU, TCP (RFC 4571): 207 packets, 0 lost" "$tmp/ok/summary.txt"
if command -v tshark > /dev/null; then
	res=$(python3 "$here/call-pcap-check.py" "$tmp/ok" "$cap" 2>&1)
	check "the call's capture is every frame of the call (SIP by Call-ID, the media connection's segments)" \
		test $? -eq 0
	echo "$res" | sed 's/^/# /'
else
	echo "# tshark not installed: call capture not compared"
fi
# damaged copies: one frame that is not RTP (version bits cleared) in
# bob's direction; a length of 0xffff on alice's last frame; 40 bytes of a
# segment of alice's not captured
for mode in version length snap; do
	hit=$(python3 "$here/rtp-tcp-check.py" corrupt "$cap" 40000 "$tmp/$mode.pcap" $mode)
	"$exe" -q "$tmp/$mode.pcap" -o "$tmp/$mode" 2> "$tmp/err-$mode"
	check "$mode: read, exit status 0" test $? -eq 0
	got=$(jq "$tmp/$mode/report.json" "(r['capture']['errors'].get('rtp_tcp'), sorted((s['ssrc'], s['packets'], s['lost']) for s in r['streams']))")
	case $mode in
	version) want="({'bad_frame': 1, 'resynchronised': 1}, [('0x0A11CE01', 234, 0), ('0x0B0B0001', 206, 1)])" ;;
	length) want="({'truncated': 1}, [('0x0A11CE01', 234, 0), ('0x0B0B0001', 207, 0)])" ;;
	snap) want="({'gap': 1, 'resynchronised': 1, 'truncated': 1}, [('0x0A11CE01', 233, 1), ('0x0B0B0001', 207, 0)])" ;;
	esac
	check "$mode ($hit): counted as $want" test "$got" = "$want"
	[ "$got" = "$want" ] || echo "# got $got"
done
# SRTP over TCP: the real SRTP call of sip-call-srtp-80.pcap (baresip, SDES
# keys) with its SDP profiles made TCP/RTP/SAVP and its RTP and RTCP framed
# on one TCP connection (udp-to-rfc4571.py): the same streams, decrypted
# packets and WAVs, byte for byte, as the UDP original
python3 "$here/udp-to-rfc4571.py" "$src/fixtures/sip-call-srtp-80.pcap" "$tmp/srtp-tcp.pcap" \
	192.0.2.2 18162 192.0.2.2 18270 --rtcp
"$exe" -q "$src/fixtures/sip-call-srtp-80.pcap" -o "$tmp/su" 2> /dev/null
"$exe" -q "$tmp/srtp-tcp.pcap" -o "$tmp/st" 2> /dev/null
check "SRTP over TCP: read, exit status 0" test $? -eq 0
summ="sorted((s['ssrc'], s['transport'], s['packets'], s['lost'], s['srtp']['decrypted'], s['srtp']['auth_failures'], s['srtp']['rtcp_decrypted'], s['wav']) for s in r['streams'])"
# folders and WAVs are named by their first frame, which the TCP framing moves
u=$(jq "$tmp/su/report.json" "$summ" | sed -E 's/[0-9]{10}-/F-/g')
t=$(jq "$tmp/st/report.json" "$summ" | sed 's/TCP (RFC 4571)/UDP/g' | sed -E 's/[0-9]{10}-/F-/g')
check "SRTP over TCP: both streams decrypted as over UDP (399 and 397 packets, no auth failure)" \
	test "$u" = "$t" -a "$(jq "$tmp/st/report.json" "sum(s['srtp']['decrypted'] for s in r['streams'])")" = 796
check "SRTP over TCP: the streams say TCP (RFC 4571)" \
	test "$(jq "$tmp/st/report.json" "sorted(set(s['transport'] for s in r['streams']))")" = "['TCP (RFC 4571)']"
same=1
for w in "$tmp"/su/calls/*/*.wav; do
	# the same file in the TCP run: the same name but for the frame numbers
	pat=$(basename "$w" | sed -E 's/^[0-9]{10}-//')
	t=$(ls "$tmp"/st/calls/*/*"$pat" 2>/dev/null | head -1)
	[ -n "$t" ] && cmp -s "$w" "$t" || same=0
done
check "SRTP over TCP: every WAV byte for byte the UDP run's ($(ls "$tmp"/su/calls/*/*.wav | wc -l) files)" test $same = 1
if command -v tshark > /dev/null; then
	res=$(python3 "$here/call-pcap-check.py" "$tmp/st" "$tmp/srtp-tcp.pcap" 2>&1)
	check "SRTP over TCP: the call's capture is every frame of the call" test $? -eq 0
	echo "$res" | sed 's/^/# /'
fi
tap_end
