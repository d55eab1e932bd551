/* DNS messages over UDP: each unit is one message, alternating query
 * (10.0.0.1:40000 -> 10.0.0.2:53) and response, so the transaction
 * pairing and the name/rdata readers run; the unit's first byte picks the
 * server port (53, 5353 mDNS, 5355 LLMNR) for the whole input. */
#include <stdlib.h>
#include "callextract/around.h"
#include "fuzz_common.h"

int
cx_fuzz_one(const uint8_t *data, size_t size)
{
	static const uint16_t ports[] = { 53, 5353, 5355 };
	if (!size)
		return 0;
	uint16_t sport = ports[data[0] % 3];
	data++, size--;
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
		cxf_udp(&p, (int)(~frame & 1), 40000, sport, frame, d, len);
		cx_dns_on_udp(ctx->dns, &p);
		free(d);
	}
	cx_dns_finish(ctx->dns);
	cxf_close(ctx);
	return 0;
}
CXF_LIBFUZZER_ENTRY
