/* SIP over UDP: each unit of the input is one datagram from alternating
 * sides of 10.0.0.1:5060 <-> 10.0.0.2:5060, through the pipeline's gate
 * (cx_sip_looks_like) into framing, osip2 parsing, dialogs, SDP and auth. */
#include <stdlib.h>
#include "callextract/sip.h"
#include "fuzz_common.h"

int
cx_fuzz_one(const uint8_t *data, size_t size)
{
	struct cx_ctx *ctx = cxf_open();
	if (!ctx)
		return 0;
	const uint8_t *rec;
	size_t len;
	uint64_t frame = 0;
	while (cxf_next(&data, &size, &rec, &len)) {
		uint8_t *d = cxf_copy(rec, len);
		struct cx_packet p;
		frame++;
		cxf_udp(&p, (int)(~frame & 1), 5060, 5060, frame, d, len);
		if (cx_sip_looks_like(d, len))
			cx_sip_on_udp(ctx->sip, &p);
		free(d);
	}
	cxf_close(ctx);
	return 0;
}
CXF_LIBFUZZER_ENTRY
