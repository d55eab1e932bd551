/* FTP: control lines (commands, replies, PORT/EPRT/PASV/EPSV, USER/PASS)
 * on one control connection 10.0.0.1:40000 -> 10.0.0.2:21, and data
 * connections (listings, files) claimed through the announcements. Each
 * unit is [flags][bytes]:
 *   flags bit 0: direction (1 = server->client)
 *   flags bit 1: a gap of lost bytes before the unit
 *   flags bit 2: a data connection: bytes = [IPv4 4][port 2][content];
 *                the connection's accepting side is that endpoint (as
 *                announced), it is offered to cx_ftp_claim_data, fed the
 *                content (in direction bit 0) and closed.
 * The control connection is closed at the end. */
#include <stdlib.h>
#include <string.h>
#include "callextract/around.h"
#include "fuzz_common.h"

int
cx_fuzz_one(const uint8_t *data, size_t size)
{
	struct cx_ctx *ctx = cxf_open();
	if (!ctx)
		return 0;
	struct cx_tcp_conn *c = cxf_conn(40000, 21);
	if (!c) {
		cxf_close(ctx);
		return 0;
	}
	const uint8_t *rec;
	size_t len;
	uint64_t frame = 0;
	bool ftp = false;
	while (cxf_next(&data, &size, &rec, &len)) {
		if (!len)
			continue;
		int dir = rec[0] & 1;
		frame++;
		c->last_frame = frame;
		c->last_ts_ns += 20000000LL;
		uint8_t *d = cxf_copy(rec + 1, len - 1);
		if (!d)
			break;
		if (rec[0] & 4) {
			if (len - 1 >= 6) {
				struct cx_tcp_conn *dc = cxf_conn((uint16_t)(50000 + frame), 0);
				if (dc) {
					memcpy(dc->addr[1].a, d, 4);
					dc->port[1] = (uint16_t)(d[4] << 8 | d[5]);
					dc->first_frame = dc->last_frame = frame;
					dc->first_ts_ns = dc->last_ts_ns = c->last_ts_ns;
					if (cx_ftp_claim_data(ctx->ftp, dc)) {
						dc->owner = CX_TCP_FTP_DATA;
						if (rec[0] & 2)
							cx_ftp_tcp_gap(ctx->ftp, dc, dir, 100);
						if (len - 1 > 6)
							cx_ftp_tcp_data(ctx->ftp, dc, dir, frame, dc->last_ts_ns, d + 6,
									len - 7);
						cx_ftp_tcp_close(ctx->ftp, dc);
					}
					free(dc);
				}
			}
		} else {
			if (!ftp && cx_ftp_looks_like(c, dir, d, len - 1)) {
				ftp = true;
				c->owner = CX_TCP_FTP_CTRL;
			}
			if (ftp) {
				if (rec[0] & 2)
					cx_ftp_tcp_gap(ctx->ftp, c, dir, 100);
				cx_ftp_tcp_data(ctx->ftp, c, dir, frame, c->last_ts_ns, d, len - 1);
			}
		}
		free(d);
	}
	if (ftp)
		cx_ftp_tcp_close(ctx->ftp, c);
	free(c);
	cx_ftp_finish(ctx->ftp);
	cxf_close(ctx);
	return 0;
}
CXF_LIBFUZZER_ENTRY
