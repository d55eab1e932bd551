/* WebSocket (src/wrap/ws.c): the HTTP Upgrade, frame headers, masking,
 * fragmentation, control frames, permessage-deflate (zlib inflate) and the
 * SIP messages inside, on one connection 10.0.0.1:40000 -> 10.0.0.2:8080.
 * Each unit is [flags][bytes]: flags bit 0 = direction (server->client),
 * bit 1 = a gap of lost bytes before this unit. The stream goes to the
 * parser once cx_ws_looks_like accepted its first unit (as flow/tcp.c
 * claims a connection); it is closed and the wrappers finished at the end. */
#include <stdlib.h>
#include "callextract/wrap.h"
#include "fuzz_common.h"

int
cx_fuzz_one(const uint8_t *data, size_t size)
{
	struct cx_ctx *ctx = cxf_open();
	if (!ctx)
		return 0;
	struct cx_tcp_conn *c = cxf_conn(40000, 8080);
	if (!c) {
		cxf_close(ctx);
		return 0;
	}
	const uint8_t *rec;
	size_t len;
	uint64_t frame = 0;
	bool mine = false;
	while (cxf_next(&data, &size, &rec, &len)) {
		if (!len)
			continue;
		int dir = rec[0] & 1;
		c->last_frame = ++frame;
		c->last_ts_ns += 20000000LL;
		uint8_t *d = cxf_copy(rec + 1, len - 1);
		if (!d)
			break;
		if (!mine && cx_ws_looks_like(d, len - 1)) {
			mine = true;
			c->owner = CX_TCP_WS;
		}
		if (mine) {
			if (rec[0] & 2)
				cx_ws_tcp_gap(ctx->wrap, c, dir, 100);
			if (len > 1)
				cx_ws_tcp_data(ctx->wrap, c, dir, frame, c->last_ts_ns, d, len - 1);
		}
		free(d);
	}
	if (mine)
		cx_ws_tcp_close(ctx->wrap, c);
	free(c);
	cx_wrap_finish(ctx->wrap);
	cxf_close(ctx);
	return 0;
}
CXF_LIBFUZZER_ENTRY
