/* RTP, RTCP and STUN parsers: every input is tried by each of them, as the
 * media module tries a datagram (STUN, then RTCP, then RTP). */
#include <stdlib.h>
#include "proto/rtp.h"
#include "fuzz_common.h"

int
cx_fuzz_one(const uint8_t *data, size_t size)
{
	uint8_t *d = cxf_copy(data, size);
	if (!d)
		return 0;
	struct cx_stun st;
	if (cx_stun_looks_like(d, size) || cx_stun_classic_looks_like(d, size, 3478, 40000))
		(void)cx_stun_parse(d, size, &st);
	struct cx_rtcp_info ri;
	if (cx_rtcp_looks_like(d, size, false))
		(void)cx_rtcp_parse(d, size, &ri);
	struct cx_rtp r;
	if (cx_rtp_parse(d, size, &r) == 0 && r.payload_len) {
		/* the payload must lie inside the datagram: touch its ends */
		volatile uint8_t x = r.payload[0] ^ r.payload[r.payload_len - 1];
		(void)x;
	}
	free(d);
	return 0;
}
CXF_LIBFUZZER_ENTRY
