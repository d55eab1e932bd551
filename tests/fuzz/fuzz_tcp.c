/* TCP reassembly (cx_tcp_segment) fed with segment sequences: handshake,
 * retransmissions, overlaps, holes, reordering, FIN/RST, idle expiry, and
 * the consumers the flow layer hands the streams to (SIP, FTP, DNS, STUN).
 * The input's first byte picks the server port (5060, 21, 53, 3478, 80)
 * for the whole input; then each unit is one segment:
 *   [flags][ctl][seq: 4 bytes big-endian][payload]
 * flags: TCP flags (FIN SYN RST PSH ACK URG); ctl bit 0: direction
 * (1 = server->client); ctl bit 1: client port 40001 instead of 40000 (a
 * second connection); ctl bit 7: 200 s of silence before it (idle expiry).
 * Every connection still open is flushed at the end. */
#include <stdlib.h>
#include <string.h>
#include "callextract/tcp.h"
#include "fuzz_common.h"

int
cx_fuzz_one(const uint8_t *data, size_t size)
{
	static const uint16_t ports[] = { 5060, 21, 53, 3478, 80 };
	if (!size)
		return 0;
	uint16_t sport = ports[data[0] % 5];
	data++, size--;
	struct cx_ctx *ctx = cxf_open();
	if (!ctx)
		return 0;
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
		uint16_t cport = (rec[1] & 2) ? 40001 : 40000;
		ts += (rec[1] & 0x80) ? 200000000000LL : 20000000LL;
		struct cx_packet p;
		cxf_udp(&p, dir, cport, sport, ++frame, d, len - 6);
		p.ts_ns = ts;
		p.ip_proto = 6;
		p.l4 = CX_L4_TCP;
		p.tcp_flags = rec[0] & 0x3f;
		p.tcp_seq = (uint32_t)rec[2] << 24 | (uint32_t)rec[3] << 16 | (uint32_t)rec[4] << 8 | rec[5];
		if (rec[1] & 0x80)
			cx_tcp_tick(ctx->tcp, ts);
		cx_tcp_segment(ctx->tcp, &p);
		free(d);
	}
	cx_tcp_flush(ctx->tcp);
	cxf_close(ctx);
	return 0;
}
CXF_LIBFUZZER_ENTRY
