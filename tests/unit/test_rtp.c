/* RTP header parser: a real packet (SIP_DTMF2.cap frame 339, an RFC 4733
 * event; tshark: seq 62676, ts 3931130841, SSRC 0x5711bf84, PT 96,
 * marker), then the header fields that change the payload's bounds
 * (CSRC count, extension, padding) at and past their limits. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "proto/rtp.h"

static const uint8_t frame339[] = { 0x80, 0xe0, 0xf4, 0xd4, 0xea, 0x50, 0x4b, 0xd9,
				    0x57, 0x11, 0xbf, 0x84, 0x06, 0x07, 0x00, 0x00 };

Test(rtp, real_event_packet)
{
	struct cx_rtp r;
	cr_assert_eq(cx_rtp_parse(frame339, sizeof(frame339), &r), 0);
	cr_assert_eq(r.seq, 62676);
	cr_assert_eq(r.ts, 3931130841u);
	cr_assert_eq(r.ssrc, 0x5711bf84u);
	cr_assert_eq(r.pt, 96);
	cr_assert(r.marker && !r.padding && !r.ext);
	cr_assert_eq(r.cc, 0);
	cr_assert_eq(r.payload_len, 4);
	cr_assert_eq(r.payload, frame339 + 12);
	/* every shorter prefix of the header is refused, in an exact-size copy */
	for (size_t k = 0; k < 12; k++) {
		uint8_t *c = malloc(k ? k : 1);
		memcpy(c, frame339, k);
		cr_assert_eq(cx_rtp_parse(c, k, &r), -1, "%zu bytes", k);
		free(c);
	}
}

Test(rtp, version_must_be_2)
{
	uint8_t b[sizeof(frame339)];
	struct cx_rtp r;
	for (int v = 0; v < 4; v++) {
		memcpy(b, frame339, sizeof(b));
		b[0] = (uint8_t)((b[0] & 0x3f) | (v << 6));
		cr_assert_eq(cx_rtp_parse(b, sizeof(b), &r), v == 2 ? 0 : -1);
	}
}

Test(rtp, csrc_extension_padding_bounds)
{
	uint8_t b[64];
	struct cx_rtp r;
	/* 2 CSRCs + extension of 1 word + 3 payload bytes + 2 padding */
	memset(b, 0, sizeof(b));
	memcpy(b, frame339, 12);
	b[0] = 0x80 | 0x20 | 0x10 | 2;
	size_t n = 12 + 8;
	b[n + 2] = 0; b[n + 3] = 1;   /* extension: profile, 1 word */
	n += 4 + 4;
	b[n++] = 0xaa; b[n++] = 0xbb; b[n++] = 0xcc;
	b[n++] = 0; b[n++] = 2;       /* padding: count 2 in the last byte */
	cr_assert_eq(cx_rtp_parse(b, n, &r), 0);
	cr_assert_eq(r.cc, 2);
	cr_assert(r.ext && r.padding);
	cr_assert_eq(r.payload_len, 3);
	cr_assert_eq(r.payload[0], 0xaa);
	/* padding count larger than what follows the header: refused */
	b[n - 1] = 6;
	cr_assert_eq(cx_rtp_parse(b, n, &r), -1);
	/* padding count 5 = the 3 payload bytes and both padding bytes: empty payload */
	b[n - 1] = 5;
	cr_assert_eq(cx_rtp_parse(b, n, &r), 0);
	cr_assert_eq(r.payload_len, 0);
	/* padding count 0 is invalid */
	b[n - 1] = 0;
	cr_assert_eq(cx_rtp_parse(b, n, &r), -1);
	b[n - 1] = 2;
	/* extension longer than the datagram */
	b[12 + 8 + 3] = 200;
	cr_assert_eq(cx_rtp_parse(b, n, &r), -1);
	b[12 + 8 + 3] = 1;
	/* 15 CSRCs do not fit */
	b[0] = (uint8_t)((b[0] & 0xf0) | 15);
	cr_assert_eq(cx_rtp_parse(b, n, &r), -1);
}
