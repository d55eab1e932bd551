/* RTP and RTCP over TCP (RFC 4571) through the whole path: an SDP
 * announcement (cx_media_expect, TCP/RTP/AVP or TCP/RTP/SAVP with an
 * a=crypto key), then segments into the flow layer (cx_tcp_segment), which
 * claims the connection for stream/tcprtp.c: the two-byte length deframer,
 * resynchronisation after junk and gaps, and each frame into the stream
 * layer (RTP statistics, rtcp-mux, SRTP, playout, the call's capture).
 * The input's first byte: bit 0 SAVP with the key below, bit 1 the client
 * end (10.0.0.1:40000) announced instead of the server's (10.0.0.2:5004),
 * bit 2 finish the context (report writers) at the end. Then segments as
 * fuzz_tcp.c reads them: [flags][ctl][seq: 4 bytes big-endian][payload];
 * ctl bit 0: direction (1 = server->client), bit 7: 200 s of silence
 * before it (idle expiry). Seeds: corpus/rtp_tcp (fixtures/rtp-tcp.pcap). */
#include <stdlib.h>
#include <string.h>
#include "callextract/ctx.h"
#include "callextract/media.h"
#include "callextract/srtp.h"
#include "callextract/tcp.h"
#include "fuzz_common.h"

int
cx_fuzz_one(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	uint8_t opt = data[0];
	data++, size--;
	struct cx_ctx *ctx = cxf_open();
	if (!ctx)
		return 0;
	struct cx_media_expect e;
	memset(&e, 0, sizeof(e));
	e.call_id = "rtp-tcp-fuzz";
	e.call_index = 1;
	e.party = opt & 2 ? 0 : 1;
	e.media = "audio";
	e.proto = opt & 1 ? "TCP/RTP/SAVP" : "TCP/RTP/AVP";
	e.addr.family = 4;
	e.addr.a[0] = 10;
	e.addr.a[3] = opt & 2 ? 1 : 2;
	e.rtp_port = opt & 2 ? 40000 : 5004;
	e.rtcp_port = e.rtp_port + 1;
	e.n_pts = 2;
	e.pts[0].pt = 0;
	memcpy(e.pts[0].encoding, "PCMU", 5);
	e.pts[0].clock = 8000;
	e.pts[1].pt = 101;
	memcpy(e.pts[1].encoding, "telephone-event", 16);
	e.pts[1].clock = 8000;
	e.dtls = true; /* a=setup: RFC 4145's on a TCP profile, not DTLS */
	const char *err;
	if (opt & 1 && cx_srtp_parse_crypto("1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",
					    &e.crypto[0], &err) == 0)
		e.n_crypto = 1;
	cx_media_expect(ctx->media, &e);
	const uint8_t *rec;
	size_t len;
	uint64_t frame = 0;
	int64_t ts = 1000000000LL;
	while (cxf_next(&data, &size, &rec, &len)) {
		if (len < 6)
			continue;
		uint8_t *d = cxf_copy(rec + 6, len - 6);
		if (!d)
			break;
		int dir = rec[1] & 1;
		ts += (rec[1] & 0x80) ? 200000000000LL : 20000000LL;
		struct cx_packet p;
		cxf_udp(&p, dir, 40000, 5004, ++frame, d, len - 6);
		p.ts_ns = ts;
		p.ip_proto = 6;
		p.l4 = CX_L4_TCP;
		p.tcp_flags = rec[0] & 0x3f;
		p.tcp_seq = (uint32_t)rec[2] << 24 | (uint32_t)rec[3] << 16 | (uint32_t)rec[4] << 8 | rec[5];
		if (rec[1] & 0x80) {
			cx_tcp_tick(ctx->tcp, ts);
			cx_media_tick(ctx->media, ts);
		}
		cx_tcp_segment(ctx->tcp, &p);
		free(d);
	}
	cx_tcp_flush(ctx->tcp);
	cxf_close(ctx);
	return 0;
}
CXF_LIBFUZZER_ENTRY
