/* SIP over TCP: stream framing (Content-Length, CRLF keep-alives, partial
 * messages across segments, resynchronisation after a gap). Each unit is
 * [flags][bytes]: flags bit 0 = direction (server->client), bit 1 = a gap
 * of lost bytes before this unit. The connection is closed at the end, so
 * the leftover of both directions is framed as final. */
#include <stdlib.h>
#include "callextract/sip.h"
#include "fuzz_common.h"

int
cx_fuzz_one(const uint8_t *data, size_t size)
{
	struct cx_ctx *ctx = cxf_open();
	if (!ctx)
		return 0;
	struct cx_tcp_conn *c = cxf_conn(40000, 5060);
	if (!c) {
		cxf_close(ctx);
		return 0;
	}
	c->owner = CX_TCP_SIP;
	const uint8_t *rec;
	size_t len;
	uint64_t frame = 0;
	while (cxf_next(&data, &size, &rec, &len)) {
		if (!len)
			continue;
		int dir = rec[0] & 1;
		c->last_frame = ++frame;
		c->last_ts_ns += 20000000LL;
		if (rec[0] & 2)
			cx_sip_tcp_gap(ctx->sip, c, dir, 100);
		uint8_t *d = cxf_copy(rec + 1, len - 1);
		if (len > 1)
			cx_sip_tcp_data(ctx->sip, c, dir, frame, c->last_ts_ns, d, len - 1);
		free(d);
	}
	cx_sip_tcp_close(ctx->sip, c);
	free(c);
	cxf_close(ctx);
	return 0;
}
CXF_LIBFUZZER_ENTRY
