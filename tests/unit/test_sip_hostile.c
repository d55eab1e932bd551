/* Hostile SIP: each message below must be reported (counted, a finding)
 * or parsed, never crash or leak (this suite also runs under ASan). The
 * base message is a real INVITE from sngrep's aaa.pcap, frame 221. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cxtest.h"

static const char *base =
	"INVITE sip:0012345@sip.example.net SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 192.168.1.2:5060;rport;branch=z9hG4bK1\r\n"
	"From: \"Arik\" <sip:arik@sip.example.net>;tag=1\r\n"
	"To: <sip:0012345@sip.example.net>\r\n"
	"Call-ID: %s\r\n"
	"CSeq: 1 INVITE\r\n"
	"Content-Length: %s\r\n"
	"%s"
	"\r\n";

static pcap_dumper_t *dumper;
static pcap_t *dead;
static uint32_t seq = 1000, tsec = 1600000000;

static void
put_ip(uint8_t proto, const void *l4, size_t n)
{
	uint8_t *pkt = malloc(20 + n);
	const uint8_t h[20] = { 0x45, 0, (uint8_t)((20 + n) >> 8), (uint8_t)(20 + n), 0, 1, 0x40, 0,
				64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2 };
	memcpy(pkt, h, 20);
	memcpy(pkt + 20, l4, n);
	struct pcap_pkthdr ph = { { tsec++, 0 }, (bpf_u_int32)(20 + n), (bpf_u_int32)(20 + n) };
	pcap_dump((u_char *)dumper, &ph, pkt);
	free(pkt);
}

static void
udp(const void *payload, size_t n)
{
	uint8_t *u = malloc(8 + n);
	const uint8_t h[8] = { 0x13, 0xc4, 0x13, 0xc4, (uint8_t)((8 + n) >> 8), (uint8_t)(8 + n), 0, 0 };
	memcpy(u, h, 8);
	memcpy(u + 8, payload, n);
	put_ip(17, u, 8 + n);
	free(u);
}

static void
tcp(const void *payload, size_t n, uint8_t flags)
{
	uint8_t *t = malloc(20 + n);
	const uint8_t h[20] = { 0x13, 0xc4, 0x13, 0xc5, (uint8_t)(seq >> 24), (uint8_t)(seq >> 16),
				(uint8_t)(seq >> 8), (uint8_t)seq, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff,
				0, 0, 0, 0 };
	memcpy(t, h, 20);
	memcpy(t + 20, payload, n);
	put_ip(6, t, 20 + n);
	seq += (uint32_t)n + ((flags & 0x03) ? 1 : 0);
	free(t);
}

static char *
msg(const char *callid, const char *cl, const char *extra)
{
	size_t n = strlen(base) + strlen(callid) + strlen(cl) + strlen(extra) + 1;
	char *m = malloc(n);
	snprintf(m, n, base, callid, cl, extra);
	return m;
}

Test(sip_hostile, malformed_messages_are_reported_not_fatal)
{
	char path[] = "/tmp/cxsiphostile-XXXXXX";
	close(mkstemp(path));
	dead = pcap_open_dead(DLT_RAW, 262144);
	dumper = pcap_dump_open(dead, path);
	/* 1. a good message, so the run has something to report */
	char *m = msg("good@host", "0", "");
	udp(m, strlen(m));
	free(m);
	/* 2. oversized Call-ID (60 KB) */
	char *big = malloc(60001);
	memset(big, 'c', 60000);
	big[60000] = '\0';
	m = msg(big, "0", "");
	udp(m, strlen(m));
	free(m);
	/* 3. empty header values */
	const char *empty = "INVITE sip:a@b SIP/2.0\r\nVia: \r\nFrom: \r\nTo: \r\nCall-ID: \r\nCSeq: \r\n\r\n";
	udp(empty, strlen(empty));
	/* 4. missing final CRLF (header block never ends) */
	const char *nocrlf = "OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 OPTIONS";
	udp(nocrlf, strlen(nocrlf));
	/* 5. binary garbage after a valid start line */
	uint8_t garbage[600];
	memcpy(garbage, "REGISTER sip:x SIP/2.0\r\n", 24);
	for (size_t i = 24; i < sizeof(garbage); i++)
		garbage[i] = (uint8_t)(i * 131 + 7);
	udp(garbage, sizeof(garbage));
	/* 6. Content-Length larger than the data */
	m = msg("cl@host", "5000", "Content-Type: application/sdp\r\n");
	char *withbody = malloc(strlen(m) + 20);
	sprintf(withbody, "%sv=0\r\n", m);
	udp(withbody, strlen(withbody));
	free(withbody);
	free(m);
	/* 7. a 1 MB header over TCP, in 1400-byte segments */
	tcp("", 0, 0x02);
	char *hdr = malloc(1100000);
	size_t hl = (size_t)sprintf(hdr, "MESSAGE sip:a@b SIP/2.0\r\nX-Big: ");
	memset(hdr + hl, 'A', 1048576);
	hl += 1048576;
	hl += (size_t)sprintf(hdr + hl, "\r\nCall-ID: big@tcp\r\nCSeq: 1 MESSAGE\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nContent-Length: 0\r\n\r\n");
	for (size_t off = 0; off < hl; off += 1400)
		tcp(hdr + off, hl - off < 1400 ? hl - off : 1400, 0x18);
	/* then a normal message on the same connection */
	m = msg("after-big@tcp", "0", "");
	tcp(m, strlen(m), 0x18);
	free(m);
	free(hdr);
	free(big);
	pcap_dump_close(dumper);
	pcap_close(dead);

	int rc;
	struct json_object *r = cxt_run(path, NULL, &rc, NULL);
	cr_assert_not_null(r);
	cr_assert_eq(rc, 0);
	struct json_object *dialogs = cxt_get(r, "dialogs");
	bool good = false, after = false;
	for (size_t i = 0; i < json_object_array_length(dialogs); i++) {
		const char *cid = json_object_get_string(cxt_get(json_object_array_get_idx(dialogs, i), "call_id"));
		good |= !strcmp(cid, "good@host");
		after |= !strcmp(cid, "after-big@tcp");
	}
	cr_assert(good, "the well-formed message is kept");
	cr_assert(after, "the TCP stream recovers after the oversized message");
	int64_t bad = json_object_get_int64(cxt_get(r, "capture.errors.sip.malformed"));
	int64_t trunc = json_object_get_int64(cxt_get(r, "capture.errors.sip.truncated"));
	cr_assert_geq(bad, 3, "empty headers, no end of headers, garbage: %lld", (long long)bad);
	cr_assert_eq(trunc, 1, "Content-Length larger than the data");
	struct json_object *f = cxt_get(r, "findings");
	cr_assert_geq(json_object_array_length(f), 4);
	json_object_put(r);
	unlink(path);
}
