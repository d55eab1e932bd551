/* WebSocket (src/wrap/ws.c): the HTTP Upgrade, frame headers, masking,
 * fragmentation, control frames, permessage-deflate (zlib inflate) and the
 * SIP messages inside, on one connection 10.0.0.1:40000 -> 10.0.0.2:8080.
 * Units as cxf_wrap_stream reads them. */
#include "callextract/wrap.h"
#include "fuzz_common.h"

static const struct cxf_wrap_ops ops = {
	cx_ws_looks_like, CX_TCP_WS, cx_ws_tcp_data, cx_ws_tcp_gap, cx_ws_tcp_close,
};

int
cx_fuzz_one(const uint8_t *data, size_t size)
{
	return cxf_wrap_stream(data, size, 8080, &ops);
}
CXF_LIBFUZZER_ENTRY
