#!/bin/bash
# Each call's capture (calls/*/call.pcap) holds exactly the frames tshark
# attributes to the call (SIP by Call-ID, with the TCP segments and IP
# fragments reassembled into it, plus the UDP frames on its SDP-announced
# RTP/RTCP endpoints and the TCP segments of an RFC 4571 media connection;
# SIP in WebSocket and HEP, which tshark 4.0 does not read, decoded by the
# checker from tshark's segment payloads), frame by frame and in order:
# call-pcap-check.py.
# usage: test-call-pcap.sh CALLEXTRACT SRCDIR
exe=$1
src=$2
here=$(dirname "$0")
. "$here/tap.sh"
if ! command -v tshark > /dev/null; then
	echo "1..0 # SKIP tshark not installed"
	exit 0
fi
# UDP calls (auth, busy, cancel, hold, PCMA+DTMF, ICE with STUN before the
# SDP), SIP over TCP (20 calls, messages across segments and coalesced),
# SIP in IP fragments, compact headers, RTP over TCP (RFC 4571), SIP over
# WebSocket (fragmented and permessage-deflate messages), the wire's SIP
# and its HEP v1/v2/v3 copies over UDP and TCP (the pcapng writer is not
# covered here: no fixture pcapng holds an INVITE dialog)
for f in sip-call-auth sip-call-busy sip-call-cancel sip-call-hold sip-call-pcma sip-call-ice \
	 sip-tcp sip-frag sip-compact rtp-tcp wrap-ws wrap-hep1 wrap-hep2 wrap-hep3 wrap-hep3-tcp; do
	out="$tmp/$f"
	"$exe" -q "$src/fixtures/$f.pcap" -o "$out" 2> "$tmp/err"
	res=$(python3 "$here/call-pcap-check.py" "$out" "$src/fixtures/$f.pcap" 2>&1)
	check "$f: every call's capture is what tshark attributes ($(echo "$res" | grep -c '^ok') calls)" \
		test $? -eq 0 -a -n "$res"
	echo "$res" | grep -v '^ok' | sed 's/^/# /'
done
# SIP over TLS, decrypted with the key log (tshark with the same key log is
# the reference): TLS 1.3 and 1.2 (with clear HEP copies), and TLS 1.3 on an
# MTU of 576, where the records of every INVITE, 200 and ACK are spread over
# 2-3 segments, each of which belongs in the call's capture; WSS (WebSocket
# in TLS, tshark decodes both layers), also on an MTU of 576
for f in wrap-tls13-srtp wrap-tls12-srtp wrap-tls13-srtp-mtu576 wrap-wss wrap-wss-mtu576; do
	out="$tmp/$f"
	"$exe" -q "$src/fixtures/$f.pcap" --tls-keylog "$src/fixtures/$f.keys" -o "$out" 2> "$tmp/err"
	res=$(python3 "$here/call-pcap-check.py" --keylog "$src/fixtures/$f.keys" "$out" "$src/fixtures/$f.pcap" 2>&1)
	check "$f (TLS): every call's capture is what tshark attributes ($(echo "$res" | grep -c '^ok') calls)" \
		test $? -eq 0 -a -n "$res"
	echo "$res" | grep -v '^ok' | sed 's/^/# /'
done
# media before its SDP: kept (64 frames per stream) and placed when the SDP
# comes; past the buffer, the oldest are not kept and are counted
for k in 30 100; do
	res=$(python3 "$here/early-media-check.py" "$exe" "$src" "$tmp" $k 2>&1)
	check "RTP before its SDP ($k packets): kept as the buffer allows, the rest counted" test $? -eq 0
	echo "$res" | sed 's/^/# /'
done
"$exe" -q --no-call-pcap "$src/fixtures/sip-call-pcma.pcap" -o "$tmp/none" 2> "$tmp/err"
check "--no-call-pcap: no capture" test -z "$(ls "$tmp"/none/calls/*/call.pcap* 2> /dev/null)"
check "--no-call-pcap: the call is still written" test -s "$(ls "$tmp"/none/calls/*/call.json | head -1)"
tap_end
