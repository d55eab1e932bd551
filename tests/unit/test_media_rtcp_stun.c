/* RTCP and STUN: the parsers on real packets (bytes copied from corpus
 * captures with tshark -e udp.payload), every truncation of them, and what
 * the whole pipeline attaches to streams. Expected values are tshark's
 * decode of the same packets. */
#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cxtest.h"
#include "proto/rtp.h"

static size_t
unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;
	while (h[0] && h[1] && n < cap) {
		unsigned v;
		sscanf(h, "%2x", &v);
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

/* irontec__sngrep/tests/aaa.pcap frame 633: SR + SDES (CNAME, TOOL) + BYE. */
static const char aaa_rtcp[] =
	"80c800063796cb7142c907ca5efac603000024c3000000090000060c81ca000b3796cb71011d31313839343239372d"
	"3434333261396638403139322e3136382e312e3206055349505053000081cb00063796cb711073657373696f6e2073"
	"687574646f776e000000";

/* ntop__nDPI .../skype-conference-call.pcap frame 4: binding success with
 * XOR-MAPPED-ADDRESS; frame 7: binding request with USE-CANDIDATE. */
static const char skype_success[] =
	"010100342112a442c55a4fdfde0c325e304c60c7002000080001e1907ee525018070000400000003000800142b2841"
	"0980104c4d31d424cc28e244bd56f1d553802800044a1ebd8d";
static const char skype_request[] =
	"000100582112a442c55a4fdfde0c325e304c60c700060009677070653a7a57796b000000002400046efffeff002500"
	"00802a00080000000000bf43178054000131000000807000040000000300080014f526a74bcb66d7bc4783b0fc2949"
	"d197bc4e7d2b802800045cb3d841";

Test(media_rtcp, sender_report_sdes_bye)
{
	uint8_t b[256];
	size_t n = unhex(aaa_rtcp, b, sizeof(b));
	struct cx_rtcp_info info;
	cr_assert_eq(cx_rtcp_parse(b, n, &info), 0);
	cr_assert(info.sr && info.sdes && info.bye);
	cr_assert_eq(info.sender_ssrc, 0x3796cb71u);
	cr_assert_eq(info.pkt_count, 9);
	cr_assert_eq(info.octet_count, 1548);
	cr_assert_eq(info.rtp_ts, 0x24c3);
	cr_assert_str_eq(info.cname, "11894297-4432a9f8@192.168.1.2");
	cr_assert_str_eq(info.tool, "SIPPS");
	cr_assert_str_eq(info.bye_reason, "session shutdown");
	cr_assert_eq(info.n_rb, 0);
}

/* Every prefix of a real compound packet, and every single-byte change of
 * a length field, must be rejected or parsed without reading outside the
 * buffer (run under ASan: the copy is exactly the prefix length). */
Test(media_rtcp, truncations_and_bad_lengths)
{
	uint8_t b[256];
	size_t n = unhex(aaa_rtcp, b, sizeof(b));
	for (size_t k = 0; k < n; k++) {
		uint8_t *c = malloc(k ? k : 1);
		memcpy(c, b, k);
		struct cx_rtcp_info info;
		int rc = cx_rtcp_parse(c, k, &info);
		/* the SR alone (28) and SR + SDES (76) are whole compounds */
		cr_assert_eq(rc, k == 28 || k == 76 ? 0 : -1, "prefix of %zu bytes", k);
		free(c);
	}
	/* the three sub-packets start at 0, 28 and 76; the datagram is 104 */
	size_t start[] = { 0, 28, 76 };
	cr_assert_eq(n, 104);
	for (size_t i = 0; i < 3; i++) {
		for (int v = 0; v < 256; v++) {
			uint8_t *c = malloc(n);
			memcpy(c, b, n);
			c[start[i] + 3] = (uint8_t)v;
			struct cx_rtcp_info info;
			int rc = cx_rtcp_parse(c, n, &info);
			/* a length that lands on a later sub-packet start (or the end)
			 * still walks; any other must be refused */
			size_t end = start[i] + ((size_t)v + 1) * 4;
			bool lands = end == 28 || end == 76 || end == 104;
			cr_assert_eq(rc, lands ? 0 : -1, "length of packet %zu = %d", i, v);
			free(c);
		}
	}
}

Test(media_stun, binding_success_xor_mapped)
{
	uint8_t b[256];
	size_t n = unhex(skype_success, b, sizeof(b));
	cr_assert(cx_stun_looks_like(b, n));
	struct cx_stun st;
	cr_assert_eq(cx_stun_parse(b, n, &st), 0);
	cr_assert_str_eq(st.cls, "success");
	cr_assert(st.has_xor_mapped);
	/* tshark: stun.att.ipv4-xord 7ee52501, port-xord e190 -> 95.247.129.67:49282 */
	cr_assert_eq(st.xor_mapped.family, 4);
	cr_assert_eq(st.xor_mapped.a[0], 95);
	cr_assert_eq(st.xor_mapped.a[1], 247);
	cr_assert_eq(st.xor_mapped.a[2], 129);
	cr_assert_eq(st.xor_mapped.a[3], 67);
	cr_assert_eq(st.xor_port, 49282);
	cr_assert(st.integrity && st.fingerprint);
	cr_assert(!st.use_candidate);
}

Test(media_stun, binding_request_ice)
{
	uint8_t b[256];
	size_t n = unhex(skype_request, b, sizeof(b));
	struct cx_stun st;
	cr_assert_eq(cx_stun_parse(b, n, &st), 0);
	cr_assert_str_eq(st.cls, "request");
	cr_assert_str_eq(st.username, "gppe:zWyk");
	cr_assert(st.has_priority);
	cr_assert_eq(st.priority, 1862270719u);
	cr_assert(st.use_candidate && st.ice_controlling && !st.ice_controlled);
	cr_assert(st.integrity && st.fingerprint);
	for (size_t k = 0; k < n; k++) {
		uint8_t *c = malloc(k ? k : 1);
		memcpy(c, b, k);
		cr_assert(!cx_stun_looks_like(c, k) || cx_stun_parse(c, k, &st) <= 0);
		free(c);
	}
}

/* An RTP packet whose first bytes happen to look like a STUN header but
 * without the cookie is not STUN; and RTP is not RTCP. */
Test(media_stun, rtp_is_neither)
{
	uint8_t b[256];
	size_t n = unhex(skype_success, b, sizeof(b));
	b[4] ^= 1; /* cookie broken */
	cr_assert(!cx_stun_looks_like(b, n));
	uint8_t rtp[] = { 0x80, 0x00, 0x12, 0x34, 0, 0, 0, 160, 0xca, 0xfe, 0xba, 0xbe, 0xff, 0xff };
	cr_assert(!cx_rtcp_looks_like(rtp, sizeof(rtp), false));
	struct cx_rtp r;
	cr_assert_eq(cx_rtp_parse(rtp, sizeof(rtp), &r), 0);
	cr_assert_eq(r.payload_len, 2);
}

/* RTCP comes before the first RTP packet of its SSRC in this capture: it
 * must still be attached to both directions (tshark's SDES CNAMEs). */
Test(media_rtcp, attached_even_when_first)
{
	const char *p = cxt_path("corpus:NormB__sipnab/tests/pcap-samples/Asterisk_ZFONE_XLITE.pcap");
	if (!cxt_exists(p))
		cr_skip_test("corpus not present");
	struct json_object *r = cxt_run(p, NULL, NULL, NULL);
	struct json_object *streams = cxt_get(r, "streams");
	int seen = 0;
	for (size_t i = 0; i < json_object_array_length(streams); i++) {
		struct json_object *s = json_object_array_get_idx(streams, i);
		const char *ssrc = json_object_get_string(cxt_get(s, "ssrc"));
		const char *cname = json_object_get_string(cxt_get(s, "rtcp.cname"));
		cr_assert_not_null(cname, "stream %s has no RTCP", ssrc);
		if (!strcmp(ssrc, "0xB72A7104"))
			cr_assert_str_eq(cname, "D7FBE51F946A40B695DD1760D6E5A40A@unique.zA0CDEDD81B9B4F0D.org");
		else
			cr_assert_str_eq(cname, "738BBF9E70A94F849E327D1280F2FCD7@unique.z5A71A04B09EE4597.org");
		seen++;
	}
	cr_assert_eq(seen, 3);
	json_object_put(r);
}

Test(media_rtcp, sender_report_counts_match_the_stream)
{
	const char *p = cxt_path("corpus:irontec__sngrep/tests/aaa.pcap");
	if (!cxt_exists(p))
		cr_skip_test("corpus not present");
	struct json_object *r = cxt_run(p, NULL, NULL, NULL);
	struct json_object *s = cxt_get(r, "streams.0");
	cr_assert_str_eq(json_object_get_string(cxt_get(s, "ssrc")), "0x3796CB71");
	/* the sender says it sent 9 packets, 1548 octets: we saw 9 of 172 bytes */
	cr_assert_eq(json_object_get_int64(cxt_get(s, "rtcp.sender_packets")), json_object_get_int64(cxt_get(s, "packets")));
	cr_assert_eq(json_object_get_int64(cxt_get(s, "rtcp.sender_octets")), 9 * 172);
	cr_assert_str_eq(json_object_get_string(cxt_get(s, "rtcp.tool")), "SIPPS");
	cr_assert_str_eq(json_object_get_string(cxt_get(s, "rtcp.bye")), "session shutdown");
	json_object_put(r);
}

/* STUN between the RTP packets of one 5-tuple: the 14 messages tshark
 * decodes are listed on the stream, and the RTP stream keeps all its 31
 * packets (tshark 4.0 stops taking the flow as RTP after STUN; we do not). */
Test(media_stun, listed_on_the_stream_and_rtp_continues)
{
	const char *p = cxt_path("corpus:ntop__nDPI/tests/cfgs/default/pcap/skype-conference-call.pcap");
	if (!cxt_exists(p))
		cr_skip_test("corpus not present");
	struct json_object *r = cxt_run(p, NULL, NULL, NULL);
	struct json_object *s = cxt_get(r, "streams.0");
	cr_assert_eq(json_object_get_int64(cxt_get(s, "packets")), 31);
	struct json_object *stun = cxt_get(s, "stun");
	cr_assert_eq(json_object_array_length(stun), 14);
	static const int frames[14] = { 1, 2, 3, 4, 5, 6, 7, 23, 34, 52, 86, 89, 185, 187 };
	int use_candidate = 0;
	for (size_t i = 0; i < 14; i++) {
		struct json_object *m = json_object_array_get_idx(stun, i);
		cr_assert_eq(json_object_get_int(cxt_get(m, "frame")), frames[i]);
		use_candidate += json_object_get_boolean(cxt_get(m, "use_candidate"));
	}
	cr_assert_eq(use_candidate, 1, "only frame 7 nominates");
	cr_assert_str_eq(json_object_get_string(cxt_get(stun, "3.xor_mapped_address")), "95.247.129.67:49282");
	cr_assert_eq(json_object_get_int64(cxt_get(r, "capture.protocols.stun")), 14);
	json_object_put(r);
}

/* IPv4/UDP datagram around a payload, for a raw-IP capture. */
static size_t
udp4(uint8_t *f, const uint8_t src[4], uint16_t sp, const uint8_t dst[4], uint16_t dp,
     const uint8_t *pl, size_t n)
{
	memset(f, 0, 28);
	f[0] = 0x45;
	f[2] = (uint8_t)((28 + n) >> 8);
	f[3] = (uint8_t)(28 + n);
	f[8] = 64;
	f[9] = 17;
	memcpy(f + 12, src, 4);
	memcpy(f + 16, dst, 4);
	uint32_t s = 0;
	for (int i = 0; i < 20; i += 2)
		s += (uint32_t)(f[i] << 8 | f[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	f[10] = (uint8_t)(~s >> 8);
	f[11] = (uint8_t)~s;
	f[20] = (uint8_t)(sp >> 8); f[21] = (uint8_t)sp;
	f[22] = (uint8_t)(dp >> 8); f[23] = (uint8_t)dp;
	f[24] = (uint8_t)((8 + n) >> 8); f[25] = (uint8_t)(8 + n);
	memcpy(f + 28, pl, n);
	return 28 + n;
}

/* STUN flows that carry no RTP are listed on their own, in order of their
 * first message, with both directions of a flow together. */
Test(media_stun, flows_without_rtp_listed_in_order)
{
	uint8_t req[256], ok[256], frame[512];
	size_t nreq = unhex(skype_request, req, sizeof(req)), nok = unhex(skype_success, ok, sizeof(ok));
	static const uint8_t a[4] = { 192, 0, 2, 1 }, b[4] = { 192, 0, 2, 2 }, c[4] = { 198, 51, 100, 9 };
	char path[] = "/tmp/cxstun-XXXXXX";
	close(mkstemp(path));
	pcap_t *dead = pcap_open_dead(DLT_RAW, 65535);
	pcap_dumper_t *dp = pcap_dump_open(dead, path);
	struct pcap_pkthdr h = { .ts = { 1500000000, 0 } };
	/* flow 1 request, flow 2 request, flow 1 answer (reverse direction) */
	h.caplen = h.len = (bpf_u_int32)udp4(frame, b, 7000, c, 3478, req, nreq);
	pcap_dump((u_char *)dp, &h, frame);
	h.ts.tv_usec = 1000;
	h.caplen = h.len = (bpf_u_int32)udp4(frame, a, 5000, c, 3478, req, nreq);
	pcap_dump((u_char *)dp, &h, frame);
	h.ts.tv_usec = 2000;
	h.caplen = h.len = (bpf_u_int32)udp4(frame, c, 3478, b, 7000, ok, nok);
	pcap_dump((u_char *)dp, &h, frame);
	pcap_dump_close(dp);
	pcap_close(dead);
	struct json_object *r = cxt_run(path, NULL, NULL, NULL);
	struct json_object *streams = cxt_get(r, "streams");
	cr_assert_eq(json_object_array_length(streams), 2);
	cr_assert_str_eq(json_object_get_string(cxt_get(streams, "0.kind")), "stun");
	cr_assert_str_eq(json_object_get_string(cxt_get(streams, "0.src")), "192.0.2.2:7000");
	cr_assert_eq(json_object_get_int(cxt_get(streams, "0.packets")), 2);
	cr_assert_str_eq(json_object_get_string(cxt_get(streams, "0.stun.1.class")), "success");
	cr_assert_str_eq(json_object_get_string(cxt_get(streams, "0.stun.1.xor_mapped_address")), "95.247.129.67:49282");
	cr_assert_str_eq(json_object_get_string(cxt_get(streams, "1.src")), "192.0.2.1:5000");
	cr_assert_eq(json_object_get_int(cxt_get(streams, "1.packets")), 1);
	cr_assert_null(cxt_get(streams, "1.call_id"));
	json_object_put(r);
	unlink(path);
}
