/* Our pcapng reader over an in-memory file: blocks, options, interfaces,
 * timestamp resolution and offsets, every packet touched at both ends. */
#include <stdio.h>
#include <stdlib.h>
#include "capture/pcapng.h"
#include "fuzz_common.h"

int
cx_fuzz_one(const uint8_t *data, size_t size)
{
	uint8_t *d = cxf_copy(data, size);
	if (!d)
		return 0;
	FILE *f = size ? fmemopen(d, size, "rb") : NULL;
	if (!f) {
		free(d);
		return 0;
	}
	struct cx_pcapng *r;
	char err[256];
	if (cx_pcapng_open(&r, f, err, sizeof(err)) == 0) {
		int lt;
		int64_t ts;
		const uint8_t *pkt;
		uint32_t cap, wire;
		for (int i = 0; i < 100000; i++) {
			if (cx_pcapng_next(r, &lt, &ts, &pkt, &cap, &wire, err, sizeof(err)) != 1)
				break;
			if (cap) {
				volatile uint8_t x = pkt[0] ^ pkt[cap - 1];
				(void)x;
			}
		}
		int lts[16];
		(void)cx_pcapng_linktypes(r, lts, 16);
		cx_pcapng_close(r);
	}
	free(d);
	return 0;
}
CXF_LIBFUZZER_ENTRY
