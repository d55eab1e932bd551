/* HEP v1/v2/v3 (src/wrap/hep.c): UDP datagrams and a TCP stream to a
 * collector 10.0.0.1:40000 -> 10.0.0.2:9060. Each unit is [flags][bytes]:
 *   flags bit 0: direction of a TCP unit (1 = collector->agent)
 *   flags bit 1: a gap of lost bytes before a TCP unit
 *   flags bit 2: a UDP datagram (given to cx_hep_on_udp when
 *                cx_hep_looks_like accepts it, as pipeline.c does)
 * TCP units are given to cx_hep_tcp_data once cx_hep_looks_like accepted
 * the first of them (as flow/tcp.c claims a connection); the connection is
 * closed and the wrappers finished at the end. */
#include <stdlib.h>
#include "callextract/wrap.h"
#include "fuzz_common.h"

int
cx_fuzz_one(const uint8_t *data, size_t size)
{
	struct cx_ctx *ctx = cxf_open();
	if (!ctx)
		return 0;
	struct cx_tcp_conn *c = cxf_conn(40000, 9060);
	if (!c) {
		cxf_close(ctx);
		return 0;
	}
	const uint8_t *rec;
	size_t len;
	uint64_t frame = 0;
	bool hep = false;
	while (cxf_next(&data, &size, &rec, &len)) {
		if (!len)
			continue;
		frame++;
		uint8_t *d = cxf_copy(rec + 1, len - 1);
		if (!d)
			break;
		if (rec[0] & 4) {
			struct cx_packet p;
			cxf_udp(&p, 0, 40000, 9060, frame, d, len - 1);
			if (cx_hep_looks_like(d, len - 1))
				cx_hep_on_udp(ctx->wrap, &p);
		} else {
			int dir = rec[0] & 1;
			c->last_frame = frame;
			c->last_ts_ns += 20000000LL;
			if (!hep && cx_hep_looks_like(d, len - 1)) {
				hep = true;
				c->owner = CX_TCP_HEP;
			}
			if (hep) {
				if (rec[0] & 2)
					cx_hep_tcp_gap(ctx->wrap, c, dir, 100);
				if (len > 1)
					cx_hep_tcp_data(ctx->wrap, c, dir, frame, c->last_ts_ns, d, len - 1);
			}
		}
		free(d);
	}
	if (hep)
		cx_hep_tcp_close(ctx->wrap, c);
	free(c);
	cx_wrap_finish(ctx->wrap);
	cxf_close(ctx);
	return 0;
}
CXF_LIBFUZZER_ENTRY
